"""The AWS resources the app needs, for the operator tools: ``create_local_resources()`` on
the emulator (the local stack and the tests), and the same resources as CloudFormation
(``cloudformation()``; ``role_statements()``: one IAM role per function) for
``infra/merge_template.py`` to merge into the template ``chalice package`` writes. Not part of
the Lambda package.

What the items and objects in them mean is the service layer's storage schema
(``chalicelib/services/keys.py``). The names, and the constants the handlers share with the
infrastructure (the send worker's concurrency), are in the runtime configuration
(``chalicelib/config.py``), imported here once the app is loaded (``project.load_app``).
"""
from __future__ import annotations

import contextlib
import json
from types import ModuleType
from typing import Any

from .project import load_app

# Lambda timeouts (seconds) the queues' visibility timeouts are derived from (6x, as AWS
# recommends for SQS event sources). Keep in step with .chalice/config.json.
SEND_WORKER_TIMEOUT = 300
WORK_WORKER_TIMEOUT = 900
WORK_MAX_RECEIVES = 3
TRANSIENT_DAYS = 14

TABLE_DEFINITION: dict[str, Any] = {
    "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"}
                             for a in ("pk", "sk", "gsi1pk", "gsi1sk")],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                  {"AttributeName": "sk", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [{
        "IndexName": "gsi1",
        "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                      {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }],
    "BillingMode": "PAY_PER_REQUEST",
}
TTL_ATTRIBUTE = "expiration"

INCOMPLETE_UPLOAD_DAYS = 1  # multipart uploads never completed are aborted (parts deleted)

LIFECYCLE = {"Rules": [{
    "ID": "transient", "Status": "Enabled",
    "Filter": {"Tag": {"Key": "retention", "Value": "transient"}},
    "Expiration": {"Days": TRANSIENT_DAYS},
}, {
    "ID": "abort-incomplete-uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": INCOMPLETE_UPLOAD_DAYS},
}]}

# Which SES events the configuration set publishes to the topic.
SES_EVENT_TYPES = ["DELIVERY", "BOUNCE", "COMPLAINT", "REJECT"]


def runtime_config() -> ModuleType:
    """``chalicelib.config``, the configuration the handlers read (importable once the app
    is loaded as Chalice loads it)."""
    load_app()
    from chalicelib import config

    return config


def _queue_attributes(timeout: int, dlq_arn: str, receives: int) -> dict[str, str]:
    return {
        "VisibilityTimeout": str(6 * timeout),
        "MessageRetentionPeriod": str(4 * 86400),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                     "maxReceiveCount": str(receives)}),
    }


def _exists_ok(call: Any, **kw: Any) -> None:
    from botocore.exceptions import ClientError

    try:
        call(**kw)
    except ClientError as exc:
        if "AlreadyExists" not in exc.response.get("Error", {}).get("Code", ""):
            raise


