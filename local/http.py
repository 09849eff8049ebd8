"""The HTTP server both local servers share: aiohttp (HTTP/1.1 with keep-alive, WebSocket upgrades) on
127.0.0.1, in front of plain blocking handlers.

Components register their own routes: `add_get`, `add_post`, `add_route` (any method with "*"),
`add_prefix` (everything below a path) and `add_websocket`. An HTTP handler is `handler(Request) -> Response`
and runs in a thread pool (the Lambda handlers behind it are blocking boto3 code); a WebSocket handler is
`handler(Request, WebSocket) -> None` and gets a thread of its own for the life of the connection.
The event loop runs in one background thread; nothing here installs signal handlers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import HttpVersion11, WSCloseCode, WSMsgType, web

LOOPBACK = "127.0.0.1"
BACKLOG = 128  # twenty clients connecting at once must not be reset
HANDLER_THREADS = 64  # at most this many blocking handlers at once; more requests wait their turn
SHUTDOWN_GRACE_SECONDS = 2.0  # how long stop() lets requests in flight finish
log = logging.getLogger(__name__)


@dataclass
class Request:
    method: str
    path: str  # as sent, not percent-decoded
    query: str
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ","
    body: bytes | None  # None when the body exceeds the server's limit (it is read and dropped)
    client_ip: str


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


def text_response(status: int, text: str) -> Response:
    return Response(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})


App = Callable[[Request], Response]
NOT_FOUND = json_response(404, {"message": "Not Found"})
INTERNAL_ERROR = json_response(500, {"errors": [{"errorType": "InternalFailure", "message": "Internal error"}]})
_FRAMING = {"content-length", "transfer-encoding", "connection"}  # the server's to write, not a handler's


class WebSocket:
    """One WebSocket connection for a blocking handler; each method may be called from any thread."""

    def __init__(self, ws: web.WebSocketResponse, loop: asyncio.AbstractEventLoop) -> None:
        self._ws, self._loop = ws, loop

    def receive(self, timeout: float | None = None) -> str | bytes | None:
        """The next text or binary message; None once the connection is closed. TimeoutError after `timeout`."""
        message = self._call(self._ws.receive(timeout))
        return message.data if message.type in (WSMsgType.TEXT, WSMsgType.BINARY) else None

    def send(self, data: str | bytes) -> None:
        self._call(self._ws.send_str(data) if isinstance(data, str) else self._ws.send_bytes(data))

    def close(self, code: int = WSCloseCode.OK) -> None:
        self._call(self._ws.close(code=code))

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()


WebSocketHandler = Callable[[Request, WebSocket], None]


class LocalHttpServer:
    """Binds 127.0.0.1:`port` at once (0 = any free port, read `port`); serves after `start()`."""

    def __init__(self, port: int, max_body_bytes: int, not_found: Response = NOT_FOUND) -> None:
        self.max_body_bytes = max_body_bytes
        self._not_found = not_found
        self._routes: dict[str, dict[str, App]] = {}  # path -> method ("*" = any) -> handler
        self._prefixes: dict[str, App] = {}
        self._websockets: dict[str, tuple[WebSocketHandler, tuple[str, ...]]] = {}
        self._open_websockets: set[web.WebSocketResponse] = set()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((LOOPBACK, port))
        self._socket.listen(BACKLOG)
        self._executor = ThreadPoolExecutor(HANDLER_THREADS, thread_name_prefix=f"http-{self.port}")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.ServerRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    # --- routes ---------------------------------------------------------------------------------

    def add_route(self, method: str, path: str, handler: App) -> None:
        methods = self._routes.setdefault(path, {})
        if method in methods:
            raise ValueError(f"{method} {path} is already routed")
        methods[method] = handler

    def add_get(self, path: str, handler: App) -> None:
        self.add_route("GET", path, handler)

    def add_post(self, path: str, handler: App) -> None:
        self.add_route("POST", path, handler)

    def add_prefix(self, prefix: str, handler: App) -> None:
        """Every method on every path below `prefix` (`prefix/...`); the handler sees the full path."""
        prefix = prefix.rstrip("/")
        if prefix in self._prefixes:
            raise ValueError(f"{prefix}/ is already routed")
        self._prefixes[prefix] = handler

    def add_websocket(self, path: str, handler: WebSocketHandler, protocols: Iterable[str] = ()) -> None:
        """WebSocket upgrades on `path`; `protocols` are the subprotocols the server may choose from."""
        if path in self._websockets:
            raise ValueError(f"websocket {path} is already routed")
        self._websockets[path] = (handler, tuple(protocols))

    def _route(self, method: str, path: str) -> tuple[str, App | None]:
        """(what to call the route in a log line: never the path, which may carry a token; the handler)."""
        methods = self._routes.get(path)
        if methods is not None:
            return path, methods.get(method) or methods.get("*")
        for prefix, handler in self._prefixes.items():
            if path.startswith(prefix + "/"):
                return prefix + "/...", handler
        return "unrouted", None

    # --- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(ready, failure), name=f"http-{self.port}", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise RuntimeError(f"HTTP server on port {self.port} did not start") from failure[0]

    def stop(self) -> None:
        """Stops serving: requests in flight get SHUTDOWN_GRACE_SECONDS, open WebSockets are closed. Idempotent."""
        loop, self._loop = self._loop, None
        if loop is not None and self._thread is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(SHUTDOWN_GRACE_SECONDS + 5)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                self._thread.join(5)
        self._socket.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._listen())
            self._loop = loop
        except BaseException as error:  # noqa: BLE001 - reported by start()
            failure.append(error)
            loop.close()
            return
        finally:
            ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _listen(self) -> None:
        # access_log=None: silent, a request line can carry a secret (the delivery-report token).
        server = web.Server(self._serve, access_log=None)
        self._runner = web.ServerRunner(server, shutdown_timeout=SHUTDOWN_GRACE_SECONDS)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket, backlog=BACKLOG).start()

    async def _shutdown(self) -> None:
        for ws in list(self._open_websockets):  # a handler blocked in receive() gets None and returns
            await ws.close(code=WSCloseCode.GOING_AWAY)
        if self._runner is not None:
            await self._runner.cleanup()

    # --- serving --------------------------------------------------------------------------------

    async def _serve(self, raw: web.BaseRequest) -> web.StreamResponse:
        websocket = self._websockets.get(urlsplit(raw.raw_path).path)
        if websocket is not None and raw.method == "GET" and raw.headers.get("upgrade", "").lower() == "websocket":
            return await self._serve_websocket(raw, self._request(raw, b""), *websocket)
        request = self._request(raw, await self._read_body(raw))
        label, handler = self._route(request.method, request.path)
        if handler is None:
            response = self._not_found
        else:
            try:
                response = await asyncio.get_running_loop().run_in_executor(self._executor, handler, request)
            except Exception:  # noqa: BLE001 - a dev server answers 500 and keeps serving
                log.exception("unhandled error serving %s %s", raw.method, label)
                response = INTERNAL_ERROR
        headers = {"Server": "local-messaging"}  # as before: no library or Python version on the wire
        headers.update((name, value) for name, value in response.headers.items() if name.lower() not in _FRAMING)
        return web.Response(status=response.status, body=response.body, headers=headers)

    def _request(self, raw: web.BaseRequest, body: bytes | None) -> Request:
        url = urlsplit(raw.raw_path)
        headers: dict[str, str] = {}
        for name, value in raw.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        return Request(raw.method, url.path, url.query, headers, body, raw.remote or "")

    async def _read_body(self, raw: web.BaseRequest) -> bytes | None:
        """The body; None past the limit (then read to the end and dropped: a client still writing sees no reset)."""
        too_large = (raw.content_length or 0) > self.max_body_bytes
        if raw.version == HttpVersion11 and raw.headers.get("expect", "").lower() == "100-continue":
            await raw.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits a second for this otherwise
            raw.writer.output_size = 0
        chunks: list[bytes] = []
        size = 0
        while chunk := await raw.content.readany():
            size += len(chunk)
            too_large = too_large or size > self.max_body_bytes
            if not too_large:
                chunks.append(chunk)
        return None if too_large else b"".join(chunks)

    async def _serve_websocket(
        self, raw: web.BaseRequest, request: Request, handler: WebSocketHandler, protocols: tuple[str, ...]
    ) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=protocols)
        await ws.prepare(raw)
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def run() -> None:
            try:
                handler(request, WebSocket(ws, loop))
            except Exception:  # noqa: BLE001 - the connection closes; the server keeps serving
                log.exception("unhandled error in websocket %s", request.path)
            finally:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))

        self._open_websockets.add(ws)
        try:
            threading.Thread(target=run, name=f"ws-{request.path}", daemon=True).start()
            await done
        finally:
            self._open_websockets.discard(ws)
            await ws.close()
        return ws
