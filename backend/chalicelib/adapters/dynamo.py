"""The Store port on DynamoDB (one table: keys pk/sk, index gsi1) and S3 (one bucket).

The AWS clients come from ``aws.client`` on first use; building the adapter is free. The same
contract tests run against it (on moto) and against the fake (``tests/backend/test_contracts.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from ..services.ports import Check, Cond, Delete, Item, Key, Put, Store, Update
from . import aws

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



TRANSIENT_TAG = "retention=transient"  # the bucket's lifecycle rule expires these

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

    def transact(self, ops: Sequence[Put | Update | Delete | Check]) -> bool:
        items = []
        for op in ops:
            if isinstance(op, Check):
                items.append({"ConditionCheck": self._conditioned(
                    {"TableName": self.table, "Key": self._key(op.pk, op.sk)}, op.cond)})
            elif isinstance(op, Put):
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
        else:  # the table's own queries see every write before them (an erasure's sweep)
            kw["ConsistentRead"] = True
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
            kw["Tagging"] = TRANSIENT_TAG
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

    def presign_put(self, key: str, expires_in: int, transient: bool = False
                    ) -> tuple[str, dict[str, str]]:
        headers = {"Content-Type": "application/json"}
        params = {"Bucket": self.bucket, "Key": key, "ContentType": "application/json"}
        if transient:  # a signed header: the upload carries the tag the lifecycle rule reads
            params["Tagging"] = headers["x-amz-tagging"] = TRANSIENT_TAG
        url = self._s3.generate_presigned_url("put_object", Params=params,
                                              ExpiresIn=expires_in)
        return url, headers

    def keep_blob(self, key: str) -> None:
        self._s3.delete_object_tagging(Bucket=self.bucket, Key=key)
