"""The templates domain's composition root, built on first use (and kept: its cache lives as long as
the execution environment)."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.templates.dal import TemplatesTable

    return TemplatesTable(client("dynamodb"), settings().table_name)


@cache
def template_service():
    from messenger.core.clock import SystemClock, new_message_id
    from messenger.templates.logic import TemplateService

    return TemplateService(table(), settings(), SystemClock(), new_message_id)
