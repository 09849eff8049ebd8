"""The templates domain: stored texts with placeholders, in versions (lambdas/messenger/templates/).

Its fields run in the API function. Table calls: GetItem (the latest version), BatchGetItem (a pinned
version with the template's head, in one call), Query (getTemplates), PutItem (the transactions that
write a version and the head), UpdateItem (archive). sendMessage by templateId uses the same calls,
from the same function.
"""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig

# templates/logic.py: input limits and how long a warm function trusts "the latest version" it read.
TEMPLATE_SETTINGS = ("max_email_body_bytes", "max_subject_chars", "template_cache_seconds")


def contribute(config: ServiceConfig) -> w.Domain:
    return w.Domain(
        name="templates",
        api=w.ApiPart(
            router="messenger.templates.api",
            fields=(
                ("Mutation", "createTemplate"), ("Mutation", "updateTemplate"), ("Mutation", "archiveTemplate"),
                ("Query", "getTemplate"), ("Query", "getTemplates"), ("Query", "previewTemplate"),
            ),
            capabilities=frozenset({w.TABLE_GET, w.TABLE_BATCH_GET, w.TABLE_QUERY, w.TABLE_PUT, w.TABLE_UPDATE}),
            # Writing templates is administration; reading them is for whoever sends or reads.
            scopes={"createTemplate": w.ADMIN, "updateTemplate": w.ADMIN, "archiveTemplate": w.ADMIN,
                    "getTemplate": w.READ, "getTemplates": w.READ, "previewTemplate": w.READ},
            settings=TEMPLATE_SETTINGS,
            resource_env=(w.ENV_TABLE_NAME,),
        ),
    )
