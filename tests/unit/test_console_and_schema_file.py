"""The console's server side and the generated client schema file, without a server or a browser
(tests/e2e/test_console.py drives both for real)."""

from __future__ import annotations

import json
import re

import pytest
from graphql import (
    GraphQLError,
    OperationDefinitionNode,
    build_schema,
    parse,
    print_ast,
    validate,
)

from local.appsync import AWS_DECLARATIONS, query_depth
from local.console import CONSOLE_DIR, Console, _loopback_host, _plain
from local.http import Request
from local.outbox import Outbox
from local.schema_file import SCHEMA_FILE, render
from stacks.config import PROJECT_ROOT
from stacks.wiring import QUERY_DEPTH_LIMIT

SCHEMA = build_schema(AWS_DECLARATIONS + (PROJECT_ROOT / "schema.graphql").read_text())
EXAMPLES = json.loads((CONSOLE_DIR / "examples.json").read_text())


def test_the_schema_file_is_up_to_date():
    assert SCHEMA_FILE.read_text() == render(), "schema/appsync.graphql is stale: run `make schema`"


def test_the_schema_file_loads_in_a_plain_graphql_tool_where_schema_graphql_alone_does_not():
    with pytest.raises(TypeError, match="AWSDateTime"):
        build_schema((PROJECT_ROOT / "schema.graphql").read_text())
    schema = build_schema(SCHEMA_FILE.read_text())
    assert schema.get_type("AWSDateTime") is not None and schema.get_directive("aws_subscribe") is not None
    assert set(schema.type_map) == set(SCHEMA.type_map)


def test_the_depth_limit_admits_the_standard_introspection_queries_and_nothing_deeper():
    from graphql import get_introspection_query

    assert query_depth(parse(get_introspection_query(descriptions=True))) <= QUERY_DEPTH_LIMIT
    deeper = "{ __schema { types { " + "ofType { " * (QUERY_DEPTH_LIMIT - 2) + "name" + " }" * (QUERY_DEPTH_LIMIT - 2) + " } } }"
    assert validate(SCHEMA, parse(deeper)) == [] and query_depth(parse(deeper)) == QUERY_DEPTH_LIMIT + 1


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e["query"].split("\n")[1].split("(")[0])
def test_every_explorer_tab_is_a_valid_request(example):
    document = parse(example["query"])
    assert validate(SCHEMA, document) == []
    assert query_depth(document) <= QUERY_DEPTH_LIMIT
    assert isinstance(example["variables"], dict)


def _selections(query: str) -> list[str]:
    operations = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
    return [print_ast(operation.selection_set) for operation in operations]


def test_the_first_tabs_are_the_readme_examples():
    readme = (PROJECT_ROOT / "README.md").read_text()
    documented = [json.loads(f'"{raw}"') for raw in re.findall(r'"query":"((?:[^"\\]|\\.)*)"', readme)]
    assert len(documented) >= 2
    for example, query in zip(EXAMPLES, documented[:2], strict=False):
        assert _selections(example["query"]) == _selections(query)


def _request(path: str, host: str = "127.0.0.1:4000", method: str = "GET") -> Request:
    return Request(method, path, "", {"host": host}, b"", "127.0.0.1")


@pytest.fixture
def console():
    return Console("da2-key", Outbox(), "table", list)


def test_only_the_listed_vendor_files_and_the_console_folder_are_served(console):
    serve = console._guarded(console._asset)
    assert serve(_request("/console/console.js")).status == 200
    for path in ("/console/vendor/../../package.json", "/console/../appsync.py", "/console/vendor/react/package.json",
                 "/console/.hidden", "/console/vendor/graphql.js"):
        assert serve(_request(path)).status == 404, path
    assert serve(_request("/console/console.js", method="POST")).status == 405


@pytest.mark.parametrize(("host", "served"), [
    ("127.0.0.1:4000", True), ("localhost:4000", True), ("localhost", True),
    ("evil.example:4000", False), ("127.0.0.1.evil.example", False), ("", False),
])  # fmt: skip
def test_the_key_is_given_to_loopback_hosts_only(console, host, served):
    response = console._guarded(console._config)(_request("/local/console/config", host))
    assert (response.status == 200) is served
    assert (b"da2-key" in response.body) is served
    assert "Access-Control-Allow-Origin" not in response.headers
    assert _loopback_host(host) is served


def test_table_attributes_are_read_as_plain_values():
    item = {"n": {"N": "3"}, "f": {"N": "1.5"}, "s": {"S": "x"}, "l": {"L": [{"M": {"a": {"S": "b"}}}]}, "z": {"NULL": True}}
    assert {name: _plain(value) for name, value in item.items()} == {"n": 3, "f": 1.5, "s": "x", "l": [{"a": "b"}], "z": None}


def test_the_outbox_version_moves_on_with_every_record():
    outbox = Outbox()
    before = outbox.version
    outbox.record({"channel": "SMS", "to": "+254700000001", "body": "x", "providerMessageId": "p"})
    assert outbox.version > before


def test_graphql_errors_are_not_raised_by_examples():
    # A typo in examples.json would show as an error in GraphiQL, not here; this pins the JSON shape.
    for example in EXAMPLES:
        assert set(example) == {"query", "variables"}
        with pytest.raises(GraphQLError):
            parse(example["query"] + " }")
