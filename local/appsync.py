"""What AppSync does between a client and the direct Lambda resolvers, for the local mode.

- executes schema.graphql with graphql-core (AWS scalars pass strings through unchanged);
- rejects documents deeper than QUERY_DEPTH_LIMIT before any resolver runs;
- builds the resolver event exactly as the deployed APPSYNC_JS resolver sends it;
- maps the handler's envelope like the deployed response handler: `{"data": v}` -> v,
  `{"error": {type, message, info}}` -> an error entry with that errorType/errorInfo,
  a handler that raises -> errorType "InternalError", message "Internal error";
- authorizes each root field as AppSync does with API_KEY as the default mode and IAM as an additional
  one: fields marked `@aws_iam` (the publish mutation) only for IAM (a SigV4 request, see local/iam.py),
  every other field only for the API key;
- resolves the publish mutation as its NONE data source does (returns its input) and hands the result
  to `on_publish` (local/subscriptions.py);
- formats errors as AppSync does. Request-level errors (syntax, validation, variable coercion,
  depth) carry no errorType, as AppSync's own validation errors do: see docs/local-mode.md.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from local.lambda_runtime import LambdaFunction
from stacks.wiring import PUBLISH_FIELD, PUBLISH_TYPE, QUERY_DEPTH_LIMIT, Wiring

API_KEY, AWS_IAM = "API_KEY", "AWS_IAM"
# Largest request body accepted, in bytes.
MAX_REQUEST_BYTES = 1_048_576

AWS_DECLARATIONS = """
scalar AWSDate
scalar AWSTime
scalar AWSDateTime
scalar AWSTimestamp
scalar AWSEmail
scalar AWSJSON
scalar AWSURL
scalar AWSPhone
scalar AWSIPAddress
directive @aws_api_key on OBJECT | FIELD_DEFINITION
directive @aws_iam on OBJECT | FIELD_DEFINITION
directive @aws_oidc on OBJECT | FIELD_DEFINITION
directive @aws_lambda on OBJECT | FIELD_DEFINITION
directive @aws_cognito_user_pools(cognito_groups: [String]) on OBJECT | FIELD_DEFINITION
directive @aws_auth(cognito_groups: [String]) on FIELD_DEFINITION
directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION
"""

log = logging.getLogger(__name__)


class ResolverError(Exception):
    """An error entry the resolver's response handler raises (AppSync's `util.error`)."""

    def __init__(self, error_type: str | None, message: str | None, info: Any = None) -> None:
        super().__init__(message)
        self.error_type, self.message, self.info = error_type, message, info


class AppSyncApi:
    def __init__(
        self, schema_path: Path, wiring: Wiring, functions: dict[str, LambdaFunction],
        on_publish: Callable[[str, Any], Any] | None = None,
    ) -> None:  # fmt: skip
        self.schema: GraphQLSchema = build_schema(AWS_DECLARATIONS + schema_path.read_text())
        self.on_publish = on_publish  # (field, the mutation's result): the subscriptions' hub
        for resolver in wiring.resolvers:
            field = self.schema.get_type(resolver.type_name).fields[resolver.field_name]  # type: ignore[union-attr]
            field.resolve = _authorized(API_KEY, _direct_lambda_resolver(functions[resolver.function]))
        publish = self.schema.get_type(PUBLISH_TYPE).fields[PUBLISH_FIELD]  # type: ignore[union-attr]
        publish.resolve = _authorized(AWS_IAM, lambda _source, _info, message: message)  # NONE data source

    def execute(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None, trace_id: str | None = None,
        auth: str = API_KEY, api_key: str | None = None,
    ) -> dict[str, Any]:
        """The body of AppSync's HTTP 200 answer to one GraphQL request, authorized by `auth`."""
        try:
            document = parse(query)
        except GraphQLError as error:
            return _request_errors([error])
        errors = validate(self.schema, document)
        if errors:
            return _request_errors(errors)
        depth = query_depth(document)
        if depth > QUERY_DEPTH_LIMIT:
            message = f"Query depth {depth} exceeds the maximum query depth of {QUERY_DEPTH_LIMIT}"
            return _request_errors([GraphQLError(message)])
        result = execute_sync(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value={"trace_id": trace_id or _trace_id(), "auth": auth, "api_key": api_key},
        )
        if self.on_publish is not None and result.data:
            for key, field in _root_fields(document, operation_name):
                if field == PUBLISH_FIELD and result.data.get(key) is not None:
                    self.on_publish(field, result.data[key])
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(error) for error in result.errors]
        return body


def _authorized(mode: str, resolve: Callable[..., Any]) -> Callable[..., Any]:
    def check(source: Any, info: GraphQLResolveInfo, **arguments: Any) -> Any:
        if info.context["auth"] != mode:
            message = f"Not Authorized to access {info.field_name} on type {info.parent_type.name}"
            raise ResolverError("Unauthorized", message)
        return resolve(source, info, **arguments)

    return check


