#!/usr/bin/env python3
"""CDK app: one MessagingStack per stage, checked by cdk-nag's AwsSolutions rules at synth."""

from __future__ import annotations

import json
import os
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.config import CONTEXT_KEY, PROJECT_ROOT, config_from_context
from stacks.messaging_stack import MessagingStack


def cdk_json_context() -> dict[str, Any]:
    return json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]


def build_app(outdir: str | None = None, context: dict[str, Any] | None = None) -> cdk.App:
    # The CLI passes cdk.json's context in; `python app.py` on its own reads cdk.json itself.
    if context is None and "CDK_CONTEXT_JSON" not in os.environ:
        context = cdk_json_context()
    app = cdk.App(outdir=outdir, context=context)
    config = config_from_context(app.node.try_get_context(CONTEXT_KEY))
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    MessagingStack(
        app,
        config.resource_prefix(),
        config=config,
        env=cdk.Environment(account=account, region=region) if account or region else None,
        description=f"GraphQL messaging API ({config.stage})",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


if __name__ == "__main__":
    # Under the CLI, CDK_OUTDIR says where to write; on its own, write where the CLI would.
    build_app(outdir=None if "CDK_OUTDIR" in os.environ else str(PROJECT_ROOT / "cdk.out")).synth()
