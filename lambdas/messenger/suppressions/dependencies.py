"""The suppressions domain's composition root, built on first use."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.suppressions.dal import SuppressionsTable

    return SuppressionsTable(client("dynamodb"), settings().table_name)


@cache
def suppressor():
    from messenger.core.clock import SystemClock
    from messenger.core.observability import count
    from messenger.suppressions.logic import Suppressor

    return Suppressor(table(), SystemClock(), added=lambda entry: count("SuppressionsAdded", entry.reason))
