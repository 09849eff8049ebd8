"""The local mode as browsers and GraphQL tools meet it: CORS as AppSync answers it, keep-alive,
standard introspection (gql, graphql-js), the generated client schema file, and the console at GET /
in real headless Chromium (one browser start, the session's local mode)."""

from __future__ import annotations

import asyncio
import http.client
import json
import secrets
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from graphql import print_schema

from local.console import VENDOR
from local.schema_file import HEADER, SCHEMA_FILE
from tests.e2e.browser import Browser, chromium_path
from tests.e2e.conftest import REPO_ROOT, fresh_number

SEND = "mutation($input: MessageInput!){ sendMessage(input: $input){ id deliveryStatus } }"


def _connection(local_api) -> http.client.HTTPConnection:
    url = urlsplit(local_api.base_url)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def _post(connection: http.client.HTTPConnection, key: str | None, query: str = "{ __typename }") -> http.client.HTTPResponse:
    headers = {"Content-Type": "application/json", "Origin": "http://127.0.0.1:5173"}
    if key is not None:
        headers["x-api-key"] = key
    connection.request("POST", "/graphql", json.dumps({"query": query}), headers)
    return connection.getresponse()


# --- CORS and keep-alive ------------------------------------------------------------------------


def test_a_preflight_is_answered_as_appsync_does(local_api):
    connection = _connection(local_api)
    connection.request("OPTIONS", "/graphql", headers={
        "Origin": "http://127.0.0.1:5173", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-api-key",
    })  # fmt: skip
    response = connection.getresponse()
    assert response.status == 200 and response.read() == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    allowed = {name.strip() for name in response.headers["Access-Control-Allow-Headers"].lower().split(",")}
    assert {"content-type", "x-api-key", "authorization", "x-amz-date", "x-amz-security-token"} <= allowed
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_answers_and_errors_carry_the_allow_origin_header_on_one_kept_alive_connection(local_api):
    connection = _connection(local_api)
    answered = _post(connection, local_api.api_key)
    assert answered.status == 200 and json.loads(answered.read()) == {"data": {"__typename": "Query"}}
    socket_used = connection.sock
    refused = _post(connection, None)
    assert refused.status == 401 and json.loads(refused.read())["errors"][0]["errorType"] == "UnauthorizedException"
    for response in (answered, refused):
        assert response.version == 11 and response.headers["Access-Control-Allow-Origin"] == "*"
        assert "x-amzn-RequestId" in response.headers["Access-Control-Expose-Headers"]
        assert (response.headers.get("Connection") or "").lower() != "close"
    assert connection.sock is socket_used  # the second request went over the first one's connection


# --- introspection and the client schema file ---------------------------------------------------


def test_gql_fetches_the_schema_from_the_transport_and_it_equals_the_generated_file(local_api):
    from gql import Client, gql
    from gql.transport.aiohttp import AIOHTTPTransport

    transport = AIOHTTPTransport(url=local_api.url, headers={"x-api-key": local_api.api_key})
    client = Client(transport=transport, fetch_schema_from_transport=True)

    async def run() -> dict:
        async with client as session:  # fetches the schema with gql's standard introspection query first
            return await session.execute(gql("query { getMessage(id: \"MESSAGE#none\") { id } }"))

    assert asyncio.run(run()) == {"getMessage": None}
    assert client.schema is not None
    assert SCHEMA_FILE.read_text() == HEADER + print_schema(client.schema) + "\n", "run `make schema`"


