"""A TEST client's sends: simulated providers in the request, outcomes by the documented test addresses
and numbers, status changes through the StatusWriter, nothing handed to a real provider."""

import pytest
from messenger.core.caller import Caller
from messenger.core.settings import Settings
from messenger.messages.models import DeliveryStatus, Provider
from messenger.sending.service import MessageService
from messenger.sending.simulator import outcome

from stacks.config import config_from_context
from stacks.domains.sending import SEND_SETTINGS
from stacks.wiring import function_environment
from tests.fakes import FakeChannel, FakeQueue, FixedClock, MemoryRepository

TEST = Caller("c1", frozenset({"SEND", "TEST"}), test=True)
LIVE = Caller("c2", frozenset({"SEND"}))
# The API function's own send settings, from the default configuration (as the stack gives them).
SETTINGS = Settings.from_env({
    "TABLE_NAME": "t", **function_environment(config_from_context({"defaultSmsProvider": "SNS"}), SEND_SETTINGS)
})


class Repository(MemoryRepository):
    def create(self, message):
        self.add(message)


class Listener:
    def __init__(self):
        self.seen = []

    def recorded(self, message):
        self.seen.append(("recorded", message.delivery_status.value))

    def moved(self, message):
        self.seen.append(("moved", message.delivery_status.value))


def service():
    channels = {Provider.SES: FakeChannel("ses"), Provider.SNS: FakeChannel("sns")}
    queue, listener = FakeQueue(), Listener()
    ids = iter(f"01JTEST{n:019d}" for n in range(100))
    made = MessageService(Repository(), channels, queue, SETTINGS, FixedClock(), lambda _: next(ids),
                          listeners=(listener,))  # fmt: skip
    return made, channels, queue, listener


ACCEPTED_THEN = ("PENDING", "ACCEPTED")  # taken by the simulated provider, then its receipt
REFUSED = ("PENDING",)  # refused at the send: no ACCEPTED step


@pytest.mark.parametrize("to, method, path, reason", [
    ("user@example.com", "EMAIL", (*ACCEPTED_THEN, "DELIVERED"), None),
    ("bounce+x@simulator.amazonses.com", "EMAIL", (*ACCEPTED_THEN, "FAILED"), "Bounce: Permanent/General"),
    ("suppressionlist@simulator.amazonses.com", "EMAIL", (*ACCEPTED_THEN, "FAILED"), "Bounce: Permanent/Suppressed"),
    ("ooto@simulator.amazonses.com", "EMAIL", (*ACCEPTED_THEN, "DELIVERED"), None),
    ("complaint@simulator.amazonses.com", "EMAIL", (*ACCEPTED_THEN, "DELIVERED"), None),
    ("+14155550100", "SMS", (*ACCEPTED_THEN, "DELIVERED"), None),
    ("+14155550199", "SMS", (*ACCEPTED_THEN, "FAILED"), "Carrier: Phone carrier has blocked this message"),
    ("+14155550142", "SMS", ACCEPTED_THEN, None),
    ("+254700000410", "SMS", (*ACCEPTED_THEN, "FAILED"), "DeliveryFailure"),
    ("+254700000406", "SMS", (*REFUSED, "FAILED"), "UserInBlacklist"),
    ("+254700000403", "SMS", (*REFUSED, "FAILED"), "InvalidPhoneNumber"),
    ("+254711000001", "SMS", (*ACCEPTED_THEN, "DELIVERED"), None),
])
def test_a_test_message_ends_as_its_address_or_number_says_and_reaches_no_provider(to, method, path, reason):
    made, channels, queue, listener = service()
    args = {"to": to, "body": "Hi", "deliveryMethod": method, **({"subject": "s"} if method == "EMAIL" else {})}
    message = made.send(args, TEST)
    assert (message.delivery_status.value, message.failure_reason) == (path[-1], reason)
    assert message.test and message.client_id == "c1"
    assert not channels[Provider.SES].sent and not channels[Provider.SNS].sent and not queue.jobs
    assert tuple(status for _, status in listener.seen) == path and listener.seen[0][0] == "recorded"
    taken = "ACCEPTED" in path  # the simulated provider's id, then its receipt (or the refusal) in the timeline
    assert message.provider_message_id == (f"test-{message.id}" if taken else None)
    last = {"DELIVERED": "simulated: delivered", "FAILED": f"simulated: {reason}" if taken else reason}.get(path[-1])
    assert message.events[-1].detail == last


def test_a_live_message_records_its_client_and_its_expiry():
    made, channels, _, _ = service()
    message = made.send({"to": "user@example.com", "body": "Hi", "subject": "s", "deliveryMethod": "EMAIL"}, LIVE)
    assert message.client_id == "c2" and not message.test
    assert message.expires_at == FixedClock().epoch() + 90 * 86_400
    assert len(channels[Provider.SES].sent) == 1 and message.delivery_status is DeliveryStatus.ACCEPTED


def test_outcome_rules_match_the_local_receipts():
    from local.provider_receipts import simulated_ses_events

    assert simulated_ses_events("complaint@simulator.amazonses.com") == ["Delivery", "Complaint"]
    assert outcome.__module__ == "messenger.sending.simulator"


@pytest.mark.parametrize("to, events", [
    ("user@example.com", ["Delivery"]),
    ("bounce@example.com", ["Delivery"]),  # the simulator's names mean something on its domain only
    ("success@simulator.amazonses.com", ["Delivery"]),
    ("Bounce+tag@Simulator.AmazonSES.com", ["Bounce"]),
    ("bounce+a+b@simulator.amazonses.com", ["Bounce"]),  # the part before the first "+" names the outcome
    ("ooto+x@simulator.amazonses.com", ["Delivery"]),
    ("suppressionlist@simulator.amazonses.com", ["Bounce"]),
    ("COMPLAINT@SIMULATOR.AMAZONSES.COM", ["Delivery", "Complaint"]),
    ("anyone-else@simulator.amazonses.com", ["Delivery"]),
])
def test_the_events_ses_publishes_follow_the_mailbox_simulator(to, events):
    from messenger.sending.simulator import ses_events

    assert ses_events(to) == events
