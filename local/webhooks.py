"""GET /local/webhooks: every webhook (without its secrets) and its delivery attempts, newest first."""

from __future__ import annotations

from local.http import json_response


def webhooks_view(table_name: str) -> dict:
    from messenger.adapters.aws import client
    from messenger.webhooks.dal import WebhooksTable

    table = WebhooksTable(client("dynamodb"), table_name)
    shown = []
    for webhook in sorted(table.all(), key=lambda w: w.created_at):
        attempts, _ = table.attempts(webhook.id, 1000, None)
        shown.append({**webhook.to_graphql(), "attempts": [a.to_graphql() for _, a in attempts]})
    return {"webhooks": shown}


def add_webhooks_route(server, table_name: str) -> None:
    server.add_get("/local/webhooks", lambda _: json_response(200, webhooks_view(table_name)))
