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
- one IAM role per function (Chalice makes one for each function with settings of its
  own), each with only what its handler calls (``resources.role_statements()``), every
  resource scoped to this stack's own ARNs; mail only from the tenants' identities (the
  ``SenderAddresses`` parameter) (``autogen_policy`` is off);
- reserved concurrency for the API and the send worker; on the API the stage's throttle,
  the key source ``AUTHORIZER`` with a usage plan that limits each tenant (the authorizer
  names the tenant's usage key), and API Gateway's own 401/403/429 answers in the
  ``ErrorOut`` shape with the CORS header (``x-amazon-apigateway-gateway-responses``,
  deployed with the API);
- outputs: the table, bucket, queue names and the usage plan an operator needs
  (``creditdesk backend tenant create --stack``);
- on the API: every media type is binary (``*/*``), so that the add-in's wheel
  (``GET /v1/addin/wheels/...``, base64 from the Lambda) reaches xlwings Lite as bytes: API
  Gateway decodes a base64 answer only when the request's first ``Accept`` type is a binary
  media type, and a browser's ``fetch`` (micropip's) sends ``Accept: */*``. The JSON routes are
  unchanged: Chalice answers them as text (not base64), which API Gateway passes through, and
  decodes the base64 request bodies API Gateway then hands over; the CORS preflights are
  Chalice's mock integrations with ``contentHandling: CONVERT_TO_TEXT``, which that setting
  needs (aws/chalice#1310).

``build(chalice_template, cfn)`` needs Chalice's own output first, to name the
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


def build(chalice_template: dict[str, Any], cfn: dict[str, Any]) -> dict[str, Any]:
    """The merge template for this app. ``cfn`` is ``resources.cloudformation()``."""
    resources: dict[str, Any] = copy.deepcopy(cfn["Resources"])
    role_of: dict[str, str] = {}  # role -> handler name
    for name, fn in functions(chalice_template).items():
        handler = _handler(fn)
        role = (fn["Properties"].get("Role") or {}).get("Fn::GetAtt", [None])[0]
        if role:
            role_of[role] = handler
        resources[name] = {"Properties": _function_properties(name, fn, cfn)}
    for api in _rest_apis(chalice_template):
        settings = copy.deepcopy(cfn.get("Api", {}))
        settings.setdefault("DefinitionBody", {})[
            "x-amazon-apigateway-binary-media-types"] = list(BINARY_MEDIA_TYPES)
        resources[api] = {"Properties": settings}
    if _rest_apis(chalice_template):
        resources.update(copy.deepcopy(cfn.get("ApiResources", {})))
    roles = cfn["Roles"]
    for role in _roles(chalice_template):  # Chalice makes one per function
        handler = role_of.get(role)
        if handler not in roles:
            raise ValueError(f"{role}: no statements for its function's handler {handler!r} "
                             "in resources.role_statements()")
        resources[role] = {"Properties": {"Policies": [{
            "PolicyName": f"{role}Policy",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": roles[handler]}}]}}
    return {
        "Parameters": {LAYER_PARAMETER: {
            "Type": "String", "AllowedPattern": LAYER_PATTERN,
            "Description": "A Lambda layer with numpy for Python 3.11 in this region, e.g. "
                           "AWS SDK for pandas (AWSSDKPandas-Python311): see docs/deploy.md"},
            **copy.deepcopy(cfn.get("Parameters", {}))},
        "Resources": resources,
        "Outputs": {
            "TableName": {"Value": {"Ref": "CreditdeskTable"}},
            "BucketName": {"Value": {"Ref": "LedgerBucket"}},
            "SendQueueUrl": {"Value": {"Ref": "SendQueue"}},
            "WorkQueueUrl": {"Value": {"Ref": "WorkQueue"}},
            "SendDeadLetterQueueUrl": {"Value": {"Ref": "SendDeadLetterQueue"}},
            "WorkDeadLetterQueueUrl": {"Value": {"Ref": "WorkDeadLetterQueue"}},
            **({"UsagePlanId": {"Value": {"Ref": "ApiUsagePlan"}}}
               if "ApiUsagePlan" in resources else {}),
        },
    }


def _handler(fn: dict[str, Any]) -> str:
    return fn["Properties"].get("Handler", "").rsplit(".", 1)[-1]


def _function_properties(name: str, fn: dict[str, Any], cfn: dict[str, Any]
                         ) -> dict[str, Any]:
    """Layer, environment, reserved concurrency and the SQS events' settings of one
    function."""
    props: dict[str, Any] = {
        "Layers": [{"Ref": LAYER_PARAMETER}],
        "Environment": {"Variables": copy.deepcopy(cfn["Environment"])},
    }
    reserved = cfn.get("ReservedConcurrency", {}).get(_handler(fn))
    if reserved:
        props["ReservedConcurrentExecutions"] = reserved
    events: dict[str, Any] = {}
    for ev_name, ev in (fn["Properties"].get("Events") or {}).items():
        if ev.get("Type") == "SQS":
            m = _mapping_for(fn, cfn.get("EventSourceMappings", {}))
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
    return props


def _mapping_for(fn: dict[str, Any], mappings: dict[str, Any]) -> dict[str, Any] | None:
    return mappings.get(_handler(fn))


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
    json.dump(build(chalice_out, resources.cloudformation()), sys.stdout, indent=2)
    sys.stdout.write("\n")