def create_local_resources(region: str | None = None,
                           senders: tuple[str, ...] | None = None) -> dict[str, str]:
    """Create every resource through boto3 (on moto, or on any endpoint boto3 is pointed at
    with ``AWS_ENDPOINT_URL``) and return the environment the app needs, by variable name.
    Idempotent: existing resources are reused. ``senders`` are verified as SES identities
    (an address, or a domain for every address at it; by default the config's
    ``LOCAL_SENDER``)."""
    import boto3

    _config = runtime_config()
    names = _config.NAMES
    senders = (_config.LOCAL_SENDER,) if senders is None else senders

    session = boto3.session.Session(region_name=region)
    region = session.region_name or "us-east-1"
    ddb = session.client("dynamodb")
    s3 = session.client("s3")
    sqs = session.client("sqs")
    sns = session.client("sns")
    ses = session.client("sesv2")

    table = names["table"]
    try:
        ddb.create_table(TableName=table, **TABLE_DEFINITION)
        ddb.get_waiter("table_exists").wait(TableName=table,
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": TTL_ATTRIBUTE})
    except ddb.exceptions.ResourceInUseException:
        pass

    bucket = names["bucket"]
    try:
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={
                "LocationConstraint": region})
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass
    # an emulator without lifecycle support: transient objects just stay
    with contextlib.suppress(Exception):
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=LIFECYCLE)

    def queue(name: str, attributes: dict[str, str] | None = None) -> tuple[str, str]:
        url = sqs.create_queue(QueueName=name, Attributes=attributes or {})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        return url, arn

    _, send_dlq = queue(names["send_dlq"], {"MessageRetentionPeriod": str(14 * 86400)})
    _, work_dlq = queue(names["work_dlq"], {"MessageRetentionPeriod": str(14 * 86400)})
    send_url, _ = queue(names["send_queue"], _queue_attributes(
        SEND_WORKER_TIMEOUT, send_dlq, _config.SEND_MAX_RECEIVES))
    work_url, _ = queue(names["work_queue"], _queue_attributes(
        WORK_WORKER_TIMEOUT, work_dlq, WORK_MAX_RECEIVES))

    topic_arn = sns.create_topic(Name=names["topic"])["TopicArn"]

    config_set = names["configuration_set"]
    _exists_ok(ses.create_configuration_set, ConfigurationSetName=config_set)
    # already there, or the emulator lacks it (moto does not publish SES events anyway)
    with contextlib.suppress(Exception):
        ses.create_configuration_set_event_destination(
            ConfigurationSetName=config_set, EventDestinationName="sns",
            EventDestination={"Enabled": True, "MatchingEventTypes": SES_EVENT_TYPES,
                              "SnsDestination": {"TopicArn": topic_arn}})
    for sender in senders:
        _exists_ok(ses.create_email_identity, EmailIdentity=sender)

    return {
        _config.TABLE: table,
        _config.BUCKET: bucket,
        _config.SEND_QUEUE_URL: send_url,
        _config.WORK_QUEUE_URL: work_url,
        _config.SES_CONFIGURATION_SET: config_set,
        _config.EVENTS_TOPIC_ARN: topic_arn,
        _config.EMULATED_SES: "1",  # these resources are the emulator's
    }


# -- the same resources for CloudFormation -------------------------------------------------


def _dlq_alarm(dlq_ref: str, name: str) -> dict[str, Any]:
    """Any message in a dead-letter queue: `creditdesk backend redrive` brings it back."""
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmName": f"{name}-not-empty", "AlarmDescription": (
            f"Messages in {name}: their reminders failed with the reason; after fixing "
            "the cause, `creditdesk backend redrive` sends them again"),
        "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
        "Dimensions": [{"Name": "QueueName",
                        "Value": {"Fn::GetAtt": [dlq_ref, "QueueName"]}}],
        "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": "OperatorAlarmsTopic"}]}}


