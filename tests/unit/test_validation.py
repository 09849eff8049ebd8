import pytest
from messenger.core.errors import BadRequest
from messenger.core.settings import Settings
from messenger.messages.filters import parse_history_query
from messenger.messages.models import Provider
from messenger.sending.validation import parse_send_input

from stacks.config import config_from_context
from stacks.domains.sending import SEND_SETTINGS
from stacks.wiring import function_environment

# The settings as the API function receives them: validated by the config, sent through the wiring.
CONFIG = config_from_context({
    "senderEmail": "no-reply@example.com", "allowedFromAddresses": ["alerts@example.com"],
    "atCountryCodes": ["254", "255"], "smsSenderIds": ["ACME"], "maxSmsSegments": 2,
    "maxSubjectChars": 50, "maxEmailBodyBytes": 1000,
})
SETTINGS = Settings.from_env({"TABLE_NAME": "t", **function_environment(CONFIG, SEND_SETTINGS)})


def email(**extra):
    return {"to": "user@example.com", "body": "Hello", "deliveryMethod": "EMAIL", **extra}


def sms(**extra):
    return {"to": "+14155550123", "body": "Hello", "deliveryMethod": "SMS", **extra}


def field_of(args):
    with pytest.raises(BadRequest) as error:
        parse_send_input(args, SETTINGS)
    return error.value.field


def test_email_domain_is_lower_cased_and_local_part_kept():
    assert parse_send_input(email(to="Jane.Doe@EXAMPLE.Com"), SETTINGS).to == "Jane.Doe@example.com"


def test_phone_numbers_written_differently_normalise_to_one_e164():
    for raw in ("+254 711 223 344", "+254-711-223344", " +254711223344 "):
        assert parse_send_input(sms(to=raw), SETTINGS).to == "+254711223344"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (email(to="not-an-address"), "to"),
        (email(to="a@b"), "to"),
        (sms(to="0711223344"), "to"),
        (sms(to="+1 555"), "to"),
        (sms(to="+999123456789"), "to"),
        (email(body=""), "body"),
        (email(body="   \n"), "body"),
        (email(body="nul\x00byte"), "body"),
        (email(body="x" * 1001), "body"),
        (sms(body="a" * 307), "body"),
        (email(subject="Hi\r\nBcc: victim@example.com"), "subject"),
        (email(subject="s" * 51), "subject"),
        (email(**{"from": "ceo@example.com"}), "from"),
        (sms(subject="no subjects on SMS"), "subject"),
        (sms(**{"from": "SPOOF"}), "from"),
        (sms(provider="SES"), "provider"),
        (email(provider="SNS"), "provider"),
        (email(deliveryMethod="FAX"), "deliveryMethod"),
        (email(reference="r" * 257), "reference"),
        (email(idempotencyKey=""), "idempotencyKey"),
        (email(idempotencyKey="k" * 129), "idempotencyKey"),
        (email(idempotencyKey="tab\there"), "idempotencyKey"),
        (email(body="\ud800"), "body"),
    ],
)
def test_each_client_mistake_names_its_field(args, field):
    assert field_of(args) == field


def test_internationalised_addresses_become_what_ses_accepts_or_a_bad_request():
    assert parse_send_input(email(to="user@Bücher.de"), SETTINGS).to == "user@xn--bcher-kva.de"
    assert parse_send_input(email(to="user@xn--bcher-kva.de"), SETTINGS).to == "user@xn--bcher-kva.de"
    assert field_of(email(to="jörg@example.com")) == "to"


def test_an_allowed_from_address_is_used_otherwise_the_configured_sender():
    assert parse_send_input(email(), SETTINGS).sender == "no-reply@example.com"
    assert parse_send_input(email(**{"from": "Alerts@Example.com"}), SETTINGS).sender == "Alerts@example.com"


def test_sms_routes_by_country_code_unless_a_provider_is_asked_for():
    assert parse_send_input(sms(to="+254711223344"), SETTINGS).provider is Provider.AFRICASTALKING
    assert parse_send_input(sms(), SETTINGS).provider is Provider.SNS
    assert parse_send_input(sms(provider="AFRICASTALKING"), SETTINGS).provider is Provider.AFRICASTALKING
    assert parse_send_input(sms(to="+254711223344", provider="SNS"), SETTINGS).provider is Provider.SNS


