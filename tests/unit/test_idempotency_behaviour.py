"""How a repeated idempotency key decides that two requests are "the same input"."""

import dataclasses

import pytest
from messenger.messages.models import DeliveryMethod, Provider
from messenger.sending.models import SendRequest


def fingerprint(request: SendRequest) -> str:
    return request.fingerprint()


REQUEST = SendRequest(
    to="+254711223344", body="Your code is 1234", delivery_method=DeliveryMethod.SMS,
    provider=Provider.AFRICASTALKING, sender="ACME", subject=None, recipient_id="r-1", sender_id="s-1",
    reference="order-42", idempotency_key="order-42-code", segments=1,
)
# Keys are remembered for up to 24 h, across deploys: a retry after a release must still match.
RECORDED_BY_AN_EARLIER_RELEASE = "49c956f2061d7a53cdddfab7297ccc671b36c5e06628d6a483c09bec43acb12b"


def test_a_request_recorded_by_an_earlier_release_is_still_the_same_input():
    assert fingerprint(REQUEST) == RECORDED_BY_AN_EARLIER_RELEASE


def test_the_same_input_is_the_same_whenever_it_is_asked():
    again = SendRequest(**dataclasses.asdict(REQUEST))
    assert fingerprint(again) == fingerprint(REQUEST)


@pytest.mark.parametrize(("field", "other"), [
    ("to", "+254711223345"),
    ("body", "Your code is 1235"),
    ("body", "Your code is 1234 "),
    ("delivery_method", DeliveryMethod.EMAIL),
    ("provider", Provider.SNS),
    ("sender", None),
    ("sender", "ACME2"),
    ("subject", "Hello"),
    ("recipient_id", "r-2"),
    ("sender_id", None),
    ("reference", "order-43"),
    ("segments", 2),
])
def test_any_difference_in_what_would_be_sent_or_recorded_is_another_input(field, other):
    assert fingerprint(dataclasses.replace(REQUEST, **{field: other})) != fingerprint(REQUEST)


def test_values_that_print_alike_are_still_different_inputs():
    assert fingerprint(dataclasses.replace(REQUEST, segments=None)) != fingerprint(
        dataclasses.replace(REQUEST, segments=0))
    assert fingerprint(dataclasses.replace(REQUEST, reference=None)) != fingerprint(
        dataclasses.replace(REQUEST, reference="None"))
