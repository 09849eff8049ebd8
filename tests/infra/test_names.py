"""The stack names its resources as the local mode does: both take them from `wiring.resource_names`."""

from stacks.config import load_cdk_json_config
from stacks.wiring import build_wiring, resource_names


def test_table_queue_and_secret_names_come_from_the_wiring(synth):
    config = load_cdk_json_config()
    names, wiring = resource_names(config), build_wiring(config)
    (table,) = synth.of_type("AWS::DynamoDB::GlobalTable").values() or synth.of_type("AWS::DynamoDB::Table").values()
    assert table["Properties"]["TableName"] == names.table
    queue_names = {q["Properties"]["QueueName"] for q in synth.of_type("AWS::SQS::Queue").values()}
    assert queue_names == {n for spec in wiring.queues for n in (names.queue(spec), names.dead_letter_queue(spec))}
    secret_names = {s["Properties"]["Name"] for s in synth.of_type("AWS::SecretsManager::Secret").values()}
    assert secret_names == {config.at_secret_name, names.report_token_secret, names.verification_key_secret}


def test_topic_configuration_set_and_dashboard_names_come_from_the_wiring(synth):
    config = load_cdk_json_config()
    names, wiring = resource_names(config), build_wiring(config)
    topic_names = {t["Properties"]["TopicName"] for t in synth.of_type("AWS::SNS::Topic").values()}
    assert topic_names == {f"{names.prefix}-alarms", *(names.topic(spec) for spec in wiring.topics)}
    assert names.topic(wiring.topics[0]) == "dev-messaging-ses-events"
    (configuration_set,) = synth.of_type("AWS::SES::ConfigurationSet").values()
    assert configuration_set["Properties"]["Name"] == names.ses_configuration_set == "dev-messaging-events"
    (dashboard,) = synth.of_type("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == names.prefix
