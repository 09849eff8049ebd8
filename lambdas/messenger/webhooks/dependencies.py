"""The webhooks domain's composition root, built on first use once per execution environment."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.webhooks.dal import WebhooksTable

    return WebhooksTable(client("dynamodb"), settings().table_name)


@cache
def subscriptions():
    """What the status writers ask before enqueueing (cached for webhookSubscriptionCacheSeconds)."""
    from messenger.webhooks.subscriptions import Subscriptions

    return Subscriptions(lambda: table().subscribed_event_types(), settings().webhook_subscription_cache_seconds)


def _event_queue():
    from messenger.adapters.aws import client
    from messenger.adapters.webhook_queue import WebhookQueue

    url = settings().get("webhook_queue_url", "")
    return WebhookQueue(client("sqs"), url) if url else None


@cache
def listener():
    """The status writers' listener (messages/dependencies.status_listeners)."""
    from messenger.webhooks.listener import WebhookListener

    return WebhookListener(_event_queue(), subscriptions())


@cache
def emitter():
    """MESSAGE_INBOUND (the inbound worker) and BATCH_COMPLETED (whoever makes a batch final)."""
    from messenger.webhooks.events import Emitter

    return Emitter(_event_queue(), subscriptions())


@cache
def service():
    from messenger.adapters.dns import system_resolve
    from messenger.webhooks.service import Webhooks

    return Webhooks(
        table(), allow_loopback=settings().webhook_allow_loopback, resolve=system_resolve,
        grace_seconds=settings().webhook_secret_grace_hours * 3600,
        # This environment's status writers see a webhook created, enabled or deleted here at once.
        on_change=lambda: subscriptions().invalidate(),
    )


@cache
def deliverer():
    from messenger.adapters.aws import client
    from messenger.adapters.dns import system_resolve
    from messenger.adapters.webhook_http import post
    from messenger.adapters.webhook_queue import WebhookQueue
    from messenger.webhooks.delivery import Deliverer

    s = settings()
    queue = WebhookQueue(client("sqs"), s.webhook_queue_url, s.webhook_dead_letter_queue_url)
    return Deliverer(
        table(), queue, post, schedule=[int(v) for v in s.webhook_retry_schedule_seconds],
        allow_loopback=s.webhook_allow_loopback, timeout_seconds=s.webhook_timeout_seconds,
        disable_after_seconds=s.webhook_disable_after_hours * 3600, resolve=system_resolve,
        still_recorded=table().message_recorded,
    )
