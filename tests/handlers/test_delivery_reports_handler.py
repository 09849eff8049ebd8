"""The delivery-report function URL: token, parsing, and status moves."""

import base64
import datetime
from urllib.parse import urlencode

import boto3
import pytest

from tests.fakes import FakeAfricasTalking
from tests.support import FakeLambdaContext, full_table, moto_service
from tests.unit.test_dispatch import dispatcher, jobs_for, queue_messages


@pytest.fixture
def env():
    with moto_service() as resources:
        from messenger.delivery_reports.handler import lambda_handler

        table = full_table(resources.table_name)
        [message] = queue_messages(table, ["+254711000001"])
        dispatcher(table, at=FakeAfricasTalking()).process(jobs_for([message]))
        yield lambda_handler, resources, table, table.get(message.to, message.id)


def url_event(path, form=None, method="POST", encode=False, raw=None):
    body = raw if raw is not None else urlencode(form or {})
    if encode:
        body = base64.b64encode(body.encode()).decode()
    return {"version": "2.0", "rawPath": path, "rawQueryString": "", "headers": {
        "content-type": "application/x-www-form-urlencoded"},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}},
        "body": body, "isBase64Encoded": encode}


def test_a_valid_report_with_the_right_token_moves_the_message(env):
    handler, resources, table, message = env
    event = url_event(f"/reports/{resources.report_token}", {"id": message.provider_message_id, "status": "Success",
                                                              "phoneNumber": message.to, "networkCode": "99999"}, encode=True)
    response = handler(event, FakeLambdaContext())
    assert response["statusCode"] == 200
    assert table.get(message.to, message.id).delivery_status.value == "DELIVERED"


@pytest.mark.parametrize("path", ["/reports/wrong", "/reports/", "/", "/other/{token}", "/reports/{token}x"])
def test_a_wrong_token_gets_403_and_changes_nothing(env, path):
    handler, resources, table, message = env
    event = url_event(path.format(token=resources.report_token), {"id": message.provider_message_id, "status": "Success"})
    assert handler(event, FakeLambdaContext())["statusCode"] == 403
    assert table.get(message.to, message.id).delivery_status.value == "ACCEPTED"


@pytest.mark.parametrize("raw", ["", "status=Success", "id=x&status=Bogus", "%%%", "a" * 20_000])
def test_malformed_reports_get_400(env, raw):
    handler, resources, _, _ = env
    assert handler(url_event(f"/reports/{resources.report_token}", raw=raw), FakeLambdaContext())["statusCode"] == 400


@pytest.mark.parametrize(("raw", "encode", "answer"), [
    ("%%%", False, "body: not a form"),
    ("a=1&&b", False, "body: not a form"),
    ("a" * 20_000, False, "body: too large"),
    ("a" * 17_000, True, "body: too large"),
    ("a" * 16_384, True, "body: not a form"),  # the largest body, encoded: read, and found not to be a form
    ("a" * 16_385, True, "body: too large"),  # within the encoded length's allowance, one byte over once decoded
    ("\u00e9" * 9_000, False, "body: too large"),  # 9,000 characters, 18,000 bytes
])
def test_a_body_that_is_not_a_small_form_is_answered_400_saying_why(env, raw, encode, answer):
    handler, resources, _, _ = env
    response = handler(url_event(f"/reports/{resources.report_token}", raw=raw, encode=encode), FakeLambdaContext())
    assert (response["statusCode"], response["body"]) == (400, answer)


def test_a_body_that_is_not_utf_8_is_not_a_form(env):
    handler, resources, _, _ = env
    event = url_event(f"/reports/{resources.report_token}", raw=base64.b64encode(b"id=\xff&status=Success").decode())
    event["isBase64Encoded"] = True
    assert handler(event, FakeLambdaContext())["body"] == "body: not a form"


def test_only_post_is_accepted(env):
    handler, resources, _, _ = env
    assert handler(url_event(f"/reports/{resources.report_token}", method="GET"), FakeLambdaContext())["statusCode"] == 405


def test_an_unknown_message_id_is_acknowledged(env):
    handler, resources, _, _ = env
    response = handler(url_event(f"/reports/{resources.report_token}", {"id": "ATXid_unknown", "status": "Success"}),
                       FakeLambdaContext())
    assert (response["statusCode"], response["body"]) == (200, "unknown")


class SecretsCacheClock(datetime.datetime):
    """Powertools' parameter cache reads `datetime.now()`; this one moves only when told."""

    moment = datetime.datetime(2026, 11, 23, 12, 0, 0)

    @classmethod
    def now(cls, tz=None):
        return cls.moment


