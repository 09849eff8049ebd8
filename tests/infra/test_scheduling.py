"""Scheduled sends: the schedule group, the role Scheduler assumes, and what the API function may do."""

from __future__ import annotations


def _role(synth):
    return next((k, r) for k, r in synth.of_type("AWS::IAM::Role").items() if k.startswith("ScheduleGroupsSendsRole"))


def test_one_schedule_group_named_after_the_stage(synth):
    (group,) = synth.of_type("AWS::Scheduler::ScheduleGroup").values()
    assert group["Properties"] == {"Name": f"{synth.config.resource_prefix()}-sends"}
    assert synth.template["Outputs"]["SendsScheduleGroupName"]["Value"] == f"{synth.config.resource_prefix()}-sends"


def test_only_scheduler_acting_for_this_account_may_assume_the_role(synth):
    _, role = _role(synth)
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert "ManagedPolicyArns" not in role["Properties"]


def test_the_role_may_send_to_the_outbound_queue_and_nothing_else(synth):
    role_id, role = _role(synth)
    queue_id = synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-outbound")[0]
    statements = synth.role_statements(role_id)
    assert statements == [{"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": {"Fn::GetAtt": [queue_id, "Arn"]}}]


def test_the_api_function_manages_only_the_groups_schedules_and_passes_only_that_role_to_scheduler(synth):
    role_id, _ = _role(synth)
    statements = synth.function_statements("api")
    (manage,) = [s for s in statements if "scheduler:CreateSchedule" in synth.as_list(s["Action"])]
    assert sorted(manage["Action"]) == ["scheduler:CreateSchedule", "scheduler:DeleteSchedule"]
    assert synth.render(manage["Resource"]) == (
        "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:"
        f"schedule/{synth.config.resource_prefix()}-sends/*"
    )
    (pass_role,) = [s for s in statements if "iam:PassRole" in synth.as_list(s["Action"])]
    assert pass_role["Resource"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    for name in ("dispatch", "delivery_reports", "receipts", "sweeper"):
        actions = synth.allowed_actions(synth.function_statements(name))
        assert not {a for a in actions if a.startswith(("scheduler:", "iam:"))}, name
