"""The composition root: real adapters wired to the logic, built once per execution environment.

Nothing here runs at import; the first request that needs a piece builds it (and its boto3 client).
"""

from __future__ import annotations

from functools import cache

from messenger.core.observability import count
from messenger.sending.service import MessageService, Outcomes
from messenger.messages.models import Message, Provider
from messenger.core.settings import settings


class MetricOutcomes(Outcomes):
    def sent(self, message: Message) -> None:
        count("MessagesSent", f"{message.delivery_method.value}/{message.provider.value}")

    def failed(self, message: Message) -> None:
        count("MessagesFailed", f"{message.delivery_method.value}/{message.provider.value}")

    def queued(self, message: Message) -> None:
        count("MessagesQueued", f"{message.delivery_method.value}/{message.provider.value}")


@cache
def repository():
    from messenger.adapters.aws import client
    from messenger.messages.dal import MessagesTable

    return MessagesTable(client("dynamodb"), settings().table_name)


class _LazyChannels(dict):
    """Provider -> channel, each adapter (and its client) built the first time it is asked for."""

    def __missing__(self, provider: Provider):
        from messenger.adapters.aws import client

        config = settings()
        if provider is Provider.SES:
            from messenger.adapters.ses import SesEmailChannel

            channel = SesEmailChannel(
                client("sesv2", config.ses_region, retries=1), config.ses_configuration_set
            )
        elif provider is Provider.SNS:
            from messenger.adapters.sns import SnsSmsChannel

            channel = SnsSmsChannel(client("sns", config.sns_region, retries=1), config.sms_type)
        else:
            raise KeyError(provider)
        self[provider] = channel
        return channel


@cache
def channels() -> dict:
    return _LazyChannels()


@cache
def job_queue():
    from messenger.adapters.aws import client
    from messenger.adapters.queue import SqsJobQueue

    url = settings().outbound_queue_url
    return SqsJobQueue(client("sqs"), url) if url else None


class _LazyQueue:
    """Defers building the SQS client until a message is actually queued."""

    def enqueue(self, message: Message, delay_seconds: int = 0) -> None:
        job_queue().enqueue(message, delay_seconds)


@cache
def message_service() -> MessageService:
    from messenger.core.clock import SystemClock, new_message_id

    return MessageService(
        repository=repository(),
        channels=channels(),
        queue=_LazyQueue() if settings().outbound_queue_url else None,
        settings=settings(),
        clock=SystemClock(),
        new_id=new_message_id,
        outcomes=MetricOutcomes(),
    )
