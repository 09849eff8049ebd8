"""What a send by template costs in AWS calls, beside a plain send (issue 9).

Targets: a send by template makes at most one table read more than the same plain send (the head's
GetItem for the latest version, one BatchGetItem of head + version for a pinned one), and none more
once a warm function has read that version (versions never change; the latest version and `archived`
are trusted for `templateCacheSeconds`).

Usage: .venv/bin/python bench/templates.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from bench.cold_start import counted_api  # noqa: E402 - after the path above

READS = ("dynamodb.GetItem", "dynamodb.BatchGetItem", "dynamodb.Query")


def main() -> int:
    rows: list[tuple[str, list[str]]] = []
    with counted_api() as (call, calls):
        from messenger.templates.dependencies import template_service

        def send(label: str, **input_) -> None:
            call("Mutation", "sendMessage", {"input": {"to": "user@example.com", "deliveryMethod": "EMAIL", **input_}})
            rows.append((label, list(calls)))

        send("plain send (subject + body)", subject="Order A-1", body="Dear Jo, your order A-1 is ready.")
        template = call("Mutation", "createTemplate", {"input": {
            "name": "receipt", "channel": "EMAIL", "subject": "Order ((ref))", "body": "Dear ((name)), your order ((ref)) is ready."}})
        by_template = {"templateId": template["id"], "personalisation": '{"name": "Jo", "ref": "A-1"}'}
        cache = template_service()._cache
        cache.forget(template["id"])
        cache.versions.clear()
        send("by template, latest, cold function", **by_template)
        send("by template, latest, warm (within templateCacheSeconds)", **by_template)
        cache.forget(template["id"])
        cache.versions.clear()
        send("by template, pinned v1, cold function", templateVersion=1, **by_template)
        send("by template, pinned v1, warm", templateVersion=1, **by_template)

    plain_reads = sum(c in READS for c in rows[0][1])
    print("AWS calls per sendMessage (in order):")
    ok = True
    for label, made in rows:
        extra = sum(c in READS for c in made) - plain_reads
        limit = 0 if "warm" in label else 1
        met = extra <= limit and len(made) - extra == len(rows[0][1])
        ok &= met
        print(f"  {label:<58} {len(made)} calls, {extra:+d} reads vs plain (target <= {limit}: "
              f"{'met' if met else 'MISSED'})  {' -> '.join(made)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