def cloudformation(cors_origin: str | None = None) -> dict[str, Any]:
    """Resources (and the Lambda environment referring to them) for ``infra/`` to merge into
    the template ``chalice package`` writes. Names of queues and the topic are fixed, because
    Chalice builds the event source ARNs from the names in ``.chalice/config.json``.

    Returned keys: ``Resources`` (CloudFormation resources), ``Environment`` (the value of each
    environment variable as a CloudFormation expression, for every function) and
    ``EventSourceMappings`` (what Chalice cannot express: the handler, its batch item failure
    reporting), ``Parameters`` (the template's own: the tenants' sender identities),
    ``Roles`` (each function's IAM statements, by handler name), ``ReservedConcurrency`` (by
    handler name), ``Api`` (what goes on Chalice's ``RestAPI``: throttle, gateway
    responses) and ``ApiResources`` (what refers to it: the usage plan)."""
    _config = runtime_config()
    names = _config.NAMES

    def dlq(name: str) -> dict[str, Any]:
        return {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": name, "MessageRetentionPeriod": 14 * 86400,
            "SqsManagedSseEnabled": True}}

    def queue(name: str, dlq_ref: str, timeout: int, receives: int) -> dict[str, Any]:
        return {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": name, "VisibilityTimeout": 6 * timeout,
            "MessageRetentionPeriod": 4 * 86400, "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_ref, "Arn"]},
                              "maxReceiveCount": receives}}}

    table = {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain",
             "UpdateReplacePolicy": "Retain",
             "Properties": {**TABLE_DEFINITION,
                            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE,
                                                        "Enabled": True},
                            "PointInTimeRecoverySpecification": {
                                "PointInTimeRecoveryEnabled": True},
                            "SSESpecification": {"SSEEnabled": True}}}
    resources: dict[str, Any] = {
        "CreditdeskTable": table,
        "LedgerBucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain",
                         "UpdateReplacePolicy": "Retain", "Properties": {
                             "LifecycleConfiguration": {"Rules": [{
                                 "Id": "transient", "Status": "Enabled",
                                 "TagFilters": [{"Key": "retention", "Value": "transient"}],
                                 "ExpirationInDays": TRANSIENT_DAYS}, {
                                 "Id": "abort-incomplete-uploads", "Status": "Enabled",
                                 "AbortIncompleteMultipartUpload": {
                                     "DaysAfterInitiation": INCOMPLETE_UPLOAD_DAYS}}]},
                             "PublicAccessBlockConfiguration": {
                                 "BlockPublicAcls": True, "BlockPublicPolicy": True,
                                 "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                             "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                                 "ServerSideEncryptionByDefault": {
                                     "SSEAlgorithm": "AES256"}}]}}},
        "SendDeadLetterQueue": dlq(names["send_dlq"]),
        "WorkDeadLetterQueue": dlq(names["work_dlq"]),
        "OperatorAlarmsTopic": {"Type": "AWS::SNS::Topic", "Properties": {
            "TopicName": "creditdesk-operator-alarms"}},  # subscribe the operators to it
        "SendDeadLetterAlarm": _dlq_alarm("SendDeadLetterQueue", names["send_dlq"]),
        "WorkDeadLetterAlarm": _dlq_alarm("WorkDeadLetterQueue", names["work_dlq"]),
        "SendQueue": queue(names["send_queue"], "SendDeadLetterQueue", SEND_WORKER_TIMEOUT,
                           _config.SEND_MAX_RECEIVES),
        "WorkQueue": queue(names["work_queue"], "WorkDeadLetterQueue", WORK_WORKER_TIMEOUT,
                           WORK_MAX_RECEIVES),
        "SesEventsTopic": {"Type": "AWS::SNS::Topic",
                           "Properties": {"TopicName": names["topic"]}},
        "SesEventsTopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": "SesEventsTopic"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ses.amazonaws.com"},
                "Action": "sns:Publish", "Resource": {"Ref": "SesEventsTopic"},
                "Condition": {"StringEquals": {"AWS:SourceAccount": {
                    "Ref": "AWS::AccountId"}}}}]}}},
        "SesConfigurationSet": {"Type": "AWS::SES::ConfigurationSet",
                                "Properties": {"Name": names["configuration_set"]}},
        "SesEventDestination": {"Type": "AWS::SES::ConfigurationSetEventDestination",
                                "Properties": {
                                    "ConfigurationSetName": {"Ref": "SesConfigurationSet"},
                                    "EventDestination": {
                                        "Name": "sns", "Enabled": True,
                                        "MatchingEventTypes": [t.lower() for t in
                                                               SES_EVENT_TYPES],
                                        "SnsDestination": {
                                            "TopicARN": {"Ref": "SesEventsTopic"}}}}},
    }
    environment = {
        _config.TABLE: {"Ref": "CreditdeskTable"},
        _config.BUCKET: {"Ref": "LedgerBucket"},
        _config.SEND_QUEUE_URL: {"Ref": "SendQueue"},
        _config.WORK_QUEUE_URL: {"Ref": "WorkQueue"},
        _config.SES_CONFIGURATION_SET: {"Ref": "SesConfigurationSet"},
        _config.EVENTS_TOPIC_ARN: {"Ref": "SesEventsTopic"},
    }
    # BatchSize and MaximumConcurrency come from the handlers' decorators (Chalice writes
    # them from chalicelib.config.SEND_BATCH_SIZE / SEND_CONCURRENCY): not repeated here.
    mappings = {
        "send_worker": {"queue": "SendQueue",
                        "FunctionResponseTypes": ["ReportBatchItemFailures"]},
        "work_worker": {"queue": "WorkQueue",
                        "FunctionResponseTypes": ["ReportBatchItemFailures"]},
    }
    return {"Resources": resources, "Environment": environment,
            "EventSourceMappings": mappings, "Parameters": parameters(),
            "Roles": role_statements(), "ReservedConcurrency": reserved_concurrency(),
            "Api": api_settings(cors_origin), "ApiResources": {"ApiUsagePlan": usage_plan()}}


