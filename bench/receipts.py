"""Receipts per DynamoDB write: what the receipts handler costs per SES event.

Sends N e-mails through the real sendMessage service (in-process moto, a fake SES channel), then
feeds the receipts function's own handler, as SQS would, three rounds of SES events in the published
shape: each message's Delivery, the same events again (duplicates), and a late Reject for each
(out of order). Counts DynamoDB calls by operation in each round.
Target: one conditional write per receipt that changes something, none for a duplicate or a late one.

Usage: .venv/bin/python bench/receipts.py [--messages N]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambdas")]

from tests.samples import receipts as samples  # noqa: E402
from tests.support import FakeLambdaContext, moto_service  # noqa: E402

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with moto_service(env={"POWERTOOLS_LOG_LEVEL": "WARNING"}):
        import boto3
        from messenger.adapters import aws
        from messenger.core.clock import SystemClock, new_message_id
        from messenger.core.settings import settings
        from messenger.messages.models import Provider
        from messenger.receipts.handler import lambda_handler
        from messenger.sending.dal import SendingTable
        from messenger.sending.service import MessageService

        from tests.fakes import FakeChannel

        table = SendingTable(boto3.client("dynamodb"), settings().table_name)
        service = MessageService(table, {Provider.SES: FakeChannel("ses")}, None, settings(), SystemClock(),
                                 new_message_id)  # fmt: skip
        sent = [service.send({"to": f"user{i}@example.com", "subject": "Hi", "body": "Hello",
                              "deliveryMethod": "EMAIL"}) for i in range(args.messages)]  # fmt: skip
        calls: Counter = Counter()
        client = aws.client("dynamodb")
        client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.update([model.name]))

        def round_of(events) -> Counter:
            calls.clear()
            records = [{"messageId": f"r{i}", "body": samples.sns_notification(e)} for i, e in enumerate(events)]
            for start in range(0, len(records), 10):
                answer = lambda_handler({"Records": records[start:start + 10]}, FakeLambdaContext())
                assert answer == {"batchItemFailures": []}, answer
            return Counter(calls)

        rounds = {
            "Delivery (changes the status)": round_of(
                [samples.delivery(m.id, m.to, m.provider_message_id) for m in sent]),
            "Delivery again (duplicate)": round_of(
                [samples.delivery(m.id, m.to, m.provider_message_id) for m in sent]),
            "Reject after Delivery (late, out of order)": round_of(
                [samples.reject(m.id, m.to, m.provider_message_id) for m in sent]),
        }
    n = args.messages
    print(f"Receipts per DynamoDB call, {n} e-mails (SES events through the receipts handler):")
    for name, counted in rounds.items():
        writes = sum(v for k, v in counted.items() if k in WRITES)
        reads = sum(v for k, v in counted.items() if k not in WRITES)
        print(f"  {name:45s} writes/receipt {writes / n:.2f}  reads/receipt {reads / n:.2f}  {dict(counted)}")
    changed = sum(v for k, v in rounds["Delivery (changes the status)"].items() if k in WRITES) / n
    idle = sum(v for name in list(rounds)[1:] for k, v in rounds[name].items() if k in WRITES) / n
    met = changed == 1.0 and idle == 0.0
    print(f"  target: 1 write per changing receipt, 0 per duplicate or late one: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
