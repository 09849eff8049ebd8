"""Scheduled sends and batches: the schedule groups, the roles Scheduler assumes, and what the functions
may do with them."""

from __future__ import annotations

import pytest


def _role(synth, group: str = "Sends"):
    return next((k, r) for k, r in synth.of_type("AWS::IAM::Role").items() if k.startswith(f"ScheduleGroups{group}Role"))


def test_two_schedule_groups_named_after_the_stage(synth):
    prefix = synth.config.resource_prefix()
    groups = sorted(g["Properties"]["Name"] for g in synth.of_type("AWS::Scheduler::ScheduleGroup").values())
    assert groups == [f"{prefix}-batches", f"{prefix}-sends"]
    assert synth.template["Outputs"]["SendsScheduleGroupName"]["Value"] == f"{prefix}-sends"
    assert synth.template["Outputs"]["BatchesScheduleGroupName"]["Value"] == f"{prefix}-batches"


@pytest.mark.parametrize("group, queue", [("Sends", "outbound"), ("Batches", "uploads")])
def test_each_groups_role_may_send_to_its_own_queue_and_nothing_else(synth, group, queue):
    role_id, role = _role(synth, group)
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    queue_id = synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-{queue}")[0]
    assert synth.role_statements(role_id) == [
        {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": {"Fn::GetAtt": [queue_id, "Arn"]}}]


@pytest.mark.parametrize("function", ["api", "batch_uploads"])
def test_the_batch_schedules_are_managed_only_in_their_group_with_only_their_role(synth, function):
    role_id, _ = _role(synth, "Batches")
    statements = synth.function_statements(function)
    manage = [s for s in statements if "scheduler:CreateSchedule" in synth.as_list(s["Action"])]
    resources = sorted(synth.render(s["Resource"]) for s in manage)
    assert f"arn:${{AWS::Partition}}:scheduler:${{AWS::Region}}:${{AWS::AccountId}}:schedule/{synth.config.resource_prefix()}-batches/*" in resources
    passed = [s["Resource"] for s in statements if "iam:PassRole" in synth.as_list(s["Action"])]
    assert {"Fn::GetAtt": [role_id, "Arn"]} in passed
    if function == "batch_uploads":  # it makes batch schedules only
        assert len(manage) == 1 and passed == [{"Fn::GetAtt": [role_id, "Arn"]}]


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


def test_the_api_function_manages_only_the_groups_schedules_and_passes_only_their_roles_to_scheduler(synth):
    prefix = synth.config.resource_prefix()
    roles = [{"Fn::GetAtt": [_role(synth, group)[0], "Arn"]} for group in ("Sends", "Batches")]
    statements = synth.function_statements("api")
    manage = [s for s in statements if "scheduler:CreateSchedule" in synth.as_list(s["Action"])]
    assert [sorted(s["Action"]) for s in manage] == [["scheduler:CreateSchedule", "scheduler:DeleteSchedule"]] * 2
    assert sorted(synth.render(s["Resource"]) for s in manage) == [
        f"arn:${{AWS::Partition}}:scheduler:${{AWS::Region}}:${{AWS::AccountId}}:schedule/{prefix}-{group}/*"
        for group in ("batches", "sends")]
    pass_roles = [s for s in statements if "iam:PassRole" in synth.as_list(s["Action"])]
    assert sorted(map(str, (s["Resource"] for s in pass_roles))) == sorted(map(str, roles))
    assert {str(s["Condition"]) for s in pass_roles} == {str({"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}})}
    for name in ("dispatch", "delivery_reports", "receipts", "sweeper"):
        actions = synth.allowed_actions(synth.function_statements(name))
        assert not {a for a in actions if a.startswith(("scheduler:", "iam:"))}, name
