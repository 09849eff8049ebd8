"""A 10,000-row CSV batch end to end through the local mode, as a client does it (issue #10).

createBatchUpload, then `curl --upload-file` of the CSV to the pre-signed URL (moto's S3), then getBatch
until the batch is COMPLETED. It then checks what a client would: the batch's total and counts, every
record paged through getMessages(filter: {batchId}), and one outbox entry per row (the Africa's
Talking stand-in's log of what it was sent). Any shortfall or surplus fails the run (exit 1).

Too long for `make test` (about 18 minutes on this machine: the dispatch worker sends the rows one
by one through the local mode's single warm instance); the suite uploads a 40-row CSV the same way (tests/e2e/test_batches_flow.py).

Usage: .venv/bin/python bench/csv_upload.py [--rows 10000] [--timeout 3600]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

UPLOAD = "mutation u($input: BatchUploadInput!) { createBatchUpload(input: $input) { batchId uploadUrl } }"
GET = "query g($id: ID!) { getBatch(id: $id) { status total counts { status count } } }"
PAGE = """query m($b: ID!, $after: String) { getMessages(filter: {batchId: $b}, first: 100, after: $after) {
  data { id batchId } pageInfo { hasNextPage endCursor } } }"""


def answer(api, query: str, variables: dict) -> dict:
    status, body = api.graphql(query, variables)
    if status != 200 or "errors" in body:
        raise SystemExit(f"{query.split('(')[0]}: HTTP {status}: {body}")
    return next(iter(body["data"].values()))


def records_of(api, batch_id: str) -> list[dict]:
    found, after = [], None
    while True:
        page = answer(api, PAGE, {"b": batch_id, "after": after})
        found += page["data"]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def main() -> int:
    from tests.e2e.conftest import start_local_mode

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    api = start_local_mode()
    try:
        with tempfile.TemporaryDirectory() as folder:
            csv = Path(folder) / "rows.csv"
            csv.write_text("to,code\n" + "".join(f"+2547{10_000_000 + i:08d},{i}\n" for i in range(args.rows)))
            started = time.perf_counter()
            target = answer(api, UPLOAD, {"input": {"body": f"Code ((code)) {tag}"}})
            subprocess.run(["curl", "--silent", "--show-error", "--fail", "--upload-file", str(csv),
                            "-H", "Content-Type: text/csv", target["uploadUrl"]], check=True, timeout=300)
        uploaded = time.perf_counter() - started
        batch, queued_at = None, None
        while time.perf_counter() - started < args.timeout:
            batch = answer(api, GET, {"id": target["batchId"]})
            if queued_at is None and batch["status"] not in ("VALIDATING",):
                queued_at = time.perf_counter() - started
            if batch["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                break
            time.sleep(2)
        finished = time.perf_counter() - started
        records = records_of(api, target["batchId"])
        sent = [e for e in api.outbox() if tag in (e.get("body") or "")]
        counts = {c["status"]: c["count"] for c in batch["counts"]}
        print(f"{args.rows} rows: uploaded with curl in {uploaded:.1f} s; validated and fanned out by "
              f"{queued_at or float('nan'):.1f} s; {batch['status']} after {finished:.1f} s "
              f"({args.rows / finished:.0f} messages/s end to end)")
        print(f"  batch total {batch['total']}, counts {counts}")
        print(f"  records paged by batchId {len(records)} (distinct ids {len({r['id'] for r in records})}), "
              f"outbox entries {len(sent)} (distinct recipients {len({e['to'] for e in sent})})")
        good = (batch["status"] == "COMPLETED" and batch["total"] == args.rows
                and sum(counts.values()) == args.rows and len({r["id"] for r in records}) == args.rows
                and len(records) == args.rows and len(sent) == args.rows
                and len({e["to"] for e in sent}) == args.rows)
        print("  result:", "every row recorded once and sent once" if good else "MISMATCH")
        return 0 if good else 1
    finally:
        api.stop()


if __name__ == "__main__":
    sys.exit(main())
