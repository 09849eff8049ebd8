"""Routers compose into one table of fields; the wiring's resolvers are exactly what the routers serve."""

import importlib
import json

import pytest
from messenger.core.router import Router, compose
from messenger.core.settings import MissingSetting, Settings

from stacks.config import ConfigError, config_from_context, load_cdk_json_config
from stacks.domains import DOMAINS
from stacks.wiring import API_FUNCTION, build_wiring

WIRING = build_wiring(load_cdk_json_config())


def test_a_field_registered_twice_in_one_router_is_refused():
    router = Router()
    router.query("a")(lambda args: 1)
    with pytest.raises(ValueError, match="Query.a"):
        router.query("a")(lambda args: 2)


def test_two_routers_resolving_one_field_are_refused():
    first, second = Router(), Router()
    first.mutation("send")(lambda args: 1)
    second.mutation("send")(lambda args: 2)
    with pytest.raises(ValueError, match="Mutation.send"):
        compose([first, second])


def test_composed_routers_keep_each_resolver():
    first, second = Router(), Router()
    first.query("a")(lambda args: "A")
    second.mutation("b")(lambda args: "B")
    table = compose([first, second])
    assert {field: resolver({}) for field, resolver in table.items()} == {("Query", "a"): "A", ("Mutation", "b"): "B"}


def test_the_api_function_serves_exactly_the_fields_its_routers_register():
    api = WIRING.function(API_FUNCTION)
    routers = json.loads(api.environment["API_ROUTERS"])
    served = compose(importlib.import_module(name).router for name in routers)
    wired = {(r.type_name, r.field_name) for r in WIRING.resolvers if r.function == API_FUNCTION}
    assert set(served) == wired


def test_every_domain_is_composed_once_and_functions_keep_their_names():
    config = load_cdk_json_config()
    names = [contribute(config).name for contribute in DOMAINS]
    assert len(names) == len(set(names))
    assert [f.name for f in WIRING.functions] == ["api", "dispatch", "delivery_reports", "receipts", "sweeper",
                                                 "batch_uploads", "webhooks", "inbound"]


def test_a_function_gets_only_the_settings_its_domain_names():
    reports = WIRING.function("delivery_reports").environment
    assert "MAX_SMS_SEGMENTS" not in reports and "SENDER_EMAIL" not in reports
    assert json.loads(reports["REPORT_TOKEN_MAX_AGE_SECONDS"]) == 60
    assert "AT_BASE_URL" not in WIRING.function(API_FUNCTION).environment


def test_settings_keep_their_types_through_the_environment():
    config = config_from_context({"atCountryCodes": ["254"], "maxSmsSegments": 3, "sesRegion": None})
    env = {"TABLE_NAME": "t", "AT_COUNTRY_CODES": json.dumps(config.at_country_codes),
           "MAX_SMS_SEGMENTS": json.dumps(config.max_sms_segments), "SES_REGION": "null"}  # fmt: skip
    settings = Settings.from_env(env)
    assert (settings.at_country_codes, settings.max_sms_segments, settings.ses_region) == (["254"], 3, None)
    assert settings.table_name == "t"


def test_a_setting_the_function_was_not_given_fails_loudly():
    settings = Settings.from_env({"TABLE_NAME": "t"})
    with pytest.raises(MissingSetting, match="MAX_SMS_SEGMENTS"):
        settings.max_sms_segments
    assert settings.get("outbound_queue_url") is None


RESOURCE_NAMES = [
    "table_name", "outbound_queue_url", "at_secret_name", "report_token_secret_name", "graphql_url", "graphql_api_id",
    "uploads_bucket", "webhook_queue_url", "webhook_dead_letter_queue_url", "inbound_queue_url",
    "verification_key_secret_name", "batch_jobs_queue_url",
]


@pytest.mark.parametrize("name", RESOURCE_NAMES)
def test_resource_names_arrive_as_plain_text_not_json(name):
    value = "https://sqs.eu-west-1.amazonaws.com/123456789012/messenger-q"  # not JSON: read as is
    settings = Settings.from_env({"TABLE_NAME": "messenger-table", name.upper(): value})
    assert getattr(settings, name) == value
    assert settings.get(name) == getattr(settings, name)


def test_a_missing_setting_says_which_and_why_and_get_gives_the_default():
    settings = Settings.from_env({"TABLE_NAME": "t", "MAX_SMS_SEGMENTS": "4"})
    with pytest.raises(MissingSetting) as error:
        settings.sender_email
    assert str(error.value) == "SENDER_EMAIL is not set: this function was not given that setting"
    assert settings.get("sender_email", "fallback") == "fallback"
    assert settings.get("max_sms_segments", 1) == 4


def test_a_setting_is_decoded_once_and_kept():
    env = {"TABLE_NAME": "t", "AT_COUNTRY_CODES": '["254"]'}
    settings = Settings.from_env(env)
    first = settings.at_country_codes
    assert first == ["254"] and settings.at_country_codes is first


def test_a_private_or_special_name_is_no_setting_so_python_protocols_see_a_plain_object():
    import copy

    settings = Settings.from_env({"TABLE_NAME": "t", "_SECRET": '"x"'})
    assert not hasattr(settings, "_secret") and getattr(settings, "__deepcopy__", None) is None
    assert copy.deepcopy(settings).table_name == "t"


def test_a_function_without_a_table_fails_at_cold_start():
    with pytest.raises(MissingSetting, match="TABLE_NAME"):
        Settings.from_env({})


@pytest.mark.parametrize(
    "key, value",
    [("maxSubjectChars", 0), ("maxSubjectChars", 999), ("idempotencyTtlHours", 721), ("retryBaseSeconds", 901),
     ("maxReceiveCount", 0), ("reportTokenMaxAgeSeconds", -1), ("atSecretMaxAgeSeconds", 3601)],
)
def test_out_of_range_settings_are_refused_where_cdk_json_is_read(key, value):
    with pytest.raises(ConfigError, match=key):
        config_from_context({key: value})


@pytest.mark.parametrize(
    "key, value, kind",
    [("maxSmsSegments", "5", "a whole number"), ("maxSmsSegments", 2.5, "a whole number"),
     ("manageSmsDeliveryStatus", "yes", "true or false"), ("workerBatchSize", True, "a whole number"),
     ("senderEmail", 7, "text"), ("atCountryCodes", "254", "a list"), ("apiKeyValidFrom", "soon", "YYYY-MM-DD")],
)
def test_settings_of_the_wrong_kind_are_a_config_error_naming_the_key(key, value, kind):
    with pytest.raises(ConfigError, match=f"{key}.*{kind}"):
        config_from_context({key: value})


def test_optional_text_settings_accept_null_and_text():
    config = config_from_context({"sesRegion": None, "alarmEmail": "ops@example.com"})
    assert (config.ses_region, config.alarm_email) == (None, "ops@example.com")
