"""The limits domain has no GraphQL field of its own: sendMessage consumes its counters."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()
