"""Domain exceptions. For GraphQL, `core/envelope.py` alone turns them into what a client sees."""

from __future__ import annotations


class MessagingError(Exception):
    """Base of the errors a client may see; `error_type` becomes the GraphQL errorType."""

    error_type = "InternalError"

    def __init__(self, message: str, info: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.info = info


class BadRequest(MessagingError):
    """The client sent something invalid; nothing was written or sent."""

    error_type = "BadRequest"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}", {"field": field})
        self.field = field


class Conflict(MessagingError):
    error_type = "Conflict"


class ProviderError(Exception):
    """A provider refused or failed a send. Adapters raise it; the logic decides what follows."""

    def __init__(self, reason: str, *, transient: bool, throttled: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient or throttled
        self.throttled = throttled  # the provider said "too fast": nothing was taken


class StatusConflict(Exception):
    """A conditional write found the record in a state the transition does not start from."""
