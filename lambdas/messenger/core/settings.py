"""The settings one function was given, read from its environment.

Every value was validated once, where cdk.json is read (stacks/config.py), and reaches a function
only if its domain's wiring lists it among the settings that function uses. A setting travels as
one environment variable holding JSON (`MAX_SMS_SEGMENTS=10`, `AT_COUNTRY_CODES=["254","255"]`), so
its type survives without a second declaration here; resource names (table, queues, secrets) travel
as plain strings. Asking for a setting the function was not given is a wiring mistake and fails loudly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from typing import Any

# Resource names: plain strings filled in by the stack (CloudFormation references) or the local mode.
RESOURCES = frozenset({
    "table_name", "outbound_queue_url", "at_secret_name", "report_token_secret_name", "graphql_url", "graphql_api_id",
    "uploads_bucket", "webhook_queue_url", "webhook_dead_letter_queue_url",
    "inbound_queue_url", "verification_key_secret_name", "batch_jobs_queue_url",
})


class MissingSetting(RuntimeError):
    pass


class Settings:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = dict(env)
        self._values: dict[str, Any] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        settings = cls(os.environ if env is None else env)
        settings.table_name  # every function reads or writes the table: without it nothing works
        return settings

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._values:
            raw = self._env.get(name.upper())
            if raw is None:
                raise MissingSetting(f"{name.upper()} is not set: this function was not given that setting")
            self._values[name] = raw if name in RESOURCES else json.loads(raw)
        return self._values[name]

    def get(self, name: str, default: Any = None) -> Any:
        """For optional resources: the value, or `default` when this function was not given it."""
        try:
            return getattr(self, name)
        except MissingSetting:
            return default


@cache
def settings() -> Settings:
    return Settings.from_env()
