"""Every function of the wiring: runtime, settings, and IAM that matches its capabilities exactly."""

from __future__ import annotations

import pytest

from stacks import wiring as w
from stacks.wiring import build_wiring

FUNCTIONS = ("api", "dispatch", "delivery_reports", "receipts", "sweeper", "batch_uploads", "webhooks", "inbound")
# Functions that move message statuses: not the upload worker (it records in bulk, counted by the
# batch) nor the webhooks worker (it only delivers them). The inbound worker records and replies.
STATUS_WRITERS = ("api", "dispatch", "delivery_reports", "receipts", "sweeper", "inbound")

# Written out here, independently of stacks/constructs/permissions.py, so a widened policy fails.
CAPABILITY_ACTIONS = {
    w.TABLE_GET: {"dynamodb:GetItem"},
    w.TABLE_BATCH_GET: {"dynamodb:BatchGetItem"},
    w.TABLE_QUERY: {"dynamodb:Query"},
    w.TABLE_BATCH_WRITE: {"dynamodb:BatchWriteItem"},
    w.TABLE_PUT: {"dynamodb:PutItem"},
    "bucket:read:uploads": {"s3:GetObject"},
    "bucket:write:uploads": {"s3:PutObject"},
    "queue:consume:uploads": {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    },
    w.TABLE_UPDATE: {"dynamodb:UpdateItem"},
    w.TABLE_DELETE: {"dynamodb:DeleteItem"},
    w.TABLE_BATCH_WRITE: {"dynamodb:BatchWriteItem"},
    w.API_KEYS: {"appsync:CreateApiKey", "appsync:ListApiKeys", "appsync:UpdateApiKey", "appsync:DeleteApiKey"},
    w.EMAIL_SEND: {"ses:SendEmail"},
    w.SMS_PUBLISH: {"sns:Publish"},
    w.QUEUE_SEND: {"sqs:SendMessage"},
    w.QUEUE_CONSUME: {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    },
    "queue:consume:receipts": {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    },
    "queue:consume:inbound": {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    },
    w.INBOUND_QUEUE_SEND: {"sqs:SendMessage"},
    w.AT_SECRET_READ: {"secretsmanager:GetSecretValue"},
    w.REPORT_TOKEN_READ: {"secretsmanager:GetSecretValue"},
    w.VERIFICATION_KEY_READ: {"secretsmanager:GetSecretValue"},
    w.STATUS_PUBLISH: {"appsync:GraphQL"},
    # Scheduled sends: make and delete the group's schedules, hand Scheduler the group's role.
    "schedules:manage:sends": {"scheduler:CreateSchedule", "scheduler:DeleteSchedule", "iam:PassRole"},
    "schedules:manage:batches": {"scheduler:CreateSchedule", "scheduler:DeleteSchedule", "iam:PassRole"},
    "queue:send:uploads": {"sqs:SendMessage"},
    w.WEBHOOK_EVENT_SEND: {"sqs:SendMessage"},
    "queue:send-dlq:webhooks": {"sqs:SendMessage"},
    "queue:consume:webhooks": {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    },
}
# Every function writes its logs and traces.
BASELINE_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_wiring_has_exactly_the_functions_these_tests_cover(wiring):
    assert tuple(spec.name for spec in wiring.functions) == FUNCTIONS


def test_queue_capabilities_of_the_wiring_name_their_queue(wiring):
    outbound, receipts, uploads, webhooks, inbound = wiring.queues
    assert (outbound.send_capability, outbound.consume_capability) == (w.QUEUE_SEND, w.QUEUE_CONSUME)
    assert receipts.consume_capability == "queue:consume:receipts"
    assert uploads.consume_capability == "queue:consume:uploads"
    assert (webhooks.send_capability, webhooks.dead_letter_send_capability) == (
        w.WEBHOOK_EVENT_SEND, "queue:send-dlq:webhooks")
    assert (inbound.send_capability, inbound.consume_capability) == (w.INBOUND_QUEUE_SEND, "queue:consume:inbound")


