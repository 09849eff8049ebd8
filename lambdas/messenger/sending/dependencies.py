"""The sending domain's composition root: real adapters wired to the logic, built once per execution
environment. Nothing here runs at import; the first request that needs a piece builds it (and its
boto3 client).
"""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings
from messenger.messages.dependencies import status_listeners
from messenger.messages.models import Message, Provider
from messenger.sending.providers import spec_of
from messenger.sending.service import MessageService


@cache
def repository():
    from messenger.adapters.aws import client
    from messenger.sending.dal import SendingTable

    return SendingTable(client("dynamodb"), settings().table_name)


class _LazyChannels(dict):
    """Provider -> direct channel, each adapter (and its client) built the first time it is asked for."""

    def __missing__(self, provider: Provider):
        build = spec_of(provider).build_channel
        if build is None:
            raise KeyError(provider)
        self[provider] = channel = build(settings())
        return channel


class _LazySenders(dict):
    """Provider -> the worker's group sender, built on first use."""

    def __missing__(self, provider: Provider):
        from messenger.sending.providers.base import OneByOne

        spec = spec_of(provider)
        sender = spec.build_sender(settings()) if spec.build_sender else OneByOne(channels()[provider])
        self[provider] = sender
        return sender


class _LazyPacers(dict):
    """Provider -> its pacing hook, built on first use from the provider's spec: a SharedPacer over the
    table at the rate its setting gives (unpaced when 0 or not set)."""

    def get(self, provider: Provider, default=None):
        if provider not in self:
            self[provider] = build_pacer(spec_of(provider), settings(), repository())
        return self[provider]


def build_pacer(spec, config, counter):
    from messenger.sending.providers.base import Pacer, SharedPacer

    if spec.build_pacer is not None:
        return spec.build_pacer(config, counter)
    rate = config.get(spec.rate_setting, 0) if spec.rate_setting else 0
    return SharedPacer(rate, counter, spec.provider.value) if rate else Pacer(None)


@cache
def channels() -> dict:
    return _LazyChannels()


@cache
def senders() -> dict:
    return _LazySenders()


@cache
def job_queue():
    from messenger.adapters.aws import client
    from messenger.adapters.queue import SqsJobQueue

    url = settings().get("outbound_queue_url")
    return SqsJobQueue(client("sqs"), url) if url else None


class _LazyQueue:
    """Defers building the SQS client until a message is actually queued."""

    def enqueue(self, message: Message, delay_seconds: int = 0, text: str | None = None) -> None:
        job_queue().enqueue(message, delay_seconds, text)


def suppression_table():
    from messenger.suppressions.dependencies import table

    return table()


def suppressor():
    from messenger.suppressions.dependencies import suppressor

    return suppressor()


def scheduled_sends():
    from messenger.scheduling.dependencies import scheduled_sends

    return scheduled_sends()


def template_service():
    from messenger.templates.dependencies import template_service

    return template_service()


def limiter():
    from messenger.limits.dependencies import limiter

    return limiter()


@cache
def message_service() -> MessageService:
    from messenger.core.clock import SystemClock, new_message_id

    return MessageService(
        repository=repository(),
        channels=channels(),
        queue=_LazyQueue() if settings().get("outbound_queue_url") else None,
        settings=settings(),
        clock=SystemClock(),
        new_id=new_message_id,
        listeners=status_listeners(),
        suppressions=suppression_table(),
        templates=template_service,
        scheduler=scheduled_sends if settings().get("send_schedules") else None,
        limits=limiter(),
    )


@cache
def dispatcher():
    from messenger.core.clock import SystemClock
    from messenger.sending.dispatcher import Dispatcher

    config = settings()
    return Dispatcher(
        repository(), senders(), job_queue(), SystemClock(),
        max_receive_count=config.max_receive_count,
        retry_base_seconds=config.retry_base_seconds,
        claim_lease_seconds=config.claim_lease_seconds,
        listeners=status_listeners(),
        suppressions=suppressor(),
        pacers=_LazyPacers(),
    )
