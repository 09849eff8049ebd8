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
    assert secret_names == {config.at_secret_name, names.report_token_secret}
