"""Scheduled functions, fired locally: moto stores EventBridge rules but never runs them.

Each `ScheduleSpec` of the wiring fires its function with an EventBridge "Scheduled Event" every
`every_minutes` (LOCAL_SCHEDULE_SECONDS overrides the period for all of them), and
`POST /local/schedules/<name>` fires one at once and answers with the function's result.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from typing import Any

from local.http import LocalHttpServer, Request, Response, json_response
from local.lambda_runtime import ACCOUNT_ID, LambdaFunction

log = logging.getLogger(__name__)


def scheduled_event(rule: str, region: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }


class Schedules:
    def __init__(self, specs, functions: dict[str, LambdaFunction], region: str, period_seconds: float | None) -> None:
        self._specs = {spec.name: spec for spec in specs}
        self._functions = functions
        self._region = region
        self._period = period_seconds
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(spec,), name=f"schedule-{spec.name}", daemon=True)
            for spec in specs
        ]

    def add_routes(self, server: LocalHttpServer) -> None:
        server.add_prefix("/local/schedules/", self._fire_now)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.ident is not None:
                thread.join(5)

    def fire(self, name: str) -> Any:
        spec = self._specs[name]
        return self._functions[spec.function].invoke(scheduled_event(spec.name, self._region))

    def _fire_now(self, request: Request) -> Response:
        name = request.path.rsplit("/", 1)[-1]
        if request.method != "POST" or name not in self._specs:
            return json_response(404, {"message": "Not Found"})
        return json_response(200, {"result": self.fire(name)})

    def _run(self, spec) -> None:
        period = self._period if self._period is not None else spec.every_minutes * 60
        while not self._stop.wait(period):
            try:
                self.fire(spec.name)
            except Exception:  # noqa: BLE001 - EventBridge fires again at the next period
                log.exception("scheduled function %s failed", spec.function)
