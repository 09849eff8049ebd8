"""Templates through the local mode, as a client sees them (issue 9's "Done when"): create e-mail and SMS
templates, send with personalisation (the outbox holds the rendered text and the escaped HTML), a
missing placeholder sends nothing, versions and pins, archiving, preview = send, seeds/001's arrays."""

from __future__ import annotations

import json
import uuid

TEMPLATE_FIELDS = "id name channel subject body version placeholders archived createdAt updatedAt"
CREATE = f"mutation c($input: TemplateInput!) {{ createTemplate(input: $input) {{ {TEMPLATE_FIELDS} }} }}"
UPDATE = f"mutation u($id: ID!, $input: TemplateInput!) {{ updateTemplate(id: $id, input: $input) {{ {TEMPLATE_FIELDS} }} }}"
ARCHIVE = "mutation a($id: ID!) { archiveTemplate(id: $id) { id archived version } }"
GET = "query g($id: ID!, $v: Int) { getTemplate(id: $id, version: $v) { id version body archived } }"
LIST = "query l($first: Int, $after: String) { getTemplates(first: $first, after: $after) { data { id } pageInfo { hasNextPage endCursor } } }"
PREVIEW = """query p($id: ID!, $v: Int, $p: AWSJSON) {
  previewTemplate(id: $id, version: $v, personalisation: $p) { templateId templateVersion subject body html segments encoding }
}"""
SEND = """mutation s($input: MessageInput!) {
  sendMessage(input: $input) { id to subject body deliveryStatus segments templateId templateVersion }
}"""
HISTORY = "query h($to: String!) { getMessages(filter: {to: $to}) { data { id body templateId templateVersion } } }"
SCRIPT = "<script>alert(1)</script>"
EMAIL_TEMPLATE = {"name": "Order receipt", "channel": "EMAIL", "subject": "Order ((order ref))",
                  "body": "Dear ((First Name)),\n\nYour order ((order_ref)) is ready.((vip?? Thank you for being VIP.))"}
SMS_TEMPLATE = {"name": "Login code", "channel": "SMS", "body": "Your code is ((code)). ((name))"}


def ok(local_api, query, variables):
    status, body = local_api.graphql(query, variables)
    assert status == 200 and "errors" not in body, body
    return next(iter(body["data"].values()))


def error(local_api, query, variables) -> dict:
    status, body = local_api.graphql(query, variables)
    assert status == 200 and body["errors"], body
    return body["errors"][0]


def email() -> str:
    return f"templates+{uuid.uuid4().hex[:10]}@example.com"


def send_input(to, template, personalisation, method="EMAIL", **extra):
    return {"input": {"to": to, "deliveryMethod": method, "templateId": template["id"],
                      "personalisation": json.dumps(personalisation), **extra}}


def outbox_to(local_api, to):
    return [entry for entry in local_api.outbox() if entry["to"] == to]


def test_email_by_template_records_the_text_and_sends_escaped_html(local_api):
    template = ok(local_api, CREATE, {"input": EMAIL_TEMPLATE})
    assert (template["version"], template["placeholders"]) == (1, ["order ref", "First Name", "vip"])
    to = email()
    personalisation = {"first_name": SCRIPT, "ORDER-REF": "A-42", "vip": "yes", "unused": "ignored"}
    sent = ok(local_api, SEND, send_input(to, template, personalisation))
    expected_text = f"Dear {SCRIPT},\n\nYour order A-42 is ready. Thank you for being VIP."
    assert (sent["subject"], sent["body"]) == ("Order A-42", expected_text)
    assert (sent["templateId"], sent["templateVersion"], sent["deliveryStatus"]) == (template["id"], 1, "ACCEPTED")
    [history] = ok(local_api, HISTORY, {"to": to})["data"]
    assert (history["body"], history["templateVersion"]) == (expected_text, 1)
    [out] = outbox_to(local_api, to)
    assert out["subject"] == "Order A-42"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out["body"] and "<script>" not in out["body"]
    assert "<p>Your order A-42 is ready. Thank you for being VIP.</p>" in out["body"]
    preview = ok(local_api, PREVIEW, {"id": template["id"], "p": json.dumps(personalisation)})
    assert (preview["subject"], preview["body"], preview["html"]) == (out["subject"], sent["body"], out["body"])


