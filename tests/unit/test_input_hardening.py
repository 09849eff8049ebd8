"""Hardening of client and provider text: invisible format characters, e-mail local parts, mixed-script
domains, the SMS fraud guard, and provider text stored plain and bounded."""

import pytest
from messenger.core.errors import BadRequest
from messenger.core.input import MAX_PROVIDER_TEXT, plain_provider_text
from messenger.core.settings import Settings
from messenger.messages.recipients import mixed_script_domain
from messenger.sending.validation import parse_send_input

from stacks.config import ConfigError, config_from_context
from stacks.domains.sending import SEND_SETTINGS
from stacks.wiring import function_environment


def settings_with(**values):
    config = config_from_context(values)
    return Settings.from_env({"TABLE_NAME": "t", **function_environment(config, SEND_SETTINGS)})


SETTINGS = settings_with()


def email(**extra):
    return {"to": "user@example.com", "body": "Hello", "subject": "Hi", "deliveryMethod": "EMAIL", **extra}


def sms(**extra):
    return {"to": "+14155550123", "body": "Hello", "deliveryMethod": "SMS", **extra}


def refused_field(args, settings=SETTINGS):
    with pytest.raises(BadRequest) as error:
        parse_send_input(args, settings)
    return error.value


INVISIBLE = ["\u202a", "\u202e", "\u2066", "\u2069", "\u200b", "\u200f", "\ufeff", "\x80", "\x85", "\x9f"]
VISIBLE = ["\u2029x"[1:], "\u2065", "\u2070", "\u200a", "\u2010", "\u202f", "\ufefe", "\xa0", "é", "ж"]


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
@pytest.mark.parametrize("field", ["body", "subject", "reference"])
def test_invisible_format_characters_are_refused_naming_the_field(field, char):
    error = refused_field(email(**{field: f"Pay{char}now"}))
    assert error.field == field
    assert f"U+{ord(char):04X}" in error.message


@pytest.mark.parametrize("char", VISIBLE, ids=[f"U+{ord(c):04X}" for c in VISIBLE])
def test_characters_next_to_the_refused_ranges_are_accepted(char):
    request = parse_send_input(email(body=f"a{char}b", subject=f"a{char}b", reference=f"a{char}b"), SETTINGS)
    assert request.body == f"a{char}b" and request.subject == f"a{char}b" and request.reference == f"a{char}b"


def test_sms_bodies_are_checked_too():
    assert refused_field(sms(body="code \u202e4321")).field == "body"


def test_an_email_local_part_of_64_characters_is_accepted_and_65_refused():
    assert parse_send_input(email(to="a" * 64 + "@example.com"), SETTINGS).to == "a" * 64 + "@example.com"
    error = refused_field(email(to="a" * 65 + "@example.com"))
    assert error.field == "to" and "64" in error.message


@pytest.mark.parametrize("address, mixed", [
    ("x@xn--pple-43d.com", True),  # Cyrillic а + Latin pple
    ("x@example.com", False),
    ("x@xn--bcher-kva.de", False),  # bücher: Latin only
    ("x@xn--e1afmkfd.com", False),  # пример.com: each label one script
    ("x@xn--r8jz45g.jp", False),  # 例え: Han and Hiragana write Japanese together
    ("x@xn--80ak6aa92e.com", False),
])
def test_mixed_script_labels(address, mixed):
    assert mixed_script_domain(address) is mixed


def test_a_mixed_script_domain_is_refused_unless_the_deployment_allows_it():
    assert refused_field(email(to="x@аpple.com")).field == "to"
    for allowed in ("аpple.com", "xn--pple-43d.com"):
        settings = settings_with(allowedMixedScriptDomains=[allowed])
        assert parse_send_input(email(to="x@аpple.com"), settings).to == "x@xn--pple-43d.com"


@pytest.mark.parametrize("number, reason", [
    ("+449012345678", "premium rate"),
    ("+19002345678", "premium rate"),
    ("+18002345678", "toll free"),
    ("+254900223456", "premium rate"),
    ("+33612345678", "+33"),
    ("+61412345678", "+61"),
])
def test_the_fraud_guard_refuses_premium_special_and_foreign_numbers(number, reason):
    error = refused_field(sms(to=number))
    assert error.field == "to" and reason in error.message


