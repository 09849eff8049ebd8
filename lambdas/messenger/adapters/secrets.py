"""Secrets Manager reads through Powertools' cache: a rotated value is seen within `max_age`."""

from __future__ import annotations

from messenger.sending.models import Credentials


class CachedSecrets:
    def __init__(self, max_age_seconds: int) -> None:
        self._max_age = max_age_seconds

    def _get(self, name: str, transform: str | None, force: bool):
        from aws_lambda_powertools.utilities import parameters

        return parameters.get_secret(
            name, transform=transform, max_age=self._max_age, force_fetch=force
        )

    def africastalking(self, name: str, *, force: bool = False) -> Credentials:
        value = self._get(name, "json", force)
        if not isinstance(value, dict) or not value.get("username") or not value.get("apiKey"):
            raise ValueError("the Africa's Talking secret needs 'username' and 'apiKey'")
        return Credentials(username=str(value["username"]), api_key=str(value["apiKey"]))

    def text(self, name: str, *, force: bool = False) -> str:
        return str(self._get(name, None, force))