def test_sms_segments_are_counted_on_the_request():
    assert parse_send_input(sms(body="a" * 161), SETTINGS).segments == 2


@pytest.mark.parametrize(("first", "ok"), [(None, True), (1, True), (100, True), (0, False), (101, False), (-5, False), (True, False)])
def test_first_must_be_between_1_and_100(first, ok):
    args = {"filter": {"to": "user@example.com"}, "first": first}
    if ok:
        assert parse_history_query(args, lambda r: "MESSAGE#" + r).limit == (first or 20)
    else:
        with pytest.raises(BadRequest) as error:
            parse_history_query(args, lambda r: "MESSAGE#" + r)
        assert error.value.field == "first"


def test_the_filter_is_normalised_like_the_recipient_on_write():
    request = parse_history_query({"filter": {"to": "+254 711 223344"}}, lambda r: "MESSAGE#" + r)
    assert request.value == "+254711223344"


@pytest.mark.parametrize(("extra", "field", "message"), [
    ({"templateVersion": 2}, "templateVersion", "templateVersion: is only for a send by templateId"),
    ({"personalisation": {"a": "b"}}, "personalisation", "personalisation: is only for a send by templateId"),
    ({"templateId": "t1"}, "body", "body: give either a body or a templateId"),
])
def test_template_fields_without_a_template_or_with_a_body_are_refused(extra, field, message):
    with pytest.raises(BadRequest) as error:
        parse_send_input(email(**extra), SETTINGS)
    assert (error.value.field, str(error.value)) == (field, message)


@pytest.mark.parametrize(("args", "field", "message"), [
    ({"to": "user@example.com", "deliveryMethod": "EMAIL", "templateId": "t1", "subject": "s"},
     "subject", "subject: comes from the template"),
    ({"to": "user@example.com", "deliveryMethod": "EMAIL", "templateId": "t1"},
     "templateId", "templateId: templates are not available here"),
    ({"to": "user@example.com", "deliveryMethod": "EMAIL"}, "body", "body: give either a body or a templateId"),
])
def test_a_send_by_template_is_refused_when_it_cannot_be_one(args, field, message):
    with pytest.raises(BadRequest) as error:
        parse_send_input(args, SETTINGS)
    assert (error.value.field, str(error.value)) == (field, message)


@pytest.mark.parametrize(("args", "message"), [
    ("x", "input: is required"),
    ({"to": "", "deliveryMethod": "EMAIL", "body": "b"}, "to: is required"),
    (sms(provider="SES"), "provider: SES sends e-mail, not SMS"),
    (sms(provider="TWILIO"), "provider: must be one of SES, SNS, AFRICASTALKING"),
    (email(provider="SNS"), "provider: e-mail is sent through SES only"),
    (sms(subject="x"), "subject: SMS messages have no subject"),
    (sms(**{"from": "OTHER"}), "from: is not a sender id this deployment allows"),
    (email(**{"from": "x@example.com"}), "from: is not a sender address this deployment allows"),
    (email(**{"from": "no-reply at example.com"}), "from: not a valid e-mail address"),
    (sms(to="+449098790000"), "to: SMS to premium rate numbers is not allowed"),
    (sms(to="+8613800138000"), "to: SMS to country calling code +86 is not allowed by this deployment"),
    (email(to="user@ex\u0430mple.com"), "to: the domain mixes scripts (a look-alike of another domain); not sent"),
    (email(body="x" * 1001), "body: must be at most 1000 bytes"),
    (sms(body="x" * 307), "body: takes 3 SMS segments (GSM-7); at most 2 are allowed"),
    (sms(body="\u0436" * 135), "body: takes 3 SMS segments (UCS-2); at most 2 are allowed"),
    (email(body="  "), "body: must not be empty"),
    (email(idempotencyKey=""), "idempotencyKey: must be 1 to 128 printable characters"),
    (email(idempotencyKey=42), "idempotencyKey: must be 1 to 128 printable characters"),
    (email(idempotencyKey="k" * 129), "idempotencyKey: must be 1 to 128 printable characters"),
    (email(idempotencyKey="café"), "idempotencyKey: must be 1 to 128 printable characters"),
    (email(idempotencyKey="a\tb"), "idempotencyKey: must be 1 to 128 printable characters"),
    (email(to="user@example.com\r\nBcc: x@example.com"), "to: must be a single line"),
    (sms(to="+14155550123\n+14155550124"), "to: must be a single line"),
    (email(**{"from": "no-reply@example.com\nBcc: x@example.com"}), "from: must be a single line"),
])
def test_each_refused_send_says_what_to_change(args, message):
    with pytest.raises(BadRequest) as error:
        parse_send_input(args, SETTINGS)
    assert str(error.value) == message