def _root_fields(document: DocumentNode, operation_name: str | None) -> list[tuple[str, str]]:
    """(response key, field name) of the executed operation's root fields."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name and definition.name.value == operation_name)
        ):
            return [(s.alias.value if s.alias else s.name.value, s.name.value)
                    for s in definition.selection_set.selections if isinstance(s, FieldNode)]  # fmt: skip
    return []


def _direct_lambda_resolver(function: LambdaFunction):
    def resolve(_source: Any, info: GraphQLResolveInfo, **arguments: Any) -> Any:
        event = resolver_event(arguments, info)
        try:
            envelope = function.invoke(event)
        except Exception:  # noqa: BLE001 - what a raising handler looks like to the client
            log.exception("%s raised while resolving %s.%s", function.spec.name, info.parent_type.name, info.field_name)
            raise ResolverError("InternalError", "Internal error") from None
        return envelope_value(envelope, function.spec.name)

    return resolve


def resolver_event(arguments: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any]:
    """The event the deployed APPSYNC_JS resolver hands the Lambda: of the headers, the trace id and the
    x-api-key (the function identifies the calling client from it)."""
    return {
        "arguments": arguments,
        "identity": None,
        "source": None,
        "request": {"headers": {"x-amzn-trace-id": info.context["trace_id"], "x-api-key": info.context.get("api_key")}},
        "info": {
            "fieldName": info.field_name,
            "parentTypeName": info.parent_type.name,
            "variables": dict(info.variable_values),
            "selectionSetList": selection_set_list(info),
        },
        "prev": None,
        "stash": {},
    }


def envelope_value(envelope: Any, function_name: str) -> Any:
    """Mirrors the deployed response handler (stacks/resolvers/lambda_envelope.js), JS truthiness included.

    Both are held to tests/resolvers/envelope_cases.json: change one, change the table and the other.
    """
    if not _js_truthy(envelope):
        log.error("%s returned no envelope", function_name)
        raise ResolverError("InternalError", "Internal error")
    if not isinstance(envelope, dict):
        return None
    error = envelope.get("error")
    if _js_truthy(error):
        if not isinstance(error, dict) or not isinstance(error.get("type"), str):
            log.error("%s returned a malformed error", function_name)
            raise ResolverError("InternalError", "Internal error")
        raise ResolverError(error.get("type"), error.get("message"), error.get("info"))
    return envelope.get("data")


def _js_truthy(value: Any) -> bool:
    if value is None or value is False or value == "":
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == value and value != 0  # NaN and 0 are falsy
    return True  # objects and arrays are truthy in JS, even when empty


def selection_set_list(info: GraphQLResolveInfo) -> list[str]:
    """AppSync's `selectionSetList`: field paths below the resolved field, "parent/child", fragments expanded."""
    paths: dict[str, None] = {}

    def walk(selection_set: SelectionSetNode, prefix: str) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                paths[prefix + name] = None
                if selection.selection_set:
                    walk(selection.selection_set, f"{prefix}{name}/")
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, prefix)
            elif isinstance(selection, FragmentSpreadNode):
                walk(info.fragments[selection.name.value].selection_set, prefix)

    for node in info.field_nodes:
        if node.selection_set:
            walk(node.selection_set, "")
    return list(paths)


def query_depth(document: DocumentNode) -> int:
    """Deepest field nesting of any operation (a root field is depth 1), fragments expanded.

    Run after validation, which guarantees fragments exist and do not cycle.
    """
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def depth(selection_set: SelectionSetNode) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                below = depth(selection.selection_set) if selection.selection_set else 0
                deepest = max(deepest, 1 + below)
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, depth(fragments[selection.name.value].selection_set))
        return deepest

    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return max((depth(op.selection_set) for op in operations), default=0)


def format_error(error: GraphQLError) -> dict[str, Any]:
    if error.path is None:
        return _request_error(error)
    original = error.original_error
    resolver_error = original if isinstance(original, ResolverError) else None
    return {
        "path": list(error.path),
        "data": None,
        "errorType": resolver_error.error_type if resolver_error else None,
        "errorInfo": resolver_error.info if resolver_error else None,
        "locations": _locations(error),
        "message": resolver_error.message if resolver_error else error.message,
    }


def _request_error(error: GraphQLError) -> dict[str, Any]:
    return {"path": None, "locations": _locations(error), "message": error.message}


def _request_errors(errors: list[GraphQLError]) -> dict[str, Any]:
    return {"data": None, "errors": [_request_error(error) for error in errors]}


def _locations(error: GraphQLError) -> list[dict[str, Any]] | None:
    if not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column, "sourceName": None} for loc in error.locations]


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"

