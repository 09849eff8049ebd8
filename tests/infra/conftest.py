"""Synthesizes the app once per session (as `cdk synth` would, cdk-nag included) for the infra tests."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.pop("CDK_CONTEXT_JSON", None)

from app import build_app, cdk_json_context  # noqa: E402
from stacks.config import CONTEXT_KEY, ServiceConfig, config_from_context  # noqa: E402
from stacks.wiring import Wiring, build_wiring  # noqa: E402


@dataclass
class Synth:
    """One synthesized cloud assembly: the stack's template and where it was written."""

    config: ServiceConfig
    outdir: Path
    template_path: Path
    template: dict[str, Any]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    def of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.resources.items() if value["Type"] == type_name}

    def one(self, type_name: str, **properties: Any) -> tuple[str, dict[str, Any]]:
        """The only resource of `type_name` whose properties include `properties`."""
        found = [
            (key, value)
            for key, value in self.of_type(type_name).items()
            if all(value.get("Properties", {}).get(k) == v for k, v in properties.items())
        ]
        assert len(found) == 1, f"expected one {type_name} with {properties}, found {len(found)}"
        return found[0]

    def function(self, name: str) -> tuple[str, dict[str, Any]]:
        """A Lambda function by its wiring name (e.g. "delivery_reports")."""
        function_name = f"{self.config.resource_prefix()}-{name.replace('_', '-')}"
        return self.one("AWS::Lambda::Function", FunctionName=function_name)

    def role_statements(self, role_id: str) -> list[dict[str, Any]]:
        """Every statement of the role's inline policies and of the policies attached to it."""
        role = self.resources[role_id]["Properties"]
        statements = [s for policy in role.get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]
        for policy in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role_id} in policy["Properties"].get("Roles", []):
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
        return statements

    def function_statements(self, name: str) -> list[dict[str, Any]]:
        _, function = self.function(name)
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        return self.role_statements(role_id)

    @classmethod
    def render(cls, value: Any) -> Any:
        """A value built with Fn::Join as one string, references written as ${Name} and ${Name.Attribute}."""
        if isinstance(value, dict) and "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(cls.render(part)) for part in parts)
        if isinstance(value, dict) and "Ref" in value:
            return "${%s}" % value["Ref"]
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return "${%s}" % ".".join(value["Fn::GetAtt"])
        return value

    @staticmethod
    def as_list(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    @classmethod
    def allowed_actions(cls, statements: list[dict[str, Any]]) -> set[str]:
        return {a for s in statements if s["Effect"] == "Allow" for a in cls.as_list(s["Action"])}

    @classmethod
    def allowed_resources(cls, statements: list[dict[str, Any]], action: str) -> list[Any]:
        return [
            resource
            for s in statements
            if s["Effect"] == "Allow" and action in cls.as_list(s["Action"])
            for resource in cls.as_list(s["Resource"])
        ]


def synthesize(outdir: Path, overrides: dict[str, Any] | None = None, region: str | None = None) -> Synth:
    """`region`: synthesize for that region, as `cdk deploy` does; None: environment-agnostic."""
    context = cdk_json_context()
    context[CONTEXT_KEY] = {**context[CONTEXT_KEY], **(overrides or {})}
    config = config_from_context(context[CONTEXT_KEY])
    saved = {key: os.environ.pop(key, None) for key in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")}
    try:
        if region:
            os.environ["CDK_DEFAULT_REGION"] = region
        assembly = build_app(outdir=str(outdir), context=context).synth()
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None)
            if value is not None:
                os.environ[key] = value
    stack = assembly.get_stack_by_name(config.resource_prefix())
    template_path = Path(stack.template_full_path)
    return Synth(config, Path(assembly.directory), template_path, json.loads(template_path.read_text()))


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk-out"))


@pytest.fixture(scope="session")
def second_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Another synth of the same sources and config, into another folder."""
    return synthesize(tmp_path_factory.mktemp("cdk-out-again"))


# Every optional setting switched on (or off), to reach the branches the default config skips:
# the user's own configuration set, SNS delivery status managed elsewhere, a stack placed in a region.
VARIANT = {
    "alarmEmail": "ops@example.com",
    "sesConfigurationSet": "messaging-events",
    "sesRegion": "eu-west-1",
    "manageSmsDeliveryStatus": False,
    "smsDeliverySamplingPercent": 25,
    "receiptTimeoutHours": 24,
    "sweeperAlarmThreshold": 7,
}


@pytest.fixture(scope="session")
def variant_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk-out-variant"), VARIANT, region=VARIANT["sesRegion"])


@pytest.fixture(scope="session")
def wiring(synth: Synth) -> Wiring:
    return build_wiring(synth.config)
