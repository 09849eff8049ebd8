"""Which event types some enabled webhook takes, as a status writer sees them: a cache.

A status writer enqueues an event only when an enabled webhook takes its type, so a service without
webhooks pays no SQS call per status change. The answer is one eventually consistent GetItem of the
subscriptions item (dal.py), read at most once per `ttl_seconds` per execution environment: a webhook
created elsewhere starts receiving within `ttl_seconds` (README, "Webhooks"). Creating, enabling or
deleting a webhook through this environment's API forgets the cached answer at once.

A read that fails counts as "some webhook takes it": an SQS message too many costs little, an event
never enqueued is lost. It is not cached, so the next status change reads again.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Subscriptions:
    def __init__(
        self, read: Callable[[], frozenset[str]], ttl_seconds: float, now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read, self._ttl, self._now = read, ttl_seconds, now
        self._types: frozenset[str] | None = None
        self._read_at = 0.0

    def takes(self, event_type: str) -> bool:
        now = self._now()
        if self._types is None or now - self._read_at >= self._ttl:
            try:
                types = self._read()
            except Exception:  # noqa: BLE001 - unknown: enqueue rather than lose the event
                self._types = None
                return True
            self._types, self._read_at = frozenset(types), now
        return event_type in self._types

    def invalidate(self) -> None:
        self._types = None
