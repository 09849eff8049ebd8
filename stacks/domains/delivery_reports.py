"""The delivery-reports domain: Africa's Talking's callback behind a public function URL."""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig


def contribute(config: ServiceConfig) -> w.Domain:
    reports = w.FunctionSpec(
        name="delivery_reports",
        handler="messenger.delivery_reports.handler.lambda_handler",
        description="Africa's Talking callbacks: delivery reports; incoming SMS and opt-outs to the inbound queue",
        timeout_seconds=10,
        memory_mb=256,
        capabilities=frozenset({w.TABLE_QUERY, w.TABLE_UPDATE, w.REPORT_TOKEN_READ, w.INBOUND_QUEUE_SEND})
        | w.PUBLISHER_CAPABILITIES,
        environment=w.function_environment(config, ("report_token_max_age_seconds", *w.PUBLISHER_SETTINGS)),
        resource_env=(w.ENV_TABLE_NAME, w.ENV_REPORT_TOKEN_SECRET_NAME, w.ENV_INBOUND_QUEUE_URL, *w.PUBLISHER_ENV),
        function_url=True,
        # A flood of the public URL is capped here instead of starving the API and the workers.
        reserved_concurrency=config.report_reserved_concurrency or None,
    )
    token = w.SecretSpec(
        "report-token", w.resource_names(config).report_token_secret, w.ENV_REPORT_TOKEN_SECRET_NAME,
        w.REPORT_TOKEN_READ,
    )
    return w.Domain(name="delivery_reports", functions=(reports,), secrets=(token,))
