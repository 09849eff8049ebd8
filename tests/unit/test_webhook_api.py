"""The webhooks API fields act for the calling client: each sees and manages only its own webhooks, and
subscribing to inbound SMS needs READ. (The service's own rules: test_webhook_service.py.)"""

from __future__ import annotations

import pytest
from messenger.core.caller import Caller, acting_as
from messenger.webhooks.service import InboundNeedsRead, NotFound

from tests.support import moto_service

HOOK = {"input": {"url": "https://93.184.215.14/hook", "events": ["MESSAGE_STATUS"]}}
SHOP = Caller("shop", frozenset({"ADMIN", "READ"}))
BANK = Caller("bank", frozenset({"ADMIN"}))


@pytest.fixture(scope="module")
def api():
    with moto_service():
        from messenger.webhooks import api

        yield api


def test_each_client_sees_and_manages_only_its_own_webhooks(api):
    with acting_as(SHOP):
        mine = api.create_webhook(HOOK)
    with acting_as(BANK):
        theirs = api.create_webhook(HOOK)
        assert [w["id"] for w in api.get_webhooks({})] == [theirs["id"]]
        for field, arguments in ((api.rotate_webhook_secret, {"id": mine["id"]}), (api.enable_webhook, {"id": mine["id"]}),
                                 (api.get_webhook_deliveries, {"webhookId": mine["id"]})):
            with pytest.raises(NotFound):
                field(arguments)
        assert api.delete_webhook({"id": mine["id"]}) is False
    with acting_as(None):  # the operator (no client): every webhook
        assert {w["id"] for w in api.get_webhooks({})} >= {mine["id"], theirs["id"]}
    with acting_as(SHOP):
        assert [w["id"] for w in api.get_webhooks({})] == [mine["id"]]
        assert api.get_webhook_deliveries({"webhookId": mine["id"]})["data"] == []
        assert api.delete_webhook({"id": mine["id"]}) is True


def test_inbound_sms_events_need_the_callers_read_scope(api):
    with acting_as(BANK), pytest.raises(InboundNeedsRead):
        api.create_webhook({"input": {**HOOK["input"], "events": ["MESSAGE_INBOUND"]}})
    with acting_as(SHOP):
        assert api.create_webhook({"input": {**HOOK["input"], "events": ["MESSAGE_INBOUND"]}})["events"] == ["MESSAGE_INBOUND"]
