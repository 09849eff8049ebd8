"""Settings from the environment: documented defaults, lists, and wrong values that fail at cold start."""

import pytest

from messenger.models.message import Provider
from messenger.models.settings import Settings, settings

BASE = {"TABLE_NAME": "messages"}


def from_env(**env):
    return Settings.from_env({**BASE, **env})


def test_with_only_the_table_every_setting_has_its_documented_default():
    assert from_env() == Settings(
        table_name="messages", outbound_queue_url=None, sender_email="no-reply@example.com",
        allowed_from_addresses=frozenset(), ses_region=None, ses_configuration_set=None, sns_region=None,
        sms_type="Transactional", sms_sender_ids=frozenset(), at_country_codes=(),
        default_sms_provider=Provider.SNS, max_sms_segments=10, max_email_body_bytes=262_144, max_subject_chars=200,
        idempotency_ttl_hours=24, at_secret_name=None, at_sender_id=None, at_max_recipients=100, at_base_url=None,
        at_secret_max_age_seconds=60, max_receive_count=3, retry_base_seconds=10, claim_lease_seconds=900,
        report_token_secret_name=None,
    )


def test_empty_values_count_as_not_set():
    names = ["OUTBOUND_QUEUE_URL", "SENDER_EMAIL", "SES_REGION", "SES_CONFIGURATION_SET", "SNS_REGION", "SMS_TYPE",
             "DEFAULT_SMS_PROVIDER", "MAX_SMS_SEGMENTS", "AT_SECRET_NAME", "AT_SENDER_ID", "AT_BASE_URL",
             "REPORT_TOKEN_SECRET_NAME", "RETRY_BASE_SECONDS"]
    assert from_env(**{name: "" for name in names}) == from_env()


def test_every_setting_is_read_from_its_variable():
    env = {
        "OUTBOUND_QUEUE_URL": "https://sqs/q", "SENDER_EMAIL": "me@example.com", "ALLOWED_FROM_ADDRESSES": "A@x.com",
        "SES_REGION": "eu-west-1", "SES_CONFIGURATION_SET": "cs", "SNS_REGION": "eu-west-2", "SMS_TYPE": "Promotional",
        "SMS_SENDER_IDS": "ACME", "AT_COUNTRY_CODES": "254", "DEFAULT_SMS_PROVIDER": "AFRICASTALKING",
        "MAX_SMS_SEGMENTS": "5", "MAX_EMAIL_BODY_BYTES": "1000", "MAX_SUBJECT_CHARS": "50", "IDEMPOTENCY_TTL_HOURS": "2",
        "AT_SECRET_NAME": "at", "AT_SENDER_ID": "ACME", "AT_MAX_RECIPIENTS": "10", "AT_BASE_URL": "http://at",
        "AT_SECRET_MAX_AGE_SECONDS": "5", "MAX_RECEIVE_COUNT": "4", "RETRY_BASE_SECONDS": "3",
        "CLAIM_LEASE_SECONDS": "60", "REPORT_TOKEN_SECRET_NAME": "token",
    }
    assert from_env(**env) == Settings(
        table_name="messages", outbound_queue_url="https://sqs/q", sender_email="me@example.com",
        allowed_from_addresses=frozenset({"a@x.com"}), ses_region="eu-west-1", ses_configuration_set="cs",
        sns_region="eu-west-2", sms_type="Promotional", sms_sender_ids=frozenset({"ACME"}), at_country_codes=("254",),
        default_sms_provider=Provider.AFRICASTALKING, max_sms_segments=5, max_email_body_bytes=1000,
        max_subject_chars=50, idempotency_ttl_hours=2, at_secret_name="at", at_sender_id="ACME", at_max_recipients=10,
        at_base_url="http://at", at_secret_max_age_seconds=5, max_receive_count=4, retry_base_seconds=3,
        claim_lease_seconds=60, report_token_secret_name="token",
    )


def test_lists_are_comma_separated_trimmed_and_skip_empty_items():
    config = from_env(AT_COUNTRY_CODES=" 254, 255 ,,256,", SMS_SENDER_IDS="ACME, Shop ",
                      ALLOWED_FROM_ADDRESSES="Sales@Example.com, ,b@example.com")
    assert config.at_country_codes == ("254", "255", "256")
    assert config.sms_sender_ids == frozenset({"ACME", "Shop"})
    assert config.allowed_from_addresses == frozenset({"sales@example.com", "b@example.com"})


@pytest.mark.parametrize(("name", "low", "high"), [
    ("MAX_SMS_SEGMENTS", 1, 20), ("MAX_EMAIL_BODY_BYTES", 1, 300_000), ("MAX_SUBJECT_CHARS", 1, 998),
    ("IDEMPOTENCY_TTL_HOURS", 1, 720), ("AT_MAX_RECIPIENTS", 1, 1000), ("AT_SECRET_MAX_AGE_SECONDS", 0, 3600),
    ("MAX_RECEIVE_COUNT", 1, 1000), ("RETRY_BASE_SECONDS", 0, 900), ("CLAIM_LEASE_SECONDS", 1, 900),
])
def test_a_number_is_accepted_within_its_bounds_and_refused_outside(name, low, high):
    field = name.lower()
    for value in (low, high):
        assert getattr(from_env(**{name: str(value)}), field) == value
    for value in (low - 1, high + 1):
        with pytest.raises(ValueError, match=rf"^{name}={value} is outside {low}\.\.{high}$"):
            from_env(**{name: str(value)})


def test_a_number_that_is_not_a_number_fails():
    with pytest.raises(ValueError):
        from_env(MAX_SMS_SEGMENTS="ten")


def test_without_a_table_nothing_starts():
    with pytest.raises(ValueError, match="^TABLE_NAME is not set$"):
        Settings.from_env({})
    with pytest.raises(ValueError, match="^TABLE_NAME is not set$"):
        Settings.from_env({"TABLE_NAME": ""})


@pytest.mark.parametrize("value", ["transactional", "Bulk"])
def test_an_unknown_sms_type_fails(value):
    with pytest.raises(ValueError, match=f"^SMS_TYPE={value} must be Transactional or Promotional$"):
        from_env(SMS_TYPE=value)


def test_an_unknown_default_sms_provider_fails():
    with pytest.raises(ValueError):
        from_env(DEFAULT_SMS_PROVIDER="TWILIO")


def test_the_process_environment_is_read_once(monkeypatch):
    settings.cache_clear()
    try:
        monkeypatch.setenv("TABLE_NAME", "from-the-environment")
        assert settings().table_name == "from-the-environment"
        monkeypatch.setenv("TABLE_NAME", "changed-later")
        assert settings().table_name == "from-the-environment"
        assert Settings.from_env().table_name == "changed-later"
    finally:
        settings.cache_clear()
