"""Hostile input over HTTP against the local mode: every request gets a fitting GraphQL error, and
afterwards the table holds the same items and the outbox the same sends as before.

Limits (see README): SMS body at most `maxSmsSegments` segments (GSM-7 / UCS-2 counted), e-mail
body `maxEmailBodyBytes`, subject `maxSubjectChars` and one line, `reference` 256 characters,
`idempotencyKey` 1..128 printable ASCII, `first` 1..100, query depth 10, request body 1 MB.
"""

from __future__ import annotations

import base64
import json
import signal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacks.wiring import QUERY_DEPTH_LIMIT
from tests.e2e.conftest import start_local_mode

SEND = "mutation($input: MessageInput!){ sendMessage(input: $input){ id deliveryStatus } }"
PAGE = ("query($f: MessageFilter!, $first: Int, $after: String){ getMessages(filter: $f, first: $first, after: $after)"
        "{ data { id } pageInfo { hasNextPage endCursor } } }")
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@pytest.fixture(scope="module")
def api():
    """A local mode of its own, so no other test's late sends move the counts."""
    local = start_local_mode()
    # The stack key's first call registers it (two items: docs/security.md); make it before counting.
    assert local.graphql('query { getMessage(id: "none") { id } }')[0] == 200
    yield local
    assert local.stop(signal.SIGINT) == 0


def counts(api) -> tuple[int, int]:
    return api.get("/local/table")[1]["items"], len(api.outbox())


def refused(api, query, variables, error_types=("BadRequest",)) -> dict:
    before = counts(api)
    status, body = api.graphql(query, variables)
    assert status == 200, body
    assert body.get("errors"), body
    assert len(body["errors"]) == 1, body
    error = body["errors"][0]
    if error_types is None:  # schema-level: AppSync answers before any resolver, with no errorType
        assert "errorType" not in error and error["path"] is None, error
    else:
        assert error.get("errorType") in error_types, error
    assert counts(api) == before, "nothing written, nothing sent"
    return error


def sms(**extra):
    return {"input": {"to": "+14155550123", "body": "Hello", "deliveryMethod": "SMS", **extra}}


def email(**extra):
    return {"input": {"to": "user@example.com", "body": "Hello", "subject": "Hi", "deliveryMethod": "EMAIL", **extra}}


BAD_NUMBERS = ["", " ", "+", "+1", "+254", "0711223344", "254711223344", "+254 7", "++254711223344",
               "+2547112233441234567", "+999123456789", "+1 555", "+٢٥٤٧١١٢٢٣٣٤٤", "+254711223344\n",
               "+254711223344; DROP TABLE", "tel:+254711223344", "+" + "9" * 40]
BAD_EMAILS = ["", "a", "a@", "@example.com", "a@b", "a b@example.com", "a@example..com", "a@exam_ple.com",
              "<script>@x.com", "a@[127.0.0.1]", "user@example.com\r\nBcc: victim@example.com", "x" * 300 + "@example.com",
              "a@" + "b" * 300 + ".com", "\x00@example.com"]


@pytest.mark.parametrize("number", BAD_NUMBERS)
def test_invalid_and_borderline_phone_numbers(api, number):
    error = refused(api, SEND, sms(to=number))
    assert error["errorInfo"]["field"] == "to"


@pytest.mark.parametrize("address", BAD_EMAILS)
def test_invalid_and_borderline_email_addresses(api, address):
    assert refused(api, SEND, email(to=address))["errorInfo"]["field"] == "to"


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=40))
@FUZZ
def test_any_text_without_digits_is_not_a_phone_number(api, text):
    refused(api, SEND, sms(to=text))


SMS_BODIES = {"empty": "", "blank": "   ", "whitespace": "\n\t", "nul": "nul \x00", "bell": "bell \x07",
              "escape": "esc \x1b[31m", "lone surrogate": "\ud800 lone surrogate",
              "11 GSM-7 segments": "a" * 1531, "11 UCS-2 segments": "ж" * 671, "emoji, 11 segments": "😀" * 336}


@pytest.mark.parametrize("body", SMS_BODIES.values(), ids=SMS_BODIES.keys())
def test_empty_binary_and_oversized_sms_bodies(api, body):
    assert refused(api, SEND, sms(body=body))["errorInfo"]["field"] == "body"


EMAIL_BODY_OVER_LIMIT = "x" * 262_145


def test_an_email_body_over_the_limit(api):
    assert refused(api, SEND, email(body=EMAIL_BODY_OVER_LIMIT))["errorInfo"]["field"] == "body"


@given(st.binary(min_size=1, max_size=200))
@FUZZ
def test_binary_bodies_with_control_bytes_are_refused(api, raw):
    text = raw.decode("latin-1")
    if not any(ord(c) < 32 and c not in "\t\n\r" or ord(c) == 127 for c in text):
        text += "\x01"
    refused(api, SEND, email(body=text))


BAD_SUBJECTS = ["Hi\r\nBcc: victim@example.com", "Hi\nX-Injected: 1", "Hi\rthere", "a\u2028b", "s" * 201, "   "]


@pytest.mark.parametrize("subject", BAD_SUBJECTS)
def test_header_injection_and_oversized_subjects(api, subject):
    assert refused(api, SEND, email(subject=subject))["errorInfo"]["field"] == "subject"


WRONG_TYPES = [
    (sms(deliveryMethod="FAX"), SEND),
    (sms(deliveryMethod="sms"), SEND),
    (sms(provider="CARRIER_PIGEON"), SEND),
    ({"f": {"to": "user@example.com"}, "first": "ten"}, PAGE),
    ({"f": {"to": "user@example.com"}, "first": 2**31}, PAGE),
]


