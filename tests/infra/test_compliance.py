"""cdk-nag, cfn-lint and a reproducible template."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# CDK writes DependsOn on a function's role next to the Fn::GetAtt of that role; cfn-lint calls
# that redundant (W3005). Nothing else is ignored.
CFN_LINT_IGNORED = "W3005"


def _nag_report(synth) -> dict:
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    return nag


def test_cdk_nag_reports_no_unacknowledged_finding(synth):
    # A finding would already have made synth raise; the report says so explicitly.
    nag = _nag_report(synth)
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []


def test_every_acknowledged_finding_is_narrow_and_has_a_reason(synth):
    suppressed = _nag_report(synth)["suppressedViolations"]
    assert suppressed, "the stack is expected to acknowledge some findings"
    for finding in suppressed:
        assert len(finding["reason"]) > 40, finding["ruleName"]
        assert finding["acknowledgedId"] == f"AwsSolutions::{finding['ruleName']}"
        for construct in finding["violatingConstructs"]:
            # Acknowledged where the finding is, never on the stack or the app.
            path, at = construct["constructPath"], finding["acknowledgedAt"]
            assert path == at or path.startswith(at + "/")
            assert finding["acknowledgedAt"].count("/") >= 2


def test_the_acknowledged_findings_are_exactly_the_expected_ones(synth):
    acknowledged = {(f["ruleName"], c["constructPath"]) for f in _nag_report(synth)["suppressedViolations"] for c in f["violatingConstructs"]}
    prefix = synth.config.resource_prefix()
    assert acknowledged == {
        ("AwsSolutions-SMG4", f"{prefix}/Secrets/AfricasTalking/Resource"),
        ("AwsSolutions-SMG4", f"{prefix}/Secrets/DeliveryReportToken/Resource"),
        ("AwsSolutions-ASC3", f"{prefix}/Graphql/Api/Resource"),
        ("AwsSolutions-IAM5[Resource::*]", f"{prefix}/Functions/Api/Role/Resource"),
        ("AwsSolutions-IAM5[Resource::*]", f"{prefix}/Functions/Dispatch/Role/Resource"),
        *{("AwsSolutions-IAM5[Resource::*]", f"{prefix}/Functions/{f}/Role/DefaultPolicy/Resource") for f in ("Api", "Dispatch", "DeliveryReports")},
    }


def test_cfn_lint_passes_on_the_synthesized_template(synth):
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--ignore-checks", CFN_LINT_IGNORED, "--", str(synth.template_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_two_synths_of_the_same_sources_give_the_same_template(synth, second_synth):
    assert synth.template == second_synth.template
