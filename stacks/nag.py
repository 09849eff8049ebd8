"""Acknowledging cdk-nag findings, one finding and one reason at a time."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

RULE_PACK = "AwsSolutions"


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding (e.g. "AwsSolutions-IAM5[Resource::*]") on `scope` and below."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{RULE_PACK}::{finding}", reason=reason))
