"""Headless Chromium (Debian's `chromium` package) driven over the DevTools protocol, nothing else.

No browser driver or browser download: the protocol is JSON over a WebSocket, spoken here with the
`websockets` package the suite already has (gql's). One browser per test module; every console
message of level error, uncaught exception and failed load is collected in `errors`.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

DEVTOOLS_LINE = re.compile(r"DevTools listening on (ws://\S+)")
START_TIMEOUT_SECONDS = 30


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One headless Chromium with one page (the first tab), closed by `close()`."""

    def __init__(self, executable: str) -> None:
        self._profile = tempfile.mkdtemp(prefix="console-chromium-")
        self._process = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--remote-debugging-port=0",
             # Keep the sandboxed e-mail frame in the page's process, so the test can read inside it.
             "--disable-site-isolation-trials", "--disable-features=IsolateSandboxedIframes",
             "--window-size=1400,900", f"--user-data-dir={self._profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.errors: list[str] = []
        try:
            self._attach(self._devtools_url())
        except BaseException:
            self.close()
            raise

    def _attach(self, browser_url: str) -> None:
        port = browser_url.split(":")[2].split("/")[0]
        with connect(browser_url, max_size=None) as browser:
            browser.send(json.dumps({"id": 0, "method": "Target.getTargets"}))
            targets = json.loads(browser.recv(10))["result"]["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self._ws = connect(f"ws://127.0.0.1:{port}/devtools/page/{page['targetId']}", max_size=None)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def _devtools_url(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        assert self._process.stderr is not None
        while time.monotonic() < deadline:
            line = self._process.stderr.readline()
            if match := DEVTOOLS_LINE.search(line):
                threading.Thread(target=self._process.stderr.read, daemon=True).start()  # keep draining
                return match.group(1)
            if not line and self._process.poll() is not None:
                break
        raise RuntimeError("chromium did not start its DevTools endpoint")

    def _read(self) -> None:
        try:
            for raw in self._ws:
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        self._replies[message["id"]] = message
                    continue
                self.events.append(message)
                self._note_error(message)
        except Exception:  # noqa: BLE001 - the connection closed
            return

    def _note_error(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append("exception: " + str(details.get("exception", {}).get("description") or details.get("text")))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        self._ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                reply = self._replies.pop(message_id, None)
            if reply is not None:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            time.sleep(0.01)
        raise TimeoutError(f"{method} got no answer within {timeout} s")

    def evaluate(self, expression: str, context_id: int | None = None) -> Any:
        params: dict[str, Any] = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        if context_id is not None:
            params["contextId"] = context_id
        result = self.call("Runtime.evaluate", **params)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30, context_id: int | None = None) -> Any:
        """Evaluates until the value is truthy; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression, context_id)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"not true within {timeout} s: {expression}")
            time.sleep(0.1)

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def frame_context(self, url_prefix: str = "about:srcdoc") -> int:
        """An execution context inside the page's child frame whose URL starts with `url_prefix`."""
        tree = self.call("Page.getFrameTree")["frameTree"]
        frames = [child["frame"] for child in tree.get("childFrames", [])]
        frame = next(f for f in frames if f["url"].startswith(url_prefix))
        return self.call("Page.createIsolatedWorld", frameId=frame["id"], worldName="test")["executionContextId"]

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
        return path

    def close(self) -> None:
        try:
            if getattr(self, "_ws", None) is not None:
                self._ws.close()
                self._ws = None
        finally:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
            shutil.rmtree(self._profile, ignore_errors=True)
