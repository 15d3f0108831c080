"""The resources: created locally (idempotently), described for CloudFormation (lint-clean),
and the app's import stays free of AWS clients."""

from __future__ import annotations

import json
import subprocess
import sys

from backend.ops import resources
from chalicelib import config

from .conftest import BACKEND, REGION


def test_local_resources_can_be_created_twice(aws):
    again = resources.create_local_resources(REGION)
    assert again == aws
    assert set(aws) == {config.TABLE, config.BUCKET, config.SEND_QUEUE_URL,
                        config.WORK_QUEUE_URL, config.SES_CONFIGURATION_SET,
                        config.EVENTS_TOPIC_ARN, config.EMULATED_SES}


def test_the_queues_have_dead_letter_queues_and_visibility_six_times_the_timeout(aws):
    from chalicelib.adapters import aws as a

    attrs = a.client("sqs").get_queue_attributes(
        QueueUrl=aws[config.SEND_QUEUE_URL], AttributeNames=["All"])["Attributes"]
    assert int(attrs["VisibilityTimeout"]) == 6 * resources.SEND_WORKER_TIMEOUT
    assert json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"].endswith("-send-dlq")


def test_the_cloudformation_resources_pass_cfn_lint():
    cf = resources.cloudformation()
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": cf["Resources"],
                "Outputs": {k: {"Value": v} for k, v in
                            (("Table", cf["Environment"][config.TABLE]),
                             ("SendQueue", cf["Environment"][config.SEND_QUEUE_URL]))}}
    template["Parameters"] = cf["Parameters"]
    for handler, statements in resources.role_statements().items():
        template["Resources"][f"{handler.title().replace('_', '')}Role"] = {
            "Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": handler, "PolicyDocument": {
                    "Version": "2012-10-17", "Statement": statements}}]}}
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(template), config=ManualArgs(regions=["eu-west-2"]))
    assert [str(m) for m in matches] == []


def test_the_handler_names_and_environment_are_the_agreed_ones():
    cfg = json.loads((BACKEND / ".chalice" / "config.json").read_text())
    env = cfg["environment_variables"]
    for name in (config.TABLE, config.BUCKET, config.SEND_QUEUE_URL, config.WORK_QUEUE_URL,
                 config.SES_CONFIGURATION_SET, config.EVENTS_TOPIC_ARN, config.CORS_ORIGIN):
        assert name in env
    assert {"send_worker", "work_worker", "ses_events", "tick", "nightly_scores",
            "weekly_digest"} <= set(cfg["lambda_functions"])
    from chalice.config import Config

    assert set(cfg["stages"]) == {"dev", "prod"}
    for stage in cfg["stages"]:  # as Chalice resolves them, in each stage
        def timeout(fn, stage=stage):
            return Config(chalice_stage=stage, function_name=fn,
                          config_from_disk=cfg).lambda_timeout

        assert timeout("send_worker") == resources.SEND_WORKER_TIMEOUT
        assert timeout("work_worker") == resources.WORK_WORKER_TIMEOUT
        assert timeout("api_handler") == 29  # the API: under API Gateway's 29 s


def test_importing_the_app_makes_no_aws_client_and_loads_no_boto3():
    code = ("import sys, app; assert 'boto3' not in sys.modules, 'boto3 imported'; "
            "assert 'creditdesk.analysis.report' not in sys.modules; print(len(app.app.routes))")
    r = subprocess.run([sys.executable, "-c", code], cwd=BACKEND, capture_output=True,
                       text=True, timeout=60, env={"PATH": "/usr/bin:/bin",
                                                   "PYTHONPATH": str(BACKEND.parent)})
    assert r.returncode == 0, r.stderr
    # the API's 15 (with /v1/audit), the add-in's wheel, the debtor's page (2) and its
    # statement PDF
    assert int(r.stdout) == 20


def test_each_dead_letter_queue_has_an_alarm_to_the_operators():
    res = resources.cloudformation()["Resources"]
    alarms = [r["Properties"] for r in res.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert sorted(a["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in alarms) == [
        "SendDeadLetterQueue", "WorkDeadLetterQueue"]
    assert all(a["AlarmActions"] == [{"Ref": "OperatorAlarmsTopic"}] for a in alarms)
    assert all("creditdesk backend redrive" in a["AlarmDescription"] for a in alarms)
