"""The inbound domain's composition root, built on first use."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.inbound.dal import InboundTable

    return InboundTable(client("dynamodb"), settings().table_name)


@cache
def inbound_service():
    from messenger.core.clock import SystemClock, new_message_id
    from messenger.inbound.logic import InboundService
    from messenger.proxy.dependencies import proxy_service
    from messenger.sending.dependencies import message_service
    from messenger.suppressions.dependencies import table as suppressions
    from messenger.webhooks.dependencies import emitter

    return InboundService(
        table(), suppressions(), lambda args: message_service().send(args), SystemClock(), new_message_id,
        help_text=settings().inbound_help_text, reply_senders=settings().sms_sender_ids, conversations=proxy_service,
        events=emitter,
    )
