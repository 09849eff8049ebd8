"""Two-way SMS on the stack: the inbound topic (End User Messaging publishes), its key, the inbound queue
it feeds, and the one function URL that may put Africa's Talking's incoming SMS on that queue."""

from __future__ import annotations

import pytest

from stacks.config import ConfigError, config_from_context

TOPIC_NAME = "dev-messaging-inbound-sms"
PHONE_NUMBERS = "arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:phone-number/*"


def _topic(synth):
    return synth.one("AWS::SNS::Topic", TopicName=TOPIC_NAME)


def _queue_id(synth):
    return synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-inbound")[0]


def test_only_end_user_messaging_of_this_account_may_publish_and_only_over_tls(synth):
    topic_ref = {"Ref": _topic(synth)[0]}
    (policy,) = [p for p in synth.of_type("AWS::SNS::TopicPolicy").values() if p["Properties"]["Topics"] == [topic_ref]]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    assert (allow["Action"], allow["Resource"]) == ("sns:Publish", topic_ref)
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert synth.render(allow["Condition"]["ArnLike"]["aws:SourceArn"]) == PHONE_NUMBERS
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_topic_key_lets_end_user_messaging_encrypt_for_this_topic_only(synth):
    key = synth.resources[_topic(synth)[1]["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]]["Properties"]
    assert key["EnableKeyRotation"] is True
    (service,) = [s for s in key["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    assert service["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    (context,) = service["Condition"]["StringEquals"].items()
    assert synth.render(context[1]) == f"arn:${{AWS::Partition}}:sns:${{AWS::Region}}:${{AWS::AccountId}}:{TOPIC_NAME}"


def test_the_topic_feeds_the_inbound_queue_whose_worker_is_the_inbound_function(synth):
    topic_ref = {"Ref": _topic(synth)[0]}
    (subscription,) = [s["Properties"] for s in synth.of_type("AWS::SNS::Subscription").values()
                       if s["Properties"]["TopicArn"] == topic_ref]
    assert subscription["Endpoint"] == {"Fn::GetAtt": [_queue_id(synth), "Arn"]}
    assert subscription["RawMessageDelivery"] is False
    (mapping,) = [m["Properties"] for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
                  if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [_queue_id(synth), "Arn"]}]
    assert mapping["FunctionName"] == {"Ref": synth.function("inbound")[0]}


def test_a_single_number_can_be_named_as_the_only_publisher():
    config = config_from_context({"inboundSmsSource": "phone-number/phone-abc123"})
    assert config.inbound_sms_source == "phone-number/phone-abc123"
    with pytest.raises(ConfigError):
        config_from_context({"inboundSmsSource": "arn:aws:sms-voice:*"})


def test_the_inbound_function_may_not_read_secrets_or_send_email(synth):
    actions = synth.allowed_actions(synth.function_statements("inbound"))
    assert not {a for a in actions if a.startswith(("secretsmanager:", "ses:"))}
    assert "dynamodb:DeleteItem" in actions  # START lifts an opt-out
