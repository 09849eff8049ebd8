"""Receipts AWS would send, produced locally: moto publishes no SES events and writes no SNS SMS logs.

It watches the handlers' own SES and SNS calls (the exact request and answer), decides the outcome
the way the real service would for that address or number, and delivers the receipt through the
path the stack wires:
- SES: an SES event record (configuration-set event publishing) inside an SNS notification, put on
  the receipts queue, where the poller hands it to the receipts function as SQS would. Only sends
  that name a configuration set publish events, as in SES.
- SNS SMS: a delivery-status log record, gzipped and base64-encoded as a CloudWatch Logs subscription
  delivers it, handed to the receipts function directly; an invocation that fails is retried twice,
  as Lambda retries an asynchronous invocation.

Outcomes follow SES's mailbox simulator (success@, bounce@, ooto@, complaint@, suppressionlist@
simulator.amazonses.com, with or without a +label) and this module's SMS test numbers; any other
address or number is delivered (the rules: lambdas/messenger/sending/simulator.py). docs/local-mode.md
lists them.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import logging
import threading
import uuid
from typing import Any

import boto3

from local.due import DueCalls
from local.lambda_runtime import ACCOUNT_ID, LambdaFunction
# The outcome rules live with the runtime, which applies them to TEST clients' sends in AWS too.
from messenger.sending.simulator import (  # noqa: F401 - re-exported for tests and docs
    CARRIER_BLOCKED,
    SIMULATOR_DOMAIN,
    SMS_DELIVERED_NUMBER,
    SMS_FAILED_NUMBER,
    SMS_NO_RECEIPT_NUMBER,
)
from messenger.sending.simulator import ses_events as simulated_ses_events

log = logging.getLogger(__name__)

LOGS_RETRIES = 2


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ReceiptEmitter:
    def __init__(self, region: str, receipts_queue_url: str, receipts: LambdaFunction, delay_seconds: float) -> None:
        self._region = region
        self._queue_url = receipts_queue_url
        self._receipts = receipts
        self._delay = delay_seconds
        self._sqs = boto3.client("sqs", region_name=region)
        self._stop = threading.Event()
        self._due = DueCalls(self._deliver, self._stop, name="provider-receipts")
        self._emitted = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        self._due.start()

    def stop(self) -> None:
        self._stop.set()
        self._due.join(5)

    def wait_idle(self, timeout: float) -> bool:
        return self._due.wait_idle(timeout)

    def watch(self, client):
        """Given every client the handlers make: follow SES SendEmail and SNS Publish."""
        service = client.meta.service_model.service_name
        if service == "sesv2":
            client.meta.events.register("provide-client-params.sesv2.SendEmail", _keep_params)
            client.meta.events.register("after-call.sesv2.SendEmail", self._after_send_email)
        elif service == "sns":
            client.meta.events.register("provide-client-params.sns.Publish", _keep_params)
            client.meta.events.register("after-call.sns.Publish", self._after_publish)
        return client

    # -- SES ----------------------------------------------------------------------------------
    def _after_send_email(self, http_response, parsed, context, **_) -> None:
        params = context.get("local_params") or {}
        if http_response.status_code != 200 or not params.get("ConfigurationSetName"):
            return
        to = params["Destination"]["ToAddresses"][0]
        mail = _mail(params, parsed["MessageId"], to, self._region)
        self._due.schedule(0, ("ses", {"eventType": "Send", "mail": mail, "send": {}}))
        for step, kind in enumerate(simulated_ses_events(to), start=1):
            self._due.schedule(self._delay * step, ("ses", _ses_event(kind, mail, to)))

    # -- SNS SMS ------------------------------------------------------------------------------
    def _after_publish(self, http_response, parsed, context, **_) -> None:
        params = context.get("local_params") or {}
        number = params.get("PhoneNumber")
        if http_response.status_code != 200 or not number or number == SMS_NO_RECEIPT_NUMBER:
            return
        failed = number == SMS_FAILED_NUMBER
        record = {
            "notification": {"messageId": parsed["MessageId"], "timestamp": _now().replace("T", " ").rstrip("Z")},
            "delivery": {
                "numberOfMessageParts": 1, "destination": number, "priceInUSD": 0.00645,
                "smsType": _attribute(params, "AWS.SNS.SMS.SMSType") or "Transactional",
                "providerResponse": CARRIER_BLOCKED if failed
                else "Message has been accepted by phone carrier",
                "dwellTimeMs": 599, "dwellTimeMsUntilDeviceAck": 1344,
            },
            "status": "FAILURE" if failed else "SUCCESS",
        }
        group = f"sns/{self._region}/{ACCOUNT_ID}/DirectPublishToPhoneNumber" + ("/Failure" if failed else "")
        self._due.schedule(self._delay, ("logs", (_logs_event(group, [record]), 0)))

    # -- delivery -----------------------------------------------------------------------------
    def _deliver(self, item: tuple[str, Any]) -> None:
        kind, payload = item
        if kind == "ses":
            self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=_sns_notification(payload, self._region))
        else:
            event, attempt = payload
            try:
                self._receipts.invoke(event)
            except Exception:  # noqa: BLE001 - Lambda retries a failed asynchronous invocation
                if attempt < LOGS_RETRIES:
                    self._due.schedule(max(self._delay, 1.0), ("logs", (event, attempt + 1)))
                else:
                    log.warning("SMS delivery log dropped after %d retries", LOGS_RETRIES)
        with self._lock:
            self._emitted += 1


def _keep_params(params, context, **_) -> None:
    context["local_params"] = dict(params)


def _attribute(params: dict, name: str) -> str | None:
    return (params.get("MessageAttributes") or {}).get(name, {}).get("StringValue")


def _mail(params: dict, ses_id: str, to: str, region: str) -> dict:
    source = params.get("FromEmailAddress", "")
    subject = (((params.get("Content") or {}).get("Simple") or {}).get("Subject") or {}).get("Data", "")
    tags = {tag["Name"]: [tag["Value"]] for tag in params.get("EmailTags") or []}
    return {
        "timestamp": _now(),
        "source": source,
        "sourceArn": f"arn:aws:ses:{region}:{ACCOUNT_ID}:identity/{source.partition('@')[2]}",
        "sendingAccountId": ACCOUNT_ID,
        "messageId": ses_id,
        "destination": [to],
        "headersTruncated": False,
        "headers": [{"name": "From", "value": source}, {"name": "To", "value": to}, {"name": "Subject", "value": subject}],
        "commonHeaders": {"from": [source], "to": [to], "subject": subject},
        "tags": {
            "ses:configuration-set": [params["ConfigurationSetName"]],
            "ses:source-ip": ["127.0.0.1"],
            "ses:from-domain": [source.partition("@")[2]],
            "ses:caller-identity": ["local"],
            **tags,
        },
    }


def _ses_event(kind: str, mail: dict, to: str) -> dict:
    at = _now()
    if kind == "Delivery":
        return {"eventType": "Delivery", "mail": mail, "delivery": {
            "timestamp": at, "processingTimeMillis": 300, "recipients": [to],
            "smtpResponse": "250 2.6.0 Message received", "reportingMTA": "local.smtp-out.amazonses.com"}}
    if kind == "Complaint":
        return {"eventType": "Complaint", "mail": mail, "complaint": {
            "complainedRecipients": [{"emailAddress": to}], "timestamp": at, "feedbackId": str(uuid.uuid4()),
            "userAgent": "local", "complaintFeedbackType": "abuse", "arrivalDate": at}}
    suppressed = to.lower().startswith("suppressionlist")
    return {"eventType": "Bounce", "mail": mail, "bounce": {
        "bounceType": "Permanent", "bounceSubType": "Suppressed" if suppressed else "General",
        "bouncedRecipients": [{"emailAddress": to, "action": "failed", "status": "5.1.1",
                               "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
        "timestamp": at, "feedbackId": str(uuid.uuid4()), "reportingMTA": "dsn; local.smtp-out.amazonses.com"}}


def _sns_notification(event: dict, region: str) -> str:
    return json.dumps({
        "Type": "Notification", "MessageId": str(uuid.uuid4()),
        "TopicArn": f"arn:aws:sns:{region}:{ACCOUNT_ID}:local-ses-events",
        "Message": json.dumps(event), "Timestamp": _now(), "SignatureVersion": "1",
        "Signature": "local-mode-unsigned", "SigningCertURL": "", "UnsubscribeURL": "",
    })


def _logs_event(group: str, records: list[dict]) -> dict:
    now_ms = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    payload = {
        "messageType": "DATA_MESSAGE", "owner": ACCOUNT_ID, "logGroup": group, "logStream": str(uuid.uuid4()),
        "subscriptionFilters": ["local-sms-receipts"],
        "logEvents": [{"id": str(uuid.uuid4().int), "timestamp": now_ms, "message": json.dumps(record)}
                      for record in records],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()}}
