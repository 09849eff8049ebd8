"""The deployed envelope resolver and the local mode's mirror of it, held to one table of cases.

`stacks/resolvers/lambda_envelope.js` runs under Node, unchanged, with a stand-in for
`@aws-appsync/utils` (run_resolver.mjs); `local/appsync.py` runs through `AppSyncApi` with a stand-in
for the api function. Both must give every outcome in envelope_cases.json, so neither can change
without the other (and the table).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from local.appsync import AppSyncApi, ResolverError
from stacks.config import PROJECT_ROOT, load_cdk_json_config
from stacks.wiring import build_wiring

HERE = Path(__file__).resolve().parent
TABLE = json.loads((HERE / "envelope_cases.json").read_text())
CASES = TABLE["cases"]
SAMPLE = TABLE["request"]
FALSY = [0, "", False, None, [], {}]
# A field whose resolver is the envelope resolver; the table's outcomes do not depend on which.
ENVELOPE_QUERY = 'mutation { sendMessage(input: {to: "+254711223344", body: "b", deliveryMethod: SMS}) { id } }'


def run_js(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each call's outcome from the resolver file under Node (see run_resolver.mjs)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("`node` is not on PATH: these tests run stacks/resolvers/*.js under Node.js >= 20.6 "
                    "(the README's prerequisites); install it, do not skip them")  # fmt: skip
    # The file the stack deploys, named where the stack names it (imported here: aws_cdk needs node too).
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from stacks.constructs.api import ENVELOPE_RESOLVER

    done = subprocess.run(
        [node, str(HERE / "run_resolver.mjs"), str(ENVELOPE_RESOLVER)],
        input=json.dumps(calls), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"node run_resolver.mjs exited {done.returncode}:\n{done.stderr}")
    outcomes = json.loads(done.stdout)
    assert len(outcomes) == len(calls)
    return outcomes


def js_ctx(case_ctx: dict[str, Any]) -> dict[str, Any]:
    """The sample request's AppSync ctx with the case's `result` / `error` (left out stays left out)."""
    return {**SAMPLE["ctx"], **case_ctx}


def as_outcome(js: dict[str, Any]) -> dict[str, Any]:
    """A Node outcome in the table's terms; what util.error left undefined reads as null."""
    assert "crashed" not in js, f"the resolver threw something other than util.error: {js['crashed']}"
    if "returned" in js:
        return {"data": js["returned"]}
    error = js["utilError"]
    assert error.get("data") is None, f"util.error was given data: {error}"
    return {"error": {"type": error.get("type"), "message": error.get("message"), "info": error.get("info")}}


class StandInFunction:
    """Answers AppSyncApi in place of the api Lambda: `ctx.result`, or a failed invocation for `ctx.error`."""

    spec = SimpleNamespace(name="api")

    def __init__(self) -> None:
        self.ctx: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any]) -> Any:
        self.events.append(json.loads(json.dumps(event)))
        if self.ctx.get("error") is not None:
            raise RuntimeError(self.ctx["error"]["message"])
        return json.loads(json.dumps(self.ctx.get("result")))


class Mirror:
    """The local mode's AppSync emulation, with the envelope resolver's outcome taken as it leaves it."""

    def __init__(self) -> None:
        self.function = StandInFunction()
        wiring = build_wiring(load_cdk_json_config())
        self.api = AppSyncApi(PROJECT_ROOT / "schema.graphql", wiring, {"api": self.function})
        field = self.api.schema.mutation_type.fields["sendMessage"]  # type: ignore[union-attr]
        resolve, self.outcomes = field.resolve, []

        def capture(source: Any, info: Any, **arguments: Any) -> None:
            try:
                self.outcomes.append({"data": resolve(source, info, **arguments)})
            except ResolverError as error:
                entry = {"type": error.error_type, "message": error.message, "info": error.info}
                self.outcomes.append({"error": entry})

        field.resolve = capture

    def outcome(self, case_ctx: dict[str, Any]) -> dict[str, Any]:
        self.function.ctx, self.outcomes[:] = case_ctx, []
        body = self.api.execute(ENVELOPE_QUERY, None, None)
        assert len(self.outcomes) == 1, body
        return self.outcomes[0]


@pytest.fixture(scope="module")
def js_outcomes() -> dict[str, dict[str, Any]]:
    """Every case through the JS in one Node process."""
    outcomes = run_js([{"handler": "response", "ctx": js_ctx(case["ctx"])} for case in CASES])
    return {case["name"]: outcome for case, outcome in zip(CASES, outcomes, strict=True)}


@pytest.fixture(scope="module")
def mirror() -> Mirror:
    return Mirror()


def canonical(value: Any) -> str:
    """JSON text, for comparing: in Python 0 == False and 1 == True, in JSON (and JS) they differ."""
    return json.dumps(value, sort_keys=True)


def test_the_table_is_well_formed_and_covers_every_falsy_value():
    assert len({case["name"] for case in CASES}) == len(CASES)
    for case in CASES:
        assert set(case["ctx"]) <= {"result", "error"}, case["name"]
        error = case["ctx"].get("error")
        assert error is None or set(error) == {"message", "type"}, f"{case['name']}: ctx.error as AppSync sets it"
        assert len(case["expected"]) == 1 and set(case["expected"]) <= {"data", "error"}, case["name"]
        if "error" in case["expected"]:
            assert set(case["expected"]["error"]) == {"type", "message", "info"}, case["name"]
    results = [case["ctx"]["result"] for case in CASES if "result" in case["ctx"]]
    tabled = {
        "ctx.result": {canonical(r) for r in results},
        "data": {canonical(r["data"]) for r in results if isinstance(r, dict) and "data" in r},
        "error": {canonical(r["error"]) for r in results if isinstance(r, dict) and "error" in r},
    }
    for where, values in tabled.items():
        for value in FALSY:
            assert canonical(value) in values, f"no case with {where} = {canonical(value)}"
    assert any("result" not in case["ctx"] for case in CASES), "no case with ctx.result undefined"


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_deployed_js_gives_the_tabled_outcome(js_outcomes, case):
    assert canonical(as_outcome(js_outcomes[case["name"]])) == canonical(case["expected"])


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_local_mirror_gives_the_tabled_outcome(mirror, case):
    assert canonical(mirror.outcome(case["ctx"])) == canonical(case["expected"])


def test_js_request_builds_the_event_the_local_mode_sends(mirror):
    [js] = run_js([{"handler": "request", "ctx": SAMPLE["ctx"]}])
    assert "crashed" not in js and "utilError" not in js, js
    assert js["returned"]["operation"] == "Invoke"

    mirror.function.ctx, mirror.function.events[:] = {"result": {"data": None}}, []
    trace_id = SAMPLE["ctx"]["request"]["headers"]["x-amzn-trace-id"]
    key = SAMPLE["ctx"]["request"]["headers"]["x-api-key"]
    body = mirror.api.execute(SAMPLE["query"], SAMPLE["variables"], None, trace_id=trace_id, api_key=key)
    assert "errors" not in body, body
    [event] = mirror.function.events

    assert canonical(event) == canonical(js["returned"]["payload"])
    # Of the caller's headers only the trace id and the key (the function identifies the client by it).
    assert event["request"]["headers"] == {"x-amzn-trace-id": trace_id, "x-api-key": key}
