"""Settings parsed once from the environment at cold start; a wrong value fails loudly there."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from messenger.messages.models import Provider


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _int(env: dict, name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name) or str(default)
    value = int(raw)
    if not low <= value <= high:
        raise ValueError(f"{name}={raw} is outside {low}..{high}")
    return value


@dataclass(frozen=True)
class Settings:
    table_name: str
    outbound_queue_url: str | None
    sender_email: str
    allowed_from_addresses: frozenset[str]
    ses_region: str | None
    ses_configuration_set: str | None
    sns_region: str | None
    sms_type: str
    sms_sender_ids: frozenset[str]
    at_country_codes: tuple[str, ...]
    default_sms_provider: Provider
    max_sms_segments: int
    max_email_body_bytes: int
    max_subject_chars: int
    idempotency_ttl_hours: int
    at_secret_name: str | None
    at_sender_id: str | None
    at_max_recipients: int
    at_base_url: str | None
    at_secret_max_age_seconds: int
    max_receive_count: int
    retry_base_seconds: int
    claim_lease_seconds: int
    report_token_secret_name: str | None

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        table = env.get("TABLE_NAME")
        if not table:
            raise ValueError("TABLE_NAME is not set")
        sms_type = env.get("SMS_TYPE") or "Transactional"
        if sms_type not in ("Transactional", "Promotional"):
            raise ValueError(f"SMS_TYPE={sms_type} must be Transactional or Promotional")
        return cls(
            table_name=table,
            outbound_queue_url=env.get("OUTBOUND_QUEUE_URL") or None,
            sender_email=env.get("SENDER_EMAIL") or "no-reply@example.com",
            allowed_from_addresses=frozenset(
                a.lower() for a in _list(env.get("ALLOWED_FROM_ADDRESSES", ""))
            ),
            ses_region=env.get("SES_REGION") or None,
            ses_configuration_set=env.get("SES_CONFIGURATION_SET") or None,
            sns_region=env.get("SNS_REGION") or None,
            sms_type=sms_type,
            sms_sender_ids=frozenset(_list(env.get("SMS_SENDER_IDS", ""))),
            at_country_codes=_list(env.get("AT_COUNTRY_CODES", "")),
            default_sms_provider=Provider(env.get("DEFAULT_SMS_PROVIDER") or "SNS"),
            max_sms_segments=_int(env, "MAX_SMS_SEGMENTS", 10, 1, 20),
            # DynamoDB holds at most 400 KB per item: the body, the rest of the record and some margin.
            max_email_body_bytes=_int(env, "MAX_EMAIL_BODY_BYTES", 262_144, 1, 300_000),
            max_subject_chars=_int(env, "MAX_SUBJECT_CHARS", 200, 1, 998),
            idempotency_ttl_hours=_int(env, "IDEMPOTENCY_TTL_HOURS", 24, 1, 24 * 30),
            at_secret_name=env.get("AT_SECRET_NAME") or None,
            at_sender_id=env.get("AT_SENDER_ID") or None,
            at_max_recipients=_int(env, "AT_MAX_RECIPIENTS", 100, 1, 1000),
            at_base_url=env.get("AT_BASE_URL") or None,
            at_secret_max_age_seconds=_int(env, "AT_SECRET_MAX_AGE_SECONDS", 60, 0, 3600),
            max_receive_count=_int(env, "MAX_RECEIVE_COUNT", 3, 1, 1000),
            retry_base_seconds=_int(env, "RETRY_BASE_SECONDS", 10, 0, 900),
            claim_lease_seconds=_int(env, "CLAIM_LEASE_SECONDS", 900, 1, 900),
            report_token_secret_name=env.get("REPORT_TOKEN_SECRET_NAME") or None,
        )


@cache
def settings() -> Settings:
    return Settings.from_env()