def test_sms_by_template_with_the_array_form_reports_its_segments(local_api):
    template = ok(local_api, CREATE, {"input": SMS_TEMPLATE})
    personalisation = {"code": ["4821"], "Name": ["Jane"]}  # seeds/001's array form
    sent = ok(local_api, SEND, send_input("+14155550142", template, personalisation, "SMS"))
    assert (sent["body"], sent["segments"]) == ("Your code is 4821. Jane", 1)
    assert any(entry["body"] == "Your code is 4821. Jane" for entry in outbox_to(local_api, "+14155550142"))
    preview = ok(local_api, PREVIEW, {"id": template["id"], "p": json.dumps(personalisation)})
    assert (preview["body"], preview["segments"], preview["encoding"]) == (sent["body"], 1, "GSM-7")


def test_a_missing_placeholder_is_bad_request_naming_each_and_nothing_is_sent(local_api):
    template = ok(local_api, CREATE, {"input": EMAIL_TEMPLATE})
    to = email()
    failure = error(local_api, SEND, send_input(to, template, {"order_ref": "A-1"}))
    assert failure["errorType"] == "BadRequest"
    assert failure["message"] == "personalisation: missing First Name, vip"
    assert outbox_to(local_api, to) == [] and ok(local_api, HISTORY, {"to": to})["data"] == []


def test_body_and_template_together_or_neither_are_bad_requests(local_api):
    template = ok(local_api, CREATE, {"input": SMS_TEMPLATE})
    both = send_input("+14155550143", template, {"code": 1, "name": "x"}, "SMS", body="hello")
    neither = {"input": {"to": "+14155550143", "deliveryMethod": "SMS"}}
    for variables in (both, neither):
        failure = error(local_api, SEND, variables)
        assert (failure["errorType"], failure["message"]) == ("BadRequest", "body: give either a body or a templateId")
    unknown = send_input("+14155550143", {"id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, {}, "SMS")
    assert error(local_api, SEND, unknown)["errorType"] == "BadRequest"
    assert outbox_to(local_api, "+14155550143") == []


def test_update_makes_version_2_and_a_send_pinned_to_version_1_uses_version_1(local_api):
    template = ok(local_api, CREATE, {"input": SMS_TEMPLATE})
    updated = ok(local_api, UPDATE, {"id": template["id"], "input": {**SMS_TEMPLATE, "body": "Code: ((code))"}})
    assert (updated["version"], updated["placeholders"], updated["createdAt"]) == (2, ["code"], template["createdAt"])
    values = {"code": "77", "name": "Jo"}
    latest = ok(local_api, SEND, send_input("+14155550144", template, values, "SMS"))
    pinned = ok(local_api, SEND, send_input("+14155550144", template, values, "SMS", templateVersion=1))
    assert (latest["body"], latest["templateVersion"]) == ("Code: 77", 2)
    assert (pinned["body"], pinned["templateVersion"]) == ("Your code is 77. Jo", 1)
    assert ok(local_api, GET, {"id": template["id"], "v": 1})["body"] == SMS_TEMPLATE["body"]


def test_archived_templates_refuse_sends_and_stay_readable(local_api):
    template = ok(local_api, CREATE, {"input": SMS_TEMPLATE})
    assert ok(local_api, ARCHIVE, {"id": template["id"]})["archived"] is True
    for pin in ({}, {"templateVersion": 1}):
        failure = error(local_api, SEND, send_input("+14155550145", template, {"code": 1, "name": "x"}, "SMS", **pin))
        assert failure["errorType"] == "BadRequest" and "archived" in failure["message"]
    assert ok(local_api, GET, {"id": template["id"]})["archived"] is True
    assert outbox_to(local_api, "+14155550145") == []


def test_a_template_that_does_not_parse_is_bad_request_naming_the_position(local_api):
    failure = error(local_api, CREATE, {"input": {**SMS_TEMPLATE, "body": "Hi\nyour ((code is"}})
    assert failure["errorType"] == "BadRequest"
    assert failure["message"] == "body: '((' at line 2, column 6 is not closed with '))'"


def test_get_templates_pages_through_every_template(local_api):
    ids = {ok(local_api, CREATE, {"input": SMS_TEMPLATE})["id"] for _ in range(3)}
    seen, after = [], None
    while True:
        page = ok(local_api, LIST, {"first": 2, "after": after})
        seen += [entry["id"] for entry in page["data"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert ids <= set(seen) and len(seen) == len(set(seen))
