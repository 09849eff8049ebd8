"""What the send limits cost a sendMessage in AWS calls, measured against moto in one run.

The API handler sends the same messages twice, with the limits on (as deployed) and off (the
baseline: the service built without a limiter), and counts every AWS call of each send. Targets:
- an admitted send makes exactly ONE DynamoDB call more than the baseline (the TransactWriteItems
  that takes every counter at once);
- a send the limits refuse makes that one call and nothing else (no read, no write, no provider);
- a further field of a request already at its cap makes no call at all (refused from memory).

Usage: .venv/bin/python bench/limits.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambdas"), str(ROOT / "bench")]

from cold_start import counted_api  # after the path above

SENDS = {
    "sendMessage (EMAIL)": {"to": "user@example.com", "subject": "Hi", "body": "Hello", "deliveryMethod": "EMAIL"},
    "sendMessage (SMS via SNS)": {"to": "+14155550123", "body": "Hello", "deliveryMethod": "SMS"},
    "sendMessage (SMS via Africa's Talking: queued)": {"to": "+254711223344", "body": "Hello", "deliveryMethod": "SMS"},
}


def run_sends(call, calls, trace: str) -> dict[str, list[str]]:
    from messenger.api import lambda_handler

    from tests.support import FakeLambdaContext, appsync_event

    made = {}
    for name, send in SENDS.items():
        calls.clear()
        event = appsync_event("Mutation", "sendMessage", {"input": send})
        event["request"] = {"headers": {"x-amzn-trace-id": f"Root={trace}"}}
        answer = lambda_handler(event, FakeLambdaContext())
        assert "data" in answer, answer
        made[name] = list(calls)
    return made


def refused(calls, trace: str, times: int) -> list[tuple[str, list[str]]]:
    from messenger.api import lambda_handler

    from tests.support import FakeLambdaContext, appsync_event

    seen = []
    for n in range(times):
        calls.clear()
        event = appsync_event("Mutation", "sendMessage", {"input": {
            "to": f"user{n}@example.com", "subject": "Hi", "body": "Hello", "deliveryMethod": "EMAIL"}})
        event["request"] = {"headers": {"x-amzn-trace-id": f"Root={trace}"}}
        answer = lambda_handler(event, FakeLambdaContext())
        seen.append(((answer.get("error") or {}).get("type", "sent"), list(calls)))
    return seen


def main() -> int:
    # A cap of 3 per request, so the refusals below are reached in a few sends.
    with counted_api() as (call, calls):
        from messenger.core.settings import settings
        from messenger.limits.dependencies import limiter
        from messenger.sending import dependencies

        os.environ["MESSAGES_PER_REQUEST"] = "3"
        for cached in (settings, limiter, dependencies.message_service):
            cached.cache_clear()

        limited = run_sends(call, calls, "1-limits-on")
        over_cap = refused(calls, "1-one-request", 5)
        original = dependencies.limiter
        dependencies.message_service.cache_clear()
        dependencies.limiter = lambda: None
        try:
            baseline = run_sends(call, calls, "1-limits-off")
        finally:
            dependencies.limiter = original
            dependencies.message_service.cache_clear()

    ok = True
    print("AWS calls per send, limits off (baseline) and on, in order:")
    for name in SENDS:
        added = len(limited[name]) - len(baseline[name])
        extra = [c for c in limited[name] if c not in baseline[name]]
        met = added == 1 and extra == ["dynamodb.TransactWriteItems"]
        ok &= met
        print(f"  {name}")
        print(f"    off: {len(baseline[name])} calls  {' -> '.join(baseline[name])}")
        print(f"    on:  {len(limited[name])} calls  {' -> '.join(limited[name])}")
        print(f"    added: {added} ({', '.join(extra) or 'none'})  (target: exactly 1 DynamoDB call: "
              f"{'met' if met else 'MISSED'})")
    print("\nOne request, 5 sends, cap 3 per request:")
    for n, (outcome, made) in enumerate(over_cap, 1):
        print(f"  send {n}: {outcome:<14} {len(made)} calls  {' -> '.join(made) or '-'}")
    fourth, fifth = over_cap[3], over_cap[4]
    refused_ok = fourth == ("LimitExceeded", ["dynamodb.TransactWriteItems"]) and fifth == ("LimitExceeded", [])
    ok &= refused_ok
    print(f"  refused: the first costs the one transaction, later ones nothing "
          f"({'met' if refused_ok else 'MISSED'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
