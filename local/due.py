"""Calls made later: delivery reports, receipts, anything a stand-in sends after the fact."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)


class DueCalls:
    """One thread calling `call(payload)` for each scheduled payload when it falls due, in due order."""

    def __init__(self, call, stop: threading.Event, name: str) -> None:
        self._call = call
        self._stop = stop
        self._due: list[tuple[float, int, Any]] = []
        self._order = itertools.count()
        self.outstanding = 0  # scheduled and not yet called
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        with self._changed:
            self._changed.notify()
        if self._thread.ident is not None:
            self._thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.outstanding == 0, timeout)

    def schedule(self, delay: float, payload: Any) -> None:
        with self._changed:
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), payload))
            self.outstanding += 1
            self._changed.notify()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._changed:
                wait = self._due[0][0] - time.monotonic() if self._due else 0.5
                if wait > 0:
                    self._changed.wait(min(wait, 0.5))
                    continue
                _, _, payload = heapq.heappop(self._due)
            try:
                self._call(payload)
            except Exception:  # noqa: BLE001 - one failed call must not stop the others
                log.exception("scheduled call failed")
            with self._changed:
                self.outstanding -= 1
                self._changed.notify_all()
