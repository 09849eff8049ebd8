"""Standard Webhooks signatures (https://www.standardwebhooks.com/): receivers verify with the
`standardwebhooks` or `svix` libraries.

A secret is "whsec_" + base64 of 24 random bytes; the HMAC key is the decoded part after the prefix.
`webhook-signature` is "v1,<base64 HMAC-SHA256 of '<webhook-id>.<webhook-timestamp>.<body>'>", one per
secret that signs (space separated): during a rotation's grace period both the new and the old secret sign.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _random

PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    return PREFIX + base64.b64encode(_random.token_bytes(SECRET_BYTES)).decode()


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    digest = hmac.new(key_of(secret), f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets: tuple[str, ...], webhook_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, webhook_id, timestamp, body) for s in secrets),
        "content-type": "application/json",
        "user-agent": "messaging-webhooks/1",
    }
