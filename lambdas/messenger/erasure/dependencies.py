"""The erasure domain's composition root."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.erasure.dal import ErasureTable

    return ErasureTable(client("dynamodb"), settings().table_name)
