"""The messages domain: the record and its history (getMessages, getMessage)."""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig


def contribute(config: ServiceConfig) -> w.Domain:
    return w.Domain(
        name="messages",
        api=w.ApiPart(
            router="messenger.messages.api",
            fields=(("Query", "getMessages"), ("Query", "getMessage")),
            capabilities=frozenset({w.TABLE_QUERY}),
            scopes={"getMessages": w.READ, "getMessage": w.READ},
            resource_env=(w.ENV_TABLE_NAME,),
        ),
    )
