"""The console at `GET /`: an explorer (GraphiQL) and the outbox, history, DLQ and table as pages.

Everything the page loads comes from this server: its own files (local/console/) and the explorer's,
installed from npm by `make setup` (node_modules/, the VENDOR table): it works offline, no CDN.
The page needs no key to load (the server listens on 127.0.0.1 only); it calls /graphql with the
local key, which it reads from `/local/console/config`. That route answers JSON without CORS headers,
so a page of another origin cannot read it (and JSON is no script another page could include), and
every console route refuses a Host other than the loopback one (a DNS-rebinding page).

Read-only routes for the page:
- `/local/console/state`: the outbox joined with the table (each send with its message's id, status,
  segments and text part), SMS grouped by number, the DLQ, and item counts by kind and by status;
- `/local/console/feed` (WebSocket): a `{"version": n}` frame whenever a function ran (the outbox or
  a status may have changed); the page then reads the state again.
"""

from __future__ import annotations

import json
import mimetypes
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from local.http import LocalHttpServer, Request, Response, WebSocket, json_response
from local.outbox import Outbox
from stacks.config import PROJECT_ROOT

CONSOLE_DIR = Path(__file__).parent / "console"
NODE_MODULES = PROJECT_ROOT / "node_modules"
# What the page may load from node_modules, by the name it uses: nothing else there is served.
VENDOR = {
    "react.js": "react/umd/react.production.min.js",
    "react-dom.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.js": "graphiql/graphiql.min.js",
    "graphiql.css": "graphiql/graphiql.min.css",
}
MAX_ENTRIES = 300  # the newest sends the page shows
FEED_POLL_SECONDS = 0.25
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


class Console:
    def __init__(
        self, api_key: str, outbox: Outbox, table_name: str, dead_letters: Callable[[], list[dict[str, Any]]],
    ) -> None:  # fmt: skip
        self.api_key = api_key
        self.outbox = outbox
        self.table_name = table_name
        self.dead_letters = dead_letters

    def add_routes(self, server: LocalHttpServer) -> None:
        server.add_get("/", self._guarded(lambda _: _file(CONSOLE_DIR / "index.html")))
        server.add_prefix("/console", self._guarded(self._asset))
        server.add_get("/local/console/config", self._guarded(self._config))
        server.add_get("/local/console/state", self._guarded(lambda _: json_response(200, self.state())))
        server.add_websocket("/local/console/feed", self._feed)

    # --- routes ---------------------------------------------------------------------------------

    def _guarded(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def serve(request: Request) -> Response:
            if request.method != "GET":
                return json_response(405, {"message": "Method Not Allowed"})
            if not _loopback_host(request.headers.get("host", "")):
                return json_response(403, {"message": "The console answers on 127.0.0.1 or localhost only"})
            return handler(request)

        return serve

    def _asset(self, request: Request) -> Response:
        name = request.path.removeprefix("/console/")
        if name.startswith("vendor/"):
            vendored = VENDOR.get(name.removeprefix("vendor/"))
            if vendored is None:
                return json_response(404, {"message": "Not Found"})
            path = NODE_MODULES / vendored
            if not path.is_file():
                return json_response(404, {"message": f"{vendored} is missing: run `make setup` (npm ci)"})
            return _file(path)
        path = CONSOLE_DIR / name
        if "/" in name or name.startswith(".") or not path.is_file():
            return json_response(404, {"message": "Not Found"})
        return _file(path)

    def _config(self, _request: Request) -> Response:
        examples = json.loads((CONSOLE_DIR / "examples.json").read_text())
        return json_response(200, {"apiKey": self.api_key, "graphqlPath": "/graphql", "examples": examples},
                             {"Cache-Control": "no-store"})  # fmt: skip

    def _feed(self, request: Request, ws: WebSocket) -> None:
        if not _loopback_host(request.headers.get("host", "")):
            ws.close()
            return
        sent = None
        while True:
            version = self.outbox.version
            if version != sent:
                ws.send(json.dumps({"version": version}))
                sent = version
            try:
                if ws.receive(timeout=FEED_POLL_SECONDS) is None:
                    return  # the page went away, or the server is stopping
            except TimeoutError:
                continue

    # --- the state the page shows ---------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        items = _scan(self.table_name)
        by_provider_id = {item["providerMessageId"]: item for item in items if item.get("providerMessageId")}
        emails, texts = [], []
        for entry in self.outbox.entries()[-MAX_ENTRIES:]:
            record = by_provider_id.get(entry.get("providerMessageId") or "", {})
            shown = {
                **entry,
                "messageId": record.get("id"),
                "status": record.get("deliveryStatus"),
                "segments": record.get("segments"),
                "text": record.get("body"),
                "failureReason": record.get("failureReason"),
            }
            (emails if entry.get("channel") == "EMAIL" else texts).append(shown)
        threads: dict[str, list[dict[str, Any]]] = {}
        for text in texts:
            threads.setdefault(text["to"], []).append(text)
        messages = [item for item in items if str(item.get("SK", "")).startswith("MESSAGE#")]
        return {
            "emails": emails[::-1],  # newest first
            "smsThreads": [{"number": number, "messages": sent} for number, sent in threads.items()][::-1],
            "inbound": [entry for entry in texts if entry.get("direction") == "INBOUND"],
            "deadLetters": self.dead_letters(),
            "table": {
                "items": len(items),
                "byKind": dict(Counter(str(item.get("PK", "")).split("#", 1)[0] for item in items)),
                "messagesByStatus": dict(Counter(item.get("deliveryStatus") for item in messages)),
            },
        }


def _loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return name in _LOOPBACK_HOSTS


def _file(path: Path) -> Response:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
        kind += "; charset=utf-8"
    return Response(200, path.read_bytes(), {"Content-Type": kind, "Cache-Control": "no-cache"})


def _scan(table_name: str) -> list[dict[str, Any]]:
    """Every item, attributes as plain values (strings, numbers; lists and maps unwrapped): a dev route."""
    dynamodb = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    start = None
    while True:
        page = dynamodb.scan(TableName=table_name, **({"ExclusiveStartKey": start} if start else {}))
        items.extend({name: _plain(value) for name, value in item.items()} for item in page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def _plain(value: dict[str, Any]) -> Any:
    (kind, inner), = value.items()
    if kind == "N":
        return int(inner) if inner.lstrip("-").isdigit() else float(inner)
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind == "NULL":
        return None
    return inner
