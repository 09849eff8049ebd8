"""The erasure domain: eraseRecipient (ADMIN) deletes a recipient's messages, their idempotency keys
and suppression (keeping a do-not-contact marker). Query pages the partition, BatchWriteItem deletes
25 items a request, GetItem/DeleteItem the suppression (lambdas/messenger/erasure/)."""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig


def contribute(config: ServiceConfig) -> w.Domain:
    return w.Domain(
        name="erasure",
        api=w.ApiPart(
            router="messenger.erasure.api",
            fields=(("Mutation", "eraseRecipient"),),
            scopes={"eraseRecipient": w.ADMIN},
            capabilities=frozenset({w.TABLE_QUERY, w.TABLE_BATCH_WRITE, w.TABLE_GET, w.TABLE_DELETE}),
            resource_env=(w.ENV_TABLE_NAME,),
        ),
    )
