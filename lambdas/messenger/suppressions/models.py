"""A suppressed recipient: nothing is sent to it until the entry is removed."""

from __future__ import annotations

from dataclasses import dataclass

BOUNCE = "bounce"
COMPLAINT = "complaint"
BLACKLISTED = "blacklisted"  # Africa's Talking refused the number (statusCode 406, UserInBlacklist)
OPT_OUT = "opt-out"  # the recipient asked to receive nothing more


@dataclass(frozen=True)
class Suppression:
    to: str
    reason: str
    since: str
    message_id: str | None = None  # the message whose receipt caused it

    def to_graphql(self) -> dict:
        return {"to": self.to, "reason": self.reason, "since": self.since, "messageId": self.message_id}

    @property
    def failure_reason(self) -> str:
        return f"Suppressed: {self.reason}"
