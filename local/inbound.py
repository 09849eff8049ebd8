"""`POST /local/inbound`: play the phone. An SMS "received" by our number goes in through the path the
provider would use, in its payload shape:

- AFRICASTALKING: a form POST (from, to, text, date, id, networkCode) to the delivery-reports function
  URL's `/inbound/<token>` path, as Africa's Talking posts its incoming-message callback;
- SNS: an SNS notification carrying End User Messaging's two-way event (originationNumber,
  destinationNumber, messageBody, inboundMessageId, messageKeyword) on the inbound queue, where the
  stack's inbound topic would put it.

JSON in: {"from", "to", "text", "provider"} and optionally "id" (the provider's message id; give the
same one twice to play a repeated callback). Answers 200 {"messageId", "providerMessageId"} once the
inbound worker has recorded it (a repeat answers the first record's id), 400 for bad input, 502 when
the callback was refused, 504 when nothing was recorded in time.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlencode

import boto3

from local.http import LocalHttpServer, Request, Response, json_response

PATH = "/local/inbound"
RECORD_TIMEOUT_SECONDS = 20
SANDBOX_NETWORK = "99999"


class InboundInjector:
    def __init__(self, callback_base: str, inbound_queue_url: str, table_name: str, region: str, topic_arn: str) -> None:
        self._callback_base = callback_base  # http://127.0.0.1:<port>/local/delivery-reports/inbound/<token>
        self._queue_url = inbound_queue_url
        self._table_name = table_name
        self._region = region
        self._topic_arn = topic_arn

    def add_routes(self, server: LocalHttpServer) -> None:
        server.add_post(PATH, self.handle)

    def handle(self, request: Request) -> Response:
        try:
            sms = json.loads(request.body or b"")
        except ValueError:
            return json_response(400, {"message": "JSON body expected"})
        if not isinstance(sms, dict) or not all(isinstance(sms.get(k), str) for k in ("from", "to", "text")):
            return json_response(400, {"message": "from, to and text are required strings"})
        provider = sms.get("provider") or "AFRICASTALKING"
        provider_id = sms.get("id") or ""
        if not isinstance(provider_id, str):
            return json_response(400, {"message": "id must be a string"})
        if provider == "AFRICASTALKING":
            provider_id = provider_id or f"ATSMSid_{uuid.uuid4().hex}"
            refused = self._post_form(sms, provider_id)
        elif provider == "SNS":
            provider_id = provider_id or str(uuid.uuid4())
            refused = self._publish(sms, provider_id)
        else:
            return json_response(400, {"message": "provider must be AFRICASTALKING or SNS"})
        if refused:
            return json_response(502 if not refused.startswith("400") else 400, {"message": refused})
        message_id = self._wait_for_record(provider, provider_id)
        if message_id is None:
            return json_response(504, {"message": "the inbound worker recorded nothing in time"})
        return json_response(200, {"messageId": message_id, "providerMessageId": provider_id})

    def _post_form(self, sms: dict, provider_id: str) -> str | None:
        form = {"from": sms["from"], "to": sms["to"], "text": sms["text"],
                "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                "id": provider_id, "networkCode": SANDBOX_NETWORK}
        request = urllib.request.Request(
            self._callback_base, data=urlencode(form).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10):
                return None
        except urllib.error.HTTPError as error:
            return f"{error.code} {error.read().decode(errors='replace')}"

    def _publish(self, sms: dict, provider_id: str) -> str | None:
        event = {"originationNumber": sms["from"], "destinationNumber": sms["to"], "messageBody": sms["text"],
                 "inboundMessageId": provider_id, "messageKeyword": sms["text"].strip().split(" ")[0].upper(),
                 "previousPublishedMessageId": None}
        notification = {
            "Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": self._topic_arn,
            "Message": json.dumps(event),
            "Timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "SignatureVersion": "1", "Signature": "local", "SigningCertURL": "", "UnsubscribeURL": "",
        }
        boto3.client("sqs", region_name=self._region).send_message(
            QueueUrl=self._queue_url, MessageBody=json.dumps(notification)
        )
        return None

    def _wait_for_record(self, provider: str, provider_id: str) -> str | None:
        from messenger.inbound.dal import InboundTable
        from messenger.messages.models import Provider

        table = InboundTable(boto3.client("dynamodb", region_name=self._region), self._table_name)
        deadline = time.monotonic() + RECORD_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            found = table.marker(Provider(provider), provider_id)
            if found is not None and found[1]:  # recorded and acted on: replies are in the outbox
                return found[0]
            time.sleep(0.05)
        return None
