"""Service configuration, read from the `messaging` entry of cdk.json's context.

The stack and the local runner read the same entry, so a setting means the same thing in both.
Every value is validated here, once, at synth or at start-up, never on the first request. A function
receives the settings its domain's wiring names (stacks/domains/), as JSON, and reads them with
messenger.core.settings: adding a setting is a field here (with its check) plus its use.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTEXT_KEY = "messaging"

_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
_COUNTRY_CODE = re.compile(r"^[1-9][0-9]{0,2}$")
_SMS_SOURCE = re.compile(r"^(phone-number|pool|sender-id)/([A-Za-z0-9_-]{1,64}|\*)$")


class ConfigError(ValueError):
    pass


def _between(key: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key}: {low} to {high}")


@dataclass(frozen=True)
class ServiceConfig:
    stage: str = "dev"
    log_level: str = "INFO"
    # E-mail
    sender_email: str = "no-reply@example.com"
    ses_identity: str = "example.com"
    ses_region: str | None = None
    ses_configuration_set: str | None = None
    allowed_from_addresses: tuple[str, ...] = ()
    # SMS
    sns_region: str | None = None
    sms_type: str = "Transactional"
    sms_sender_ids: tuple[str, ...] = ()
    default_sms_provider: str = "SNS"
    at_country_codes: tuple[str, ...] = ("254", "255", "256", "250", "234")
    at_secret_name: str = "messaging/africastalking"
    at_sender_id: str | None = None
    at_max_recipients_per_request: int = 100
    at_base_url: str | None = None
    at_secret_max_age_seconds: int = 60
    # Delivery reports: how long the report function trusts its cached copy of the URL token.
    report_token_max_age_seconds: int = 60
    # Limits
    max_sms_segments: int = 10
    max_email_body_bytes: int = 262_144
    max_subject_chars: int = 200
    idempotency_ttl_hours: int = 24
    # Queue and worker
    worker_batch_size: int = 100
    worker_batching_window_seconds: int = 2
    max_receive_count: int = 3
    retry_base_seconds: int = 10
    # API
    api_key_valid_from: str = "2026-11-22"
    api_key_valid_days: int = 365
    waf_rate_limit: int = 1000
    alarm_email: str | None = None
    # Receipts and the sweeper
    receipt_timeout_hours: int = 72
    sweeper_alarm_threshold: int = 100
    sms_delivery_sampling_percent: int = 100
    manage_sms_delivery_status: bool = True
    # Templates: how long a warm function trusts the latest version and `archived` it read.
    template_cache_seconds: int = 10
    # Two-way SMS (docs/two-way-sms.md): the answer to HELP, and which End User Messaging resources may
    # publish received SMS to the inbound topic ("phone-number/*": any number of this account).
    inbound_help_text: str = "Reply STOP to stop these messages, START to receive them again."
    inbound_sms_source: str = "phone-number/*"
    # Verification codes (docs/two-way-sms.md): Twilio Verify's defaults; `{code}` and `{minutes}` in the text.
    verification_code_length: int = 6
    verification_valid_minutes: int = 10
    verification_max_checks: int = 5
    verification_max_sends: int = 5
    verification_starts_per_hour: int = 5
    verification_text: str = "{code} is your verification code. It expires in {minutes} minutes."
    verification_subject: str = "Your verification code"
    verification_key_max_age_seconds: int = 300
    # Proxy sessions: the texts (`{organisation}` may appear in each).
    proxy_organisation_name: str = "Messaging"
    proxy_start_text: str = "{organisation}: your conversation has started. Reply to this number to write."
    proxy_end_text: str = "{organisation}: this conversation has ended."
    proxy_no_session_text: str = "{organisation}: there is no open conversation on this number."

    def __post_init__(self) -> None:
        if not _STAGE.match(self.stage):
            raise ConfigError(f"stage: {self.stage!r} must be lower-case letters, digits and '-'")
        if self.sms_type not in ("Transactional", "Promotional"):
            raise ConfigError("smsType: must be Transactional or Promotional")
        if self.default_sms_provider not in ("SNS", "AFRICASTALKING"):
            raise ConfigError("defaultSmsProvider: must be SNS or AFRICASTALKING")
        for code in self.at_country_codes:
            if not _COUNTRY_CODE.match(code):
                raise ConfigError(f"atCountryCodes: {code!r} is not a country calling code")
        if "@" not in self.sender_email:
            raise ConfigError("senderEmail: must be an e-mail address")
        if not 1 <= self.api_key_valid_days <= 365:
            raise ConfigError("apiKeyValidDays: AppSync accepts 1 to 365 days")
        dt.date.fromisoformat(self.api_key_valid_from)
        if not 1 <= self.at_max_recipients_per_request <= 1000:
            raise ConfigError("atMaxRecipientsPerRequest: 1 to 1000")
        if not 1 <= self.worker_batch_size <= 10_000:
            raise ConfigError("workerBatchSize: 1 to 10000")
        if self.worker_batch_size > 10 and self.worker_batching_window_seconds < 1:
            raise ConfigError("workerBatchingWindowSeconds: SQS needs >= 1 s for batches over 10")
        if not 1 <= self.max_email_body_bytes <= 300_000:
            raise ConfigError("maxEmailBodyBytes: 1 to 300000 (a DynamoDB item holds at most 400 KB)")
        if not 1 <= self.max_sms_segments <= 20:
            raise ConfigError("maxSmsSegments: 1 to 20")
        _between("maxSubjectChars", self.max_subject_chars, 1, 998)  # RFC 5322's line length
        _between("idempotencyTtlHours", self.idempotency_ttl_hours, 1, 24 * 30)
        _between("atSecretMaxAgeSeconds", self.at_secret_max_age_seconds, 0, 3600)
        _between("reportTokenMaxAgeSeconds", self.report_token_max_age_seconds, 0, 3600)
        _between("maxReceiveCount", self.max_receive_count, 1, 1000)
        _between("retryBaseSeconds", self.retry_base_seconds, 0, 900)  # SQS visibility: 15 min at most
        if self.waf_rate_limit < 10:
            raise ConfigError("wafRateLimit: AWS WAF needs at least 10 requests per window")
        _between("receiptTimeoutHours", self.receipt_timeout_hours, 1, 24 * 30)
        _between("sweeperAlarmThreshold", self.sweeper_alarm_threshold, 1, 1_000_000)
        _between("smsDeliverySamplingPercent", self.sms_delivery_sampling_percent, 0, 100)
        _between("templateCacheSeconds", self.template_cache_seconds, 0, 300)
        if not isinstance(self.inbound_help_text, str) or not 1 <= len(self.inbound_help_text) <= 320:
            raise ConfigError("inboundHelpText: 1 to 320 characters")
        if not _SMS_SOURCE.match(self.inbound_sms_source):
            raise ConfigError("inboundSmsSource: phone-number/<id>, pool/<id> or sender-id/<id> (or * for the id)")
        _between("verificationCodeLength", self.verification_code_length, 4, 10)
        _between("verificationValidMinutes", self.verification_valid_minutes, 1, 60)
        _between("verificationMaxChecks", self.verification_max_checks, 1, 10)
        _between("verificationMaxSends", self.verification_max_sends, 1, 10)
        _between("verificationStartsPerHour", self.verification_starts_per_hour, 1, 100)
        _between("verificationKeyMaxAgeSeconds", self.verification_key_max_age_seconds, 0, 3600)
        if not isinstance(self.verification_text, str) or self.verification_text.count("{code}") != 1 \
                or len(self.verification_text) > 300:
            raise ConfigError("verificationText: at most 300 characters holding {code} once ({minutes} optional)")
        try:
            self.verification_text.format(code="0", minutes=1)
        except (KeyError, IndexError, ValueError):
            raise ConfigError("verificationText: only {code} and {minutes} may be in braces") from None
        if not isinstance(self.verification_subject, str) or not 1 <= len(self.verification_subject) <= 200:
            raise ConfigError("verificationSubject: 1 to 200 characters")
        for key in ("proxy_start_text", "proxy_end_text", "proxy_no_session_text"):
            value = getattr(self, key)
            try:
                ok = isinstance(value, str) and 1 <= len(value.format(organisation=self.proxy_organisation_name)) <= 320
            except (KeyError, IndexError, ValueError):
                ok = False
            if not ok:
                raise ConfigError(f"{_camel(key)}: 1 to 320 characters; only {{organisation}} may be in braces")
        if not isinstance(self.manage_sms_delivery_status, bool):
            raise ConfigError("manageSmsDeliveryStatus: true or false")

    def api_key_expires(self) -> dt.datetime:
        start = dt.datetime.fromisoformat(self.api_key_valid_from).replace(tzinfo=dt.timezone.utc)
        return start + dt.timedelta(days=self.api_key_valid_days)

    def resource_prefix(self) -> str:
        return f"{self.stage}-messaging"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def config_from_context(values: dict[str, Any] | None) -> ServiceConfig:
    """Build the config from the camelCase keys used in cdk.json; unknown keys are an error."""
    known = {f.name: f for f in fields(ServiceConfig)}
    kwargs: dict[str, Any] = {}
    for key, value in (values or {}).items():
        name = _snake(key)
        if name not in known:
            raise ConfigError(f"unknown setting {key!r} in cdk.json context {CONTEXT_KEY!r}")
        if isinstance(value, list):
            value = tuple(str(v) for v in value)
        kwargs[name] = value
    return ServiceConfig(**kwargs)


def load_cdk_json_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> ServiceConfig:
    """Read the config as the local runner and tests see it: cdk.json plus optional overrides."""
    cdk_json = json.loads((path or PROJECT_ROOT / "cdk.json").read_text())
    values = dict(cdk_json.get("context", {}).get(CONTEXT_KEY, {}))
    values.update(overrides or {})
    return config_from_context(values)
