"""A stand-in for Africa's Talking's SMS API (`POST /version1/messaging`), with test numbers.

It checks `username` and the `apiKey` header against the CURRENT value of the AT secret in Secrets
Manager (read on every request, so a rotation takes effect at once), answers like AT (HTTP 201, JSON
with `Accept: application/json`, XML otherwise), records accepted recipients in the outbox, and
later posts delivery reports, form-encoded like AT, to the callback URL it was given.
The test numbers below are documented in docs/local-mode.md; tests import them from here.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode
from xml.etree import ElementTree

import boto3

from local.due import DueCalls
from local.http import LocalHttpServer, Request, Response, json_response, text_response
from local.outbox import Outbox

MESSAGING_PATH = "/version1/messaging"
COST_PER_MESSAGE = 0.8  # KES per accepted recipient
NETWORK_CODE = "99999"  # AT's sandbox network

# Recipient numbers with a scripted outcome. Any other valid number: 101 Success, then reports Sent, Success.
INVALID_NUMBER = "+254700000403"  # 403 InvalidPhoneNumber
BLACKLISTED_NUMBER = "+254700000406"  # 406 UserInBlacklist
GATEWAY_ERROR_ONCE_NUMBER = "+254700000501"  # 501 GatewayError on the first try of a message text, then 101
REJECTED_BY_GATEWAY_NUMBER = "+254700000502"  # 502 RejectedByGateway, always
DELIVERY_FAILED_NUMBER = "+254700000410"  # 101, then reports Sent, Failed (DeliveryFailure)
OUT_OF_ORDER_REPORTS_NUMBER = "+254700000411"  # 101, then reports Success, Sent (late), Success (duplicate)
# Request-level failures: a request with one of these among its recipients fails as a whole.
HTTP_500_NUMBER = "+254700000500"  # HTTP 500, nothing sent
HANG_NUMBER = "+254700000504"  # no answer for LOCAL_AT_HANG_SECONDS (default 30), then HTTP 504; nothing sent

_REJECTIONS = {
    INVALID_NUMBER: (403, "InvalidPhoneNumber"),
    BLACKLISTED_NUMBER: (406, "UserInBlacklist"),
    REJECTED_BY_GATEWAY_NUMBER: (502, "RejectedByGateway"),
}
_REPORTS = {
    DELIVERY_FAILED_NUMBER: ("Sent", "Failed"),
    OUT_OF_ORDER_REPORTS_NUMBER: ("Success", "Sent", "Success"),
}
_NORMAL_REPORTS = ("Sent", "Success")
_E164 = re.compile(r"^\+\d{1,3}\d{3,}$")  # the check AT's own SDK makes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StandInSettings:
    secret_name: str
    callback_url: str
    report_delay_seconds: float
    hang_seconds: float


class AfricasTalkingStandIn:
    def __init__(self, settings: StandInSettings, outbox: Outbox, region: str) -> None:
        self._settings = settings
        self._outbox = outbox
        self._secrets = boto3.client("secretsmanager", region_name=region)
        self._lock = threading.Lock()
        self._requests = 0
        self._recipients = 0
        self._reports_posted = 0
        self._failed_once: set[str] = set()  # message texts already failed for GATEWAY_ERROR_ONCE_NUMBER
        self._stop = threading.Event()
        self._reports = DueCalls(self._post_report, self._stop, name="at-reports")
        self._server = LocalHttpServer(0, max_body_bytes=10 * 1_048_576, not_found=text_response(404, "Not Found"))
        self._server.add_post(MESSAGING_PATH, self._handle)

    @property
    def url(self) -> str:
        return self._server.base_url

    def start(self) -> None:
        self._reports.start()
        self._server.start()

    def stop(self) -> None:
        self._stop.set()  # also releases requests held by HANG_NUMBER
        self._server.stop()
        self._reports.join(5)

    def add_routes(self, server: LocalHttpServer) -> None:
        """The stand-in's statistics on the main server (`server`), beside the other dev routes."""
        server.add_get("/local/africastalking/stats", lambda _: json_response(200, self.stats()))

    def wait_for_reports(self, timeout: float) -> bool:
        """Wait until every delivery report scheduled so far has been posted (or given up); False on timeout."""
        return self._reports.wait_idle(timeout)

    def stats(self) -> dict[str, int]:
        with self._lock:
            counts = {"requests": self._requests, "recipients": self._recipients, "deliveryReports": self._reports_posted}
        return {**counts, "deliveryReportsPending": self._reports.outstanding}

    def _handle(self, request: Request) -> Response:
        form = {name: values[0] for name, values in parse_qs((request.body or b"").decode()).items()}
        recipients = [number.strip() for number in form.get("to", "").split(",") if number.strip()]
        with self._lock:
            self._requests += 1
            self._recipients += len(recipients)
        credentials = json.loads(self._secrets.get_secret_value(SecretId=self._settings.secret_name)["SecretString"])
        if not (
            secrets.compare_digest(request.headers.get("apikey", ""), credentials["apiKey"])
            and form.get("username") == credentials["username"]
        ):
            return text_response(401, "The supplied authentication is invalid")
        if not recipients or not form.get("message"):
            return text_response(400, "Request is missing required form field 'to' or 'message'")
        if HTTP_500_NUMBER in recipients:
            return text_response(500, "Internal Server Error")
        if HANG_NUMBER in recipients:
            self._stop.wait(self._settings.hang_seconds)
            return text_response(504, "Gateway Timeout")
        results = [self._send_one(number, form) for number in recipients]
        accepted = sum(1 for result in results if result["statusCode"] < 200)
        data = {
            "Message": f"Sent to {accepted}/{len(results)} Total Cost: KES {accepted * COST_PER_MESSAGE:.4f}",
            "Recipients": results,
        }
        if "application/json" in request.headers.get("accept", ""):
            return json_response(201, {"SMSMessageData": data})
        return Response(201, _xml(data), {"Content-Type": "application/xml"})

    def _send_one(self, number: str, form: dict[str, str]) -> dict[str, Any]:
        code, status = 101, "Success"
        if not _E164.match(number):
            code, status = _REJECTIONS[INVALID_NUMBER]
        elif number in _REJECTIONS:
            code, status = _REJECTIONS[number]
        elif number == GATEWAY_ERROR_ONCE_NUMBER:
            with self._lock:
                if form["message"] not in self._failed_once:
                    self._failed_once.add(form["message"])
                    code, status = 501, "GatewayError"
        if code >= 200:
            return {"statusCode": code, "number": number, "status": status, "cost": "0", "messageId": "None"}
        message_id = f"ATXid_{secrets.token_hex(16)}"
        self._outbox.record(
            {
                "channel": "SMS",
                "provider": "AFRICASTALKING",
                "to": number,
                "from": form.get("from"),
                "subject": None,
                "body": form["message"],
                "providerMessageId": message_id,
            }
        )
        for step, report_status in enumerate(_REPORTS.get(number, _NORMAL_REPORTS), start=1):
            report = {"id": message_id, "status": report_status, "phoneNumber": number, "networkCode": NETWORK_CODE}
            if report_status == "Failed":
                report["failureReason"] = "DeliveryFailure"
            report["retryCount"] = "0"
            self._reports.schedule(step * self._settings.report_delay_seconds, report)
        return {
            "statusCode": code,
            "number": number,
            "status": status,
            "cost": f"KES {COST_PER_MESSAGE:.4f}",
            "messageId": message_id,
        }

    def _post_report(self, report: dict[str, str]) -> None:
        request = urllib.request.Request(
            self._settings.callback_url,
            data=urlencode(report).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except OSError as error:  # AT does not retry a failed callback either
            log.warning("delivery report %s for %s not accepted: %s", report["status"], report["id"], error)
            return
        with self._lock:
            self._reports_posted += 1


def _xml(data: dict[str, Any]) -> bytes:
    root = ElementTree.Element("AfricasTalkingResponse")
    sms = ElementTree.SubElement(root, "SMSMessageData")
    ElementTree.SubElement(sms, "Message").text = data["Message"]
    recipients = ElementTree.SubElement(sms, "Recipients")
    for recipient in data["Recipients"]:
        element = ElementTree.SubElement(recipients, "Recipient")
        for name, value in recipient.items():
            ElementTree.SubElement(element, name).text = str(value)
    return ElementTree.tostring(root, xml_declaration=True, encoding="utf-8")
