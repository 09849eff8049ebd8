"""The batch item as the table holds it: PK "BATCH#<id>", SK "BATCH" (batches/dal.py says what each
operation reads and writes). Counters `n<STATUS>` start at 0 and are moved by messages/batch_counts.py."""

from __future__ import annotations

import json

from messenger.batches.models import Batch, BatchSource, BatchStatus, Content, RowError
from messenger.messages.records import batch_counters, batch_key, count_attribute
from messenger.messages.models import DeliveryStatus


def to_batch_item(batch: Batch) -> dict:
    item = {
        **batch_key(batch.id),
        "id": {"S": batch.id},
        "status": {"S": batch.status.value},
        "source": {"S": batch.source.value},
        "content": {"S": json.dumps(batch.content.as_dict(), separators=(",", ":"))},
        "createdAt": {"S": batch.created_at},
        "updatedAt": {"S": batch.updated_at},
        "total": {"N": str(batch.total)},
        "slicesDone": {"N": "0"},
        "slicesQueued": {"N": "0"},
        **{count_attribute(status): {"N": "0"} for status in DeliveryStatus},
    }
    if batch.reference is not None:
        item["reference"] = {"S": batch.reference}
    if batch.send_at is not None:
        item["sendAt"] = {"S": batch.send_at}
    if batch.client_id is not None:
        item["clientId"] = {"S": batch.client_id}
    return item


def from_batch_item(item: dict) -> Batch:
    counts = batch_counters(item)
    errors = json.loads(item.get("errors", {}).get("S", "[]"))
    return Batch(
        id=item["id"]["S"],
        status=BatchStatus(item["status"]["S"]),
        source=BatchSource(item["source"]["S"]),
        content=Content.from_dict(json.loads(item["content"]["S"])),
        created_at=item["createdAt"]["S"],
        updated_at=item["updatedAt"]["S"],
        total=counts["total"],
        reference=item.get("reference", {}).get("S"),
        counts={s.value: counts[s.value] for s in DeliveryStatus},
        errors=tuple(RowError(e["row"], e["field"], e["message"]) for e in errors),
        bad_rows=int(item.get("badRows", {}).get("N", "0")),
        slices_done=int(item.get("slicesDone", {}).get("N", "0")),
        completed_at=item.get("completedAt", {}).get("S"),
        send_at=item.get("sendAt", {}).get("S"),
        client_id=item.get("clientId", {}).get("S"),
        slices_queued=int(item.get("slicesQueued", {}).get("N", "0")),
    )
