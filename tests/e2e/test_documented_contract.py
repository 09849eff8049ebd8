"""The three documented requests of the original service (seeds/002), sent verbatim to the local mode.

Query texts and variables are copied as documented; only the placeholders are replaced
(<TO_EMAIL> by a fresh test address, <TO_PHONE_NUMBER> by +14155550123).
"""

from __future__ import annotations

import uuid

from tests.e2e.conftest import wait_for

SEND_EMAIL = """mutation sendMessage($input: MessageInput!) {
    sendMessage(input: $input) {
        to
        from
        body
        deliveryMethod
        deliveryStatus
        recipientId
        senderId
    }
}"""

SEND_SMS = """mutation sendMessage($input: MessageInput!) {
    sendMessage(input: $input) {
        to
        body
        deliveryMethod
        deliveryStatus
        recipientId
        senderId
    }
}"""

GET_MESSAGES = """query getMessages($filter: MessageFilter!, $first: Int, $after: String) {
    getMessages(filter: $filter, first: $first, after: $after) {
        data {
            id
            to
            body
            deliveryMethod
            deliveryStatus
            from
            recipientId
            senderId
        }
        pageInfo {
            hasNextPage
            endCursor
        }
    }
}"""

PHONE = "+14155550123"
SENDER = "no-reply@example.com"  # cdk.json senderEmail


def _email() -> str:
    return f"contract-{uuid.uuid4().hex[:12]}@example.org"


def _send_email(local_api, to: str, body: str = "Hello world") -> dict:
    variables = {"input": {"to": to, "subject": "Message", "body": body, "deliveryMethod": "EMAIL"}}
    status, response = local_api.graphql(SEND_EMAIL, variables)
    assert status == 200 and "errors" not in response, response
    return response["data"]["sendMessage"]


def _pages(local_api, to: str, first: int) -> list[dict]:
    pages, after = [], None
    while True:
        status, response = local_api.graphql(GET_MESSAGES, {"filter": {"to": to}, "first": first, "after": after})
        assert status == 200 and "errors" not in response, response
        page = response["data"]["getMessages"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
        assert len(pages) < 10, "paging does not end"


def test_send_email_as_documented_is_accepted_and_sent_through_ses(local_api):
    to = _email()
    assert _send_email(local_api, to) == {
        "to": to,
        "from": SENDER,
        "body": "Hello world",
        "deliveryMethod": "EMAIL",
        "deliveryStatus": "ACCEPTED",
        "recipientId": None,
        "senderId": None,
    }
    [sent] = [entry for entry in local_api.outbox() if entry["to"] == to]
    assert (sent["provider"], sent["from"], sent["subject"]) == ("SES", SENDER, "Message")


def test_send_sms_as_documented_is_accepted_and_sent_through_sns(local_api):
    before = len([e for e in local_api.outbox() if e["to"] == PHONE])
    variables = {"input": {"to": PHONE, "body": "Hello world", "deliveryMethod": "SMS"}}
    status, response = local_api.graphql(SEND_SMS, variables)
    assert status == 200 and "errors" not in response, response
    assert response["data"]["sendMessage"] == {
        "to": PHONE,
        "body": "Hello world",
        "deliveryMethod": "SMS",
        "deliveryStatus": "ACCEPTED",
        "recipientId": None,
        "senderId": None,
    }
    sent = [e for e in local_api.outbox() if e["to"] == PHONE]
    assert len(sent) == before + 1
    assert (sent[-1]["provider"], sent[-1]["channel"], sent[-1]["body"]) == ("SNS", "SMS", "Hello world")


def test_get_messages_pages_through_five_oldest_first_without_gaps_or_duplicates(local_api):
    to = _email()
    for n in range(1, 6):
        _send_email(local_api, to, f"Hello world {n}")
    # Each e-mail's SES receipt (the local mode produces it) moves it on to DELIVERED: page once all have.
    wait_for(lambda: all(m["deliveryStatus"] == "DELIVERED" for page in _pages(local_api, to, first=2)
                         for m in page["data"]))
    pages = _pages(local_api, to, first=2)
    assert [len(page["data"]) for page in pages] == [2, 2, 1]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False]
    messages = [message for page in pages for message in page["data"]]
    assert [m["body"] for m in messages] == [f"Hello world {n}" for n in range(1, 6)]
    assert len({m["id"] for m in messages}) == 5
    assert all(m["to"] == to and m["deliveryStatus"] == "DELIVERED" for m in messages)
    assert all(page["pageInfo"]["endCursor"] for page in pages[:-1])


def test_exactly_full_last_page_has_no_next_page(local_api):
    to = _email()
    for n in range(1, 5):
        _send_email(local_api, to, f"Hello world {n}")
    pages = _pages(local_api, to, first=2)
    assert [len(page["data"]) for page in pages] == [2, 2]
    assert pages[-1]["pageInfo"]["hasNextPage"] is False


def test_bad_cursor_is_a_bad_request(local_api):
    variables = {"filter": {"to": _email()}, "first": 2, "after": "MESSAGE#not-a-cursor"}
    status, response = local_api.graphql(GET_MESSAGES, variables)
    assert status == 200
    assert response["data"] == {"getMessages": None}
    [error] = response["errors"]
    assert error["errorType"] == "BadRequest" and error["path"] == ["getMessages"]
    assert error["locations"][0]["sourceName"] is None
