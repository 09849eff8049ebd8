"""The limits domain's composition root: the counters' table and the limiter, built on first use."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings


@cache
def limiter():
    from messenger.adapters.aws import client
    from messenger.core.clock import SystemClock
    from messenger.limits.dal import LimitsTable
    from messenger.limits.logic import Limiter

    return Limiter(LimitsTable(client("dynamodb"), settings().table_name), settings(), SystemClock())
