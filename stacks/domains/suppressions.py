"""The suppressions domain: the list of recipients not to send to (getSuppressions, removeSuppression).

Entries are written where the cause is seen (receipts: a permanent bounce, a complaint; Africa's
Talking's blacklist refusal where its answer is read); sendMessage reads them with the sending
domain's TABLE_GET. Here: paging the list and lifting one entry.
"""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig


def contribute(config: ServiceConfig) -> w.Domain:
    return w.Domain(
        name="suppressions",
        api=w.ApiPart(
            router="messenger.suppressions.api",
            fields=(("Query", "getSuppressions"), ("Mutation", "removeSuppression")),
            capabilities=frozenset({w.TABLE_QUERY, w.TABLE_DELETE}),
            scopes={"getSuppressions": w.ADMIN, "removeSuppression": w.ADMIN},
            resource_env=(w.ENV_TABLE_NAME,),
        ),
    )
