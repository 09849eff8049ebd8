"""Who is calling: the API client a request's key belongs to, for the length of one resolver call.

The API function identifies the caller before any resolver runs (messenger.clients.access) and binds
it here; a resolver that needs it (sendMessage records `clientId` and `test`; limits count per client)
reads `current_caller()`. Outside a request (workers, tests of the logic) there is no caller.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass

# The scopes a client may hold (the GraphQL enum `Scope`).
SEND, READ, ADMIN, TEST = "SEND", "READ", "ADMIN", "TEST"
ALL_SCOPES = (SEND, READ, ADMIN, TEST)


@dataclass(frozen=True)
class Caller:
    client_id: str
    scopes: frozenset[str]
    # A TEST client: its sends go to the simulated providers, are recorded with `test: true` and count
    # against no live limit.
    test: bool = False

    def holds(self, scope: str) -> bool:
        return scope in self.scopes


_CURRENT: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("caller", default=None)


def current_caller() -> Caller | None:
    return _CURRENT.get()


@contextlib.contextmanager
def acting_as(caller: Caller | None) -> Iterator[None]:
    token = _CURRENT.set(caller)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def refuse_test_caller(field: str, why: str) -> None:
    """A TEST client's sends are simulated in the request (sendMessage only); a field whose messages go out
    another way (a batch's worker, a verification code, a proxy session's texts) would really send them."""
    from messenger.core.errors import BadRequest

    caller = current_caller()
    if caller is not None and caller.test:
        raise BadRequest(field, f"not available with a TEST key: {why}")
