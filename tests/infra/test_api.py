"""The AppSync API: resolvers for every field, the envelope resolver, API key, logging and WAF."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import graphql
import pytest

from stacks.config import PROJECT_ROOT
from stacks.constructs.api import (
    ENVELOPE_RESOLVER,
    PUBLISH_RESOLVER,
    SUBSCRIPTION_RESOLVER,
)

# Fields served by the NONE data source, not the API function: the publish mutation and the subscription.
NONE_FIELDS = {("Mutation", "publishMessageUpdate"), ("Subscription", "onMessageUpdated")}


def _root_fields() -> set[tuple[str, str]]:
    document = graphql.parse((PROJECT_ROOT / "schema.graphql").read_text())
    return {
        (definition.name.value, field.name.value)
        for definition in document.definitions
        if isinstance(definition, graphql.ObjectTypeDefinitionNode) and definition.name.value in ("Query", "Mutation", "Subscription")
        for field in definition.fields
    }


def test_every_query_mutation_and_subscription_field_has_a_resolver(synth):
    resolved = {(r["Properties"]["TypeName"], r["Properties"]["FieldName"]) for r in synth.of_type("AWS::AppSync::Resolver").values()}
    assert _root_fields() == resolved
    assert ("Mutation", "sendMessage") in resolved and ("Query", "getMessages") in resolved


def _lambda_data_source(synth) -> dict:
    (data_source,) = [d for d in synth.of_type("AWS::AppSync::DataSource").values() if d["Properties"]["Type"] == "AWS_LAMBDA"]
    return data_source


def test_resolvers_run_the_envelope_code_against_the_api_function(synth):
    data_source = _lambda_data_source(synth)
    api_function_arn = {"Fn::GetAtt": [synth.function("api")[0], "Arn"]}
    assert data_source["Properties"]["LambdaConfig"] == {"LambdaFunctionArn": api_function_arn}
    for resolver in synth.of_type("AWS::AppSync::Resolver").values():
        props = resolver["Properties"]
        if (props["TypeName"], props["FieldName"]) in NONE_FIELDS:
            continue
        assert props["Runtime"] == {"Name": "APPSYNC_JS", "RuntimeVersion": "1.0.0"}
        assert props["Code"] == ENVELOPE_RESOLVER.read_text()
        assert props["DataSourceName"] == data_source["Properties"]["Name"]


def test_appsync_may_invoke_only_the_api_function(synth):
    data_source = _lambda_data_source(synth)
    role_id = data_source["Properties"]["ServiceRoleArn"]["Fn::GetAtt"][0]
    statements = synth.role_statements(role_id)
    assert synth.allowed_actions(statements) == {"lambda:InvokeFunction"}
    assert synth.allowed_resources(statements, "lambda:InvokeFunction") == [
        {"Fn::GetAtt": [synth.function("api")[0], "Arn"]}
    ]


def test_api_key_expires_on_the_configured_date(synth):
    (key,) = synth.of_type("AWS::AppSync::ApiKey").values()
    expected = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc) + dt.timedelta(days=365)
    assert synth.config.api_key_expires() == expected
    assert key["Properties"]["Expires"] == int(expected.timestamp())


def test_api_key_expiry_does_not_change_between_synths(synth, second_synth):
    expires = [next(iter(s.of_type("AWS::AppSync::ApiKey").values()))["Properties"]["Expires"] for s in (synth, second_synth)]
    assert expires[0] == expires[1]


def test_api_logs_errors_without_verbose_content_through_its_role(synth):
    (api,) = synth.of_type("AWS::AppSync::GraphQLApi").values()
    log_config = api["Properties"]["LogConfig"]
    assert log_config["FieldLogLevel"] == "ERROR"
    assert log_config["ExcludeVerboseContent"] is True
    role_id = log_config["CloudWatchLogsRoleArn"]["Fn::GetAtt"][0]
    assert synth.allowed_actions(synth.role_statements(role_id)) == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_api_log_group_has_a_retention_and_no_custom_resource_sets_it(synth):
    api_id = synth.one("AWS::AppSync::GraphQLApi")[0]
    log_group = synth.one(
        "AWS::Logs::LogGroup", LogGroupName={"Fn::Join": ["", ["/aws/appsync/apis/", {"Fn::GetAtt": [api_id, "ApiId"]}]]}
    )[1]
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert not synth.of_type("Custom::LogRetention")


def test_api_uses_api_key_auth_and_xray(synth):
    (api,) = synth.of_type("AWS::AppSync::GraphQLApi").values()
    assert api["Properties"]["AuthenticationType"] == "API_KEY"
    # IAM only as an additional mode, for the service's own publish mutation.
    assert api["Properties"]["AdditionalAuthenticationProviders"] == [{"AuthenticationType": "AWS_IAM"}]
    assert api["Properties"]["XrayEnabled"] is True


def test_query_depth_is_limited_as_in_the_local_mode(synth):
    from stacks.wiring import QUERY_DEPTH_LIMIT

    (api,) = synth.of_type("AWS::AppSync::GraphQLApi").values()
    assert api["Properties"]["QueryDepthLimit"] == QUERY_DEPTH_LIMIT == 15


def test_no_output_refers_to_the_api_key(synth):
    # An AppSync key's id is the x-api-key value itself, and its ARN ends with that id.
    key_id = synth.one("AWS::AppSync::ApiKey")[0]
    assert key_id not in json.dumps(synth.template["Outputs"])
    assert {"GraphqlUrl", "GraphqlApiId"} <= set(synth.template["Outputs"])


def test_waf_rate_limits_each_ip_at_the_configured_rate(synth):
    (acl,) = synth.of_type("AWS::WAFv2::WebACL").values()
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL"
    (rate,) = [r for r in props["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert rate["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "Limit": synth.config.waf_rate_limit,
        "EvaluationWindowSec": 300,
    }
    assert rate["Action"] == {"Block": {}}
    assert rate["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True


def test_waf_applies_the_aws_common_rule_set(synth):
    (acl,) = synth.of_type("AWS::WAFv2::WebACL").values()
    (managed,) = [r for r in acl["Properties"]["Rules"] if "ManagedRuleGroupStatement" in r["Statement"]]
    statement = managed["Statement"]["ManagedRuleGroupStatement"]
    assert (statement["VendorName"], statement["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    assert managed["OverrideAction"] == {"None": {}}


def test_waf_is_associated_with_the_graphql_api(synth):
    acl_id = synth.one("AWS::WAFv2::WebACL")[0]
    api_id = synth.one("AWS::AppSync::GraphQLApi")[0]
    (association,) = synth.of_type("AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"] == {
        "ResourceArn": {"Fn::GetAtt": [api_id, "Arn"]},
        "WebACLArn": {"Fn::GetAtt": [acl_id, "Arn"]},
    }


# The resolver code, run in Node with a stand-in for @aws-appsync/utils.
_RUNNER = """
const util = { error: (message, type, data, info) => { throw { appsyncError: { message, type, data, info } }; } };
%s
const ctx = JSON.parse(process.argv[1]);
const out = {};
try { out.request = request(ctx); } catch (e) { out.requestError = e.appsyncError; }
try { out.response = response(ctx); } catch (e) { out.responseError = e.appsyncError; }
console.log(JSON.stringify(out === undefined ? null : out));
"""


def _run_resolver(ctx: dict) -> dict:
    code = ENVELOPE_RESOLVER.read_text()
    code = code.replace("import { util } from '@aws-appsync/utils';", "")
    code = code.replace("export function", "function")
    runner = _RUNNER % code
    done = subprocess.run(["node", "-e", runner, json.dumps(ctx)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _ctx(**overrides) -> dict:
    ctx = {
        "arguments": {"input": {"to": "+254700000000"}},
        "request": {"headers": {"x-api-key": "da2-secret", "x-amzn-trace-id": "Root=1-abc", "host": "h"}},
        "info": {
            "fieldName": "sendMessage",
            "parentTypeName": "Mutation",
            "variables": {"v": 1},
            "selectionSetList": ["id"],
            "selectionSetGraphQL": "{ id }",
        },
        "result": {"data": {"id": "m1"}},
    }
    ctx.update(overrides)
    return ctx


def test_resolver_request_forwards_the_direct_lambda_event_with_the_trace_id_and_key_headers_only():
    request = _run_resolver(_ctx())["request"]
    assert request["operation"] == "Invoke"
    assert request["payload"] == {
        "arguments": {"input": {"to": "+254700000000"}},
        "identity": None,
        "source": None,
        "request": {"headers": {"x-amzn-trace-id": "Root=1-abc", "x-api-key": "da2-secret"}},
        "info": {"fieldName": "sendMessage", "parentTypeName": "Mutation", "variables": {"v": 1}, "selectionSetList": ["id"]},
        "prev": None,
        "stash": {},
    }


def test_resolver_response_returns_the_envelope_data():
    assert _run_resolver(_ctx())["response"] == {"id": "m1"}


@pytest.mark.parametrize("info", [{"field": "to"}, None])
def test_resolver_response_turns_an_error_envelope_into_a_typed_error(info):
    error = {"type": "BadRequest", "message": "to: not a valid phone number", "info": info}
    out = _run_resolver(_ctx(result={"error": error}))
    assert out["responseError"] == {"message": error["message"], "type": "BadRequest", "data": None, "info": info}


@pytest.mark.parametrize(
    "overrides",
    [
        {"error": {"message": "arn:aws:lambda:... Unhandled", "type": "Lambda:Unhandled"}, "result": None},
        {"result": None},
    ],
)
def test_resolver_response_hides_a_failed_invocation_as_internal_error(overrides):
    out = _run_resolver(_ctx(**overrides))
    assert out["responseError"] == {"message": "Internal error", "type": "InternalError"}


def _schema() -> graphql.GraphQLSchema:
    from local.appsync import AWS_DECLARATIONS

    return graphql.build_schema(AWS_DECLARATIONS + (PROJECT_ROOT / "schema.graphql").read_text())


def _directives(node) -> set[str]:
    return {d.name.value for d in node.directives}


def test_only_iam_may_call_the_publish_mutation_and_clients_keep_the_api_key():
    schema = _schema()
    for type_name in ("Query", "Mutation", "Subscription"):
        for name, field in schema.get_type(type_name).fields.items():
            expected = {"aws_iam"} if name == "publishMessageUpdate" else set()
            assert _directives(field.ast_node) - {"aws_subscribe"} == expected, (type_name, name)
    # What the publish returns must be readable by both modes.
    for type_name in ("Message", "MessageEvent"):
        assert _directives(schema.get_type(type_name).ast_node) == {"aws_api_key", "aws_iam"}


def test_the_subscription_is_fed_by_the_publish_mutation_with_every_message_field():
    schema = _schema()
    field = schema.subscription_type.fields["onMessageUpdated"]
    (subscribe,) = [d for d in field.ast_node.directives if d.name.value == "aws_subscribe"]
    assert graphql.print_ast(subscribe.arguments[0].value) == '["publishMessageUpdate"]'
    assert set(field.args) == {"id", "to", "senderId", "reference"}
    assert all(not isinstance(arg.type, graphql.GraphQLNonNull) for arg in field.args.values())
    # The input mirrors Message field for field, so a subscriber can select any of them.
    assert set(schema.get_type("MessageUpdateInput").fields) == set(schema.get_type("Message").fields)
    assert set(schema.get_type("MessageEventInput").fields) == set(schema.get_type("MessageEvent").fields)
    from messenger.messages.publish import PUBLISH_MUTATION

    selected = graphql.parse(PUBLISH_MUTATION).definitions[0].selection_set.selections[0].selection_set
    assert {s.name.value for s in selected.selections} == set(schema.get_type("Message").fields)


def test_publish_and_subscription_resolve_on_a_none_data_source_with_their_js(synth):
    (none,) = [d for d in synth.of_type("AWS::AppSync::DataSource").values() if d["Properties"]["Type"] == "NONE"]
    assert "ServiceRoleArn" not in none["Properties"]
    code = {("Mutation", "publishMessageUpdate"): PUBLISH_RESOLVER, ("Subscription", "onMessageUpdated"): SUBSCRIPTION_RESOLVER}
    for resolver in synth.of_type("AWS::AppSync::Resolver").values():
        props = resolver["Properties"]
        key = (props["TypeName"], props["FieldName"])
        if key in code:
            assert props["DataSourceName"] == none["Properties"]["Name"]
            assert props["Runtime"] == {"Name": "APPSYNC_JS", "RuntimeVersion": "1.0.0"}
            assert props["Code"] == code.pop(key).read_text()
    assert not code, f"no resolver for {sorted(code)}"


def test_the_template_fields_are_resolved_by_the_api_function(synth):
    resolved = {(r["Properties"]["TypeName"], r["Properties"]["FieldName"]) for r in synth.of_type("AWS::AppSync::Resolver").values()}
    assert {("Mutation", "createTemplate"), ("Mutation", "updateTemplate"), ("Mutation", "archiveTemplate"),
            ("Query", "getTemplate"), ("Query", "getTemplates"), ("Query", "previewTemplate")} <= resolved
