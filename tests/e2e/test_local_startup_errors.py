"""A wrong setting or a taken port stops `python -m local` with one line saying what to change, exit 2.

Each case is a real `python -m local` subprocess; none gets as far as starting moto.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO_ROOT


def run_local(env: dict[str, str], cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    for name in ("LOCAL_PORT", "LOCAL_CONFIG", "LOCAL_RECEIPT_DELAY", "LOCAL_LOG_LEVEL"):
        if name not in env:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "local"], cwd=cwd, env=environment, capture_output=True, text=True, timeout=60
    )


def one_clear_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("local mode not started: ")
    return lines[0]


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"LOCAL_PORT": "abc"}, ["LOCAL_PORT='abc'", "0 = any free port"]),
        ({"LOCAL_PORT": "70000"}, ["LOCAL_PORT='70000'", "1 to 65535"]),
        ({"LOCAL_CONFIG": "{maxSmsSegments: 5}"}, ["LOCAL_CONFIG is not JSON", "set a JSON object"]),
        ({"LOCAL_CONFIG": "[1, 2]"}, ["LOCAL_CONFIG must be a JSON object"]),
        ({"LOCAL_CONFIG": '{"maxSmsSegments": 99}'}, ["LOCAL_CONFIG has a bad value", "maxSmsSegments: 1 to 20"]),
        ({"LOCAL_CONFIG": '{"maxSmsSegments": "5"}'}, ["LOCAL_CONFIG", "maxSmsSegments: '5' is not a whole number"]),
        ({"LOCAL_CONFIG": '{"noSuchSetting": 1}'}, ["LOCAL_CONFIG", "unknown setting 'noSuchSetting'"]),
        ({"LOCAL_RECEIPT_DELAY": "soon"}, ["LOCAL_RECEIPT_DELAY='soon'", "number of seconds"]),
    ],
)
def test_a_bad_setting_is_one_line_naming_it_and_exit_2(env, names):
    line = one_clear_line(run_local(env))
    for name in names:
        assert name in line


def test_a_port_in_use_names_the_port_and_what_to_do():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_clear_line(run_local({"LOCAL_PORT": str(port)}))
    assert f"port {port} is already in use" in line and "LOCAL_PORT=0" in line


def test_a_bad_cdk_json_value_names_the_file_and_the_setting(tmp_path):
    # A copy of the project whose cdk.json holds a bad value (stacks/ copied: it locates cdk.json).
    for name in ("local", "lambdas", "schema.graphql"):
        (tmp_path / name).symlink_to(REPO_ROOT / name)
    shutil.copytree(REPO_ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    cdk_json = json.loads((REPO_ROOT / "cdk.json").read_text())
    cdk_json["context"]["messaging"]["defaultSmsProvider"] = "PIGEON"
    (tmp_path / "cdk.json").write_text(json.dumps(cdk_json))
    line = one_clear_line(run_local({}, cwd=tmp_path))
    assert "cdk.json context.messaging has a bad value (defaultSmsProvider: must be SNS or AFRICASTALKING)" in line