# -- the API's own answers, throttling and the functions' concurrency ------------------------

# API Gateway's throttle for the whole stage (every tenant together) and the usage plan's
# monthly quota; the API's and the send worker's reserved concurrency keep one busy tenant
# from taking the account's Lambda concurrency (the send worker's equals its event source's
# MaximumConcurrency, chalicelib.config.SEND_CONCURRENCY).
API_RATE_LIMIT = 50  # requests per second, steady, all tenants together
API_BURST_LIMIT = 100
TENANT_RATE_LIMIT = 10  # each tenant (the usage plan, by the authorizer's usage key)
TENANT_BURST_LIMIT = 20
TENANT_MONTHLY_QUOTA = 300_000
API_RESERVED_CONCURRENCY = 50
SENDER_PARAMETER = "SenderAddresses"

# API Gateway's own refusals (the authorizer's and the throttle's), in the ErrorOut shape.
GATEWAY_RESPONSES = (
    ("UNAUTHORIZED", 401, "unauthorized",
     '"an API key is needed: Authorization: Bearer <key>"'),
    ("ACCESS_DENIED", 403, "forbidden", '"the API key is not valid (unknown or revoked)"'),
    ("THROTTLED", 429, "throttled", '"too many requests; retry after a short wait"'),
    ("QUOTA_EXCEEDED", 429, "quota_exceeded", '"the monthly request quota is used up"'),
    ("INVALID_API_KEY", 403, "forbidden", '"this tenant is not in the usage plan: the '
     'operator runs creditdesk backend tenant plan"'),
    ("DEFAULT_4XX", None, "refused", "$context.error.messageString"),
    ("DEFAULT_5XX", None, "unavailable", '"the service is unavailable; try again shortly"'),
)


def gateway_responses(cors_origin: str | None = None) -> dict[str, Any]:
    """API Gateway's own answers (no key: 401, an unknown key: 403, throttled: 429, ...) in
    the API's error shape (``ErrorOut``) and with the CORS header, so the add-in can read
    them: the ``x-amazon-apigateway-gateway-responses`` extension of the API's definition,
    which every deployment of the API carries (separate ``GatewayResponse`` resources would
    reach the stage only with the next deployment)."""
    origin = cors_origin or runtime_config().DEFAULT_CORS_ORIGIN
    out: dict[str, Any] = {}
    for kind, status, error, message in GATEWAY_RESPONSES:
        template = f'{{"error": "{error}", "message": {message}, "field": null}}'
        response: dict[str, Any] = {
            "responseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Origin": f"'{origin}'",
                "gatewayresponse.header.Content-Type": "'application/json'"},
            "responseTemplates": {"application/json": template}}
        if status:
            response["statusCode"] = status
        out[kind] = response
    return out


def gateway_response(status: int, cors_origin: str | None = None,
                     message: str = "") -> tuple[dict[str, str], str]:
    """(headers, body) of the gateway response for ``status`` as API Gateway sends it: for
    the local stack, which answers 401/403 itself."""
    kind = {401: "UNAUTHORIZED", 403: "ACCESS_DENIED", 429: "THROTTLED"}.get(
        status, "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX")
    r = gateway_responses(cors_origin or runtime_config().load().cors_origin)[kind]
    headers = {k.removeprefix("gatewayresponse.header."): v.strip("'")
               for k, v in r["responseParameters"].items()}
    body = r["responseTemplates"]["application/json"].replace(
        "$context.error.messageString", json.dumps(message or "refused"))
    return headers, body


