"""The batch item as the table holds it (batches/records.py): a new batch and back, and an item an
earlier release wrote, before a batch kept its slice counters."""

from __future__ import annotations

from messenger.batches.models import Batch, BatchSource, BatchStatus, Content
from messenger.batches.records import from_batch_item, to_batch_item
from messenger.messages.models import DeliveryStatus

NEW = Batch(id="01JBATCH", status=BatchStatus.SCHEDULED, source=BatchSource.UPLOAD,
            content=Content(body="Hi ((name))", subject="S", reference="promo"), created_at="2026-11-23T12:00:00.000Z",
            updated_at="2026-11-23T12:00:01.000Z", total=3, reference="promo", send_at="2026-11-24T09:00:00.000Z",
            client_id="c-1")  # fmt: skip


def test_a_new_batch_reads_back_as_it_was_written_with_zero_counts():
    back = from_batch_item(to_batch_item(NEW))
    assert back.counts == {status.value: 0 for status in DeliveryStatus}
    assert back == Batch(**{**NEW.__dict__, "counts": back.counts})


def test_an_item_without_the_slice_counters_reads_as_nothing_recorded_or_queued():
    item = to_batch_item(NEW)
    for name in ("slicesDone", "slicesQueued"):
        del item[name]
    back = from_batch_item(item)
    assert (back.slices_done, back.slices_queued, back.bad_rows, back.errors) == (0, 0, 0, ())
    assert not back.recorded(slice_rows=250)
