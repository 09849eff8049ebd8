"""The local mode's settings, read and checked before anything starts.

A wrong setting (LOCAL_PORT=abc, a LOCAL_CONFIG that is not JSON, a cdk.json value out of range) or a
port already taken is a `StartupError`: `python -m local` prints its message as one line saying what to
change and exits with status 2, no traceback. Everything is checked before moto starts, so a mistake
costs no time.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stacks.config import CONTEXT_KEY, PROJECT_ROOT, ServiceConfig, config_from_context

DEFAULT_API_KEY = "da2-local-development-key"
DEFAULT_PORT = 4000
# What the local mode changes in cdk.json's settings (LOCAL_CONFIG may change them again): webhooks may
# call http://127.0.0.1:<port>, and retry after seconds rather than minutes and hours.
LOCAL_OVERRIDES = {
    "webhookAllowLoopback": True, "webhookRetryScheduleSeconds": [1, 1, 2, 2, 3, 3],
    "webhookSubscriptionCacheSeconds": 1,
}
EXIT_BAD_SETTING = 2  # as a shell utility's usage error
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class StartupError(Exception):
    """One line for the developer: what is wrong and what to change."""


@dataclass(frozen=True)
class LocalSettings:
    port: int
    api_key: str
    log_level: str
    at_report_delay: float
    at_hang_seconds: float
    receipt_delay: float
    schedule_seconds: float | None
    scheduler_poll_seconds: float
    config: ServiceConfig


def read_settings(environ: Mapping[str, str] | None = None, cdk_json: Path | None = None) -> LocalSettings:
    env = os.environ if environ is None else environ
    return LocalSettings(
        port=_port(env.get("LOCAL_PORT")),
        api_key=(env.get("LOCAL_API_KEY") or "").strip() or DEFAULT_API_KEY,
        log_level=_log_level(env.get("LOCAL_LOG_LEVEL")),
        at_report_delay=_seconds(env, "LOCAL_AT_REPORT_DELAY", 0.3),
        at_hang_seconds=_seconds(env, "LOCAL_AT_HANG_SECONDS", 30.0),
        receipt_delay=_seconds(env, "LOCAL_RECEIPT_DELAY", 0.3),
        schedule_seconds=_seconds(env, "LOCAL_SCHEDULE_SECONDS", None, positive=True),
        scheduler_poll_seconds=_seconds(env, "LOCAL_SCHEDULER_POLL_SECONDS", 0.5, positive=True),
        config=_config(env.get("LOCAL_CONFIG"), cdk_json or PROJECT_ROOT / "cdk.json"),
    )


def _port(raw: str | None) -> int:
    if raw is None or raw.strip() == "":
        return DEFAULT_PORT
    text = raw.strip()
    if not text.isdigit() or not 0 <= int(text) <= 65_535:
        raise StartupError(f"LOCAL_PORT={raw!r} is not a port: set a whole number from 1 to 65535 (0 = any free port)")
    return int(text)


def _log_level(raw: str | None) -> str:
    level = (raw or "INFO").strip().upper()
    if level not in _LOG_LEVELS:
        raise StartupError(f"LOCAL_LOG_LEVEL={raw!r} is not a log level: set one of {', '.join(_LOG_LEVELS)}")
    return level


def _seconds(env: Mapping[str, str], name: str, default: float | None, positive: bool = False) -> float | None:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (value > 0 if positive else value >= 0) or value == float("inf"):
        bound = "more than 0" if positive else "0 or more"
        raise StartupError(f"{name}={raw!r} is not a number of seconds: set a number {bound}, e.g. {name}=1")
    return value


def _config(raw_overrides: str | None, cdk_json: Path) -> ServiceConfig:
    try:
        document = json.loads(cdk_json.read_text())
        base = document.get("context", {}).get(CONTEXT_KEY, {})
    except OSError as error:
        raise StartupError(f"{cdk_json} cannot be read ({error.strerror}): run from the project's folder") from None
    except (ValueError, AttributeError) as error:
        raise StartupError(f"{cdk_json.name} is not valid JSON ({error}): fix the file") from None
    if not isinstance(base, dict):
        raise StartupError(f"{cdk_json.name}: context.{CONTEXT_KEY} must be a JSON object of settings")
    try:
        config_from_context(base)  # the file alone must be valid, whatever LOCAL_CONFIG says
    except ValueError as error:  # ConfigError, or a date that is not one
        raise StartupError(f"{cdk_json.name} context.{CONTEXT_KEY} has a bad value ({error}): change it there") from None
    if raw_overrides is None or not raw_overrides.strip():
        return config_from_context({**base, **LOCAL_OVERRIDES})
    try:
        overrides = json.loads(raw_overrides)
    except ValueError as error:
        raise StartupError(
            f"LOCAL_CONFIG is not JSON ({error}): set a JSON object, e.g. LOCAL_CONFIG='{{\"maxSmsSegments\": 5}}'"
        ) from None
    if not isinstance(overrides, dict):
        raise StartupError("LOCAL_CONFIG must be a JSON object of cdk.json settings, e.g. '{\"maxSmsSegments\": 5}'")
    try:
        return config_from_context({**base, **LOCAL_OVERRIDES, **overrides})
    except ValueError as error:
        raise StartupError(f"LOCAL_CONFIG has a bad value ({error}): change it there") from None


def bind_check(port: int) -> None:
    """Fails now, before moto starts, if 127.0.0.1:`port` is taken (the server binds it again later)."""
    if port == 0:
        return
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    except OSError as error:
        raise port_error(port, error) from None
    finally:
        probe.close()


def port_error(port: int, error: OSError) -> StartupError:
    if error.errno == errno.EADDRINUSE:
        return StartupError(
            f"port {port} is already in use (another local mode?): stop that process or set LOCAL_PORT "
            "to a free port (LOCAL_PORT=0 picks one)"
        )
    if error.errno == errno.EACCES:
        return StartupError(f"port {port} needs privileges: set LOCAL_PORT to 1024 or above (LOCAL_PORT=0 picks one)")
    return StartupError(f"port {port} cannot be opened ({error.strerror}): set LOCAL_PORT to another port")
