"""End-to-end fixtures: the local mode (`python -m local`) as a subprocess, spoken to over HTTP.

Only stdlib urllib is used, so these tests see exactly what any HTTP client sees.
"""

from __future__ import annotations

import collections
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
START_LINE = re.compile(r"Local messaging API: (http://127\.0\.0\.1:\d+)/graphql\s+x-api-key: (\S+)")
STANDIN_LINE = re.compile(r"Africa's Talking stand-in: (http://127\.0\.0\.1:\d+)/")
AWS_LINE = re.compile(r"AWS \(moto\) endpoint: (http://127\.0\.0\.1:\d+)")
START_TIMEOUT_SECONDS = 60
# A hang, not a slow machine: idle it stops in about 2 s, on a loaded 2-core machine 6-10 s were seen.
STOP_TIMEOUT_SECONDS = 30
REPORT_DELAY_SECONDS = 0.05


def http(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """(status, body): the body parsed as JSON when it is JSON, text otherwise."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


class LocalApi:
    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.stdout: collections.deque[str] = collections.deque(maxlen=5000)
        self.stderr: collections.deque[str] = collections.deque(maxlen=5000)
        self._started = threading.Event()
        self.url = self.base_url = self.api_key = self.standin_url = self.aws_endpoint = ""
        threading.Thread(target=self._drain, args=(process.stdout, self.stdout, True), daemon=True).start()
        threading.Thread(target=self._drain, args=(process.stderr, self.stderr, False), daemon=True).start()

    def _drain(self, stream, lines: collections.deque, parse: bool) -> None:
        for line in stream:
            lines.append(line)
            if parse and (match := START_LINE.search(line)):
                self.base_url, self.api_key = match.group(1), match.group(2)
                self.url = f"{self.base_url}/graphql"
            elif parse and (match := AWS_LINE.search(line)):
                self.aws_endpoint = match.group(1)
            elif parse and (match := STANDIN_LINE.search(line)):
                self.standin_url = match.group(1)
                self._started.set()

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._started.wait(0.1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._fail("did not print its start line")
        while time.monotonic() < deadline:
            try:
                if self.get("/local/health") == (200, {"status": "ok"}):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self._fail("did not answer /local/health")

    def _fail(self, why: str) -> None:
        self.process.kill()
        self.process.wait(5)
        time.sleep(0.2)  # let the drain threads take the last lines
        pytest.fail(f"local mode {why} (exit {self.process.returncode}); stderr:\n{''.join(self.stderr)[-5000:]}")

    def graphql(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        body = json.dumps({"query": query, "variables": variables}).encode()
        sent = {"Content-Type": "application/json", "x-api-key": self.api_key} if headers is None else headers
        return http(self.url, body, sent)

    def get(self, path: str) -> tuple[int, Any]:
        return http(self.base_url + path)

    def outbox(self) -> list[dict[str, Any]]:
        return self.get("/local/outbox")[1]["sent"]

    def stop(self, signum: int = signal.SIGINT) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            pytest.fail(f"local mode did not stop within {STOP_TIMEOUT_SECONDS} s of {signal.Signals(signum).name}")


def start_local_mode(**extra_env: str) -> LocalApi:
    env = {
        **os.environ,
        "LOCAL_PORT": "0",
        "LOCAL_API_KEY": f"da2-test-{secrets.token_hex(12)}",
        "LOCAL_AT_REPORT_DELAY": str(REPORT_DELAY_SECONDS),
        "LOCAL_RECEIPT_DELAY": str(REPORT_DELAY_SECONDS),
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "local"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    api = LocalApi(process)
    api.wait_until_up()
    return api


@pytest.fixture(scope="session")
def local_api():
    api = start_local_mode()
    yield api
    assert api.stop(signal.SIGINT) == 0


_NUMBERS_GIVEN: set[str] = set()


def fresh_number(prefix: str = "+1415555", digits: int = 4, lowest: int = 1000) -> str:
    """A phone number no other test of this process was given (every test of a worker shares one local
    mode: two tests drawing the same number would see each other's messages in its history). The US
    default stays above 555-0999: 555-01xx are the local receipts' test numbers."""
    while True:
        number = f"{prefix}{lowest + secrets.randbelow(10 ** digits - lowest):0{digits}d}"
        if number not in _NUMBERS_GIVEN:
            _NUMBERS_GIVEN.add(number)
            return number


def wait_for(condition: Callable[[], Any], timeout: float = 20, interval: float = 0.1) -> Any:
    """Poll until `condition()` returns something truthy; return it, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)