def api_settings(cors_origin: str | None = None) -> dict[str, Any]:
    """What the merge template puts on the API (Chalice's ``RestAPI``): the stage's throttle
    and the gateway responses."""
    return {
        "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*",
                            "ThrottlingRateLimit": API_RATE_LIMIT,
                            "ThrottlingBurstLimit": API_BURST_LIMIT}],
        "DefinitionBody": {
            "x-amazon-apigateway-api-key-source": "AUTHORIZER",
            "x-amazon-apigateway-gateway-responses": gateway_responses(cors_origin)},
    }


def usage_plan(api: str = "RestAPI", stage: str = "api") -> dict[str, Any]:
    """The usage plan on the API's stage: a throttle and a monthly quota for each tenant.
    The authorizer names the tenant's API Gateway key (``usageIdentifierKey``; the API's key
    source is AUTHORIZER, every authorized route requires a key), which ``backend tenant
    create`` makes and adds to this plan (output ``UsagePlanId``)."""
    return {"Type": "AWS::ApiGateway::UsagePlan", "DependsOn": [f"{api}{stage}Stage"],
            "Properties": {
                "UsagePlanName": {"Fn::Sub": "${AWS::StackName}-tenants"},
                "Description": "Creditdesk API: each tenant's throttle and monthly quota",
                "ApiStages": [{"ApiId": {"Ref": api}, "Stage": stage}],
                "Throttle": {"RateLimit": TENANT_RATE_LIMIT, "BurstLimit": TENANT_BURST_LIMIT},
                "Quota": {"Limit": TENANT_MONTHLY_QUOTA, "Period": "MONTH"}}}


def reserved_concurrency() -> dict[str, int]:
    """Reserved concurrency by handler name."""
    return {"app": API_RESERVED_CONCURRENCY,
            "send_worker": runtime_config().SEND_CONCURRENCY}


# -- one IAM role per function ----------------------------------------------------------------
# Each function's statements list what its handler calls (read from chalicelib/services and
# adapters; tests/backend/test_roles.py runs each handler on moto and checks every AWS call it
# makes against its role). Every resource is this stack's own.

_TABLE = [{"Fn::GetAtt": ["CreditdeskTable", "Arn"]},
          {"Fn::Sub": "${CreditdeskTable.Arn}/index/gsi1"}]
_OBJECTS = {"Fn::Sub": "${LedgerBucket.Arn}/*"}


def _allow(actions: list[str], resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": sorted(actions), "Resource": resource}


def _dynamodb(*actions: str) -> dict[str, Any]:
    return _allow([f"dynamodb:{a}" for a in actions], _TABLE)


def _objects(*actions: str) -> dict[str, Any]:
    return _allow([f"s3:{a}" for a in actions], _OBJECTS)


def _queue(queue: str, *actions: str) -> dict[str, Any]:
    return _allow([f"sqs:{a}" for a in actions], {"Fn::GetAtt": [queue, "Arn"]})


def _consume(queue: str) -> dict[str, Any]:
    """What Lambda's event source mapping and the worker's retry_later need."""
    return _queue(queue, "ReceiveMessage", "DeleteMessage", "GetQueueAttributes",
                  "ChangeMessageVisibility")


def _send_mail() -> list[dict[str, Any]]:
    """ses:SendEmail only From the tenants' addresses (the ``SenderAddresses`` parameter,
    ``*@acme.example`` or ``billing@acme.example``: the condition ``ses:FromAddress``), on
    this account's identities and the stack's configuration set. (A list of identity ARNs
    cannot be built from a parameter: ``Fn::Join``'s delimiter must be a literal.)"""
    prefix = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
    return [{"Effect": "Allow", "Action": ["ses:SendEmail"],
             "Resource": [{"Fn::Sub": f"{prefix}:identity/*"},
                          {"Fn::Sub": f"{prefix}:configuration-set/${{SesConfigurationSet}}"}],
             "Condition": {"StringLike": {"ses:FromAddress": {"Ref": SENDER_PARAMETER}}}}]


_LOGS = _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
               {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                           "log-group:/aws/lambda/*"})


def authorizer_statements() -> list[dict[str, Any]]:
    """``api_key_auth``: reads the key's item, nothing else."""
    return [_dynamodb("GetItem"), _LOGS]


