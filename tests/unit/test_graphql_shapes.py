"""What each record shows through GraphQL, field by field (the schema's names), and what a stored batch's
shared content reads back as."""

from __future__ import annotations

from messenger.batches.models import Content
from messenger.messages.models import DeliveryMethod
from messenger.proxy.models import NO_EXPIRY, ProxyNumber, ProxySession
from messenger.templates.models import Rendered
from messenger.webhooks.models import Attempt

T1, T2 = "2026-11-23T12:00:00.000Z", "2026-11-23T13:00:00.000Z"


def test_a_delivery_attempt():
    attempt = Attempt("w1", "msg_1_2", "MESSAGE_STATUS", 3, T1, http_status=503, error=None, delivered=False,
                      next_retry_at=T2)
    assert attempt.to_graphql() == {"eventId": "msg_1_2", "eventType": "MESSAGE_STATUS", "attempt": 3, "at": T1,
                                    "httpStatus": 503, "error": None, "delivered": False, "nextRetryAt": T2}


def test_a_rendering():
    email = Rendered("t1", 4, DeliveryMethod.EMAIL, "Hi Jo", "Order A1", "<p>Hi Jo</p>")
    assert email.to_graphql() == {"templateId": "t1", "templateVersion": 4, "subject": "Order A1", "body": "Hi Jo",
                                  "html": "<p>Hi Jo</p>", "segments": None, "encoding": None}
    sms = Rendered("t2", 1, DeliveryMethod.SMS, "Code 1", segments=1, encoding="GSM-7")
    assert sms.to_graphql() == {"templateId": "t2", "templateVersion": 1, "subject": None, "body": "Code 1",
                                "html": None, "segments": 1, "encoding": "GSM-7"}


def test_a_proxy_session_and_number():
    session = ProxySession("S1", "+254711000001", "+254711000002", "+254700000100", "SNS", "OPEN", T1, T2)
    assert session.to_graphql() == {"id": "S1", "participantA": "+254711000001", "participantB": "+254711000002",
                                    "number": "+254700000100", "provider": "SNS", "status": "OPEN", "createdAt": T1,
                                    "expiresAt": T2}
    endless = ProxySession("S2", "+254711000001", "+254711000002", "+254700000100", "SNS", "OPEN", T1, NO_EXPIRY)
    assert endless.to_graphql()["expiresAt"] is None
    assert ProxyNumber("+254700000100", "AFRICASTALKING", T1).to_graphql() == {
        "number": "+254700000100", "provider": "AFRICASTALKING", "addedAt": T1}


def test_a_batchs_shared_content_reads_back_as_written():
    for content in (Content(body="Hi ((name))", subject="For ((name))", reference="promo"),
                    Content(template_id="t1", template_version=2), Content(template_id="t1")):
        assert Content.from_dict(content.as_dict()) == content
    assert Content(template_id="t1").as_dict() == {"templateId": "t1"}


def test_a_batch_shows_only_the_statuses_it_has_in_the_schemas_order_and_its_bad_rows():
    from messenger.batches.models import Batch, BatchSource, BatchStatus, RowError

    batch = Batch("B1", BatchStatus.FAILED, BatchSource.UPLOAD, Content(body="Hi"), T1, T2, total=3, reference="promo",
                  counts={"FAILED": 1, "DELIVERED": 2, "QUEUED": 0}, errors=(RowError(4, "to", "bad"),), bad_rows=7,
                  completed_at=T2)
    assert batch.to_graphql() == {
        "id": "B1", "reference": "promo", "status": "FAILED", "total": 3,
        "counts": [{"status": "DELIVERED", "count": 2}, {"status": "FAILED", "count": 1}],
        "createdAt": T1, "updatedAt": T2, "completedAt": T2, "sendAt": None,
        "errors": [{"row": 4, "field": "to", "message": "bad"}], "badRows": 7}

