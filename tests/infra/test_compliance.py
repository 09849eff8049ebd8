"""cdk-nag, cfn-lint and a reproducible template."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# CDK writes DependsOn on a function's role next to the Fn::GetAtt of that role; cfn-lint calls
# that redundant (W3005). Nothing else is ignored.
CFN_LINT_IGNORED = "W3005"
# How cdk-nag names the SNS SMS delivery-status log group in a finding.
_SNS_LOG_GROUP_ARN = (
    "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
    "sns/<AWS::Region>/<AWS::AccountId>/DirectPublishToPhoneNumber"
)


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
        ("AwsSolutions-SMG4", f"{prefix}/Secrets/VerificationKey/Resource"),
        ("AwsSolutions-ASC3", f"{prefix}/Graphql/Api/Resource"),
        ("AwsSolutions-IAM5[Resource::*]", f"{prefix}/Functions/Api/Role/Resource"),
        # The clients domain's key actions: this API's keys (a key's ARN ends with the secret itself).
        ("AwsSolutions-IAM5[Resource::<GraphqlApi5FB08D89.Arn>/apikeys/*]", f"{prefix}/Functions/Api/Role/Resource"),
        (f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/{prefix}-sends/*]",
         f"{prefix}/Functions/Api/Role/Resource"),
        # The batch schedules: the api function makes a sendBatch's, the batch worker a CSV batch's.
        (f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/{prefix}-batches/*]",
         f"{prefix}/Functions/Api/Role/Resource"),
        (f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/{prefix}-batches/*]",
         f"{prefix}/Functions/BatchUploads/Role/Resource"),
        ("AwsSolutions-IAM5[Resource::*]", f"{prefix}/Functions/Dispatch/Role/Resource"),
        ("AwsSolutions-IAM5[Resource::*]", f"{prefix}/Functions/Inbound/Role/Resource"),  # replies: SMS publish
        *{("AwsSolutions-IAM5[Resource::*]", f"{prefix}/Functions/{f}/Role/DefaultPolicy/Resource")
          for f in ("Api", "Dispatch", "DeliveryReports", "Receipts", "Sweeper", "BatchUploads", "Webhooks", "Inbound")},
        # The uploads bucket: objects under uploads/ of that one bucket (createBatchUpload signs, the worker reads).
        *{(f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{prefix}-uploads-<AWS::AccountId>-<AWS::Region>"
           "/uploads/*]", f"{prefix}/Functions/{f}/Role/Resource") for f in ("Api", "BatchUploads")},
        ("AwsSolutions-S1", f"{prefix}/Buckets/Uploads/Bucket/Resource"),
        ("AwsSolutions-IAM5[Resource::*]", f"{prefix}/SmsDeliveryStatus/ProviderRole/Resource"),
        *{(f"AwsSolutions-IAM5[Resource::{_SNS_LOG_GROUP_ARN}{suffix}:*]", f"{prefix}/SmsDeliveryStatus/LoggingRole/Resource")
          for suffix in ("", "/Failure")},
    }


def test_the_variant_acknowledges_no_more_than_the_default(synth, variant_synth):
    def rules(s):
        return {(f["ruleName"], c["constructPath"]) for f in _nag_report(s)["suppressedViolations"] for c in f["violatingConstructs"]}

    assert _nag_report(variant_synth)["violations"] == []
    assert rules(variant_synth) <= rules(synth)


@pytest.mark.parametrize("fixture", ["synth", "variant_synth"])
def test_cfn_lint_passes_on_the_synthesized_template(request, fixture):
    synth = request.getfixturevalue(fixture)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--ignore-checks", CFN_LINT_IGNORED, "--", str(synth.template_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_two_synths_of_the_same_sources_give_the_same_template(synth, second_synth):
    assert synth.template == second_synth.template
