"""The verification domain's composition root, built on first use. The hashing key is read from Secrets
Manager through a short cache (a rotated key applies to codes sent after the rotation)."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.verification.dal import VerificationTable

    return VerificationTable(client("dynamodb"), settings().table_name)


def _key() -> bytes:
    from messenger.adapters.secrets import CachedSecrets

    return CachedSecrets(settings().verification_key_max_age_seconds).text(settings().verification_key_secret_name).encode()


@cache
def verification_service():
    from messenger.core.clock import SystemClock, new_message_id
    from messenger.sending.dependencies import message_service
    from messenger.verification.logic import VerificationService

    config = settings()
    return VerificationService(
        table(), lambda args, record_body: message_service().send(args, record_body=record_body), SystemClock(),
        new_message_id, _key,
        code_length=config.verification_code_length, valid_minutes=config.verification_valid_minutes,
        max_checks=config.verification_max_checks, max_sends=config.verification_max_sends,
        starts_per_hour=config.verification_starts_per_hour, text=config.verification_text,
        subject=config.verification_subject,
    )
