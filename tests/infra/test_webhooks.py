"""The webhooks worker: reserved concurrency, and IAM that reaches nothing but the table and its queues."""

from __future__ import annotations


def _queue_id(synth, suffix=""):
    return synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-webhooks{suffix}")[0]


def test_the_worker_has_reserved_concurrency(synth):
    assert synth.function("webhooks")[1]["Properties"]["ReservedConcurrentExecutions"] == synth.config.webhook_worker_concurrency


def test_the_worker_reaches_only_the_table_its_queue_and_its_dlq(synth):
    _, function = synth.function("webhooks")
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    table_id = next(iter(synth.of_type("AWS::DynamoDB::GlobalTable")), None) or next(iter(synth.of_type("AWS::DynamoDB::Table")))
    allowed = {table_id, _queue_id(synth), _queue_id(synth, "-dlq")}
    for statement in synth.role_statements(role_id):
        if statement["Effect"] != "Allow":
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if all(a.startswith(("xray:", "logs:", "cloudwatch:")) for a in actions):
            continue  # tracing, its log group
        assert all(a.startswith(("dynamodb:", "sqs:")) for a in actions), actions
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            text = str(resource)
            assert any(logical in text for logical in allowed), (actions, resource)


def test_every_status_writer_may_send_webhook_events(synth, wiring):
    queue_arn = {"Fn::GetAtt": [_queue_id(synth), "Arn"]}
    for name in ("api", "dispatch", "delivery_reports", "receipts", "sweeper"):
        role_id = synth.function(name)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
        assert any(
            "sqs:SendMessage" in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
            and queue_arn in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
            for s in synth.role_statements(role_id)
        ), name
