"""The AWS resources the app needs, for the operator tools: ``create_local_resources()`` on
the emulator (the local stack and the tests), and the same resources as CloudFormation
(``cloudformation()``, ``iam_statements()``) for ``infra/merge_template.py`` to merge into the
template ``chalice package`` writes. Not part of the Lambda package.

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
SEND_MAX_RECEIVES = 10
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

LIFECYCLE = {"Rules": [{
    "ID": "transient", "Status": "Enabled",
    "Filter": {"Tag": {"Key": "retention", "Value": "transient"}},
    "Expiration": {"Days": TRANSIENT_DAYS},
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
        SEND_WORKER_TIMEOUT, send_dlq, SEND_MAX_RECEIVES))
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


def cloudformation() -> dict[str, Any]:
    """Resources (and the Lambda environment referring to them) for ``infra/`` to merge into
    the template ``chalice package`` writes. Names of queues and the topic are fixed, because
    Chalice builds the event source ARNs from the names in ``.chalice/config.json``.

    Returned keys: ``Resources`` (CloudFormation resources), ``Environment`` (the value of each
    environment variable as a CloudFormation expression, for every function) and
    ``EventSourceMappings`` (what Chalice cannot express: the handler, its batch item failure
    reporting)."""
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
                                 "ExpirationInDays": TRANSIENT_DAYS}]},
                             "PublicAccessBlockConfiguration": {
                                 "BlockPublicAcls": True, "BlockPublicPolicy": True,
                                 "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                             "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                                 "ServerSideEncryptionByDefault": {
                                     "SSEAlgorithm": "AES256"}}]}}},
        "SendDeadLetterQueue": dlq(names["send_dlq"]),
        "WorkDeadLetterQueue": dlq(names["work_dlq"]),
        "SendQueue": queue(names["send_queue"], "SendDeadLetterQueue", SEND_WORKER_TIMEOUT,
                           SEND_MAX_RECEIVES),
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
    mappings = {
        "send_worker": {"queue": "SendQueue", "BatchSize": 10,
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        "ScalingConfig": {"MaximumConcurrency": _config.SEND_CONCURRENCY}},
        "work_worker": {"queue": "WorkQueue", "BatchSize": 1,
                        "FunctionResponseTypes": ["ReportBatchItemFailures"]},
    }
    return {"Resources": resources, "Environment": environment,
            "EventSourceMappings": mappings}


def gateway_responses(cors_origin: str = "https://addin.xlwings.org") -> dict[str, Any]:
    """API Gateway's own 401/403 answers in the API's error shape (``ErrorOut``) and with the
    CORS header, so the add-in can read them. ``RestAPI`` is the API Chalice's template
    defines."""
    out = {}
    for name, kind, status, message in (
            ("Unauthorized", "UNAUTHORIZED", "401", "an API key is needed: Authorization: "
             "Bearer <key>"),
            ("AccessDenied", "ACCESS_DENIED", "403", "the API key is not valid"),
            ("Default4xx", "DEFAULT_4XX", None, "$context.error.message"),
            ("Default5xx", "DEFAULT_5XX", None, "the service is unavailable; try again")):
        props: dict[str, Any] = {
            "RestApiId": {"Ref": "RestAPI"}, "ResponseType": kind,
            "ResponseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Origin": f"'{cors_origin}'"},
            "ResponseTemplates": {"application/json": json.dumps(
                {"error": kind.lower(), "message": message, "field": None})},
        }
        if status:
            props["StatusCode"] = status
        out[f"GatewayResponse{name}"] = {"Type": "AWS::ApiGateway::GatewayResponse",
                                         "Properties": props}
    return out


def iam_statements() -> list[dict[str, Any]]:
    """The least-privilege statements every function of the app needs (one role), with
    CloudFormation references to the resources above."""
    table_arn = {"Fn::GetAtt": ["CreditdeskTable", "Arn"]}
    return [
        {"Effect": "Allow", "Action": [
            "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
            "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:BatchGetItem",
            "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"],
         "Resource": [table_arn, {"Fn::Sub": "${CreditdeskTable.Arn}/index/gsi1"}]},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                                       "s3:PutObjectTagging"],
         "Resource": {"Fn::Sub": "${LedgerBucket.Arn}/*"}},
        {"Effect": "Allow", "Action": ["s3:ListBucket"],
         "Resource": {"Fn::GetAtt": ["LedgerBucket", "Arn"]}},
        {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage",
                                       "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                       "sqs:GetQueueUrl", "sqs:ChangeMessageVisibility"],
         "Resource": [{"Fn::GetAtt": ["SendQueue", "Arn"]},
                      {"Fn::GetAtt": ["WorkQueue", "Arn"]}]},
        {"Effect": "Allow", "Action": ["ses:SendEmail"], "Resource": [
            {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"},
            {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
                        "configuration-set/${SesConfigurationSet}"}]},
        {"Effect": "Allow", "Action": ["ses:GetSendQuota", "ses:GetAccount"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream",
                                       "logs:PutLogEvents"],
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:logs:*:*:*"}},
    ]
