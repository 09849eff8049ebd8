"""The proxy domain's composition root, built on first use (the API function and the inbound worker)."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings


@cache
def proxy_service():
    from messenger.adapters.aws import client
    from messenger.core.clock import SystemClock, new_message_id
    from messenger.proxy.dal import ProxyTable
    from messenger.proxy.logic import ProxyService
    from messenger.sending.dependencies import message_service

    config = settings()
    return ProxyService(
        ProxyTable(client("dynamodb"), config.table_name),
        lambda args, origination: message_service().send(args, origination=origination),
        SystemClock(), new_message_id, at_country_codes=config.at_country_codes,
        organisation=config.proxy_organisation_name, start_text=config.proxy_start_text,
        end_text=config.proxy_end_text, no_session_text=config.proxy_no_session_text,
    )
