"""Batches through the local mode, as a client sees them (issue 10's "Done when"):
a mixed batch with personalisation ends COMPLETED; 2 bad rows of 50 are BadRequest listing them with
nothing written; a CSV PUT to the pre-signed URL (moto's S3 announces it to the uploads queue, whose
worker validates and fans it out) ends COMPLETED with its records and outbox entries; a CSV with one
bad row ends FAILED with nothing sent; the same idempotencyKey returns the same batch; a batch
scheduled a few seconds ahead is SCHEDULED, then sent (the local mode fires its one schedule), one
cancelled before its time is never sent, and a completed batch cannot be cancelled. (A batch over the
client's daily quota: tests/e2e/test_limits_flow.py, whose local mode has a small one.)

The CSV here has UPLOAD_ROWS rows to keep the suite fast; bench/csv_upload.py uploads 10,000 the same way (with curl).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
import uuid

from tests.e2e.conftest import fresh_number, wait_for

UPLOAD_ROWS = 40
BATCH_FIELDS = ("id reference status total counts { status count } createdAt completedAt sendAt "
                "errors { row field message } badRows")
SEND = f"mutation s($input: BatchInput!) {{ sendBatch(input: $input) {{ {BATCH_FIELDS} }} }}"
UPLOAD = "mutation u($input: BatchUploadInput!) { createBatchUpload(input: $input) { batchId uploadUrl expiresAt } }"
CANCEL = f"mutation c($id: ID!) {{ cancelBatch(id: $id) {{ {BATCH_FIELDS} }} }}"
GET = f"query g($id: ID!) {{ getBatch(id: $id) {{ {BATCH_FIELDS} }} }}"
LIST = "query l($first: Int, $after: String) { getBatches(first: $first, after: $after) { data { id } pageInfo { hasNextPage endCursor } } }"
MESSAGES = """query m($b: ID!, $after: String) {
  getMessages(filter: {batchId: $b}, first: 100, after: $after) {
    data { id to body subject deliveryMethod deliveryStatus batchId } pageInfo { hasNextPage endCursor } } }"""


def ok(local_api, query, variables):
    status, body = local_api.graphql(query, variables)
    assert status == 200 and "errors" not in body, body
    return next(iter(body["data"].values()))


def batch_messages(local_api, batch_id) -> list[dict]:
    found, after = [], None
    while True:
        page = ok(local_api, MESSAGES, {"b": batch_id, "after": after})
        found += page["data"]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def completed(local_api, batch_id, timeout=60) -> dict:
    return wait_for(lambda: (b := ok(local_api, GET, {"id": batch_id}))["status"] == "COMPLETED" and b, timeout)


def tag() -> str:
    return uuid.uuid4().hex[:8]


def test_a_mixed_batch_with_personalisation_is_sent_and_completes(local_api):
    t = tag()
    rows = [
        {"to": "success@simulator.amazonses.com", "deliveryMethod": "EMAIL", "personalisation": json.dumps({"name": "Ann"})},
        {"to": "+14155550100", "deliveryMethod": "SMS", "personalisation": json.dumps({"name": "Ben"})},
        {"to": f"+2547{int(t, 16) % 10**8:08d}", "deliveryMethod": "SMS", "personalisation": json.dumps({"name": "Cy"})},
    ]
    batch = ok(local_api, SEND, {"input": {"messages": rows, "body": f"Hello ((name)) {t}", "subject": "For ((name))",
                                          "reference": f"promo-{t}", "idempotencyKey": f"mixed-{t}"}})
    assert (batch["status"], batch["total"], batch["reference"]) == ("SENDING", 3, f"promo-{t}")
    again = ok(local_api, SEND, {"input": {"messages": rows, "body": f"Hello ((name)) {t}", "subject": "For ((name))",
                                          "reference": f"promo-{t}", "idempotencyKey": f"mixed-{t}"}})
    assert again["id"] == batch["id"]  # the same key: the same batch, nothing sent again
    done = completed(local_api, batch["id"])
    assert done["counts"] == [{"status": "DELIVERED", "count": 3}] and done["completedAt"]
    messages = {m["to"]: m for m in batch_messages(local_api, batch["id"])}
    assert len(messages) == 3 and {m["batchId"] for m in messages.values()} == {batch["id"]}
    assert messages["success@simulator.amazonses.com"]["subject"] == "For Ann"
    assert messages["+14155550100"]["body"] == f"Hello Ben {t}"
    sent = [e for e in local_api.outbox() if t in (e.get("body") or "")]
    assert len(sent) == 3 and all(any(f"Hello {n} {t}" in e["body"] for e in sent) for n in ("Ann", "Ben", "Cy"))
    assert batch["id"] in [b["id"] for b in ok(local_api, LIST, {"first": 100})["data"]]


def test_two_bad_rows_of_fifty_are_listed_and_nothing_is_written(local_api):
    items_before = local_api.get("/local/table")[1]["items"]
    rows = [{"to": f"+2547119{i:05d}", "deliveryMethod": "SMS"} for i in range(50)]
    rows[7]["to"] = "+2547"
    rows[31] = {"to": "nobody@", "deliveryMethod": "EMAIL"}
    status, body = local_api.graphql(SEND, {"input": {"messages": rows, "body": "Hi"}})
    [error] = body["errors"]
    assert status == 200 and error["errorType"] == "BadRequest" and body["data"]["sendBatch"] is None
    assert error["errorInfo"]["badRows"] == 2
    assert [(r["row"], r["field"]) for r in error["errorInfo"]["rows"]] == [(7, "to"), (31, "to")]
    assert local_api.get("/local/table")[1]["items"] == items_before


def _upload(local_api, lines: list[str], t: str) -> dict:
    upload = ok(local_api, UPLOAD, {"input": {"body": f"Code ((code)) {t}", "idempotencyKey": f"up-{t}"}})
    assert upload["uploadUrl"].startswith("http://127.0.0.1:") and upload["expiresAt"]
    # urllib would say application/x-www-form-urlencoded, whose body moto's server reads as a form (and stores
    # nothing); S3 keeps any body. A CSV says what it is.
    request = urllib.request.Request(upload["uploadUrl"], data=("\n".join(lines) + "\n").encode(), method="PUT",
                                     headers={"Content-Type": "text/csv"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    return upload


def test_a_csv_uploaded_to_the_presigned_url_is_sent_and_completes(local_api):
    t = tag()
    lines = ["to,code"] + [f"+2547{int(t, 16) % 10**4:04d}{i:04d},{i}" for i in range(UPLOAD_ROWS - 1)]
    lines.append(f"batch+{t}@example.com,{UPLOAD_ROWS}")  # deliveryMethod inferred: e-mail
    upload = _upload(local_api, lines, t)
    done = completed(local_api, upload["batchId"], timeout=120)
    assert done["total"] == UPLOAD_ROWS and done["errors"] == []
    assert sum(c["count"] for c in done["counts"]) == UPLOAD_ROWS
    assert len(batch_messages(local_api, upload["batchId"])) == UPLOAD_ROWS
    assert len([e for e in local_api.outbox() if t in (e.get("body") or "")]) == UPLOAD_ROWS
    again = ok(local_api, UPLOAD, {"input": {"body": f"Code ((code)) {t}", "idempotencyKey": f"up-{t}"}})
    assert again["batchId"] == upload["batchId"]


def test_a_csv_with_one_bad_row_fails_and_nothing_is_sent(local_api):
    t = tag()
    lines = ["to,code", f"+2547118{int(t, 16) % 10**5:05d},1", "+2547,2", f"+2547117{int(t, 16) % 10**5:05d},3"]
    upload = _upload(local_api, lines, t)
    failed = wait_for(lambda: (b := ok(local_api, GET, {"id": upload["batchId"]}))["status"] == "FAILED" and b, 30)
    assert failed["badRows"] == 1 and [(e["row"], e["field"]) for e in failed["errors"]] == [(1, "to")]
    assert batch_messages(local_api, upload["batchId"]) == []
    assert [e for e in local_api.outbox() if t in (e.get("body") or "")] == []


def test_a_scheduled_batch_is_sent_at_its_time_a_cancelled_one_never_and_a_completed_one_stays(local_api):
    t = tag()
    send_at = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)).isoformat(timespec="milliseconds")

    def rows():
        return [{"to": "success@simulator.amazonses.com", "deliveryMethod": "EMAIL"},
                {"to": fresh_number(), "deliveryMethod": "SMS"}]

    kept = ok(local_api, SEND, {"input": {"messages": rows(), "body": f"Kept {t}", "subject": "S", "sendAt": send_at}})
    dropped = ok(local_api, SEND, {"input": {"messages": rows(), "body": f"Dropped {t}", "subject": "S",
                                             "sendAt": send_at}})
    assert (kept["status"], kept["total"], kept["counts"]) == ("SCHEDULED", 2, [{"status": "SCHEDULED", "count": 2}])
    assert kept["sendAt"] and dt.datetime.fromisoformat(kept["sendAt"].replace("Z", "+00:00")) == \
        dt.datetime.fromisoformat(send_at)
    cancelled = ok(local_api, CANCEL, {"id": dropped["id"]})
    assert (cancelled["status"], cancelled["counts"]) == ("CANCELLED", [{"status": "CANCELLED", "count": 2}])
    assert ok(local_api, GET, {"id": kept["id"]})["status"] == "SCHEDULED"
    assert {m["deliveryStatus"] for m in batch_messages(local_api, kept["id"])} == {"SCHEDULED"}
    assert [e for e in local_api.outbox() if t in (e.get("body") or "")] == []

    done = completed(local_api, kept["id"], timeout=30)  # its schedule fired, after its time
    assert done["counts"] == [{"status": "DELIVERED", "count": 2}]
    sent = [e["body"] for e in local_api.outbox() if t in (e.get("body") or "")]
    assert len(sent) == 2 and all(f"Kept {t}" in body for body in sent)  # the e-mail's as HTML, the SMS's text
    assert not [body for body in sent if "Dropped" in body]  # its time has passed too: nothing of it
    assert ok(local_api, GET, {"id": dropped["id"]})["status"] == "CANCELLED"
    assert {m["deliveryStatus"] for m in batch_messages(local_api, dropped["id"])} == {"CANCELLED"}
    status, body = local_api.graphql(CANCEL, {"id": kept["id"]})
    assert body["errors"][0]["errorType"] == "BadRequest" and "COMPLETED" in body["errors"][0]["message"]
