"""Receipts: SES events through a topic into the receipts queue, SNS SMS delivery logs into the receipts
function, and the account-level SMS attribute set by a custom resource with the narrowest role."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Environment, Stack

from stacks.config import ConfigError, config_from_context
from stacks.constructs.configuration_sets import cloudformation_event_type
from stacks.domains.receipts import SES_EVENT_TYPES
from stacks.messaging_stack import check_receipt_regions
from stacks.wiring import build_wiring

CONFIGURATION_SET_ARN = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/dev-messaging-events"
SMS_LOG_GROUPS = (
    "sns/${AWS::Region}/${AWS::AccountId}/DirectPublishToPhoneNumber",
    "sns/${AWS::Region}/${AWS::AccountId}/DirectPublishToPhoneNumber/Failure",
)


def _topic(synth):
    return synth.one("AWS::SNS::Topic", TopicName=f"{synth.config.resource_prefix()}-ses-events")


def _topic_statements(synth):
    topic_id = _topic(synth)[0]
    (policy,) = [p for p in synth.of_type("AWS::SNS::TopicPolicy").values() if p["Properties"]["Topics"] == [{"Ref": topic_id}]]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def _queue_id(synth, name="receipts"):
    return synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-{name}")[0]


# E-mail: configuration set → topic → queue.


def test_the_configuration_set_publishes_exactly_the_seven_sending_events_to_the_topic(synth):
    set_id = synth.one("AWS::SES::ConfigurationSet", Name="dev-messaging-events")[0]
    (destination,) = synth.of_type("AWS::SES::ConfigurationSetEventDestination").values()
    props = destination["Properties"]
    assert props["ConfigurationSetName"] == {"Ref": set_id}
    event_destination = props["EventDestination"]
    assert event_destination["Enabled"] is True
    assert event_destination["MatchingEventTypes"] == [
        "send", "delivery", "bounce", "complaint", "reject", "renderingFailure", "deliveryDelay",
    ]
    assert event_destination["SnsDestination"] == {"TopicARN": {"Ref": _topic(synth)[0]}}
    assert set(event_destination) == {"Name", "Enabled", "MatchingEventTypes", "SnsDestination"}


def test_the_wiring_names_the_events_as_ses_v2_does():
    assert SES_EVENT_TYPES == ("SEND", "DELIVERY", "BOUNCE", "COMPLAINT", "REJECT", "RENDERING_FAILURE", "DELIVERY_DELAY")
    assert [cloudformation_event_type(e) for e in ("RENDERING_FAILURE", "DELIVERY_DELAY", "SEND")] == [
        "renderingFailure", "deliveryDelay", "send",
    ]


def test_the_event_destination_is_created_after_ses_may_publish(synth):
    policy_id = next(k for k, p in synth.of_type("AWS::SNS::TopicPolicy").items() if p["Properties"]["Topics"] == [{"Ref": _topic(synth)[0]}])
    (destination,) = synth.of_type("AWS::SES::ConfigurationSetEventDestination").values()
    assert policy_id in destination["DependsOn"]


def test_only_ses_for_this_accounts_configuration_set_may_publish_and_only_over_tls(synth):
    statements = _topic_statements(synth)
    topic_ref = {"Ref": _topic(synth)[0]}
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "ses.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Resource"] == topic_ref
    conditions = allow["Condition"]
    assert set(conditions) == {"StringEquals"}
    assert conditions["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert synth.render(conditions["StringEquals"]["aws:SourceArn"]) == CONFIGURATION_SET_ARN
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert (deny["Principal"], deny["Action"], deny["Resource"]) == ("*", "sns:Publish", topic_ref)
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_topic_is_encrypted_with_its_own_rotated_key_that_ses_may_use_for_this_topic_only(synth):
    topic = _topic(synth)[1]["Properties"]
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = synth.resources[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    services = [s for s in key["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    (ses,) = services
    assert ses["Principal"] == {"Service": "ses.amazonaws.com"}
    assert sorted(ses["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    (context,) = ses["Condition"]["StringEquals"].items()
    assert context[0] == "kms:EncryptionContext:aws:sns:topicArn"
    assert synth.render(context[1]) == "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:dev-messaging-ses-events"


def test_the_topic_feeds_the_receipts_queue_as_sns_notifications(synth):
    topic_ref = {"Ref": _topic(synth)[0]}
    (subscription,) = [s["Properties"] for s in synth.of_type("AWS::SNS::Subscription").values() if s["Properties"]["TopicArn"] == topic_ref]
    assert subscription["Protocol"] == "sqs"
    assert subscription["Endpoint"] == {"Fn::GetAtt": [_queue_id(synth), "Arn"]}
    # Not raw: the worker reads the SNS envelope and the SES event in its `Message`.
    assert subscription["RawMessageDelivery"] is False


def test_the_receipts_queue_accepts_messages_from_the_event_topic_only(synth):
    queue_id = _queue_id(synth)
    (policy,) = [p for p in synth.of_type("AWS::SQS::QueuePolicy").values() if p["Properties"]["Queues"] == [{"Ref": queue_id}]]
    (allow,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "sns.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert allow["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": _topic(synth)[0]}}}


def test_outputs_name_the_topic_and_the_configuration_set(synth):
    outputs = synth.template["Outputs"]
    assert outputs["SesEventsTopicArn"]["Value"] == {"Ref": _topic(synth)[0]}
    assert outputs["SesConfigurationSetName"]["Value"] == "dev-messaging-events"


def test_with_the_users_configuration_set_the_stack_creates_none_and_lets_ses_publish_for_it(variant_synth):
    assert not variant_synth.of_type("AWS::SES::ConfigurationSet")
    assert not variant_synth.of_type("AWS::SES::ConfigurationSetEventDestination")
    assert "SesConfigurationSetName" not in variant_synth.template["Outputs"]
    assert variant_synth.template["Outputs"]["SesEventsTopicArn"]["Value"] == {"Ref": _topic(variant_synth)[0]}
    (allow,) = [s for s in _topic_statements(variant_synth) if s["Effect"] == "Allow"]
    assert variant_synth.render(allow["Condition"]["StringEquals"]["aws:SourceArn"]) == (
        "arn:${AWS::Partition}:ses:eu-west-1:${AWS::AccountId}:configuration-set/messaging-events"
    )


# SMS: SNS delivery-status log groups → subscription filters → the receipts function.


def _sms_log_groups(synth):
    return {
        synth.render(group["Properties"]["LogGroupName"]): (key, group)
        for key, group in synth.of_type("AWS::Logs::LogGroup").items()
        if str(synth.render(group["Properties"].get("LogGroupName", ""))).startswith("sns/")
    }


def test_both_sns_delivery_status_log_groups_are_created_with_a_retention(synth):
    groups = _sms_log_groups(synth)
    assert set(groups) == set(SMS_LOG_GROUPS)
    for _, group in groups.values():
        assert group["Properties"]["RetentionInDays"] == 30
        assert group["DeletionPolicy"] == "Delete"


def test_a_subscription_filter_on_each_log_group_hands_every_line_to_the_receipts_function(synth):
    receipts_arn = {"Fn::GetAtt": [synth.function("receipts")[0], "Arn"]}
    groups = _sms_log_groups(synth)
    filters = {f["Properties"]["LogGroupName"]["Ref"]: f for f in synth.of_type("AWS::Logs::SubscriptionFilter").values()}
    assert set(filters) == {key for key, _ in groups.values()}
    for subscription in filters.values():
        assert subscription["Properties"]["DestinationArn"] == receipts_arn
        assert subscription["Properties"]["FilterPattern"] == ""


def test_cloudwatch_logs_may_invoke_the_receipts_function_from_those_groups_only(synth):
    receipts_arn = {"Fn::GetAtt": [synth.function("receipts")[0], "Arn"]}
    permissions = [p["Properties"] for p in synth.of_type("AWS::Lambda::Permission").values() if p["Properties"]["FunctionName"] == receipts_arn]
    assert {p["Principal"] for p in permissions} == {"logs.amazonaws.com"}
    assert sorted(p["SourceArn"]["Fn::GetAtt"][0] for p in permissions) == sorted(key for key, _ in _sms_log_groups(synth).values())


def _custom_resource(synth):
    (resource_id, resource), = synth.of_type("Custom::SmsDeliveryStatus").items()
    return resource_id, resource


def _logging_role_id(synth):
    return next(k for k, r in synth.of_type("AWS::IAM::Role").items() if "SmsDeliveryStatusLoggingRole" in k)


def test_the_custom_resource_sets_the_delivery_status_role_and_sampling_on_create_and_update(synth):
    _, resource = _custom_resource(synth)
    props = resource["Properties"]
    assert props["Create"] == props["Update"]
    call = json.loads(synth.render(props["Create"]))
    assert (call["service"], call["action"]) == ("SNS", "setSMSAttributes")
    assert call["parameters"] == {"attributes": {
        "DeliveryStatusIAMRole": "${%s.Arn}" % _logging_role_id(synth),
        "DeliveryStatusSuccessSamplingRate": "100",
    }}  # fmt: skip
    assert synth.config.sms_delivery_sampling_percent == 100
    # Left as it is on stack deletion (README, "Receipts").
    assert "Delete" not in props
    assert props["InstallLatestAwsSdk"] is False


def test_the_custom_resource_runs_after_the_log_groups_exist(synth):
    _, resource = _custom_resource(synth)
    assert {key for key, _ in _sms_log_groups(synth).values()} <= set(resource["DependsOn"])


def test_the_custom_resource_role_may_set_sms_attributes_and_pass_the_delivery_status_role_only(synth):
    _, resource = _custom_resource(synth)
    provider = synth.resources[resource["Properties"]["ServiceToken"]["Fn::GetAtt"][0]]["Properties"]
    role_id = provider["Role"]["Fn::GetAtt"][0]
    assert "ManagedPolicyArns" not in synth.resources[role_id]["Properties"]
    statements = synth.role_statements(role_id)
    assert synth.allowed_actions(statements) == {
        "sns:SetSMSAttributes", "iam:PassRole", "logs:CreateLogStream", "logs:PutLogEvents",
    }
    (pass_role,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert pass_role["Resource"] == {"Fn::GetAtt": [_logging_role_id(synth), "Arn"]}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sns.amazonaws.com"}}
    (logs_statement,) = [s for s in statements if "logs:PutLogEvents" in synth.as_list(s["Action"])]
    assert logs_statement["Resource"] == {"Fn::GetAtt": [provider["LoggingConfig"]["LogGroup"]["Ref"], "Arn"]}


def test_the_role_sns_assumes_writes_only_to_the_two_delivery_status_log_groups(synth):
    role_id = _logging_role_id(synth)
    role = synth.resources[role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sns.amazonaws.com"}
    statements = synth.role_statements(role_id)
    assert synth.allowed_actions(statements) == {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    resources = {synth.render(r) for s in statements for r in synth.as_list(s["Resource"])}
    prefix = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    assert resources == {f"{prefix}{name}{tail}" for name in SMS_LOG_GROUPS for tail in ("", ":*")}


def test_when_sms_delivery_status_is_managed_elsewhere_the_stack_only_subscribes(variant_synth):
    assert not _sms_log_groups(variant_synth)
    assert not variant_synth.of_type("Custom::SmsDeliveryStatus")
    assert not [r for r in variant_synth.of_type("AWS::IAM::Role") if "SmsDeliveryStatus" in r]
    filters = [f["Properties"] for f in variant_synth.of_type("AWS::Logs::SubscriptionFilter").values()]
    # The variant is placed in eu-west-1: the names hold the region it knows.
    assert sorted(variant_synth.render(f["LogGroupName"]) for f in filters) == sorted(
        name.replace("${AWS::Region}", "eu-west-1") for name in SMS_LOG_GROUPS
    )


# Regions: the receipts resources are regional.


def _wiring(**overrides):
    config = config_from_context(overrides)
    return config, build_wiring(config)


def test_an_ses_region_other_than_the_stacks_is_refused_when_the_stack_creates_the_configuration_set():
    with pytest.raises(ConfigError, match="sesRegion"):
        check_receipt_regions("us-east-1", *_wiring(sesRegion="eu-west-1"))
    check_receipt_regions("us-east-1", *_wiring(sesRegion="eu-west-1", sesConfigurationSet="own"))
    check_receipt_regions("eu-west-1", *_wiring(sesRegion="eu-west-1"))


def test_an_sns_region_other_than_the_stacks_is_refused():
    with pytest.raises(ConfigError, match="snsRegion"):
        check_receipt_regions("us-east-1", *_wiring(snsRegion="eu-west-1"))
    check_receipt_regions("eu-west-1", *_wiring(snsRegion="eu-west-1"))


def test_an_environment_agnostic_stack_is_not_checked():
    stack = Stack(App(), "agnostic")
    check_receipt_regions(stack.region, *_wiring(sesRegion="eu-west-1", snsRegion="eu-west-1"))
    assert Stack(App(), "placed", env=Environment(region="us-east-1")).region == "us-east-1"


@pytest.mark.parametrize(
    ("key", "value"),
    [("receiptTimeoutHours", 0), ("receiptTimeoutHours", 721), ("sweeperAlarmThreshold", 0),
     ("smsDeliverySamplingPercent", 101), ("smsDeliverySamplingPercent", -1), ("manageSmsDeliveryStatus", "yes")],
)
def test_receipt_settings_out_of_range_are_refused(key, value):
    with pytest.raises(ConfigError, match=key):
        config_from_context({key: value})


def test_the_acknowledged_log_group_findings_match_a_stack_placed_in_an_account_and_region(tmp_path):
    # `cdk deploy` synthesizes with the account and region known: the ARNs, and so cdk-nag's finding
    # ids, then hold them instead of <AWS::Region>.
    from aws_cdk import Validations
    from cdk_nag import AwsSolutionsChecks

    from stacks.config import ServiceConfig
    from stacks.constructs.sms_delivery_status import SmsDeliveryStatus
    from stacks.domains.receipts import SMS_DELIVERY_LOG_GROUPS

    app = App(outdir=str(tmp_path))
    stack = Stack(app, "placed", env=Environment(account="123456789012", region="eu-west-1"))
    SmsDeliveryStatus(stack, "SmsDeliveryStatus", config=ServiceConfig(), log_groups=SMS_DELIVERY_LOG_GROUPS)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises on an unacknowledged finding
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (nag,) = report["pluginReports"]
    assert nag["violations"] == []
    assert {f["ruleName"] for f in nag["suppressedViolations"]} == {
        "AwsSolutions-IAM5[Resource::*]",
        *(f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:eu-west-1:123456789012:log-group:"
          f"sns/eu-west-1/123456789012/DirectPublishToPhoneNumber{tail}:*]" for tail in ("", "/Failure")),
    }
