"""AWS SDK clients, created on first use and kept for the life of the execution environment.

They are botocore's clients, made by a botocore session: what `boto3.client(...)` returns, without
importing boto3 itself, whose import (s3transfer and its resources layer, none of which a client uses)
costs a first request about 0.25 s. Imported here, lazily, so a cold start pays only for the clients its
request uses.
Provider clients make one attempt: whether and when to try again is the logic's decision (through
the queue), never a silent SDK retry that could send a message twice.
"""

from __future__ import annotations

from functools import cache


@cache
def client(service: str, region: str | None = None, *, retries: int = 3):
    from botocore.config import Config
    from botocore.session import get_session

    config = Config(
        connect_timeout=3,
        read_timeout=10,
        retries={"mode": "standard", "total_max_attempts": retries},
        # Pre-signed S3 URLs: SigV4, which every region accepts.
        **({"signature_version": "s3v4"} if service == "s3" else {}),
    )
    return get_session().create_client(service, region_name=region or None, config=config)


def transport_failure(provider: str, error: Exception):
    """A provider call that got no answer. Safe to retry only if the request never left.

    A refused or timed-out connection never reached the provider: retrying cannot send twice. A
    read timeout or a dropped connection after the request was written may follow a send, so it is
    reported as a permanent failure whose reason says the outcome is unknown, never retried.
    """
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

    from messenger.core.errors import ProviderError

    if isinstance(error, (ConnectTimeoutError, EndpointConnectionError)):
        return ProviderError(f"{provider}:{type(error).__name__}", transient=True)
    return ProviderError(f"{provider}:NoAnswer (may have been sent)", transient=False)
