"""The API handler as AppSync calls it: AppSync-shaped events in, envelopes out (moto behind)."""

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.support import FakeLambdaContext, appsync_event, moto_service, table_items


@pytest.fixture
def api():
    with moto_service() as resources:
        from messenger.api import lambda_handler

        yield lambda parent, field, args: lambda_handler(appsync_event(parent, field, args), FakeLambdaContext()), resources


def ses_sent(region="us-east-1"):
    """What moto's SES took (SES v2 sends are recorded by the v1 backend it builds on)."""
    return list(ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages)


def send(api, **input_):
    call, _ = api
    return call("Mutation", "sendMessage", {"input": input_})


def test_send_email_answers_with_the_stored_record(api):
    result = send(api, to="user@example.com", body="Hello world", subject="Message", deliveryMethod="EMAIL")
    data = result["data"]
    assert data["deliveryStatus"] == "ACCEPTED" and data["provider"] == "SES"
    assert data["from"] == "no-reply@example.com"
    assert len(data["id"]) == 26 and data["createdAt"]
    [sent] = ses_sent()  # exactly one e-mail reached SES, the one the record describes
    assert sent.id == data["providerMessageId"]
    assert sent.source == "no-reply@example.com"
    assert sent.destinations == {"ToAddresses": ["user@example.com"]}
    assert sent.subject == "Message"
    assert "Hello world" in sent.body


def test_a_client_mistake_is_a_bad_request_envelope_naming_the_field(api):
    result = send(api, to="+1 555", body="Hello", deliveryMethod="SMS")
    assert result == {"error": {"type": "BadRequest", "message": result["error"]["message"], "info": {"field": "to"}}}
    assert result["error"]["message"].startswith("to: ")
    # Nothing written but the stack key's registration (its first call, this one).
    assert [i["PK"]["S"] for i in table_items(api[1].table_name) if not i["PK"]["S"].startswith(("CLIENTS", "APIKEY#"))] == []


def test_an_unexpected_failure_is_an_internal_error_without_internals(api):
    boto3.client("dynamodb").delete_table(TableName=api[1].table_name)
    result = send(api, to="user@example.com", body="Hello", deliveryMethod="EMAIL")
    assert result["error"]["type"] == "InternalError"
    text = str(result)
    for leak in (api[1].table_name, "ResourceNotFound", "dynamodb", "Traceback", "arn:"):
        assert leak not in text


def test_an_unknown_field_is_refused(api):
    call, _ = api
    assert call("Query", "listEverything", {})["error"]["type"] == "BadRequest"


def test_get_messages_pages_with_an_opaque_cursor(api):
    for i in range(3):
        send(api, to="user@example.com", body=f"Hello {i}", deliveryMethod="EMAIL")
    call, _ = api
    first = call("Query", "getMessages", {"filter": {"to": "user@example.com"}, "first": 2})["data"]
    assert [m["body"] for m in first["data"]] == ["Hello 0", "Hello 1"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = call("Query", "getMessages", {"filter": {"to": "user@example.com"}, "first": 2,
                                          "after": first["pageInfo"]["endCursor"]})["data"]
    assert [m["body"] for m in rest["data"]] == ["Hello 2"] and rest["pageInfo"]["hasNextPage"] is False


def test_a_key_without_the_fields_scope_is_forbidden_naming_the_scope_and_nothing_is_done(api):
    from messenger.api import lambda_handler

    call, resources = api
    created = call("Mutation", "createApiClient", {"input": {"name": "shop", "scopes": ["SEND"]}})["data"]
    before = table_items(resources.table_name)
    answer = lambda_handler(appsync_event("Mutation", "eraseRecipient", {"to": "user@example.com"},
                                         api_key=f"  {created['key']}  "), FakeLambdaContext())
    assert answer == {"error": {"type": "Forbidden", "message": "eraseRecipient needs scope ADMIN",
                                "info": {"field": "eraseRecipient", "scope": "ADMIN"}}}
    assert table_items(resources.table_name) == before