def test_sends_at_each_limit_are_accepted():
    assert parse_send_input(email(body="x" * 1000), SETTINGS).body == "x" * 1000
    assert parse_send_input(sms(body="x" * 306), SETTINGS).segments == 2
    assert parse_send_input(sms(body="\u0436" * 134), SETTINGS).segments == 2
    assert parse_send_input(sms(**{"from": "ACME"}), SETTINGS).sender == "ACME"
    assert parse_send_input(email(**{"from": "Alerts@example.com"}), SETTINGS).sender == "Alerts@example.com"


def test_an_idempotency_key_of_128_printable_characters_is_the_longest():
    assert parse_send_input(email(idempotencyKey="k" * 128), SETTINGS).idempotency_key == "k" * 128
    with pytest.raises(BadRequest):
        parse_send_input(email(idempotencyKey="k" * 129), SETTINGS)


def test_a_sender_id_may_be_32_characters_through_sns_but_11_through_africastalking():
    config = config_from_context({"senderEmail": "no-reply@example.com", "atCountryCodes": ["254"],
                                  "smsSenderIds": ["ACMEBANK1234", "A" * 32]})
    settings = Settings.from_env({"TABLE_NAME": "t", **function_environment(config, SEND_SETTINGS)})
    assert parse_send_input(sms(**{"from": "A" * 32}), settings).sender == "A" * 32  # +1: SNS
    with pytest.raises(BadRequest) as error:
        parse_send_input(sms(to="+254711223344", **{"from": "ACMEBANK1234"}), settings)
    assert str(error.value) == "from: must be at most 11 characters"
    with pytest.raises(BadRequest) as error:
        parse_send_input(sms(**{"from": "A" * 33}), settings)
    assert str(error.value) == "from: must be at most 32 characters"


def _rendered_email(body_bytes: int, html_bytes: int, subject: str | None = "s"):
    from messenger.messages.models import DeliveryMethod
    from messenger.templates.models import Rendered

    def render(args, method):
        return Rendered("t1", 1, DeliveryMethod.EMAIL, "b" * body_bytes, subject=subject, html="h" * html_bytes)

    return parse_send_input({"to": "user@example.com", "deliveryMethod": "EMAIL", "templateId": "t1"}, SETTINGS, render)


def test_a_rendered_email_counts_its_text_and_html_parts_together_against_the_limit():
    assert SETTINGS.max_email_body_bytes == 1000
    accepted = _rendered_email(600, 400)
    assert (len(accepted.body), len(accepted.html)) == (600, 400)
    with pytest.raises(BadRequest) as error:
        _rendered_email(300, 701)
    assert (error.value.field, str(error.value)) == (
        "personalisation", "personalisation: the rendered e-mail exceeds 1000 bytes")


def test_a_rendered_subject_is_checked_as_the_subject_and_a_template_may_have_none():
    assert _rendered_email(10, 10, subject=None).subject is None
    assert _rendered_email(10, 10, subject="Hi Ann").subject == "Hi Ann"
    with pytest.raises(BadRequest) as error:
        _rendered_email(10, 10, subject="Hi\u202eAnn")
    assert (error.value.field, str(error.value)) == (
        "subject", "subject: must not contain invisible or bidirectional format characters (U+202E)")
