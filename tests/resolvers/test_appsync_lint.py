"""Every APPSYNC_JS resolver passes @aws-appsync/eslint-plugin's recommended rules (pinned in
package.json; stacks/resolvers/eslint.config.mjs). The local mode cannot run this code, so the
runtime's restrictions (no try, no regex, no recursion, no disallowed methods...) are checked here."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import pytest

from stacks.config import PROJECT_ROOT

RESOLVERS = PROJECT_ROOT / "stacks" / "resolvers"
ESLINT = ["npx", "--no-install", "eslint", "--max-warnings", "0", "--format", "json"]


def _eslint(*files: str) -> tuple[int, list[dict]]:
    if shutil.which("npx") is None:
        pytest.fail("npx (Node.js 20+) is not installed: the APPSYNC_JS resolvers cannot be linted")
    if not (PROJECT_ROOT / "node_modules" / "@aws-appsync" / "eslint-plugin").is_dir():
        pytest.fail("@aws-appsync/eslint-plugin is not installed: run `make setup` (npm ci)")
    run = subprocess.run([*ESLINT, *files], cwd=RESOLVERS, capture_output=True, text=True, timeout=120)
    try:
        return run.returncode, json.loads(run.stdout)
    except ValueError:
        pytest.fail(f"eslint did not run (exit {run.returncode}):\n{run.stderr[-3000:]}")


PROBE_PREFIX = "zz_probe_"


def _resolvers() -> list[str]:
    """The resolver files (a probe another test run is linting at this moment is not one)."""
    return sorted(path.name for path in RESOLVERS.glob("*.js") if not path.name.startswith(PROBE_PREFIX))


def test_every_resolver_passes_the_recommended_appsync_rules():
    resolvers = _resolvers()
    code, results = _eslint(*resolvers)
    linted = {result["filePath"].rsplit("/", 1)[-1] for result in results}
    assert linted == set(resolvers) and len(resolvers) >= 3
    problems = [f"{r['filePath']}:{m['line']} {m['ruleId']}: {m['message']}" for r in results for m in r["messages"]]
    assert code == 0 and not problems, "\n".join(problems)


def test_the_rules_in_force_refuse_what_the_runtime_cannot_run():
    bad = "export function request(ctx) { return f(ctx); }\nfunction f(x) { return f(x); }\n" \
          "export function response(ctx) { try { return /a/.test(ctx.result); } catch (e) { return null; } }\n"
    probe = RESOLVERS / f"{PROBE_PREFIX}{uuid.uuid4().hex}.js"  # inside the TypeScript project the rules need
    probe.write_text(bad)
    try:
        code, (result,) = _eslint(probe.name)
    finally:
        probe.unlink()
    assert code == 1
    assert {m["ruleId"] for m in result["messages"]} >= {
        "@aws-appsync/no-try", "@aws-appsync/no-regex", "@aws-appsync/no-recursion",
    }
