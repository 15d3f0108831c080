"""The template merged into ``chalice package``'s output (``--merge-template``).

Chalice writes the functions, the API, the schedules and the event sources; this adds what it
cannot express, from the resource description in ``backend/ops/resources.py``:

- the resources: DynamoDB table, S3 bucket, SQS queues with dead-letter queues and redrive,
  the SNS topic and the SES configuration set with its event destination;
- on every function: the environment (each variable a reference to the stack's own resource)
  and the numpy layer (``NumpyLayerArn``: numpy alone is ~15 MB, over the zip budget; AWS's
  managed *AWS SDK for pandas* layer carries it);
- on the SQS event sources: ``ReportBatchItemFailures`` and the scaling settings; Chalice refers to
  the queues and the topic by ARNs built from their names (which the resources keep fixed);
  the environment's references to them make CloudFormation create them before the functions;
- the IAM roles' policy: least privilege, every resource scoped to this stack's own ARNs
  (``autogen_policy`` is off);
- outputs: the table, bucket and queue names an operator needs
  (``creditdesk backend tenant create --stack``);
- on the API: every media type is binary (``*/*``), so that the add-in's wheel
  (``GET /v1/addin/wheels/...``, base64 from the Lambda) reaches xlwings Lite as bytes: API
  Gateway decodes a base64 answer only when the request's first ``Accept`` type is a binary
  media type, and a browser's ``fetch`` (micropip's) sends ``Accept: */*``. The JSON routes are
  unchanged: Chalice answers them as text (not base64), which API Gateway passes through, and
  decodes the base64 request bodies API Gateway then hands over; the CORS preflights are
  Chalice's mock integrations with ``contentHandling: CONVERT_TO_TEXT``, which that setting
  needs (aws/chalice#1310).

``build(chalice_template, cfn, statements)`` needs Chalice's own output first, to name the
functions and event sources exactly as Chalice did; ``backend/ops/package.py`` runs it between
two ``chalice package`` passes.
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

LAYER_PARAMETER = "NumpyLayerArn"
BINARY_MEDIA_TYPES = ("*/*",)  # see the module docstring: the wheel, for a browser's Accept
LAYER_PATTERN = r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$"


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template.get("Resources", {}).items()
            if r.get("Type") == "AWS::Serverless::Function"}


def build(chalice_template: dict[str, Any], cfn: dict[str, Any],
          statements: list[dict[str, Any]]) -> dict[str, Any]:
    """The merge template for this app. ``cfn`` is ``resources.cloudformation()``,
    ``statements`` is ``resources.iam_statements()``."""
    resources: dict[str, Any] = copy.deepcopy(cfn["Resources"])
    mappings = cfn.get("EventSourceMappings", {})
    handler_of = {}
    for name, fn in functions(chalice_template).items():
        handler = fn["Properties"].get("Handler", "")
        handler_of[handler.rsplit(".", 1)[-1]] = name
        props: dict[str, Any] = {
            "Layers": [{"Ref": LAYER_PARAMETER}],
            "Environment": {"Variables": copy.deepcopy(cfn["Environment"])},
        }
        events: dict[str, Any] = {}
        for ev_name, ev in (fn["Properties"].get("Events") or {}).items():
            if ev.get("Type") == "SQS":
                m = _mapping_for(fn, mappings)
                if m is None:
                    raise ValueError(f"{name}: an SQS event source with no mapping in "
                                     "resources.cloudformation()['EventSourceMappings']")
                p = {"FunctionResponseTypes": m.get("FunctionResponseTypes",
                                                    ["ReportBatchItemFailures"])}
                for k in ("BatchSize", "ScalingConfig", "MaximumBatchingWindowInSeconds"):
                    if k in m:
                        p[k] = m[k]
                events[ev_name] = {"Properties": p}
        if events:
            props["Events"] = events
        resources[name] = {"Properties": props}
    for api in _rest_apis(chalice_template):
        resources[api] = {"Properties": {"DefinitionBody": {
            "x-amazon-apigateway-binary-media-types": list(BINARY_MEDIA_TYPES)}}}
    for role in _roles(chalice_template):  # one per function with its own settings
        resources[role] = {"Properties": {"Policies": [{
            "PolicyName": f"{role}Policy",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]}}
    return {
        "Parameters": {LAYER_PARAMETER: {
            "Type": "String", "AllowedPattern": LAYER_PATTERN,
            "Description": "A Lambda layer with numpy for Python 3.11 in this region, e.g. "
                           "AWS SDK for pandas (AWSSDKPandas-Python311): see docs/deploy.md"}},
        "Resources": resources,
        "Outputs": {
            "TableName": {"Value": {"Ref": "CreditdeskTable"}},
            "BucketName": {"Value": {"Ref": "LedgerBucket"}},
            "SendQueueUrl": {"Value": {"Ref": "SendQueue"}},
            "WorkQueueUrl": {"Value": {"Ref": "WorkQueue"}},
            "SendDeadLetterQueueUrl": {"Value": {"Ref": "SendDeadLetterQueue"}},
            "WorkDeadLetterQueueUrl": {"Value": {"Ref": "WorkDeadLetterQueue"}},
        },
    }


def _mapping_for(fn: dict[str, Any], mappings: dict[str, Any]) -> dict[str, Any] | None:
    handler = fn["Properties"].get("Handler", "").rsplit(".", 1)[-1]
    return mappings.get(handler)


def _rest_apis(template: dict[str, Any]) -> list[str]:
    return [n for n, r in template.get("Resources", {}).items()
            if r.get("Type") == "AWS::Serverless::Api"
            and isinstance(r.get("Properties", {}).get("DefinitionBody"), dict)]


def _roles(template: dict[str, Any]) -> list[str]:
    return [n for n, r in template.get("Resources", {}).items()
            if r.get("Type") == "AWS::IAM::Role"]


if __name__ == "__main__":  # python -m infra.merge_template CHALICE_SAM.json > merge.json
    from pathlib import Path

    from backend.ops import resources

    chalice_out = json.loads(Path(sys.argv[1]).read_text())
    json.dump(build(chalice_out, resources.cloudformation(), resources.iam_statements()),
              sys.stdout, indent=2)
    sys.stdout.write("\n")
