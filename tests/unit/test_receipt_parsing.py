"""What each provider receipt says, field by field: SES events (through SNS) and SNS SMS delivery logs.

The receipts logic acts on these fields alone (which message, which status, which reason on the
timeline, whether to suppress), so each is pinned here for every kind of event, with and without the
optional parts providers leave out."""

from __future__ import annotations

import json

import pytest

from messenger.messages.models import DeliveryStatus
from messenger.receipts import ses_events, sns_logs
from messenger.receipts.models import ReceiptEvent

T_MAIL = "2026-11-23T10:00:00.000Z"
T_EVENT = "2026-11-23T10:00:05.250Z"


def mail(**extra) -> dict:
    return {"messageId": "ses-1", "timestamp": T_MAIL, "destination": ["user@example.com", "cc@example.com"],
            "tags": {"messageId": ["01MSG"], "other": ["x"]}, **extra}


def ses(kind: str, body: dict | None = None, field: str | None = None, **mail_extra) -> dict:
    event = {"eventType": kind, "mail": mail(**mail_extra)}
    if field:
        event[field] = body or {}
    return event


OURS = {"provider_message_id": "ses-1", "message_id": "01MSG", "recipient": "user@example.com"}


@pytest.mark.parametrize("event, expected", [
    (ses("Delivery", {"timestamp": T_EVENT}, "delivery"),
     ReceiptEvent(at=T_EVENT, target=DeliveryStatus.DELIVERED, detail="Delivered", **OURS)),
    (ses("Delivery"),  # no delivery part: the mail's own time
     ReceiptEvent(at=T_MAIL, target=DeliveryStatus.DELIVERED, detail="Delivered", **OURS)),
    (ses("Bounce", {"bounceType": "Permanent", "bounceSubType": "NoEmail", "timestamp": T_EVENT}, "bounce"),
     ReceiptEvent(at=T_EVENT, target=DeliveryStatus.FAILED, detail="Bounce: Permanent/NoEmail",
                  failure_reason="Bounce: Permanent/NoEmail", suppress="bounce", **OURS)),
    (ses("Bounce", {"bounceType": "Permanent"}, "bounce"),
     ReceiptEvent(at=T_MAIL, target=DeliveryStatus.FAILED, detail="Bounce: Permanent/General",
                  failure_reason="Bounce: Permanent/General", suppress="bounce", **OURS)),
    (ses("Bounce", {"bounceType": "Transient", "bounceSubType": "MailboxFull", "timestamp": T_EVENT}, "bounce"),
     ReceiptEvent(at=T_EVENT, target=None, detail="Transient bounce: Transient/MailboxFull", **OURS)),
    (ses("Bounce"),
     ReceiptEvent(at=T_MAIL, target=None, detail="Transient bounce: Undetermined/General", **OURS)),
    (ses("Complaint", {"complaintFeedbackType": "abuse", "timestamp": T_EVENT}, "complaint"),
     ReceiptEvent(at=T_EVENT, target=DeliveryStatus.DELIVERED, detail="Complaint: abuse", suppress="complaint",
                  **OURS)),
    (ses("Complaint"),
     ReceiptEvent(at=T_MAIL, target=DeliveryStatus.DELIVERED, detail="Complaint: unspecified",
                  suppress="complaint", **OURS)),
    (ses("Reject", {"reason": "Bad content"}, "reject"),
     ReceiptEvent(at=T_MAIL, target=DeliveryStatus.FAILED, detail="Rejected: Bad content",
                  failure_reason="Rejected: Bad content", **OURS)),
    (ses("Reject"),
     ReceiptEvent(at=T_MAIL, target=DeliveryStatus.FAILED, detail="Rejected: unknown",
                  failure_reason="Rejected: unknown", **OURS)),
    (ses("Rendering Failure", {"errorMessage": "Attribute 'name' missing"}, "failure"),
     ReceiptEvent(at=T_MAIL, target=DeliveryStatus.FAILED, detail="RenderingFailure: Attribute 'name' missing",
                  failure_reason="RenderingFailure: Attribute 'name' missing", **OURS)),
    (ses("Rendering Failure"),
     ReceiptEvent(at=T_MAIL, target=DeliveryStatus.FAILED, detail="RenderingFailure: unknown",
                  failure_reason="RenderingFailure: unknown", **OURS)),
    (ses("DeliveryDelay", {"delayType": "MailboxFull", "timestamp": T_EVENT}, "deliveryDelay"),
     ReceiptEvent(at=T_EVENT, target=None, detail="Delivery delayed: MailboxFull", **OURS)),
    (ses("DeliveryDelay"),
     ReceiptEvent(at=T_MAIL, target=None, detail="Delivery delayed: unknown", **OURS)),
], ids=lambda value: value.get("eventType") if isinstance(value, dict) else "")
def test_each_ses_event_says_which_message_what_status_and_why(event, expected):
    assert ses_events.receipt_of(event) == expected


def test_an_ses_event_without_our_tag_or_destination_still_names_the_provider_message():
    event = {"notificationType": "Delivery", "mail": {"messageId": "ses-9", "timestamp": T_MAIL}}
    assert ses_events.receipt_of(event) == ReceiptEvent(
        provider_message_id="ses-9", at=T_MAIL, target=DeliveryStatus.DELIVERED, detail="Delivered")


def test_ses_times_are_normalised_and_an_unreadable_one_is_left_to_our_clock():
    assert ses_events.receipt_of(ses("Delivery", {"timestamp": "2026-11-23 10:00:05.25"}, "delivery")).at == T_EVENT
    assert ses_events.receipt_of(ses("Delivery", {"timestamp": "yesterday"}, "delivery")).at == ""
    assert ses_events.receipt_of({"eventType": "Reject", "mail": {"messageId": "ses-1"}}).at == ""