def test_a_rotated_token_replaces_the_old_one_once_the_cache_max_age_has_passed(env, monkeypatch):
    from aws_lambda_powertools.utilities.parameters import base
    from messenger.core.settings import settings

    handler, resources, table, message = env
    monkeypatch.setattr(base, "datetime", SecretsCacheClock)
    monkeypatch.setattr(SecretsCacheClock, "moment", SecretsCacheClock.moment)  # restored afterwards
    max_age = settings().at_secret_max_age_seconds
    start = SecretsCacheClock.moment
    old = resources.report_token
    unknown = {"id": "ATXid_unknown", "status": "Success"}
    real = {"id": message.provider_message_id, "status": "Success", "phoneNumber": message.to}

    def status(token, form):
        return handler(url_event(f"/reports/{token}", form), FakeLambdaContext())["statusCode"]

    assert status(old, unknown) == 200  # the token is read and cached
    boto3.client("secretsmanager").put_secret_value(
        SecretId=resources.report_token_secret_name, SecretString="new-token")

    SecretsCacheClock.moment = start + datetime.timedelta(seconds=max_age - 1)
    assert status(old, unknown) == 200  # within the max age the cached token still holds
    assert status("new-token", unknown) == 403

    SecretsCacheClock.moment = start + datetime.timedelta(seconds=max_age + 1)
    assert status(old, real) == 403  # past it, the old token is refused and changes nothing
    assert table.get(message.to, message.id).delivery_status.value == "ACCEPTED"
    assert status("new-token", real) == 200  # and the new one works, without a redeploy
    assert table.get(message.to, message.id).delivery_status.value == "DELIVERED"


def test_during_a_rotation_old_and_new_tokens_both_work_until_the_grace_period_ends(env):
    import json

    handler, resources, table, message = env
    old = resources.report_token
    boto3.client("secretsmanager").put_secret_value(SecretId=resources.report_token_secret_name, SecretString=json.dumps(
        {"token": "new-token-0123456789", "previous": old, "previousValidUntil": "2999-01-01T00:00:00.000Z"}))
    from tests.support import reset_caches

    reset_caches()  # a fresh instance: no cached copy of the old secret
    unknown = {"id": "ATXid_unknown", "status": "Success"}
    for token in (old, "new-token-0123456789"):
        assert handler(url_event(f"/reports/{token}", unknown), FakeLambdaContext())["statusCode"] == 200
    boto3.client("secretsmanager").put_secret_value(SecretId=resources.report_token_secret_name, SecretString=json.dumps(
        {"token": "new-token-0123456789", "previous": old, "previousValidUntil": "2020-01-01T00:00:00.000Z"}))
    reset_caches()
    assert handler(url_event(f"/reports/{old}", unknown), FakeLambdaContext())["statusCode"] == 403
    assert handler(url_event("/reports/new-token-0123456789", unknown), FakeLambdaContext())["statusCode"] == 200


def test_a_report_for_another_number_changes_nothing(env):
    handler, resources, table, message = env
    form = {"id": message.provider_message_id, "status": "Success", "phoneNumber": "+254711999999"}
    response = handler(url_event(f"/reports/{resources.report_token}", form), FakeLambdaContext())
    assert (response["statusCode"], response["body"]) == (200, "unknown")
    assert table.get(message.to, message.id).delivery_status.value == "ACCEPTED"


def test_an_oversized_base64_body_is_refused_before_it_is_decoded(env, monkeypatch):
    handler, resources, _, _ = env
    monkeypatch.setattr("messenger.delivery_reports.handler.base64.b64decode",
                        lambda *_: pytest.fail("decoded an oversized body"))
    event = url_event(f"/reports/{resources.report_token}", raw="a" * 16_389, encode=True)  # 21,852 characters
    assert handler(event, FakeLambdaContext())["statusCode"] == 400


@pytest.mark.parametrize(("kind", "form", "answer"), [
    ("inbound", {"from": "+254711000001", "to": "12345", "text": "hi", "date": "2026-01-01 00:00:00"},
     "id: is required"),
    ("opt-out", {"senderId": "Brand"}, "phoneNumber: is required"),
])
def test_an_incomplete_provider_callback_is_answered_400_saying_what_is_missing(env, kind, form, answer):
    handler, resources, _, _ = env
    response = handler(url_event(f"/{kind}/{resources.report_token}", form), FakeLambdaContext())
    assert (response["statusCode"], response["body"]) == (400, answer)
