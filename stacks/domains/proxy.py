"""The proxy domain: a pool of numbers and sessions pairing two participants on one of them (seeds/003).

The API function manages the pool and the sessions; the inbound worker relays texts to pool numbers
(messenger/inbound: its conversations hook), so it gets the proxy texts too (stacks/domains/inbound.py).
"""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig

SETTINGS = ("proxy_organisation_name", "proxy_start_text", "proxy_end_text", "proxy_no_session_text", "at_country_codes")


def contribute(config: ServiceConfig) -> w.Domain:
    return w.Domain(
        name="proxy",
        api=w.ApiPart(
            router="messenger.proxy.api",
            fields=(("Mutation", "addProxyNumber"), ("Mutation", "removeProxyNumber"), ("Query", "getProxyNumbers"),
                    ("Mutation", "startProxySession"), ("Mutation", "endProxySession"), ("Query", "getProxySessions")),
            # The pool is the deployment's (ADMIN); sessions are sends between two people (SEND), read with READ.
            scopes={"addProxyNumber": w.ADMIN, "removeProxyNumber": w.ADMIN, "getProxyNumbers": w.ADMIN,
                    "startProxySession": w.SEND, "endProxySession": w.SEND, "getProxySessions": w.READ},
            # Put: numbers, the allocation transaction; Query: the pool and the sessions' pages;
            # Update: closing; Delete: a number, a closed session's locks.
            capabilities=frozenset({w.TABLE_GET, w.TABLE_PUT, w.TABLE_QUERY, w.TABLE_UPDATE, w.TABLE_DELETE}),
            settings=SETTINGS,
            resource_env=(w.ENV_TABLE_NAME,),
        ),
    )