@pytest.mark.parametrize("number", ["+14155550123", "+447400123456", "+254712123456", "+256712345678"])
def test_mobiles_in_allowed_countries_pass(number):
    assert parse_send_input(sms(to=number), SETTINGS).to == number


@pytest.mark.parametrize("text", ["+", "+0", "not a number"])
def test_the_fraud_guard_refuses_what_is_no_phone_number_at_all_naming_the_recipient(text):
    from messenger.core.errors import BadRequest
    from messenger.limits.destinations import check_sms_destination

    with pytest.raises(BadRequest) as error:
        check_sms_destination(text, ["1"], [])
    assert (error.value.field, error.value.message) == ("to", "to: not a valid phone number")


def test_a_deployment_sets_its_own_countries_and_number_types():
    settings = settings_with(allowedSmsCountries=["33"], deniedSmsNumberTypes=["MOBILE"])
    assert parse_send_input(sms(to="+33891123456"), settings).to == "+33891123456"  # premium now allowed
    assert "mobile" in refused_field(sms(to="+33612345678"), settings).message
    assert "+1" in refused_field(sms(to="+14155550123"), settings).message


@pytest.mark.parametrize("values", [
    {"allowedSmsCountries": ["0"]}, {"allowedSmsCountries": ["+44"]}, {"deniedSmsNumberTypes": ["PREMIUM"]},
    {"allowedMixedScriptDomains": ["Example.com"]}, {"messagesPerRequest": 0},
    {"messagesPerRequest": 1001}, {"resolverCountLimit": 10_001}, {"clientMessagesPerMinute": 0},
    {"smsPerNumberPerHour": 0}, {"smsIdenticalPerNumberPerHour": 0}, {"emailsPerAddressPerHour": 0},
    {"clientMessagesPerDay": 0},
])
def test_limit_and_guard_settings_are_validated(values):
    with pytest.raises(ConfigError):
        config_from_context(values)


def test_limit_settings_accept_their_bounds():
    config = config_from_context({"messagesPerRequest": 1000, "resolverCountLimit": 1000,
                                  "clientMessagesPerMinute": 1, "smsPerNumberPerHour": 1})
    assert config.messages_per_request == 1000
    assert config_from_context({"resolverCountLimit": 10_000}).resolver_count_limit == 10_000


def test_provider_text_is_one_plain_line_of_bounded_length():
    assert plain_provider_text(None) is None
    assert plain_provider_text("550 5.1.1\r\n<script>\u202e x\x00y\x85z") == "550 5.1.1 <script> x y z"
    exact = "r" * MAX_PROVIDER_TEXT
    assert plain_provider_text(exact) == exact
    longer = plain_provider_text(exact + "s")
    assert len(longer) == MAX_PROVIDER_TEXT and longer.endswith("\u2026") and longer.startswith("r" * 255)


def test_the_status_writer_stores_provider_reasons_plain_and_bounded():
    from messenger.messages.models import (
        DeliveryMethod,
        DeliveryStatus,
        Message,
        MessageEvent,
        Provider,
    )
    from messenger.messages.status import StatusWriter

    from tests.fakes import FixedClock, MemoryRepository

    repo, clock = MemoryRepository(), FixedClock()
    now = clock.now()
    message = repo.add(Message(
        id="01M84WK5Y9GDGV7P0MHH8CKTC7", to="+14155550123", body="b", delivery_method=DeliveryMethod.SMS,
        delivery_status=DeliveryStatus.ACCEPTED, provider=Provider.SNS, created_at=now, updated_at=now,
        events=(MessageEvent(DeliveryStatus.ACCEPTED, now),)))
    writer = StatusWriter(repo, clock)
    writer.note(message, "soft\nbounce\u202e")
    failed = writer.move(message, DeliveryStatus.FAILED, detail="x" * 300, failure_reason="bad\r\nnumber\x9b")
    assert failed.failure_reason == "bad number"
    assert len(failed.events[-1].detail) == MAX_PROVIDER_TEXT
    assert repo.get(message.to, message.id).events[1].detail == "soft bounce"
