"""The limits domain: no field of its own; the API function's sendMessage consumes its counters
(one TransactWriteItems of conditional UpdateItems, hence TABLE_UPDATE) and reads its settings."""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig

LIMIT_SETTINGS = (
    "messages_per_request", "client_messages_per_minute", "client_messages_per_day",
    "sms_identical_per_number_per_hour", "sms_per_number_per_hour", "emails_per_address_per_hour",
)


def contribute(config: ServiceConfig) -> w.Domain:
    return w.Domain(
        name="limits",
        api=w.ApiPart(
            router="messenger.limits.api",
            fields=(),
            capabilities=frozenset({w.TABLE_UPDATE}),
            settings=LIMIT_SETTINGS,
            resource_env=(w.ENV_TABLE_NAME,),
        ),
    )
