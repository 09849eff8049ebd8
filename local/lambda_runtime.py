"""Runs a wiring function's handler the way Lambda would, one warm instance per function.

An invocation holds the function's lock, so module state in a handler is never shared by two
concurrent invocations (Lambda gives each concurrent request its own instance; one instance and a
lock is the faithful small version). Events and results go through JSON as they do in Lambda, so a
handler that returns something Lambda cannot serialise (a Decimal, a datetime) fails here too.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stacks.config import PROJECT_ROOT
from stacks.wiring import LAMBDA_SOURCE_DIR, FunctionSpec

ACCOUNT_ID = "123456789012"  # moto's default account


class LambdaContext:
    """The attributes and method of Lambda's Python context object that handlers and Powertools use."""

    def __init__(self, spec: FunctionSpec, region: str) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{spec.name}"
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + spec.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LambdaFunction:
    def __init__(self, spec: FunctionSpec, region: str, after_invoke: Callable[[], None] | None = None) -> None:
        module_name, attribute = spec.handler.rsplit(".", 1)
        self.spec = spec
        self._region = region
        self._handler = getattr(importlib.import_module(module_name), attribute)
        self._lock = threading.Lock()
        self._after_invoke = after_invoke

    def invoke(self, event: dict[str, Any]) -> Any:
        """Returns the handler's result as the caller would receive it; a handler's exception propagates."""
        payload = json.loads(json.dumps(event))
        try:
            with self._lock:
                result = self._handler(payload, LambdaContext(self.spec, self._region))
                return json.loads(json.dumps(result))
        finally:
            if self._after_invoke is not None:
                self._after_invoke()


def load_functions(
    specs: tuple[FunctionSpec, ...], region: str, after_invoke: Callable[[], None] | None = None
) -> dict[str, LambdaFunction]:
    """Import every handler (after the environment is set: handlers read it at import)."""
    source_dir = str(Path(PROJECT_ROOT, LAMBDA_SOURCE_DIR))
    if source_dir not in sys.path:
        sys.path.insert(0, source_dir)
    return {spec.name: LambdaFunction(spec, region, after_invoke) for spec in specs}
