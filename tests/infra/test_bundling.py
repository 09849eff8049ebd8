"""The Lambda code asset: built locally, deterministic, and without a second trip to PyPI."""

from __future__ import annotations

import subprocess

import pytest

from stacks import bundling
from stacks.config import PROJECT_ROOT


def _asset_dir(synth):
    (function_id, function) = synth.function("api")
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    return synth.outdir / f"asset.{asset_hash}"


def test_every_function_shares_one_code_asset(synth, wiring):
    keys = {synth.function(spec.name)[1]["Properties"]["Code"]["S3Key"] for spec in wiring.functions}
    assert len(keys) == 1


def test_asset_holds_the_package_and_its_dependencies_without_bytecode(synth):
    asset = _asset_dir(synth)
    assert (asset / "messenger" / "__init__.py").is_file()
    assert (asset / "aws_lambda_powertools").is_dir()
    assert (asset / "ulid").is_dir()
    assert not [p for p in asset.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]


def test_asset_leaves_the_aws_sdk_to_the_lambda_runtime(synth):
    asset = _asset_dir(synth)
    assert not [name for name in ("boto3", "botocore", "s3transfer", "urllib3") if (asset / name).exists()]


def test_asset_hash_ignores_bytecode(tmp_path, monkeypatch):
    monkeypatch.setattr(bundling, "PROJECT_ROOT", tmp_path)
    (tmp_path / "src" / "messenger").mkdir(parents=True)
    (tmp_path / "src" / "messenger" / "a.py").write_text("x = 1\n")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("python-ulid==4.1.0\n")
    before = bundling.asset_hash(tmp_path / "src", requirements)
    (tmp_path / "src" / "messenger" / "__pycache__").mkdir()
    (tmp_path / "src" / "messenger" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert bundling.asset_hash(tmp_path / "src", requirements) == before
    (tmp_path / "src" / "messenger" / "a.py").write_text("x = 2\n")
    assert bundling.asset_hash(tmp_path / "src", requirements) != before


def test_dependencies_come_from_the_cache_after_the_first_install(synth, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("pip ran although the dependencies were cached")

    monkeypatch.setattr(subprocess, "run", no_network)
    cached = bundling.installed_dependencies(PROJECT_ROOT / "lambdas" / "requirements.txt")
    assert cached.parent == PROJECT_ROOT / ".build"
    assert cached.name.startswith("lambda-deps-")


def test_cache_key_changes_with_the_requirements(tmp_path, monkeypatch):
    monkeypatch.setattr(bundling, "CACHE_DIR", tmp_path)
    installs = []

    def fake_pip(command, check):
        target = command[command.index("-t") + 1]
        installs.append(target)
        (tmp_path / target).mkdir(exist_ok=True)

    monkeypatch.setattr(subprocess, "run", fake_pip)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("a==1\n")
    first = bundling.installed_dependencies(requirements)
    assert bundling.installed_dependencies(requirements) == first
    requirements.write_text("a==2\n")
    assert bundling.installed_dependencies(requirements) != first
    assert len(installs) == 2


@pytest.mark.parametrize("name", ["botocore", "urllib3"])
def test_runtime_provided_distributions_are_removed_by_their_record(tmp_path, name):
    dist = tmp_path / f"{name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n")
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    (dist / "RECORD").write_text(f"{name}/__init__.py,,\n{dist.name}/METADATA,,\n{dist.name}/RECORD,,\n")
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "__init__.py").write_text("")
    bundling._remove_runtime_provided(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]