@pytest.mark.parametrize(("variables", "query"), WRONG_TYPES)
def test_unknown_enum_values_and_wrong_types_fail_before_any_resolver(api, variables, query):
    refused(api, query, variables, error_types=None)


def test_no_body_and_no_template_is_a_bad_request_naming_body(api):
    # `body` is optional in the schema since templates (issue 9): the resolver refuses, naming it.
    variables = {"input": {"to": "user@example.com", "deliveryMethod": "EMAIL"}}
    assert refused(api, SEND, variables)["errorInfo"]["field"] == "body"


FIRSTS_OUT_OF_RANGE = [0, -1, 101, 10_000]


@pytest.mark.parametrize("first", FIRSTS_OUT_OF_RANGE)
def test_first_out_of_range(api, first):
    error = refused(api, PAGE, {"f": {"to": "user@example.com"}, "first": first})
    assert error["errorInfo"]["field"] == "first"


@given(st.text(max_size=200))
@FUZZ
def test_forged_and_malformed_cursors(api, cursor):
    refused(api, PAGE, {"f": {"to": "user@example.com"}, "first": 1, "after": cursor})


REBOUND_CURSOR = base64.urlsafe_b64encode(b"1:01G8NBDZ6YMH5SCEQ1BGR3QTWG:000000000000").decode().rstrip("=")


def test_a_cursor_rebound_to_another_recipient_is_refused(api):
    error = refused(api, PAGE, {"f": {"to": "user@example.com"}, "after": REBOUND_CURSOR})
    assert error["errorInfo"]["field"] == "after"


BAD_OPTIONAL_FIELDS = [{"reference": "r" * 257}, {"idempotencyKey": "k" * 129}, {"idempotencyKey": ""},
                       {"idempotencyKey": "naïve"}, {"senderId": "s" * 129}, {"recipientId": "line\nbreak"},
                       {"from": "spoof@evil.example"}]


@pytest.mark.parametrize("extra", BAD_OPTIONAL_FIELDS)
def test_oversized_and_malformed_optional_fields(api, extra):
    refused(api, SEND, email(**extra))


DEEP_QUERY = "query { __schema { types { " + "ofType { " * QUERY_DEPTH_LIMIT + "name" + " }" * QUERY_DEPTH_LIMIT + " } } }"
HUGE_QUERY = "query { " + "__typename " * 150_000 + "}"
ALIASED_SENDS = "mutation {" + " ".join(
    f'm{i}: sendMessage(input: {{to: "bad{i}", body: "x", deliveryMethod: SMS}}) {{ id }}' for i in range(50)) + "}"


def test_a_query_deeper_than_the_limit_is_refused(api):
    refused(api, DEEP_QUERY, None, error_types=None)


def refused_at_the_door(api) -> None:
    before = counts(api)
    status, body = api.graphql(HUGE_QUERY, None)
    assert status == 413 and body["errors"][0]["errorType"] == "PayloadTooLargeException"
    assert len(body["errors"]) == 1, body
    assert counts(api) == before


def test_a_huge_query_is_refused_at_the_door(api):
    refused_at_the_door(api)


def aliases_each_refused(api) -> None:
    before = counts(api)
    status, body = api.graphql(ALIASED_SENDS, None)
    assert status == 200 and len(body["errors"]) == 50
    assert {e["errorType"] for e in body["errors"]} == {"BadRequest"}
    assert counts(api) == before


def test_many_aliases_of_a_mutation_in_one_document_are_each_validated(api):
    aliases_each_refused(api)


def send_every_kind_of_hostile_request(api) -> None:
    """One pass over every table above (and fixed samples of the fuzzed inputs), each refused."""
    for number in BAD_NUMBERS:
        refused(api, SEND, sms(to=number))
    for address in BAD_EMAILS:
        refused(api, SEND, email(to=address))
    for body in SMS_BODIES.values():
        refused(api, SEND, sms(body=body))
    refused(api, SEND, email(body=EMAIL_BODY_OVER_LIMIT))
    for text in ["", "abc", "+()-", "ｔｅｌ"]:  # samples of the fuzzed inputs: text without digits as a number
        refused(api, SEND, sms(to=text))
    for text in ["\x00", "a\x01b", "\x7f", "\x1b[2J"]:  # ... and control bytes in an e-mail body
        refused(api, SEND, email(body=text))
    for subject in BAD_SUBJECTS:
        refused(api, SEND, email(subject=subject))
    for variables, query in WRONG_TYPES:
        refused(api, query, variables, error_types=None)
    for first in FIRSTS_OUT_OF_RANGE:
        refused(api, PAGE, {"f": {"to": "user@example.com"}, "first": first})
    for cursor in ["", "MESSAGE#x", "%%%", "A" * 200, REBOUND_CURSOR]:  # ... and malformed or forged cursors
        refused(api, PAGE, {"f": {"to": "user@example.com"}, "first": 1, "after": cursor})
    for extra in BAD_OPTIONAL_FIELDS:
        refused(api, SEND, email(**extra))
    refused(api, DEEP_QUERY, None, error_types=None)
    refused_at_the_door(api)
    aliases_each_refused(api)


def test_a_valid_send_after_all_of_it_still_works(api):
    send_every_kind_of_hostile_request(api)  # here, not left to test order: this holds whatever ran before
    before_items, before_sent = counts(api)
    status, body = api.graphql(SEND, email())
    assert status == 200 and body["data"]["sendMessage"]["deliveryStatus"] == "ACCEPTED"
    assert counts(api) == (before_items + 1, before_sent + 1)
    assert json.dumps(body).count("errors") == 0