@pytest.mark.parametrize("kind", ["Send", "Open", "Click", "Subscription", None])
def test_ses_events_that_change_nothing_carry_no_receipt(kind):
    assert ses_events.receipt_of(ses(kind)) is None


@pytest.mark.parametrize("bad_mail", [{}, {"messageId": ""}, {"messageId": 42}, None])
def test_an_ses_event_without_a_message_id_is_refused(bad_mail):
    with pytest.raises(ValueError, match=r"^SES event without mail\.messageId$"):
        ses_events.receipt_of({"eventType": "Delivery", "mail": bad_mail})


def test_a_log_batch_without_log_events_carries_no_receipts():
    import base64
    import gzip

    data = base64.b64encode(gzip.compress(json.dumps({"messageType": "DATA_MESSAGE"}).encode())).decode()
    assert sns_logs.log_records({"awslogs": {"data": data}}) == []


def test_a_provider_text_that_is_not_a_string_is_still_shown():
    assert ses_events.receipt_of(ses("Complaint", {"complaintFeedbackType": 5}, "complaint")).detail == "Complaint: 5"


def test_long_provider_texts_are_trimmed_and_clipped_to_200_characters():
    event = ses("Reject", {"reason": "  " + "r" * 300 + "  "}, "reject")
    assert ses_events.receipt_of(event).detail == "Rejected: " + "r" * 200
    bounce = ses("Bounce", {"bounceType": "Transient", "bounceSubType": "s" * 300}, "bounce")
    assert ses_events.receipt_of(bounce).detail == "Transient bounce: " + ("Transient/" + "s" * 300)[:200]
    record = {"notification": {"messageId": "sns-1"}, "delivery": {"providerResponse": " " + "p" * 250},
              "status": "SUCCESS"}
    assert sns_logs.receipt_of(record).detail == "p" * 200


def test_the_ses_event_is_read_out_of_its_sns_notification():
    event = ses("Delivery")
    body = json.dumps({"Type": "Notification", "MessageId": "n-1", "Message": json.dumps(event)})
    assert ses_events.parse_sns_envelope(body) == event


@pytest.mark.parametrize("body, reason", [
    (json.dumps({"Type": "SubscriptionConfirmation", "Message": "{}"}), "not an SNS notification"),
    (json.dumps(["Notification"]), "not an SNS notification"),
    (json.dumps({"Message": "{}"}), "not an SNS notification"),
    (json.dumps({"Type": "Notification", "Message": json.dumps(["x"])}), "not an SES event"),
    (json.dumps({"Type": "Notification", "Message": "3"}), "not an SES event"),
])
def test_what_is_not_an_ses_event_in_an_sns_notification_is_refused(body, reason):
    with pytest.raises(ValueError, match=f"^{reason}$"):
        ses_events.parse_sns_envelope(body)


def sms(status: str | None, response: str | None = None, **notification) -> dict:
    record = {"notification": {"messageId": "sns-1", "timestamp": "2026-11-23 10:00:05.250", **notification},
              "delivery": {"destination": "+14155550100", **({"providerResponse": response} if response else {})}}
    if status is not None:
        record["status"] = status
    return record


@pytest.mark.parametrize("record, expected", [
    (sms("SUCCESS", "Message has been accepted by phone"),
     ReceiptEvent("sns-1", T_EVENT, DeliveryStatus.DELIVERED, "Message has been accepted by phone",
                  recipient="+14155550100")),
    (sms("SUCCESS"), ReceiptEvent("sns-1", T_EVENT, DeliveryStatus.DELIVERED, "Delivered", recipient="+14155550100")),
    (sms("FAILURE", "Unknown error attempting to reach phone"),
     ReceiptEvent("sns-1", T_EVENT, DeliveryStatus.FAILED, "Carrier: Unknown error attempting to reach phone",
                  failure_reason="Carrier: Unknown error attempting to reach phone", recipient="+14155550100")),
    (sms("FAILURE"), ReceiptEvent("sns-1", T_EVENT, DeliveryStatus.FAILED, "Carrier: unknown",
                                  failure_reason="Carrier: unknown", recipient="+14155550100")),
    (sms("FAILURE", timestamp=None),
     ReceiptEvent("sns-1", "", DeliveryStatus.FAILED, "Carrier: unknown", failure_reason="Carrier: unknown",
                  recipient="+14155550100")),
    ({"notification": {"messageId": "sns-2"}, "status": "SUCCESS"},
     ReceiptEvent("sns-2", "", DeliveryStatus.DELIVERED, "Delivered")),
], ids=["success", "success-bare", "failure", "failure-bare", "no-time", "no-delivery"])
def test_each_sms_log_record_says_which_message_what_status_and_why(record, expected):
    assert sns_logs.receipt_of(record) == expected


@pytest.mark.parametrize("status", ["UNKNOWN", None, "success"])
def test_an_sms_log_with_another_status_changes_nothing(status):
    assert sns_logs.receipt_of(sms(status)) is None


@pytest.mark.parametrize("record", [{}, {"notification": None}, {"notification": {"messageId": ""}},
                                    {"notification": {"messageId": 7}}])
def test_an_sms_log_without_its_message_id_is_refused(record):
    with pytest.raises(ValueError, match=r"^SNS delivery record without notification\.messageId$"):
        sns_logs.receipt_of({**record, "status": "SUCCESS"})
