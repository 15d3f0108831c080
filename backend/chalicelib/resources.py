"""The AWS resources the app needs: the storage schema, ``create_local_resources()`` for the
emulator and the tests, and the same resources as CloudFormation for ``infra/`` to merge.

Storage schema
==============

One DynamoDB table (``CREDITDESK_TABLE``), keys ``pk`` (S) and ``sk`` (S), on-demand, TTL on
the attribute ``expiration`` (epoch seconds), and one global secondary index ``gsi1``
(``gsi1pk`` S, ``gsi1sk`` S, projection ALL). Every table key starts with the tenant
(``T#<tenant>``); so does every S3 key (``<tenant>/...``). ``<t>`` is the tenant id.

Items (pk | sk: what; gsi1 keys where set):

- ``T#<t>`` | ``PROFILE``: the tenant: name, SES sender identity, the settings of the current
  snapshot (automation, time zone, send window, country, controller e-mail, reply-to), the
  current snapshot version, the last cycle day; gsi1 ``TENANTS`` / ``<t>``
- ``T#<t>`` | ``KEY#<sha256 of the api key>``: an API key (only its hash)
- ``T#<t>`` | ``SNAP#<version>``: a snapshot: status, as-of, counts, issues
- ``T#<t>`` | ``BATCH#<batch_id>``: a batch: parts, parts received, its day, detail
- ``T#<t>#B#<batch_id>`` | ``R#<reminder key>``: a reminder of a batch: status, message id,
  detail; gsi1 ``T#<t>#CB#<customer>`` / ``<batch_id>#<key>``
- ``T#<t>#BM#<batch_id>`` | ``M#<part>#<n>``: how the reminders of one send message stand
  (counts by status); the batch's counts are their sum
- ``T#<t>`` | ``CLAIM#<reminder key>``: the send claim, written once per key before SES is
  called; after the send it holds the message id and gsi1 ``MSG#<ses message id>`` / ``CLAIM``
- ``T#<t>`` | ``SUPP#<sha256 of the address>``: a suppressed address (hard bounce, complaint)
- ``T#<t>#C#<customer>`` | ``H#<utc time>#<event id>``: a history event; gsi1
  ``T#<t>#H#<yyyy-mm>`` / ``<utc time>#<event id>``
- ``T#<t>#IDEMPOTENCY`` | ``<powertools key>``: Powertools idempotency records (batch parts)

gsi1 serves: the tenant list (``TENANTS``) for the schedules, the tenant of an SES message id
(``MSG#<id>``, for SES events: the tenant is never taken from the event's tags), history by
date (``T#<t>#H#<month>``), a customer's batch rows (``T#<t>#CB#<customer>``, for erasure).

S3 (``CREDITDESK_BUCKET``): ``<t>/snapshots/<version>.json`` (a snapshot, the SnapshotIn
JSON), ``<t>/scores/<version>.json`` (scores of a snapshot), ``<t>/outgoing/<batch>/<key>.json``
(a reminder too large for an SQS message; tagged ``retention=transient``, expired after 14
days by the lifecycle rule).

Queues: ``send`` (reminders to send; DLQ ``send-dlq`` after 10 receives) and ``work``
(compute, the daily cycle, scoring, the digest; DLQ ``work-dlq`` after 3 receives). SNS topic
``ses-events`` receives the SES configuration set's events (delivery, bounce, complaint).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from . import config as _config

NAMES = {
    "table": "creditdesk",
    "bucket": "creditdesk-ledgers",
    "send_queue": "creditdesk-send",
    "send_dlq": "creditdesk-send-dlq",
    "work_queue": "creditdesk-work",
    "work_dlq": "creditdesk-work-dlq",
    "topic": "creditdesk-ses-events",
    "configuration_set": "creditdesk",
}
LOCAL_SENDER = "reminders@creditdesk.example"  # verified by create_local_resources()

# Lambda timeouts (seconds) the queues' visibility timeouts are derived from (6x, as AWS
# recommends for SQS event sources). Keep in step with .chalice/config.json.
SEND_WORKER_TIMEOUT = 300
WORK_WORKER_TIMEOUT = 900
SEND_MAX_RECEIVES = 10
WORK_MAX_RECEIVES = 3
SEND_CONCURRENCY = 4  # the send worker's MaximumConcurrency; each worker paces at rate / 4
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
                           senders: tuple[str, ...] = (LOCAL_SENDER,)) -> dict[str, str]:
    """Create every resource through boto3 (on moto, or on any endpoint boto3 is pointed at
    with ``AWS_ENDPOINT_URL``) and return the environment the app needs, by variable name.
    Idempotent: existing resources are reused. ``senders`` are verified as SES identities
    (an address, or a domain for every address at it)."""
    import boto3

    session = boto3.session.Session(region_name=region)
    region = session.region_name or "us-east-1"
    ddb = session.client("dynamodb")
    s3 = session.client("s3")
    sqs = session.client("sqs")
    sns = session.client("sns")
    ses = session.client("sesv2")

    table = NAMES["table"]
    try:
        ddb.create_table(TableName=table, **TABLE_DEFINITION)
        ddb.get_waiter("table_exists").wait(TableName=table,
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": TTL_ATTRIBUTE})
    except ddb.exceptions.ResourceInUseException:
        pass

    bucket = NAMES["bucket"]
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

    _, send_dlq = queue(NAMES["send_dlq"], {"MessageRetentionPeriod": str(14 * 86400)})
    _, work_dlq = queue(NAMES["work_dlq"], {"MessageRetentionPeriod": str(14 * 86400)})
    send_url, _ = queue(NAMES["send_queue"], _queue_attributes(
        SEND_WORKER_TIMEOUT, send_dlq, SEND_MAX_RECEIVES))
    work_url, _ = queue(NAMES["work_queue"], _queue_attributes(
        WORK_WORKER_TIMEOUT, work_dlq, WORK_MAX_RECEIVES))

    topic_arn = sns.create_topic(Name=NAMES["topic"])["TopicArn"]

    config_set = NAMES["configuration_set"]
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
        "SendDeadLetterQueue": dlq(NAMES["send_dlq"]),
        "WorkDeadLetterQueue": dlq(NAMES["work_dlq"]),
        "SendQueue": queue(NAMES["send_queue"], "SendDeadLetterQueue", SEND_WORKER_TIMEOUT,
                           SEND_MAX_RECEIVES),
        "WorkQueue": queue(NAMES["work_queue"], "WorkDeadLetterQueue", WORK_WORKER_TIMEOUT,
                           WORK_MAX_RECEIVES),
        "SesEventsTopic": {"Type": "AWS::SNS::Topic",
                           "Properties": {"TopicName": NAMES["topic"]}},
        "SesEventsTopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": "SesEventsTopic"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ses.amazonaws.com"},
                "Action": "sns:Publish", "Resource": {"Ref": "SesEventsTopic"},
                "Condition": {"StringEquals": {"AWS:SourceAccount": {
                    "Ref": "AWS::AccountId"}}}}]}}},
        "SesConfigurationSet": {"Type": "AWS::SES::ConfigurationSet",
                                "Properties": {"Name": NAMES["configuration_set"]}},
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
                        "ScalingConfig": {"MaximumConcurrency": SEND_CONCURRENCY}},
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