def api_statements() -> list[dict[str, Any]]:
    """The API (``app``): snapshots and uploads (S3; presigned PUT), batches (enqueued on
    both queues), history, erasure, scores. It sends no mail."""
    return [_dynamodb("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query",
                      "BatchGetItem", "BatchWriteItem", "ConditionCheckItem"),
            _objects("GetObject", "PutObject", "DeleteObject", "PutObjectTagging",
                     "DeleteObjectTagging"),
            _allow(["s3:ListBucket"], {"Fn::GetAtt": ["LedgerBucket", "Arn"]}),
            _queue("SendQueue", "SendMessage"), _queue("WorkQueue", "SendMessage"), _LOGS]


def debtor_page_statements() -> list[dict[str, Any]]:
    """The API's debtor page (``/p/{token}``; docs/debtor-page.md) also mails a dispute to the
    tenant's Controller Email at once, From the tenant's own address. Its links, counters and
    events are items of the table the API already has."""
    return _send_mail()


def send_worker_statements() -> list[dict[str, Any]]:
    """``send_worker``: rows, claims, history, suppressions; oversized reminders from S3;
    the send queue; mail through SES and the account's quota."""
    return [_dynamodb("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query",
                      "BatchGetItem", "BatchWriteItem", "ConditionCheckItem"),
            _objects("GetObject"), _consume("SendQueue"), *_send_mail(),
            _allow(["ses:GetSendQuota"], "*"), _LOGS]


def work_worker_statements() -> list[dict[str, Any]]:
    """``work_worker``: compute (rows to the send queue, oversized reminders to S3), the
    daily cycle, scores (S3) and the weekly digest (mail through SES)."""
    return [_dynamodb("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query",
                      "BatchGetItem", "BatchWriteItem", "ConditionCheckItem"),
            _objects("GetObject", "PutObject", "PutObjectTagging"),
            _consume("WorkQueue"), _queue("SendQueue", "SendMessage"), *_send_mail(), _LOGS]


def ses_events_statements() -> list[dict[str, Any]]:
    """``ses_events``: the claim of a message id (index), history, suppression, the erased
    customers' tombstones."""
    return [_dynamodb("GetItem", "BatchGetItem", "PutItem", "UpdateItem", "Query",
                      "BatchWriteItem"), _LOGS]


def schedule_statements() -> list[dict[str, Any]]:
    """``nightly_scores``, ``weekly_digest``, ``page_summary``: the tenant list (index), work
    items on the work queue. The mail of the digest goes from the work worker."""
    return [_dynamodb("Query"), _queue("WorkQueue", "SendMessage"), _LOGS]


def tick_statements() -> list[dict[str, Any]]:
    """``tick``: the schedules' own, and the release of batches held for the Send Window
    (``holding.release_due``): the held parts (index, S3), the erased customers' tombstones
    and their rows, the send queue."""
    return [_dynamodb("Query", "BatchGetItem", "UpdateItem", "DeleteItem"),
            _objects("GetObject", "DeleteObject"), _queue("WorkQueue", "SendMessage"),
            _queue("SendQueue", "SendMessage"), _LOGS]


def role_statements() -> dict[str, list[dict[str, Any]]]:
    """Each function's statements, by handler name (``app`` is the API)."""
    schedules = schedule_statements()
    return {"app": api_statements() + debtor_page_statements(),
            "api_key_auth": authorizer_statements(),
            "send_worker": send_worker_statements(),
            "work_worker": work_worker_statements(), "ses_events": ses_events_statements(),
            "tick": tick_statements(), "nightly_scores": schedules, "weekly_digest": schedules,
            "page_summary": schedules}


def parameters() -> dict[str, Any]:
    return {SENDER_PARAMETER: {
        "Type": "CommaDelimitedList",
        "AllowedPattern": r"^(\*|[^\s,*@]+)@[^\s,*@]+\.[^\s,*@]+$",
        "Description": "The addresses the tenants send from, comma-separated: "
                       "*@acme.example (any address at a verified domain) or "
                       "billing@acme.example. Only the send worker, the work worker "
                       "(the digest) and the API (a debtor's dispute, to the controller) may "
                       "send mail, and only From these."}}
