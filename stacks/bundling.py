"""The Lambda code asset, built without Docker.

Every function shares one asset: the `messenger` package plus the third-party packages of
lambdas/requirements.txt, installed as wheels for the Lambda platform (Linux, ARM64, CPython 3.14).
The installed packages are cached under .build/lambda-deps-<hash>/, keyed by the requirements file and
the target platform, so only the first synth after a change to requirements.txt reaches PyPI.

Packages the Lambda Python runtime already provides (the AWS SDK and its dependencies) are removed
from the bundle: a bundled botocore would shadow the runtime's and no longer match its boto3.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from stacks.config import PROJECT_ROOT
from stacks.wiring import LAMBDA_REQUIREMENTS, LAMBDA_SOURCE_DIR

RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
PIP_TARGET = ("--platform", "manylinux2014_aarch64", "--python-version", "3.14", "--implementation", "cp")
PACKAGE = "messenger"
CACHE_DIR = PROJECT_ROOT / ".build"
IGNORED = ("__pycache__", "*.pyc")
# Distributions that come with the Lambda Python runtime (boto3 and what it depends on).
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)


def _source_files(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def _recipe() -> bytes:
    return " ".join([*PIP_TARGET, *sorted(RUNTIME_PROVIDED)]).encode()


def asset_hash(source_dir: Path, requirements: Path) -> str:
    """A hash of everything that goes into the asset: sources, requirements and how they are built."""
    digest = hashlib.sha256(_recipe())
    for path in [requirements, *_source_files(source_dir / PACKAGE)]:
        digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _remove_runtime_provided(target: Path) -> None:
    for dist_info in target.glob("*.dist-info"):
        metadata = (dist_info / "METADATA").read_text(encoding="utf-8", errors="replace")
        name = next(
            (line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Name:")),
            "",
        )
        if _normalise(name) not in RUNTIME_PROVIDED:
            continue
        for line in (dist_info / "RECORD").read_text().splitlines():
            (target / line.split(",", 1)[0]).unlink(missing_ok=True)
        shutil.rmtree(dist_info, ignore_errors=True)
    shutil.rmtree(target / "bin", ignore_errors=True)
    for directory in sorted((p for p in target.rglob("*") if p.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def installed_dependencies(requirements: Path) -> Path:
    """The folder holding the installed requirements, installing them on first use."""
    key = hashlib.sha256(requirements.read_bytes() + _recipe()).hexdigest()[:16]
    cached = CACHE_DIR / f"lambda-deps-{key}"
    if cached.is_dir():
        return cached
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=CACHE_DIR))
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-compile", "--only-binary=:all:", *PIP_TARGET,
             "-r", str(requirements), "-t", str(staging)],
            check=True,
        )  # fmt: skip
        _remove_runtime_provided(staging)
        staging.rename(cached)
    except OSError:
        if not cached.is_dir():
            raise
        # Another synth finished the same install first: use its folder.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """Builds the asset folder on this machine instead of in the bundling image."""

    def __init__(self, source_dir: Path, requirements: Path) -> None:
        self._source_dir = source_dir
        self._requirements = requirements

    def try_bundle(self, output_dir: str, *, image=None, **_options) -> bool:
        out = Path(output_dir)
        shutil.copytree(installed_dependencies(self._requirements), out, dirs_exist_ok=True)
        shutil.copytree(
            self._source_dir / PACKAGE,
            out / PACKAGE,
            ignore=shutil.ignore_patterns(*IGNORED),
            dirs_exist_ok=True,
        )
        return True


def lambda_code() -> lambda_.Code:
    source_dir = PROJECT_ROOT / LAMBDA_SOURCE_DIR
    requirements = PROJECT_ROOT / LAMBDA_REQUIREMENTS
    return lambda_.Code.from_asset(
        str(source_dir),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(source_dir, requirements),
        bundling=BundlingOptions(
            image=RUNTIME.bundling_image,
            local=LocalPythonBundling(source_dir, requirements),
        ),
    )
