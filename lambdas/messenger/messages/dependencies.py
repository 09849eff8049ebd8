"""The messages domain's composition root, built on first use once per execution environment."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.messages.dal import MessagesTable

    return MessagesTable(client("dynamodb"), settings().table_name)


@cache
def history():
    from messenger.messages.history import History

    return History(table())


@cache
def status_listeners() -> tuple:
    """What every StatusWriter tells: the metrics, the subscriptions (publish.py), the batch counts, the
    webhooks queue (webhooks/listener.py: only when some enabled webhook takes status events)."""
    from messenger.core.clock import SystemClock
    from messenger.messages.batch_counts import BatchCountListener
    from messenger.messages.metrics import MetricListener
    from messenger.messages.publish import PublishListener
    from messenger.webhooks.dependencies import emitter, listener

    batches = BatchCountListener(table(), SystemClock(), on_final=lambda summary: emitter().batch_final(summary))
    return (MetricListener(), PublishListener(), batches, listener())
