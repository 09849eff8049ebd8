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
    """Provider -> its pacing hook, built on first use from the provider's spec."""

    def get(self, provider: Provider, default=None):
        if provider not in self:
            self[provider] = spec_of(provider).build_pacer(settings())
        return self[provider]


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


def template_service():
    from messenger.templates.dependencies import template_service

    return template_service()


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
