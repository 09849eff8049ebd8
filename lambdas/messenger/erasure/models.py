"""What erasing a recipient did."""

from __future__ import annotations

from dataclasses import dataclass

from messenger.suppressions.models import BLACKLISTED, COMPLAINT, OPT_OUT

# Suppressions kept as a do-not-contact marker: the person asked not to be contacted (an opt-out, or
# Africa's Talking's blacklist, which is the subscriber's own opt-out) or complained. Erasing them
# would let the next send reach someone who said no. A bounce entry is erased.
KEPT_REASONS = frozenset({OPT_OUT, COMPLAINT, BLACKLISTED})


@dataclass
class ErasureReport:
    to: str
    messages: int = 0
    idempotency_keys: int = 0
    suppressions: int = 0
    kept_suppression: str | None = None
    complete: bool = False

    def to_graphql(self) -> dict:
        return {"to": self.to, "messages": self.messages, "idempotencyKeys": self.idempotency_keys,
                "suppressions": self.suppressions, "keptSuppression": self.kept_suppression,
                "complete": self.complete}  # fmt: skip
