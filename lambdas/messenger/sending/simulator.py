"""The simulated providers' outcomes: how a TEST client's message ends, by its address or number.

The rules are those of the local mode's stand-ins (docs/local-mode.md), kept here so the deployed
stack applies them too: SES's mailbox simulator addresses keep their meaning, the SNS test numbers
and Africa's Talking test numbers end as they do locally, anything else is delivered. The local mode's
receipt emitter (local/provider_receipts.py) imports the same rules for real (non-test) sends.
"""

from __future__ import annotations

from dataclasses import dataclass

from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message

SIMULATOR_DOMAIN = "simulator.amazonses.com"
SMS_DELIVERED_NUMBER = "+14155550100"  # SUCCESS "Message has been accepted by phone carrier"
SMS_FAILED_NUMBER = "+14155550199"  # FAILURE "Phone carrier has blocked this message"
SMS_NO_RECEIPT_NUMBER = "+14155550142"  # no receipt at all: the message stays ACCEPTED
CARRIER_BLOCKED = "Phone carrier has blocked this message"
# Africa's Talking's test numbers (local/africastalking_standin.py): refused at the send, or reported failed.
AT_REFUSED = {
    "+254700000403": "InvalidPhoneNumber",
    "+254700000406": "UserInBlacklist",
    "+254700000502": "RejectedByGateway",
}
AT_DELIVERY_FAILED_NUMBER = "+254700000410"


def ses_events(to: str) -> list[str]:
    """The event types SES publishes after a Send, by the mailbox simulator's rules."""
    local, _, domain = to.lower().partition("@")
    if domain != SIMULATOR_DOMAIN:
        return ["Delivery"]
    # success, ooto (the out-of-office answer goes to the sender, not to events) and any other name: delivered
    return {
        "bounce": ["Bounce"],
        "suppressionlist": ["Bounce"],
        "complaint": ["Delivery", "Complaint"],
    }.get(local.split("+", 1)[0], ["Delivery"])


@dataclass(frozen=True)
class SimulatedOutcome:
    """`accepted`: the simulated provider took it; `final`: the status its receipt moves it to (None:
    no receipt ever comes); `reason`: the failure reason of a refusal or a failed receipt."""

    accepted: bool
    final: DeliveryStatus | None
    reason: str | None = None


def outcome(message: Message) -> SimulatedOutcome:
    if message.delivery_method is DeliveryMethod.EMAIL:
        events = ses_events(message.to)
        if "Bounce" in events:
            kind = "Suppressed" if message.to.lower().startswith("suppressionlist") else "General"
            return SimulatedOutcome(True, DeliveryStatus.FAILED, f"Bounce: Permanent/{kind}")
        return SimulatedOutcome(True, DeliveryStatus.DELIVERED)
    if message.to in AT_REFUSED:
        return SimulatedOutcome(False, None, AT_REFUSED[message.to])
    if message.to == AT_DELIVERY_FAILED_NUMBER:
        return SimulatedOutcome(True, DeliveryStatus.FAILED, "DeliveryFailure")
    if message.to == SMS_FAILED_NUMBER:
        return SimulatedOutcome(True, DeliveryStatus.FAILED, f"Carrier: {CARRIER_BLOCKED}")
    if message.to == SMS_NO_RECEIPT_NUMBER:
        return SimulatedOutcome(True, None)
    return SimulatedOutcome(True, DeliveryStatus.DELIVERED)
