"""The local mode's e-mail send rate against moto's own floor for the same work, in one run.

Floor: the three calls one e-mail send needs at the least (DynamoDB PutItem of the record, SES
SendEmail, DynamoDB UpdateItem of its status), made back to back by one boto3 client on the local
mode's own moto (its printed endpoint, the table and identity the handlers use): sends/s = 1 / time of
the three. It is measured before and after the load and averaged, as the machine's load drifts.
For comparison the same three calls are also timed on a moto inside this bench's process (mock_aws, no
HTTP at all): the cheapest moto can be on this machine.

Load: `sendMessage` by e-mail over HTTP from 8, then 20 clients (a fresh recipient each, so nothing is
suppressed). Every send must answer ACCEPTED; afterwards the records in the table and the outbox
entries must equal the sends accepted (reconciliation). Receipts and status publishes run as they
always do in the local mode.

Target: under 8 clients, the send rate >= 60 % of the floor, 0 errors, 0 mismatches.

Also printed per run, from the local mode's `/local/cpu`: the CPU time its process spends per send, and
the part of it spent inside moto answering the handlers' in-process calls (each call's own thread CPU
time, so waiting for a lock or the GIL is left out). moto's backends live in that one process, so that
part cannot run in parallel with itself: 1 / (moto's CPU per send) is a ceiling on the send rate however
the rest of the work were spread over processes, and the ceiling over the floor bounds the ratio.
Usage: .venv/bin/python bench/local_throughput.py [--sends 600] [--floor 300]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from stacks.config import load_cdk_json_config  # noqa: E402
from stacks.wiring import resource_names, ses_event_configuration_set  # noqa: E402
from tests.e2e.conftest import start_local_mode  # noqa: E402 - the same launcher the e2e suite uses

SEND = "mutation($input: MessageInput!){ sendMessage(input: $input){ id deliveryStatus } }"
TARGET = 0.60


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def moto_floor(endpoint: str | None, rounds: int, boto3=None) -> float:
    """Sends/s moto allows for one e-mail send's three calls, back to back on one client."""
    if boto3 is None:
        import boto3

    config = load_cdk_json_config()
    table = resource_names(config).table
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    ses = session.client("sesv2", endpoint_url=endpoint, region_name=config.ses_region or "us-east-1")
    body = "Floor " * 10

    def one(n: int) -> None:
        key = {"PK": {"S": f"FLOOR#{uuid.uuid4()}"}, "SK": {"S": "MESSAGE"}}
        dynamodb.put_item(TableName=table, Item={**key, "to": {"S": f"floor{n}@example.com"}, "body": {"S": body},
                                                 "deliveryStatus": {"S": "ACCEPTED"}},  # fmt: skip
                          ConditionExpression="attribute_not_exists(PK)")
        ses.send_email(
            FromEmailAddress=config.sender_email,
            Destination={"ToAddresses": [f"floor{n}@example.com"]},
            Content={"Simple": {"Subject": {"Data": "Floor"}, "Body": {"Text": {"Data": body}, "Html": {"Data": body}}}},
            ConfigurationSetName=ses_event_configuration_set(config),
        )
        dynamodb.update_item(TableName=table, Key=key, UpdateExpression="SET deliveryStatus = :s",
                             ConditionExpression="deliveryStatus = :a",
                             ExpressionAttributeValues={":s": {"S": "SENT"}, ":a": {"S": "ACCEPTED"}})  # fmt: skip

    for n in range(20):  # warm: clients built, connections open
        one(n)
    started = time.perf_counter()
    for n in range(rounds):
        one(n)
    return rounds / (time.perf_counter() - started)


def in_process_floor(rounds: int) -> float:
    """The same three calls on a moto of this process's own (mock_aws: no HTTP), for comparison."""
    import os

    import boto3
    from moto import mock_aws

    from local.resources import create_resources
    from stacks.wiring import build_wiring

    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    try:
        with mock_aws():
            config = load_cdk_json_config()
            create_resources(config, build_wiring(config))
            return moto_floor(None, rounds, boto3)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def records_in(api) -> int:
    """Message records in the local mode's table (PK MESSAGE#<recipient>, SK MESSAGE#<ULID>), read from its moto."""
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=api.aws_endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    table, count, start = resource_names(load_cdk_json_config()).table, 0, None
    while True:
        page = dynamodb.scan(TableName=table, Select="COUNT", FilterExpression="begins_with(PK, :m) AND begins_with(SK, :m)",
                             ExpressionAttributeValues={":m": {"S": "MESSAGE#"}},
                             **({"ExclusiveStartKey": start} if start else {}))  # fmt: skip
        count, start = count + page["Count"], page.get("LastEvaluatedKey")
        if not start:
            return count


