"""Africa's Talking bulk SMS over its form API.

The request is the one the official SDK sends (`SMSService.send`): form fields `username`, `to`
(comma-separated), `message`, `bulkSMSMode=1`, `from` when a sender id is set, with headers
`apiKey` and `Accept: application/json`. tests/adapters/test_africastalking_wire.py captures both on a
local server and compares them. This client adds what the SDK leaves out: connect and read
timeouts, one pooled connection reused across a batch, and errors a worker can act on.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from messenger.sending.models import AtRequestError, Credentials, RecipientResult

LIVE_BASE_URL = "https://api.africastalking.com"
SANDBOX_BASE_URL = "https://api.sandbox.africastalking.com"
SEND_PATH = "/version1/messaging"
USER_AGENT = "appsync-messaging"


def base_url_for(username: str, override: str | None) -> str:
    if override:
        return override.rstrip("/")
    return SANDBOX_BASE_URL if username == "sandbox" else LIVE_BASE_URL


def send_form(username: str, recipients: list[str], message: str, sender_id: str | None) -> dict:
    form = {"username": username, "to": ",".join(recipients), "message": message, "bulkSMSMode": 1}
    if sender_id:
        form["from"] = sender_id
    return form


def parse_recipients(payload: dict) -> list[RecipientResult]:
    results = []
    for entry in payload["SMSMessageData"]["Recipients"]:
        message_id = entry.get("messageId")
        results.append(
            RecipientResult(
                number=str(entry["number"]),
                status_code=int(entry["statusCode"]),
                status=str(entry.get("status", "")),
                message_id=None if message_id in (None, "None", "") else str(message_id),
                cost=entry.get("cost"),
            )
        )
    return results


class AfricasTalkingClient:
    def __init__(
        self, base_url: str | None = None, connect_timeout: float = 3.05, read_timeout: float = 10.0
    ) -> None:
        import urllib3

        self._urllib3 = urllib3
        self._override = base_url
        self._timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self._pool = urllib3.PoolManager(num_pools=2, maxsize=1, retries=False)

    def send(
        self, credentials: Credentials, recipients: list[str], message: str, sender_id: str | None
    ) -> list[RecipientResult]:
        url = base_url_for(credentials.username, self._override) + SEND_PATH
        body = urlencode(send_form(credentials.username, recipients, message, sender_id))
        headers = {
            "apiKey": credentials.api_key,
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
        }
        try:
            response = self._pool.request(
                "POST", url, body=body, headers=headers, timeout=self._timeout, retries=False
            )
        except self._urllib3.exceptions.NewConnectionError:  # refused, unreachable or unresolved: a subclass
            raise AtRequestError("AfricasTalking:ConnectionFailed", transient=True) from None  # of timeouts
        except self._urllib3.exceptions.TimeoutError:
            raise AtRequestError("AfricasTalking:Timeout", transient=True) from None
        except self._urllib3.exceptions.HTTPError as error:
            raise AtRequestError(f"AfricasTalking:{type(error).__name__}", transient=True) from None
        if response.status == 401:
            raise AtRequestError("AfricasTalking:Unauthorized", transient=True, unauthorised=True)
        if response.status == 429:  # too many requests: nothing was taken, slow down and try later
            raise AtRequestError("AfricasTalking:HTTP429", transient=True, throttled=True)
        if response.status >= 500:
            raise AtRequestError(f"AfricasTalking:HTTP{response.status}", transient=True)
        if not 200 <= response.status < 300:
            raise AtRequestError(f"AfricasTalking:HTTP{response.status}", transient=False)
        try:
            return parse_recipients(json.loads(response.data))
        except (ValueError, KeyError, TypeError):
            # AT took the request (2xx) but said something unreadable: the outcome is unknown,
            # so trying again could send twice. Treated as a permanent failure of the request.
            raise AtRequestError("AfricasTalking:UnreadableResponse", transient=False) from None
