"""Receipt payloads in the shapes AWS publishes (SES event publishing, SNS SMS delivery-status logs),
written here field for field from the documented examples, with our own values."""

from __future__ import annotations

import base64
import gzip
import json

SES_ID = "0100019a-ses-0001"


def mail(message_id: str, to: str, ses_id: str = SES_ID) -> dict:
    return {
        "timestamp": "2026-11-23T10:00:00.000Z",
        "source": "no-reply@example.com",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
        "sendingAccountId": "123456789012",
        "messageId": ses_id,
        "destination": [to],
        "headersTruncated": False,
        "headers": [{"name": "To", "value": to}, {"name": "Subject", "value": "Hi"}],
        "commonHeaders": {"from": ["no-reply@example.com"], "to": [to], "subject": "Hi"},
        "tags": {
            "ses:configuration-set": ["dev-messaging-events"],
            "ses:source-ip": ["192.0.2.1"],
            "ses:from-domain": ["example.com"],
            "ses:caller-identity": ["dev-messaging-api"],
            "messageId": [message_id],
        },
    }


def send(message_id, to, ses_id=SES_ID):
    return {"eventType": "Send", "mail": mail(message_id, to, ses_id), "send": {}}


def delivery(message_id, to, ses_id=SES_ID):
    return {"eventType": "Delivery", "mail": mail(message_id, to, ses_id), "delivery": {
        "timestamp": "2026-11-23T10:00:01.500Z", "processingTimeMillis": 1500, "recipients": [to],
        "smtpResponse": "250 2.6.0 Message received", "reportingMTA": "a8-70.smtp-out.amazonses.com"}}


def bounce(message_id, to, bounce_type="Permanent", sub_type="General", ses_id=SES_ID):
    return {"eventType": "Bounce", "mail": mail(message_id, to, ses_id), "bounce": {
        "bounceType": bounce_type, "bounceSubType": sub_type,
        "bouncedRecipients": [{"emailAddress": to, "action": "failed", "status": "5.1.1",
                               "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
        "timestamp": "2026-11-23T10:00:02.000Z", "feedbackId": "0100019a-feedback-0001",
        "reportingMTA": "dsn; e226-55.smtp-out.us-east-1.amazonses.com"}}


def complaint(message_id, to, ses_id=SES_ID):
    return {"eventType": "Complaint", "mail": mail(message_id, to, ses_id), "complaint": {
        "complainedRecipients": [{"emailAddress": to}], "timestamp": "2026-11-23T10:05:00.000Z",
        "feedbackId": "0100019a-feedback-0002", "userAgent": "Mozilla/5.0", "complaintFeedbackType": "abuse",
        "arrivalDate": "2026-11-23T10:04:59.000Z"}}


def reject(message_id, to, ses_id=SES_ID):
    return {"eventType": "Reject", "mail": mail(message_id, to, ses_id), "reject": {"reason": "Bad content"}}


def rendering_failure(message_id, to, ses_id=SES_ID):
    return {"eventType": "Rendering Failure", "mail": mail(message_id, to, ses_id), "failure": {
        "errorMessage": "Attribute 'name' is not present in the rendering data.", "templateName": "welcome"}}


def delivery_delay(message_id, to, ses_id=SES_ID):
    return {"eventType": "DeliveryDelay", "mail": mail(message_id, to, ses_id), "deliveryDelay": {
        "timestamp": "2026-11-23T10:30:00.000Z", "delayType": "MailboxFull",
        "expirationTime": "2026-11-24T10:00:00.000Z", "delayedRecipients": [{
            "emailAddress": to, "status": "4.2.2", "diagnosticCode": "smtp; 452 4.2.2 mailbox full"}]}}


def sns_notification(event: dict) -> str:
    """An SQS record body: the SNS notification that carries the SES event (no raw delivery)."""
    return json.dumps({
        "Type": "Notification", "MessageId": "b1f1f1f1-0000-4000-8000-000000000001",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:dev-messaging-ses-events",
        "Message": json.dumps(event), "Timestamp": "2026-11-23T10:00:02.100Z", "SignatureVersion": "1",
        "Signature": "EXAMPLE", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    })


def sms_record(sns_id: str, to: str, status: str = "SUCCESS", response="Message has been accepted by phone carrier"):
    return {
        "notification": {"messageId": sns_id, "timestamp": "2026-11-23 10:00:00.123"},
        "delivery": {"numberOfMessageParts": 1, "destination": to, "priceInUSD": 0.00645, "smsType": "Transactional",
                     "providerResponse": response, "dwellTimeMs": 599, "dwellTimeMsUntilDeviceAck": 1344},
        "status": status,
    }


def logs_event(records: list[dict], log_group="sns/us-east-1/123456789012/DirectPublishToPhoneNumber") -> dict:
    """What a CloudWatch Logs subscription filter hands a Lambda function."""
    payload = {
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": log_group,
        "logStream": "0b2d4c6e-0000-4000-8000-000000000001", "subscriptionFilters": ["dev-messaging-sms-receipts"],
        "logEvents": [{"id": str(36000000000000000000000000000000000000 + i), "timestamp": 1795428000000 + i,
                       "message": json.dumps(record)} for i, record in enumerate(records)],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()}}