def load(api, clients: int, sends: int, run: str) -> dict:
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    accepted: set[str] = set()

    def send(n: int) -> None:
        variables = {"input": {"to": f"{run}-{n}@example.com", "subject": "Throughput", "body": f"Send {n}",
                               "deliveryMethod": "EMAIL"}}  # fmt: skip
        started = time.perf_counter()
        status, body = api.graphql(SEND, variables)
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            if status != 200 or body.get("errors") or body["data"]["sendMessage"]["deliveryStatus"] != "ACCEPTED":
                errors.append(f"HTTP {status} {str(body)[:200]}")
            else:
                accepted.add(body["data"]["sendMessage"]["id"])

    cpu_before = api.get("/local/cpu")[1]
    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, range(sends)))
    duration = time.monotonic() - started
    cpu = {name: (value - cpu_before[name]) / sends for name, value in api.get("/local/cpu")[1].items()}
    return {"rate": sends / duration, "p50": statistics.median(latencies), "p95": percentile(latencies, 95),
            "errors": errors, "accepted": accepted, "cpu": cpu}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=600, help="sends per client count")
    parser.add_argument("--floor", type=int, default=300, help="rounds of the floor's three calls")
    args = parser.parse_args()

    api = start_local_mode()
    try:
        floor_before = moto_floor(api.aws_endpoint, args.floor)
        items_before, outbox_before = records_in(api), len(api.outbox())
        load(api, 8, 40, "warm")  # the functions' first requests (imports, clients) left out of the figures
        runs = {clients: load(api, clients, args.sends, f"c{clients}") for clients in (8, 20)}
        floor_after = moto_floor(api.aws_endpoint, args.floor)
        accepted = set().union(*(r["accepted"] for r in runs.values()))
        warm = 40
        records = records_in(api) - items_before - warm  # the floor's items are FLOOR#...
        outbox = len(api.outbox()) - outbox_before - warm - (args.floor + 20)
    finally:
        api.stop(signal.SIGINT)

    floor = (floor_before + floor_after) / 2
    own = in_process_floor(args.floor)
    print(f"moto floor (PutItem + SendEmail + UpdateItem, one client): {floor:.1f} sends/s "
          f"(before {floor_before:.1f}, after {floor_after:.1f})")
    print(f"moto in this bench's own process (mock_aws, no HTTP), same three calls: {own:.1f} sends/s")
    errors = 0
    for clients, run in runs.items():
        errors += len(run["errors"])
        print(f"local mode, {clients:2d} clients: {run['rate']:6.1f} sends/s = {run['rate'] / floor:5.1%} of the floor  "
              f"({run['rate'] / own:5.1%} of the no-HTTP one)  p50 {run['p50']:7.1f} ms  p95 {run['p95']:7.1f} ms  "
              f"errors {len(run['errors'])}")
        for error in run["errors"][:3]:
            print(f"    {error}")
        cpu = run["cpu"]
        ceiling = 1 / cpu["motoSeconds"]
        print(f"    CPU per send in the local mode's process: {cpu['processSeconds'] * 1000:.1f} ms, of which moto "
              f"answering {cpu['motoCalls']:.1f} in-process calls {cpu['motoSeconds'] * 1000:.1f} ms: one process "
              f"holding moto's state answers at most {ceiling:.1f} sends/s = {ceiling / floor:.2f} of the floor")
    mismatches = int(records != len(accepted)) + int(outbox != len(accepted))
    print(f"reconciliation: accepted {len(accepted)}, records {records}, outbox entries {outbox} "
          f"-> mismatches: {mismatches}")
    ratio = runs[8]["rate"] / floor
    print(f"ratio under 8 clients: {ratio:.2f} (target >= {TARGET:.2f}: {'met' if ratio >= TARGET else 'NOT met'})")
    return 0 if not errors and not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
