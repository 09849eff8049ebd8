"""Africa's Talking's blacklist refusal (406) suppresses the number; other refusals do not."""

import boto3
import pytest
from messenger.core.clock import SystemClock, new_message_id
from messenger.core.settings import settings
from messenger.messages.models import DeliveryStatus, Provider
from messenger.sending.dispatcher import Dispatcher
from messenger.sending.service import MessageService
from messenger.suppressions.dal import SuppressionsTable
from messenger.suppressions.logic import Suppressor

from tests.fakes import (
    FakeAfricasTalking,
    FakeChannel,
    FakeQueue,
    FixedCredentials,
    senders,
)
from tests.support import full_table, moto_service
from tests.unit.test_dispatch import jobs_for


@pytest.fixture
def world():
    with moto_service() as resources:
        table = full_table(resources.table_name)
        suppressions = SuppressionsTable(boto3.client("dynamodb"), resources.table_name)
        queue = FakeQueue()
        service = MessageService(table, {Provider.SNS: FakeChannel("sns")}, queue, settings(), SystemClock(),
                                 new_message_id, suppressions=suppressions)  # fmt: skip
        yield table, suppressions, queue, service


def worker(table, suppressions, at):
    return Dispatcher(
        table, senders({}, at, FixedCredentials(), sender_id=None, max_recipients=100), FakeQueue(), SystemClock(),
        max_receive_count=3, retry_base_seconds=10, claim_lease_seconds=30,
        suppressions=Suppressor(suppressions, SystemClock()),
    )


@pytest.mark.parametrize("code, suppressed", [(406, True), (403, False), (405, False)])
def test_only_the_blacklist_refusal_suppresses_the_number(world, code, suppressed):
    table, suppressions, queue, service = world
    message = service.send({"to": "+254711000406", "body": "Hi", "deliveryMethod": "SMS"})
    at = FakeAfricasTalking(codes={message.to: code})
    worker(table, suppressions, at).process(jobs_for(queue.jobs))
    entry = suppressions.get(message.to)
    assert (entry is not None) is suppressed
    if suppressed:
        assert (entry.reason, entry.message_id) == ("blacklisted", message.id)
        again = service.send({"to": message.to, "body": "Hi again", "deliveryMethod": "SMS"})
        assert (again.delivery_status, again.failure_reason) == (DeliveryStatus.FAILED, "Suppressed: blacklisted")
        assert len(queue.jobs) == 1  # the second was never queued
