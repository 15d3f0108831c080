"""The real adapters: DynamoDB + S3 (Store), SES v2 (Mailer), SQS (Queue), the system clock.

Each makes its AWS client on first use through ``aws.client``; building an adapter is free.
"""

from __future__ import annotations

import datetime as dt
import email.charset
import json
import logging
import re
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from . import aws
from .ports import (
    Clock,
    Cond,
    Delete,
    Item,
    Key,
    Mail,
    Mailer,
    Put,
    Queue,
    Quota,
    QuotaSpent,
    Rejected,
    Store,
    Throttled,
    Unknown,
    Update,
)

log = logging.getLogger(__name__)
ABSENT = Cond(absent=True)

# -- DynamoDB values --------------------------------------------------------------------------


def _enc(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str | bytes):
        return v
    if isinstance(v, float):  # DynamoDB numbers: 38 digits, magnitude 1e-130 to 1e126
        return Decimal(repr(v)) if abs(v) >= 1e-100 else Decimal(0)
    if isinstance(v, int):
        return v
    if isinstance(v, dict):
        return {k: _enc(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_enc(x) for x in v]
    if isinstance(v, set | frozenset):
        return {_enc(x) for x in v}
    return v


def _dec(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dict):
        return {k: _dec(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if isinstance(v, set):
        return {_dec(x) for x in v}
    return v


class _Expr:
    """Builds expression attribute names/values with unique placeholders."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attr: str) -> str:
        for k, v in self.names.items():
            if v == attr:
                return k
        k = f"#n{len(self.names)}"
        self.names[k] = attr
        return k

    def value(self, v: Any) -> str:
        k = f":v{len(self.values)}"
        self.values[k] = v
        return k

    def cond(self, c: Cond) -> str:
        parts: list[str] = []
        if c.absent:
            parts.append(f"attribute_not_exists({self.name('pk')})")
        if c.exists:
            parts.append(f"attribute_exists({self.name('pk')})")
        for a, v in c.equals.items():
            parts.append(f"{self.name(a)} = {self.value(v)}")
        for a in c.missing:
            parts.append(f"attribute_not_exists({self.name(a)})")
        if c.before is not None:
            a, v = c.before
            n = self.name(a)
            parts.append(f"(attribute_not_exists({n}) OR {n} < {self.value(v)})")
        return " AND ".join(parts)

    def kwargs(self, serialize: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.names:
            out["ExpressionAttributeNames"] = self.names
        if self.values:
            out["ExpressionAttributeValues"] = {k: serialize(v) for k, v in self.values.items()}
        return out


class DynamoStore(Store):
    """One DynamoDB table (keys pk/sk, index gsi1) and one S3 bucket."""

    def __init__(self, table: str, bucket: str):
        self.table = table
        self.bucket = bucket
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._ser = TypeSerializer()
        self._des = TypeDeserializer()

    # -- helpers ---------------------------------------------------------------------------
    @property
    def _ddb(self) -> Any:
        return aws.client("dynamodb")

    @property
    def _s3(self) -> Any:
        return aws.client("s3")

    def _s(self, v: Any) -> dict:
        return self._ser.serialize(_enc(v))

    def _item_in(self, item: Item) -> dict:
        return {k: self._s(v) for k, v in item.items() if v is not None}

    def _item_out(self, raw: dict) -> Item:
        return {k: _dec(self._des.deserialize(v)) for k, v in raw.items()}

    def _key(self, pk: str, sk: str) -> dict:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    def _conditioned(self, request: dict[str, Any], cond: Cond | None) -> dict[str, Any]:
        """``request`` with ``cond`` as its ConditionExpression (and its names and values)."""
        if cond is not None and cond != Cond():
            e = _Expr()
            request["ConditionExpression"] = e.cond(cond)
            request.update(e.kwargs(self._s))
        return request

    # -- items -----------------------------------------------------------------------------
    def get(self, pk: str, sk: str) -> Item | None:
        r = self._ddb.get_item(TableName=self.table, Key=self._key(pk, sk), ConsistentRead=True)
        return self._item_out(r["Item"]) if "Item" in r else None

    def get_many(self, keys: Sequence[Key]) -> dict[Key, Item]:
        out: dict[Key, Item] = {}
        todo = list(dict.fromkeys(keys))
        for i in range(0, len(todo), 100):
            request = {self.table: {"Keys": [self._key(pk, sk) for pk, sk in todo[i:i + 100]],
                                    "ConsistentRead": True}}
            for attempt in range(8):
                r = self._ddb.batch_get_item(RequestItems=request)
                for raw in r.get("Responses", {}).get(self.table, []):
                    item = self._item_out(raw)
                    out[(item["pk"], item["sk"])] = item
                request = r.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2 ** attempt, 1.0))
            else:
                raise RuntimeError("DynamoDB left keys unprocessed after 8 attempts")
        return out

    def put(self, item: Item, cond: Cond | None = None) -> bool:
        kw = self._conditioned({"TableName": self.table, "Item": self._item_in(item)}, cond)
        try:
            self._ddb.put_item(**kw)
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def put_many(self, items: Iterable[Item]) -> int:
        n = 0
        chunk: list[dict] = []

        def flush() -> None:
            request = {self.table: chunk}
            for attempt in range(10):
                r = self._ddb.batch_write_item(RequestItems=request)
                request = r.get("UnprocessedItems") or {}
                if not request:
                    return
                time.sleep(min(0.05 * 2 ** attempt, 2.0))
            raise RuntimeError("DynamoDB left items unprocessed after 10 attempts")

        for item in items:
            chunk.append({"PutRequest": {"Item": self._item_in(item)}})
            n += 1
            if len(chunk) == 25:  # BatchWriteItem takes at most 25 items
                flush()
                chunk = []
        if chunk:
            flush()
        return n

    def put_absent(self, items: Sequence[Item]) -> list[Item]:
        """TransactWriteItems of up to 100 puts, each on condition its key is free. A key
        already taken cancels the transaction, naming it; the rest are then written again
        without it. A conflict with another transaction is retried after a pause."""
        written: list[Item] = []
        todo = list(items)
        for i in range(0, len(todo), 100):
            chunk = todo[i:i + 100]
            conflicts = 0
            while chunk:
                try:
                    self._ddb.transact_write_items(TransactItems=[
                        {"Put": self._conditioned({"TableName": self.table,
                                                   "Item": self._item_in(item)}, ABSENT)}
                        for item in chunk])
                except self._ddb.exceptions.TransactionCanceledException as exc:
                    reasons = exc.response.get("CancellationReasons") or []
                    taken = {j for j, r in enumerate(reasons)
                             if r.get("Code") == "ConditionalCheckFailed"}
                    if taken:  # not a failure: those keys are someone else's
                        chunk = [it for j, it in enumerate(chunk) if j not in taken]
                        continue
                    conflicts += 1  # a concurrent write: try again shortly
                    if conflicts == 10:
                        raise RuntimeError("DynamoDB kept cancelling a claim (10 conflicts)"
                                           ) from exc
                    time.sleep(min(0.05 * 2 ** conflicts, 1.0))
                    continue
                written.extend(chunk)
                break
        return written

    def _update_kwargs(self, op: Update) -> dict[str, Any]:
        e = _Expr()
        clauses = []
        sets = [f"{e.name(a)} = {e.value(v)}" for a, v in op.set.items() if v is not None]
        removes = [e.name(a) for a, v in op.set.items() if v is None] + [
            e.name(a) for a in op.remove]
        adds = [f"{e.name(a)} {e.value(v)}" for a, v in op.add.items()]
        if sets:
            clauses.append("SET " + ", ".join(sets))
        if adds:
            clauses.append("ADD " + ", ".join(adds))
        if removes:
            clauses.append("REMOVE " + ", ".join(removes))
        kw: dict[str, Any] = {"TableName": self.table, "Key": self._key(op.pk, op.sk),
                              "UpdateExpression": " ".join(clauses)}
        if op.cond is not None and op.cond != Cond():
            kw["ConditionExpression"] = e.cond(op.cond)
        kw.update(e.kwargs(self._s))
        return kw

    def update(self, op: Update) -> Item | None:
        kw = self._update_kwargs(op)
        try:
            r = self._ddb.update_item(ReturnValues="ALL_NEW", **kw)
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return None
        return self._item_out(r.get("Attributes", {}))

    def delete(self, pk: str, sk: str, cond: Cond | None = None) -> bool:
        kw = self._conditioned({"TableName": self.table, "Key": self._key(pk, sk)}, cond)
        try:
            self._ddb.delete_item(**kw)
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def transact(self, ops: Sequence[Put | Update | Delete]) -> bool:
        items = []
        for op in ops:
            if isinstance(op, Put):
                items.append({"Put": self._conditioned(
                    {"TableName": self.table, "Item": self._item_in(op.item)}, op.cond)})
            elif isinstance(op, Update):
                items.append({"Update": self._update_kwargs(op)})
            else:
                items.append({"Delete": self._conditioned(
                    {"TableName": self.table, "Key": self._key(op.pk, op.sk)}, op.cond)})
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except self._ddb.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons", [])
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                return False
            raise
        return True

    def query(self, pk: str, *, prefix: str = "", start: str | None = None,
              end: str | None = None, after: Item | None = None, limit: int | None = None,
              index: bool = False, attrs: Sequence[str] | None = None
              ) -> tuple[list[Item], Item | None]:
        e = _Expr()
        hk, rk = ("gsi1pk", "gsi1sk") if index else ("pk", "sk")
        cond = f"{e.name(hk)} = {e.value(pk)}"
        if prefix:
            cond += f" AND begins_with({e.name(rk)}, {e.value(prefix)})"
        elif start is not None and end is not None:
            cond += f" AND {e.name(rk)} BETWEEN {e.value(start)} AND {e.value(end)}"
        kw: dict[str, Any] = {"TableName": self.table, "KeyConditionExpression": cond}
        if index:
            kw["IndexName"] = "gsi1"
        if attrs:
            wanted = dict.fromkeys(["pk", "sk", *(["gsi1pk", "gsi1sk"] if index else []),
                                    *attrs])
            kw["ProjectionExpression"] = ", ".join(e.name(a) for a in wanted)
        kw.update(e.kwargs(self._s))
        if after:
            kw["ExclusiveStartKey"] = self._item_in(after)
        if limit:
            kw["Limit"] = limit
        r = self._ddb.query(**kw)
        items = [self._item_out(x) for x in r.get("Items", [])]
        last = r.get("LastEvaluatedKey")
        return items, (self._item_out(last) if last else None)

    # -- blobs -----------------------------------------------------------------------------
    def put_blob(self, key: str, data: bytes, transient: bool = False) -> None:
        kw: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": data,
                              "ContentType": "application/json"}
        if transient:
            kw["Tagging"] = "retention=transient"
        self._s3.put_object(**kw)

    def get_blob(self, key: str) -> bytes | None:
        try:
            return self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self._s3.exceptions.NoSuchKey:
            return None

    def blob_size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            return int(self._s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def delete_blob(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=key)

    def list_blobs(self, prefix: str) -> list[str]:
        out: list[str] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix):
            out.extend(o["Key"] for o in page.get("Contents", []))
        return out

    def presign_put(self, key: str, expires_in: int) -> tuple[str, dict[str, str]]:
        url = self._s3.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": key,
                                  "ContentType": "application/json"},
            ExpiresIn=expires_in)
        return url, {"Content-Type": "application/json"}


# -- SES v2 ------------------------------------------------------------------------------------

_THROTTLE = {"TooManyRequestsException", "Throttling", "ThrottlingException"}
_STOP = {"LimitExceededException", "SendingPausedException", "AccountSuspendedException"}
_REJECT = {"MessageRejected", "MailFromDomainNotVerifiedException", "NotFoundException",
           "BadRequestException", "InvalidParameterValue", "ValidationException"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._@-]")


_UTF8_QP = email.charset.Charset("utf-8")
_UTF8_QP.header_encoding = _UTF8_QP.body_encoding = email.charset.QP
_UTF8_8BIT = email.charset.Charset("utf-8")
_UTF8_8BIT.body_encoding = None  # the text as it is (7bit when it is ASCII)


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    """The text as it is when every line fits SMTP's 998 bytes, else quoted-printable."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    fits = all(len(line.encode()) <= 998 for line in re.split(r"\r\n|\r|\n", text))
    part.set_payload(text, _UTF8_8BIT if fits else _UTF8_QP)
    return part


def eml(mail: Mail, message_id: str, when: dt.datetime) -> bytes:
    """The message as a .eml file a user can open. Built with the ``email.mime`` classes,
    4x faster than ``EmailMessage`` (whose header parsing cost more than the SES call on
    the local stack); so the CR/LF check that ``EmailMessage`` makes is made here."""
    headers = (mail.sender_name, mail.sender, mail.to, *mail.cc, mail.reply_to or "",
               mail.subject, *(v for tag in mail.tags for v in tag))
    if any("\r" in v or "\n" in v for v in headers):
        raise ValueError("a header value holds CR or LF")
    msg = MIMEMultipart("alternative") if mail.html else _text_part(mail.text, "plain")
    msg["From"] = (formataddr((mail.sender_name, mail.sender), "utf-8") if mail.sender_name
                   else mail.sender)
    msg["To"] = mail.to
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    msg["Subject"] = mail.subject if mail.subject.isascii() else Header(mail.subject, _UTF8_QP)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{message_id}@email.amazonses.com>"
    for name, value in mail.tags:
        msg[f"X-Creditdesk-{name.title()}"] = value
    if mail.html:
        msg.attach(_text_part(mail.text, "plain"))
        msg.attach(_text_part(mail.html, "html"))
    return msg.as_bytes()


class SesMailer(Mailer):
    """SES v2 ``SendEmail`` with Simple content (text and HTML parts), the configuration set,
    reply-to and tags. Optionally also writes each sent message to ``outbox``."""

    def __init__(self, configuration_set: str, outbox: str | None = None,
                 quota_override: tuple[float, int] | None = None):
        self.configuration_set = configuration_set
        self.outbox = Path(outbox) if outbox else None
        self.quota_override = quota_override

    def quota(self) -> Quota:
        # SES v1 GetSendQuota answers for the same account as v2 GetAccount (which moto lacks).
        try:
            q = aws.client("ses").get_send_quota()
            quota = Quota(float(q["MaxSendRate"]), int(q["Max24HourSend"]),
                          int(q["SentLast24Hours"]))
        except Exception as exc:  # the run still goes, slowly: the sandbox's numbers
            log.warning("GetSendQuota failed (%s); assuming 1/s and 200 a day", exc)
            quota = Quota(1.0, 200, 0, note=f"quota unknown ({type(exc).__name__})")
        if self.quota_override:
            rate, daily = self.quota_override
            quota = Quota(rate, daily, min(quota.sent_24h, daily), note="quota from "
                          "CREDITDESK_SES_QUOTA")
        return quota

    def send(self, mail: Mail) -> str:
        from botocore.exceptions import (
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
        )

        def content(text: str) -> dict[str, str]:
            return {"Data": text, "Charset": "UTF-8"}

        body = {"Text": content(mail.text)}
        if mail.html:
            body["Html"] = content(mail.html)
        kw: dict[str, Any] = {
            "FromEmailAddress": (formataddr((mail.sender_name, mail.sender))
                                 if mail.sender_name else mail.sender),
            "Destination": {"ToAddresses": [mail.to], "CcAddresses": list(mail.cc)},
            "Content": {"Simple": {"Subject": content(mail.subject), "Body": body}},
            "EmailTags": [{"Name": n, "Value": _SAFE_NAME.sub("_", v)[:256]}
                          for n, v in mail.tags],
            "ConfigurationSetName": self.configuration_set,
        }
        if mail.reply_to:
            kw["ReplyToAddresses"] = [mail.reply_to]
        try:
            r = aws.client("sesv2", "send").send_email(**kw)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code, message = err.get("Code", ""), err.get("Message", "") or str(exc)
            if "quota" in message.casefold() or code in _STOP:
                raise QuotaSpent(f"{code}: {message}") from exc
            if code in _THROTTLE:
                raise Throttled(f"{code}: {message}") from exc
            if code in _REJECT:
                raise Rejected(f"{code}: {message}") from exc
            raise Unknown(f"{code}: {message}") from exc
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise Throttled(f"SES not reachable: {exc}") from exc  # never left: retry
        except Exception as exc:  # read timeout and the like: it may have been sent
            raise Unknown(f"{type(exc).__name__}: {exc}") from exc
        message_id = r["MessageId"]
        if self.outbox is not None:
            try:
                self.outbox.mkdir(parents=True, exist_ok=True)
                name = _SAFE_NAME.sub("_", message_id)
                (self.outbox / f"{name}.eml").write_bytes(
                    eml(mail, message_id, dt.datetime.now(dt.UTC)))
            except Exception:  # the outbox is a convenience: never fail a sent message
                log.exception("could not write %s to the outbox", message_id)
        return message_id


# -- SQS ---------------------------------------------------------------------------------------

MAX_MESSAGE_BYTES = 256 * 1024  # what every SQS queue accepts (new queues take 1 MiB)
MAX_BATCH_BYTES = 1024 * 1024  # SendMessageBatch: 10 messages, 1 MiB in all


class SqsQueue(Queue):
    def __init__(self, urls: dict[str, str]):
        self._urls = dict(urls)

    def url(self, queue: str) -> str:
        value = self._urls[queue]
        if "://" not in value:  # a bare name: look it up once
            value = aws.client("sqs").get_queue_url(QueueName=value)["QueueUrl"]
            self._urls[queue] = value
        return value

    def send(self, queue: str, bodies: Sequence[str], delay: int = 0) -> None:
        url = self.url(queue)
        batch: list[str] = []
        size = 0
        for body in bodies:
            n = len(body.encode())
            if n > MAX_MESSAGE_BYTES:
                raise ValueError(f"message of {n} bytes is over the SQS limit")
            if batch and (len(batch) == 10 or size + n > MAX_BATCH_BYTES):
                self._send_batch(url, batch, delay)
                batch, size = [], 0
            batch.append(body)
            size += n
        if batch:
            self._send_batch(url, batch, delay)

    def _send_batch(self, url: str, bodies: list[str], delay: int) -> None:
        entries = {str(i): b for i, b in enumerate(bodies)}
        for attempt in range(6):
            r = aws.client("sqs").send_message_batch(
                QueueUrl=url, Entries=[{"Id": i, "MessageBody": b, "DelaySeconds": delay}
                                       for i, b in entries.items()])
            failed = r.get("Failed") or []
            if not failed:
                return
            bad = [f for f in failed if f.get("SenderFault")]
            if bad:
                raise RuntimeError(f"SQS refused a message: {bad[0].get('Message')}")
            entries = {f["Id"]: entries[f["Id"]] for f in failed}
            time.sleep(min(0.1 * 2 ** attempt, 2.0))
        raise RuntimeError("SQS did not take every message after 6 attempts")

    def retry_later(self, queue: str, receipt_handle: str, seconds: int) -> None:
        try:
            aws.client("sqs").change_message_visibility(
                QueueUrl=self.url(queue), ReceiptHandle=receipt_handle,
                VisibilityTimeout=max(0, min(int(seconds), 43_200)))
        except Exception as exc:  # the queue's own visibility timeout applies instead
            log.info("could not shorten the visibility of a message: %s", exc)


class SystemClock(Clock):
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