def test_graphql_js_introspection_query_builds_a_client_schema(local_api):
    node = shutil.which("node")
    if node is None or not (REPO_ROOT / "node_modules" / "graphql").is_dir():
        pytest.skip("node or node_modules/graphql is missing: `make setup` installs them")
    script = """
const { getIntrospectionQuery, buildClientSchema, printSchema } = require("graphql");
(async () => {
  const response = await fetch(process.env.URL, { method: "POST",
    headers: { "content-type": "application/json", "x-api-key": process.env.KEY },
    body: JSON.stringify({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true,
                                                          specifiedByUrl: true, directiveIsRepeatable: true }) }) });
  const body = await response.json();
  if (body.errors) { console.log(JSON.stringify(body.errors)); process.exit(1); }
  const schema = buildClientSchema(body.data);
  console.log(JSON.stringify(Object.keys(schema.getTypeMap()).filter((name) => !name.startsWith("__")).sort()));
})();
"""
    env = {"PATH": "/usr/bin:/bin", "URL": local_api.url, "KEY": local_api.api_key}
    done = subprocess.run([node, "-e", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    types = json.loads(done.stdout)
    assert {"AWSDateTime", "AWSJSON", "Message", "MessageInput", "Query", "Mutation", "Subscription"} <= set(types)
    for name in types:
        assert f" {name}" in SCHEMA_FILE.read_text() or name in ("String", "Boolean", "Int", "ID", "Float")


# --- the console in Chromium -----------------------------------------------------------------------


def test_the_console_page_needs_no_key_and_refuses_foreign_hosts(local_api):
    status, page = local_api.get("/")
    assert status == 200 and "<title>Messaging console" in page
    for name in VENDOR:  # installed by `make setup` (npm ci), served from node_modules
        assert local_api.get(f"/console/vendor/{name}")[0] == 200, name
    assert local_api.get("/console/vendor/../../package.json")[0] == 404
    connection = _connection(local_api)
    connection.request("GET", "/local/console/config", headers={"Host": "rebound.example:4000"})
    refused = connection.getresponse()
    assert refused.status == 403 and b"apiKey" not in refused.read()
    status, config = local_api.get("/local/console/config")
    assert status == 200 and config["apiKey"] == local_api.api_key


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium is not installed and could not be (`make test` installs Debian's chromium as root)")
    started = Browser(executable)
    yield started
    started.close()


def test_the_console_sends_through_the_explorer_and_shows_the_email_live(local_api, browser, tmp_path):
    address = f"console-{secrets.token_hex(4)}@example.com"
    text = f"Hello from the explorer {secrets.token_hex(4)}\nsecond line"
    browser.navigate(local_api.base_url + "/")
    browser.wait_for("document.body && document.body.dataset.ready === 'true'")
    assert browser.wait_for("document.querySelector('#live').textContent.includes('live')")

    # The explorer: the README's examples as tabs, the key pre-set; run the first with our variables.
    browser.evaluate("location.hash = '#explorer'")
    browser.wait_for("!!document.querySelector('.graphiql-execute-button')")
    tabs = browser.wait_for("[...document.querySelectorAll('.graphiql-tab')].map(t => t.textContent)")
    assert [t.replace("icon", "").strip() for t in tabs][:2] == ["SendEmail", "History"]
    # GraphiQL's own introspection went through the depth limit: its documentation lists the root types.
    browser.evaluate("document.querySelector('[aria-label=\"Show Documentation Explorer\"]').click()")
    docs = browser.wait_for("(d => d && d.textContent.includes('Mutation') && d.textContent)"
                            "(document.querySelector('.graphiql-doc-explorer'))")
    assert "Query" in docs and "Subscription" in docs
    headers = browser.evaluate("document.querySelectorAll('.graphiql-editor .CodeMirror')[2].CodeMirror.getValue()")
    assert json.loads(headers) == {"x-api-key": local_api.api_key}
    variables = {"input": {"to": address, "subject": "Console test", "body": text, "deliveryMethod": "EMAIL"}}
    browser.evaluate(
        "document.querySelectorAll('.graphiql-editor .CodeMirror')[1].CodeMirror.setValue("
        + json.dumps(json.dumps(variables)) + ")"
    )
    browser.evaluate("document.querySelector('.graphiql-execute-button').click()")
    result = browser.wait_for(
        "(v => v.includes('deliveryStatus') && v)(document.querySelector('.result-window .CodeMirror').CodeMirror.getValue())"
    )
    message_id = json.loads(result)["data"]["sendMessage"]["id"]

    # The outbox, loaded before the send, shows it without a reload; its status moves on live.
    browser.evaluate("location.hash = '#outbox'")
    row = f"[...document.querySelectorAll('#emails tbody tr')].find(r => r.textContent.includes('{address}'))"
    browser.wait_for(f"!!{row}")
    browser.wait_for(f"{row}.textContent.includes('DELIVERED')")
    browser.evaluate(f"{row}.click()")
    frame = "document.querySelector('#email-detail iframe')"
    browser.wait_for(f"!!{frame}")
    # Sandboxed: no permissions at all, an opaque origin (the page cannot reach into it, nor it out).
    assert browser.evaluate(f"{frame}.getAttribute('sandbox')") == ""
    assert browser.evaluate(f"{frame}.contentDocument === null") is True
    inside = browser.frame_context()
    rendered = browser.wait_for("document.body && document.body.innerText", context_id=inside)
    assert text.split("\n")[0] in rendered and "second line" in rendered
    assert browser.evaluate("!!document.querySelector('div[style*=pre-wrap]')", context_id=inside) is True
    assert browser.evaluate("document.querySelector('#email-detail .text-part').textContent") == text
    shown_headers = browser.evaluate("document.querySelector('#email-detail .headers').textContent")
    assert f"To: {address}" in shown_headers and "Subject: Console test" in shown_headers

    # The history view: the message's timeline by its id.
    browser.evaluate(f"location.hash = '#history/{message_id}'")
    steps = browser.wait_for("document.querySelectorAll('#history .timeline li').length >= 2 && "
                             "[...document.querySelectorAll('#history .timeline li')].map(li => li.textContent)")
    assert any("DELIVERED" in step for step in steps)
    browser.evaluate("location.hash = '#system'")
    browser.wait_for("document.querySelector('#table-counts').textContent.includes('all items')")

    # An SMS sent by another client joins its number's thread, with provider and segments, live.
    browser.evaluate("location.hash = '#outbox'")
    number = fresh_number()
    status, body = local_api.graphql(SEND, {"input": {"to": number, "body": "Code 1234", "deliveryMethod": "SMS"}})
    assert status == 200 and body["data"]["sendMessage"]["id"], body
    thread = f"[...document.querySelectorAll('#sms-threads .thread')].find(t => t.textContent.includes('{number}'))"
    # (The send may be seen in SNS a moment before its record names it: wait for the joined view.)
    shown = browser.wait_for(f"{thread} && {thread}.textContent.includes('1 segment(s)') && {thread}.textContent")
    assert "Code 1234" in shown and "SNS" in shown
    shot = browser.screenshot(tmp_path / "console.png")
    assert shot.stat().st_size > 10_000
    assert browser.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert browser.errors == []
