"""Everything handed to a provider: SES and SNS sends read from moto's backends, AT sends recorded.

moto keeps sends without a timestamp, so `sentAt` is when the local runtime first saw the send: the
end of the invocation that made it (the runtime refreshes the outbox after every invocation).
moto keeps one body per e-mail: the HTML part when the message has one, the text part otherwise.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from local.http import LocalHttpServer, json_response
from local.lambda_runtime import ACCOUNT_ID


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Outbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[dict[str, Any]] = []
        self._seen: dict[tuple[str, str], int] = {}  # (service, region) -> sends already taken from moto
        # Moves on at every record and refresh (the runtime refreshes after each invocation): the
        # console's live feed (local/console.py) tells the page to look again when it changes.
        self.version = 0

    def add_routes(self, server: LocalHttpServer) -> None:
        server.add_get("/local/outbox", lambda _: json_response(200, {"sent": self.entries()}))

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._sent.append({**entry, "sentAt": now_iso()})
            self.version += 1

    def entries(self) -> list[dict[str, Any]]:
        self.refresh()
        with self._lock:
            return list(self._sent)

    def refresh(self) -> None:
        with self._lock:
            self.version += 1
            for region, backend in list(ses_backends.get(ACCOUNT_ID, {}).items()):
                for message in self._new("ses", region, list(backend.sent_messages)):
                    self._sent.append(_email_entry(message))
            for region, backend in list(sns_backends.get(ACCOUNT_ID, {}).items()):
                for message_id, (number, text) in self._new("sns", region, _snapshot(backend.sms_messages)):
                    self._sent.append(_sms_entry(message_id, number, text))

    def _new(self, service: str, region: str, items: list) -> list:
        start = self._seen.get((service, region), 0)
        self._seen[(service, region)] = len(items)
        return items[start:]


def _snapshot(sms_messages: dict) -> list:
    while True:  # moto's server thread may add a message while we copy
        try:
            return list(sms_messages.items())
        except RuntimeError:
            continue


def _email_entry(message: Any) -> dict[str, Any]:
    destinations = getattr(message, "destinations", {})
    if isinstance(destinations, dict):
        recipients = [address for addresses in destinations.values() for address in addresses]
    else:
        recipients = list(destinations)
    return {
        "channel": "EMAIL",
        "provider": "SES",
        "to": ", ".join(recipients),
        "from": message.source,
        "subject": getattr(message, "subject", None),
        "body": getattr(message, "body", None) or getattr(message, "raw_data", None),
        "providerMessageId": message.id,
        "sentAt": now_iso(),
    }


def _sms_entry(message_id: str, number: str, text: str) -> dict[str, Any]:
    return {
        "channel": "SMS",
        "provider": "SNS",
        "to": number,
        "from": None,
        "subject": None,
        "body": text,
        "providerMessageId": message_id,
        "sentAt": now_iso(),
    }
