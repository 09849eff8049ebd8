"""The single DynamoDB table, as wiring.TABLE describes it."""

from __future__ import annotations

from stacks.wiring import TABLE


def _table(synth):
    (key, table), = synth.of_type("AWS::DynamoDB::GlobalTable").items()
    return table


def test_table_keys_are_the_wiring_pk_and_sk_strings(synth):
    props = _table(synth)["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": TABLE.partition_key, "KeyType": "HASH"},
        {"AttributeName": TABLE.sort_key, "KeyType": "RANGE"},
    ]
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert types[TABLE.partition_key] == types[TABLE.sort_key] == "S"


def test_table_is_on_demand(synth):
    assert _table(synth)["Properties"]["BillingMode"] == "PAY_PER_REQUEST"


def test_table_has_point_in_time_recovery(synth):
    (replica,) = _table(synth)["Properties"]["Replicas"]
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_table_is_encrypted_with_a_kms_key(synth):
    assert _table(synth)["Properties"]["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}


def test_table_expires_items_through_the_ttl_attribute(synth):
    assert _table(synth)["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": TABLE.ttl_attribute,
        "Enabled": True,
    }


def _indexes(synth):
    return {index["IndexName"]: index for index in _table(synth)["Properties"]["GlobalSecondaryIndexes"]}


def _attribute_types(synth):
    return {a["AttributeName"]: a["AttributeType"] for a in _table(synth)["Properties"]["AttributeDefinitions"]}


def test_table_has_exactly_the_wiring_indexes(synth):
    assert set(_indexes(synth)) == {index.name for index in TABLE.indexes} == {
        "byProviderMessageId", "byOpenStatus", "byId", "bySender", "byReference", "byBatch"}


def test_table_has_the_sparse_history_indexes_projecting_all(synth):
    indexes, types = _indexes(synth), _attribute_types(synth)
    assert indexes["byId"]["KeySchema"] == [{"AttributeName": "idKey", "KeyType": "HASH"}]
    for name, key in (("bySender", "senderKey"), ("byReference", "referenceKey"), ("byBatch", "batchId")):
        assert indexes[name]["KeySchema"] == [
            {"AttributeName": key, "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},  # the ULID: time order and time ranges
        ]
    for name in ("byId", "bySender", "byReference"):
        assert indexes[name]["Projection"] == {"ProjectionType": "ALL"}  # a page is read from the index alone
    assert types["idKey"] == types["senderKey"] == types["referenceKey"] == "S"


def test_resolvers_cover_get_message():
    from stacks.config import load_cdk_json_config
    from stacks.wiring import build_wiring

    resolvers = {(r.type_name, r.field_name): r.function for r in build_wiring(load_cdk_json_config()).resolvers}
    assert resolvers[("Query", "getMessage")] == resolvers[("Query", "getMessages")] == "api"


def test_table_has_the_sparse_provider_message_id_index_projecting_all(synth):
    index = _indexes(synth)["byProviderMessageId"]
    assert index["KeySchema"] == [{"AttributeName": "providerMessageId", "KeyType": "HASH"}]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    assert _attribute_types(synth)["providerMessageId"] == "S"


def test_table_has_the_sparse_open_messages_index_by_status_then_age_projecting_all(synth):
    index = _indexes(synth)["byOpenStatus"]
    assert index["KeySchema"] == [
        {"AttributeName": "openStatus", "KeyType": "HASH"},
        {"AttributeName": "updatedAt", "KeyType": "RANGE"},
    ]
    # The sweeper reads to, id, deliveryStatus and provider from the index itself.
    assert index["Projection"] == {"ProjectionType": "ALL"}
    types = _attribute_types(synth)
    assert types["openStatus"] == types["updatedAt"] == "S"


def test_table_is_retained_when_the_stack_is_deleted(synth):
    table = _table(synth)
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
