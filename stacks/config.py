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


# phonenumbers' PhoneNumberType names; the default deny-list is what premium-rate SMS pumping aims at
# and what cannot receive an SMS at all.
NUMBER_TYPES = frozenset({
    "FIXED_LINE", "MOBILE", "FIXED_LINE_OR_MOBILE", "TOLL_FREE", "PREMIUM_RATE", "SHARED_COST", "VOIP",
    "PERSONAL_NUMBER", "PAGER", "UAN", "VOICEMAIL", "UNKNOWN",
})
DENIED_NUMBER_TYPES = ("PREMIUM_RATE", "SHARED_COST", "PERSONAL_NUMBER", "PAGER", "UAN", "VOICEMAIL", "TOLL_FREE")


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
    # Executions reserved for (and capping) the public report function; 0: none reserved (accounts
    # whose concurrency quota is still the new-account 10 cannot reserve any).
    report_reserved_concurrency: int = 10
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
    # Provider pacing: what the dispatch workers together send at most, per second (0: unpaced).
    # SES's account sending rate (messages/s), SNS's SMS rate (messages/s), Africa's Talking requests/s.
    ses_max_send_rate: int = 0
    sns_max_sms_rate: int = 0
    at_max_requests_per_second: int = 0
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
    # Clients (docs/security.md): how long a warm API function trusts a key lookup it made, and how
    # long a rotated-out key keeps working beside its replacement.
    client_cache_seconds: int = 30
    client_key_grace_seconds: int = 86_400
    # Retention: every message record (and so its index entries) expires this many days after it was
    # written (the table's TTL deletes it, up to ~2 days late).
    message_retention_days: int = 90
    # Send limits (docs/limits.md). Per client: GOV.UK Notify's 3,000 a minute and 250,000 a day.
    messages_per_request: int = 50
    resolver_count_limit: int = 1000
    client_messages_per_minute: int = 3000
    client_messages_per_day: int = 250_000
    # Per recipient and hour: what phone networks tolerate (20 identical, 100 in all).
    sms_identical_per_number_per_hour: int = 20
    sms_per_number_per_hour: int = 100
    emails_per_address_per_hour: int = 100
    # SMS fraud guard: the calling codes we send to, and the number types we never send to.
    allowed_sms_countries: tuple[str, ...] = ("254", "255", "256", "250", "234", "1", "44")
    denied_sms_number_types: tuple[str, ...] = DENIED_NUMBER_TYPES
    # Domains whose labels may mix scripts (an internationalised domain a deployment trusts).
    allowed_mixed_script_domains: tuple[str, ...] = ()
    # Batches: how long a CSV upload URL is valid, the most rows a file may hold, how long files are kept.
    batch_upload_url_seconds: int = 900
    batch_upload_max_rows: int = 100_000
    batch_upload_retention_days: int = 7
    # Webhooks (messenger.webhooks): retry delays after attempts 1..n, in seconds.
    webhook_retry_schedule_seconds: tuple[str, ...] = ("5", "300", "1800", "7200", "18000", "36000")
    webhook_allow_loopback: bool = False  # http://127.0.0.1:<port> accepted: the local mode only
    webhook_timeout_seconds: int = 5
    webhook_disable_after_hours: int = 24
    webhook_secret_grace_hours: int = 24
    webhook_worker_concurrency: int = 5
    # How long a status writer trusts its answer to "does an enabled webhook take this event?": a webhook
    # created through another instance starts receiving within this many seconds (README, "Webhooks").
    webhook_subscription_cache_seconds: int = 30
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
        _between("reportReservedConcurrency", self.report_reserved_concurrency, 0, 1000)
        _between("maxReceiveCount", self.max_receive_count, 1, 1000)
        _between("retryBaseSeconds", self.retry_base_seconds, 0, 900)  # SQS visibility: 15 min at most
        _between("sesMaxSendRate", self.ses_max_send_rate, 0, 100_000)
        _between("snsMaxSmsRate", self.sns_max_sms_rate, 0, 100_000)
        _between("atMaxRequestsPerSecond", self.at_max_requests_per_second, 0, 10_000)
        if self.waf_rate_limit < 10:
            raise ConfigError("wafRateLimit: AWS WAF needs at least 10 requests per window")
        _between("receiptTimeoutHours", self.receipt_timeout_hours, 1, 24 * 30)
        _between("sweeperAlarmThreshold", self.sweeper_alarm_threshold, 1, 1_000_000)
        _between("smsDeliverySamplingPercent", self.sms_delivery_sampling_percent, 0, 100)
        _between("templateCacheSeconds", self.template_cache_seconds, 0, 300)
        _between("clientCacheSeconds", self.client_cache_seconds, 0, 300)
        _between("clientKeyGraceSeconds", self.client_key_grace_seconds, 0, 30 * 86_400)
        _between("messageRetentionDays", self.message_retention_days, 1, 3650)
        _between("batchUploadUrlSeconds", self.batch_upload_url_seconds, 60, 7 * 24 * 3600)  # SigV4's limit
        _between("batchUploadMaxRows", self.batch_upload_max_rows, 1, 1_000_000)
        _between("batchUploadRetentionDays", self.batch_upload_retention_days, 1, 365)
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
        self._check_limits()

    def _check_limits(self) -> None:
        _between("resolverCountLimit", self.resolver_count_limit, 1, 10_000)  # AppSync's own bounds
        _between("messagesPerRequest", self.messages_per_request, 1, self.resolver_count_limit)
        _between("clientMessagesPerMinute", self.client_messages_per_minute, 1, 1_000_000)
        _between("clientMessagesPerDay", self.client_messages_per_day, 1, 100_000_000)
        _between("smsIdenticalPerNumberPerHour", self.sms_identical_per_number_per_hour, 1, 100_000)
        _between("smsPerNumberPerHour", self.sms_per_number_per_hour, 1, 100_000)
        _between("emailsPerAddressPerHour", self.emails_per_address_per_hour, 1, 100_000)
        for code in self.allowed_sms_countries:
            if not _COUNTRY_CODE.match(code):
                raise ConfigError(f"allowedSmsCountries: {code!r} is not a country calling code")
        for name in self.denied_sms_number_types:
            if name not in NUMBER_TYPES:
                raise ConfigError(f"deniedSmsNumberTypes: {name!r} is not one of {sorted(NUMBER_TYPES)}")
        for domain in self.allowed_mixed_script_domains:
            if not domain or "@" in domain or domain != domain.strip().lower():
                raise ConfigError(f"allowedMixedScriptDomains: {domain!r} must be a lower-case domain name")
        if not isinstance(self.webhook_allow_loopback, bool):
            raise ConfigError("webhookAllowLoopback: true or false")
        if not self.webhook_retry_schedule_seconds or not all(
            str(s).isdigit() and 1 <= int(s) <= 86_400 for s in self.webhook_retry_schedule_seconds
        ):
            raise ConfigError("webhookRetryScheduleSeconds: 1 or more delays of 1 to 86400 s")
        _between("webhookTimeoutSeconds", self.webhook_timeout_seconds, 1, 10)
        _between("webhookDisableAfterHours", self.webhook_disable_after_hours, 1, 24 * 30)
        _between("webhookSecretGraceHours", self.webhook_secret_grace_hours, 0, 24 * 7)
        _between("webhookWorkerConcurrency", self.webhook_worker_concurrency, 1, 100)
        _between("webhookSubscriptionCacheSeconds", self.webhook_subscription_cache_seconds, 0, 300)

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
        _check_type(key, value, known[name].default)
        kwargs[name] = value
    try:
        return ServiceConfig(**kwargs)
    except ValueError as error:  # a date that is not one
        if isinstance(error, ConfigError):
            raise
        raise ConfigError(f"apiKeyValidFrom: a date as YYYY-MM-DD ({error})") from None


def _check_type(key: str, value: Any, default: Any) -> None:
    """A value of the default's kind (None: text or null), so every check above compares like with like."""
    if isinstance(default, bool):
        ok, kind = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        ok, kind = isinstance(value, int) and not isinstance(value, bool), "a whole number"
    elif isinstance(default, tuple):
        ok, kind = isinstance(value, tuple), "a list"
    else:
        ok, kind = isinstance(value, str) or (default is None and value is None), "text"
    if not ok:
        raise ConfigError(f"{key}: {value!r} is not {kind}")


def load_cdk_json_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> ServiceConfig:
    """Read the config as the local runner and tests see it: cdk.json plus optional overrides."""
    cdk_json = json.loads((path or PROJECT_ROOT / "cdk.json").read_text())
    values = dict(cdk_json.get("context", {}).get(CONTEXT_KEY, {}))
    values.update(overrides or {})
    return config_from_context(values)