def test_only_the_workers_of_a_queue_may_consume_it_and_nothing_sends_to_receipts(wiring):
    consumers = {q.name: {f.name for f in wiring.functions if q.consume_capability in f.capabilities} for q in wiring.queues}
    assert consumers == {"outbound": {"dispatch"}, "receipts": {"receipts"}, "uploads": {"batch_uploads"},
                         "webhooks": {"webhooks"}, "inbound": {"inbound"}}
    assert not [f.name for f in wiring.functions if "queue:send:receipts" in f.capabilities]
    # The batch jobs queue: S3's notifications, the batch schedules (their role), and the api function's
    # checks and cancels; the batch worker puts a check back when a batch is still being worked on.
    assert sorted(f.name for f in wiring.functions if "queue:send:uploads" in f.capabilities) == ["api", "batch_uploads"]
    # Only the webhooks worker parks copies in its dead-letter queue; no other DLQ is written by code.
    assert {f.name for f in wiring.functions for q in wiring.queues if q.dead_letter_send_capability in f.capabilities} == {
        "webhooks"}
    # Only the Africa's Talking callback URL puts on the inbound queue (and the inbound topic, by its policy).
    assert [f.name for f in wiring.functions if w.INBOUND_QUEUE_SEND in f.capabilities] == ["delivery_reports"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_runs_python_3_14_on_arm64_with_active_tracing(synth, name):
    props = synth.function(name)[1]["Properties"]
    assert props["Runtime"] == "python3.14"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    # Reserved concurrency: the public report function (a flood cannot starve the others) and the
    # webhooks worker (bounds what slow receivers can cost); the others share the account's pool.
    reserved = {"delivery_reports": synth.config.report_reserved_concurrency,
                "webhooks": synth.config.webhook_worker_concurrency}
    assert props.get("ReservedConcurrentExecutions") == reserved.get(name)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_settings_come_from_its_wiring_spec(synth, wiring, name):
    spec = wiring.function(name)
    props = synth.function(name)[1]["Properties"]
    assert props["Handler"] == spec.handler
    assert props["Timeout"] == spec.timeout_seconds
    assert props["MemorySize"] == spec.memory_mb
    variables = props["Environment"]["Variables"]
    assert {k: v for k, v in variables.items() if k in spec.environment} == spec.environment
    assert set(variables) == set(spec.environment) | set(spec.resource_env)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_resource_env_points_at_the_stack_resources(synth, wiring, name):
    variables = synth.function(name)[1]["Properties"]["Environment"]["Variables"]
    table_id = next(iter(synth.of_type("AWS::DynamoDB::GlobalTable")))
    queue_id = synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-outbound")[0]
    uploads_id = synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-uploads")[0]
    expected = {
        w.ENV_TABLE_NAME: {"Ref": table_id},
        w.ENV_OUTBOUND_QUEUE_URL: {"Ref": queue_id},
        w.ENV_INBOUND_QUEUE_URL: {"Ref": synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-inbound")[0]},
        w.ENV_AT_SECRET_NAME: synth.config.at_secret_name,
        w.ENV_REPORT_TOKEN_SECRET_NAME: f"{synth.config.resource_prefix()}/delivery-report-token",
        w.ENV_VERIFICATION_KEY_SECRET_NAME: f"{synth.config.resource_prefix()}/verification-key",
        w.ENV_GRAPHQL_URL: {"Fn::GetAtt": [next(iter(synth.of_type("AWS::AppSync::GraphQLApi"))), "GraphQLUrl"]},
        w.ENV_WEBHOOK_QUEUE_URL: {"Ref": synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-webhooks")[0]},
        w.ENV_WEBHOOK_DLQ_URL: {"Ref": synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-webhooks-dlq")[0]},
        w.ENV_GRAPHQL_API_ID: {"Fn::GetAtt": [next(iter(synth.of_type("AWS::AppSync::GraphQLApi"))), "ApiId"]},
        "SEND_SCHEDULES": {"Fn::Join": ["", [
            f'{{"group":"{synth.config.resource_prefix()}-sends","queueArn":"', {"Fn::GetAtt": [queue_id, "Arn"]},
            '","roleArn":"', {"Fn::GetAtt": [next(k for k in synth.of_type("AWS::IAM::Role") if k.startswith("ScheduleGroupsSendsRole")), "Arn"]},
            '"}']]},
        "BATCH_JOBS_QUEUE_URL": {"Ref": uploads_id},
        "BATCH_SCHEDULES": {"Fn::Join": ["", [
            f'{{"group":"{synth.config.resource_prefix()}-batches","queueArn":"', {"Fn::GetAtt": [uploads_id, "Arn"]},
            '","roleArn":"', {"Fn::GetAtt": [next(k for k in synth.of_type("AWS::IAM::Role") if k.startswith("ScheduleGroupsBatchesRole")), "Arn"]},
            '"}']]},
        w.ENV_UPLOADS_BUCKET: {"Fn::Join": ["", [f"{synth.config.resource_prefix()}-uploads-", {"Ref": "AWS::AccountId"},
                                                 "-", {"Ref": "AWS::Region"}]]},
    }
    for key in wiring.function(name).resource_env:
        assert variables[key] == expected[key]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_logs_to_its_own_log_group_with_retention(synth, name):
    props = synth.function(name)[1]["Properties"]
    log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = synth.resources[log_group_id]["Properties"]
    assert log_group["LogGroupName"] == f"/aws/lambda/{props['FunctionName']}"
    assert log_group["RetentionInDays"] == 30
    (logs_statement,) = [s for s in synth.function_statements(name) if "logs:PutLogEvents" in synth.as_list(s["Action"])]
    assert logs_statement["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_role_allows_exactly_what_its_capabilities_say(synth, wiring, name):
    expected = set(BASELINE_ACTIONS)
    for capability in wiring.function(name).capabilities:
        expected |= CAPABILITY_ACTIONS[capability]
    assert synth.allowed_actions(synth.function_statements(name)) == expected


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_role_has_no_managed_policies(synth, name):
    role_id = synth.function(name)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
    assert "ManagedPolicyArns" not in synth.resources[role_id]["Properties"]


@pytest.mark.parametrize("name", ["delivery_reports", "receipts", "sweeper"])
def test_functions_that_only_record_send_nothing_but_webhook_events(synth, name):
    """They send no message; as status writers they may enqueue webhook events, on that queue only."""
    statements = synth.function_statements(name)
    actions = synth.allowed_actions(statements)
    assert not {a for a in actions if a.split(":")[0] in ("ses", "sns")}
    webhooks = synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-webhooks")[0]
    expected = [{"Fn::GetAtt": [webhooks, "Arn"]}]
    if name == "delivery_reports":  # and Africa's Talking's incoming SMS, to the inbound queue
        inbound = synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-inbound")[0]
        expected.append({"Fn::GetAtt": [inbound, "Arn"]})
    assert {a for a in actions if a.startswith("sqs:Send")} == {"sqs:SendMessage"}
    assert sorted(map(str, synth.allowed_resources(statements, "sqs:SendMessage"))) == sorted(map(str, expected))


def test_api_role_reads_no_secret_but_the_verification_key(synth):
    statements = synth.function_statements("api")
    assert {a for a in synth.allowed_actions(statements) if a.startswith("secretsmanager:")} == {"secretsmanager:GetSecretValue"}
    key_id = synth.one("AWS::SecretsManager::Secret", Name=f"{synth.config.resource_prefix()}/verification-key")[0]
    assert synth.allowed_resources(statements, "secretsmanager:GetSecretValue") == [{"Ref": key_id}]


@pytest.mark.parametrize("name", ["api", "dispatch"])
def test_ses_send_is_limited_to_the_identity_and_the_stacks_configuration_set(synth, name):
    resources = synth.allowed_resources(synth.function_statements(name), "ses:SendEmail")
    assert [synth.render(r) for r in resources] == [
        "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/example.com",
        "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/dev-messaging-events",
    ]


@pytest.mark.parametrize("name", ["api", "dispatch"])
def test_ses_send_covers_the_users_configuration_set_in_the_ses_region_when_configured(variant_synth, name):
    resources = variant_synth.allowed_resources(variant_synth.function_statements(name), "ses:SendEmail")
    assert [variant_synth.render(r) for r in resources] == [
        "arn:${AWS::Partition}:ses:eu-west-1:${AWS::AccountId}:identity/example.com",
        "arn:${AWS::Partition}:ses:eu-west-1:${AWS::AccountId}:configuration-set/messaging-events",
    ]


@pytest.mark.parametrize(("fixture", "expected"), [("synth", "dev-messaging-events"), ("variant_synth", "messaging-events")])
@pytest.mark.parametrize("name", ["api", "dispatch"])
def test_senders_are_told_the_configuration_set_their_permission_covers(request, fixture, expected, name):
    variables = request.getfixturevalue(fixture).function(name)[1]["Properties"]["Environment"]["Variables"]
    assert variables["SES_EVENT_CONFIGURATION_SET"] == f'"{expected}"'


def test_the_sweeper_is_told_the_receipt_timeout(synth):
    variables = synth.function("sweeper")[1]["Properties"]["Environment"]["Variables"]
    assert variables["RECEIPT_TIMEOUT_HOURS"] == "72"


@pytest.mark.parametrize("name", ["api", "dispatch"])
def test_sms_publish_allows_phone_numbers_but_denies_every_topic(synth, name):
    statements = synth.function_statements(name)
    assert synth.allowed_resources(statements, "sns:Publish") == ["*"]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert synth.as_list(deny["Action"]) == ["sns:Publish"]
    assert synth.render(deny["Resource"]) == "arn:${AWS::Partition}:sns:*:*:*"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_table_actions_name_only_the_table_and_its_index(synth, name):
    table_id = next(iter(synth.of_type("AWS::DynamoDB::GlobalTable")))
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    index_arns = [{"Fn::Join": ["", [table_arn, f"/index/{index}"]]} for index in ("byProviderMessageId", "byOpenStatus", "byId", "bySender", "byReference", "byBatch")]
    statements = synth.function_statements(name)
    capabilities = build_wiring(synth.config).function(name).capabilities
    expected = {
        "dynamodb:Query": ([table_arn, *index_arns], w.TABLE_QUERY),
        "dynamodb:GetItem": ([table_arn], w.TABLE_GET),
        "dynamodb:BatchGetItem": ([table_arn], w.TABLE_BATCH_GET),  # templates: a pinned version + its head
        "dynamodb:PutItem": ([table_arn], w.TABLE_PUT),
        "dynamodb:UpdateItem": ([table_arn], w.TABLE_UPDATE),
        "dynamodb:DeleteItem": ([table_arn], w.TABLE_DELETE),
        "dynamodb:BatchWriteItem": ([table_arn], w.TABLE_BATCH_WRITE),  # erasure: 25 deletes a request
    }
    for action, (resources, capability) in expected.items():
        assert synth.allowed_resources(statements, action) == (resources if capability in capabilities else [])


def test_the_api_function_may_query_the_history_indexes(synth):
    table_id = next(iter(synth.of_type("AWS::DynamoDB::GlobalTable")))
    granted = synth.allowed_resources(synth.function_statements("api"), "dynamodb:Query")
    for index in ("byId", "bySender", "byReference"):
        assert {"Fn::Join": ["", [{"Fn::GetAtt": [table_id, "Arn"]}, f"/index/{index}"]]} in granted


@pytest.mark.parametrize(("name", "actions"), [
    ("api", {"GetItem", "BatchGetItem", "BatchWriteItem", "Query", "PutItem", "UpdateItem", "DeleteItem"}),
    # Query: a batch's records (`byBatch`), which a fired schedule queues and a cancel or a check moves.
    ("batch_uploads", {"GetItem", "BatchGetItem", "BatchWriteItem", "UpdateItem", "Query"}),
    ("dispatch", {"GetItem", "UpdateItem"}),
    # GetItem: the webhook subscriptions item every status writer reads (at most once per cache period).
    ("delivery_reports", {"GetItem", "Query", "UpdateItem"}),
    ("receipts", {"GetItem", "Query", "PutItem", "UpdateItem"}),
    ("sweeper", {"GetItem", "Query", "UpdateItem"}),
    ("webhooks", {"GetItem", "Query", "PutItem", "UpdateItem"}),
])
def test_each_function_may_make_only_the_table_calls_its_code_makes(synth, name, actions):
    granted = {a.split(":")[1] for s in synth.function_statements(name) for a in _actions(s) if a.startswith("dynamodb:")}
    assert granted == actions


@pytest.mark.parametrize(
    ("name", "secret"), [("dispatch", "SecretsAfricasTalking"), ("delivery_reports", "SecretsDeliveryReportToken")]
)
def test_secret_read_names_only_that_functions_secret(synth, name, secret):
    (resource,) = synth.allowed_resources(synth.function_statements(name), "secretsmanager:GetSecretValue")
    assert resource["Ref"].startswith(secret)


@pytest.mark.parametrize(("name", "action", "queues"), [
    ("api", "sqs:SendMessage", ("outbound", "uploads", "webhooks")),  # jobs, batch checks, webhook events
    ("dispatch", "sqs:SendMessage", ("webhooks",)),
    ("dispatch", "sqs:ReceiveMessage", ("outbound",)),
    ("receipts", "sqs:ReceiveMessage", ("receipts",)),
    ("webhooks", "sqs:ReceiveMessage", ("webhooks",)),
    ("batch_uploads", "sqs:SendMessage", ("outbound", "uploads", "webhooks")),  # jobs, checks, webhook events
    ("batch_uploads", "sqs:ReceiveMessage", ("uploads",)),
    ("webhooks", "sqs:SendMessage", ("webhooks", "webhooks-dlq")),  # retries, and exhausted copies
])
def test_queue_actions_name_only_the_functions_queue(synth, name, action, queues):
    ids = [synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-{queue}")[0] for queue in queues]
    granted = synth.allowed_resources(synth.function_statements(name), action)
    assert sorted(map(str, granted)) == sorted(str({"Fn::GetAtt": [queue_id, "Arn"]}) for queue_id in ids)


def test_only_delivery_reports_has_a_function_url_and_it_is_public(synth):
    (url,) = synth.of_type("AWS::Lambda::Url").values()
    function_id = synth.function("delivery_reports")[0]
    assert url["Properties"]["TargetFunctionArn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert url["Properties"]["AuthType"] == "NONE"


def test_function_url_output_carries_no_token(synth):
    output = synth.template["Outputs"]["DeliveryReportsFunctionUrl"]
    assert output["Value"] == {"Fn::GetAtt": [synth.one("AWS::Lambda::Url")[0], "FunctionUrl"]}
    assert synth.template["Outputs"]["DeliveryReportTokenSecretName"]["Value"] == (
        f"{synth.config.resource_prefix()}/delivery-report-token"
    )


def _actions(statement) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else actions


@pytest.mark.parametrize("name", ["api", "dispatch"])
def test_senders_get_the_effective_configuration_set_only(synth, name):
    # The user's `sesConfigurationSet` reaches them only as SES_EVENT_CONFIGURATION_SET.
    variables = synth.function(name)[1]["Properties"]["Environment"]["Variables"]
    assert "SES_CONFIGURATION_SET" not in variables


@pytest.mark.parametrize("name", STATUS_WRITERS)
def test_every_status_writer_may_call_the_publish_mutation_only(synth, name):
    statements = [s for s in synth.function_statements(name) if "appsync:GraphQL" in synth.as_list(s["Action"])]
    (statement,) = statements
    assert statement["Effect"] == "Allow"
    (api_id,) = synth.of_type("AWS::AppSync::GraphQLApi")
    assert statement["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [api_id, "Arn"]}, "/types/Mutation/fields/publishMessageUpdate"]]
    }


def test_only_the_api_function_manages_api_keys_and_only_this_apis(synth):
    actions = {"appsync:CreateApiKey", "appsync:ListApiKeys", "appsync:UpdateApiKey", "appsync:DeleteApiKey"}
    for name in FUNCTIONS:
        granted = synth.allowed_actions(synth.function_statements(name)) & actions
        assert granted == (actions if name == "api" else set()), name
    (api_id,) = synth.of_type("AWS::AppSync::GraphQLApi")
    api_arn = {"Fn::GetAtt": [api_id, "Arn"]}
    for action in actions:
        assert synth.allowed_resources(synth.function_statements("api"), action) == [
            api_arn, {"Fn::Join": ["", [api_arn, "/apikeys/*"]]}
        ]


@pytest.mark.parametrize("name", STATUS_WRITERS)
def test_every_status_writer_is_told_the_graphql_url(synth, name):
    variables = synth.function(name)[1]["Properties"]["Environment"]["Variables"]
    (api_id,) = synth.of_type("AWS::AppSync::GraphQLApi")
    assert variables[w.ENV_GRAPHQL_URL] == {"Fn::GetAtt": [api_id, "GraphQLUrl"]}


@pytest.mark.parametrize("name", ["api", "dispatch"])
def test_ses_send_is_conditioned_on_the_allowed_sender_addresses(synth, name):
    (statement,) = [s for s in synth.function_statements(name) if "ses:SendEmail" in synth.as_list(s["Action"])]
    expected = sorted({a.lower() for a in (synth.config.sender_email, *synth.config.allowed_from_addresses)})
    assert statement["Condition"] == {"StringEqualsIgnoreCase": {"ses:FromAddress": expected}}
    assert expected == ["no-reply@example.com"]


@pytest.mark.parametrize("name", STATUS_WRITERS)
def test_every_status_writer_is_told_the_webhooks_queue_and_how_long_to_trust_its_subscriptions(synth, name):
    variables = synth.function(name)[1]["Properties"]["Environment"]["Variables"]
    queue_id = synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-webhooks")[0]
    assert variables[w.ENV_WEBHOOK_QUEUE_URL] == {"Ref": queue_id}
    assert variables["WEBHOOK_SUBSCRIPTION_CACHE_SECONDS"] == str(synth.config.webhook_subscription_cache_seconds)


def test_the_webhooks_worker_moves_no_status_and_publishes_nothing(synth):
    statements = synth.function_statements("webhooks")
    assert not [s for s in statements if "appsync:GraphQL" in synth.as_list(s["Action"])]
    assert w.ENV_GRAPHQL_URL not in synth.function("webhooks")[1]["Properties"]["Environment"]["Variables"]
