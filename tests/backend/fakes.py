"""Fakes of the backend's ports, for unit tests of the service logic (no AWS, no moto). Each
implements the same port as the real adapter; ``test_contracts.py`` runs the same contract
tests against the fake store and ``DynamoStore``, and against the fake idempotency and
``PowertoolsIdempotency``, so a fake cannot drift from what it stands for."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from chalicelib.services.ports import (
    AlreadyRunning,
    Check,
    Clock,
    Cond,
    Delete,
    Idempotency,
    Item,
    Key,
    Mail,
    Mailer,
    PayloadMismatch,
    Put,
    Queue,
    Quota,
    Store,
    Update,
)


def _holds(item: Item | None, c: Cond | None) -> bool:
    if c is None:
        return True
    if c.absent and item is not None:
        return False
    if c.exists and item is None:
        return False
    cur = item or {}
    if any(cur.get(a) != v for a, v in c.equals.items()):
        return False
    if any(a in cur for a in c.missing):
        return False
    if c.before is not None:
        a, v = c.before
        if a in cur and not cur[a] < v:
            return False
    return True


class FakeStore(Store):
    def __init__(self) -> None:
        self.items: dict[Key, Item] = {}
        self.blobs: dict[str, bytes] = {}
        self.transient: set[str] = set()  # what the bucket's lifecycle rule would expire
        self.lock = threading.RLock()

    def get(self, pk: str, sk: str) -> Item | None:
        with self.lock:
            item = self.items.get((pk, sk))
            return copy.deepcopy(item) if item else None

    def get_many(self, keys: Sequence[Key]) -> dict[Key, Item]:
        with self.lock:
            return {k: copy.deepcopy(self.items[k]) for k in keys if k in self.items}

    def put(self, item: Item, cond: Cond | None = None) -> bool:
        with self.lock:
            key = (item["pk"], item["sk"])
            if not _holds(self.items.get(key), cond):
                return False
            self.items[key] = {k: v for k, v in copy.deepcopy(item).items() if v is not None}
            return True

    def put_many(self, items: Iterable[Item]) -> int:
        n = 0
        for item in items:
            self.put(item)
            n += 1
        return n

    def _apply(self, op: Update) -> Item:
        item = copy.deepcopy(self.items.get((op.pk, op.sk)) or {"pk": op.pk, "sk": op.sk})
        for a, v in op.set.items():
            if v is None:
                item.pop(a, None)
            else:
                item[a] = copy.deepcopy(v)
        for a, v in op.add.items():
            if isinstance(v, set | frozenset):
                item[a] = set(item.get(a) or ()) | set(v)
            else:
                item[a] = item.get(a, 0) + v
        for a in op.remove:
            item.pop(a, None)
        return item

    def update(self, op: Update) -> Item | None:
        with self.lock:
            if not _holds(self.items.get((op.pk, op.sk)), op.cond):
                return None
            item = self._apply(op)
            self.items[(op.pk, op.sk)] = item
            return copy.deepcopy(item)

    def delete(self, pk: str, sk: str, cond: Cond | None = None) -> bool:
        with self.lock:
            if not _holds(self.items.get((pk, sk)), cond):
                return False
            self.items.pop((pk, sk), None)
            return True

    def transact(self, ops: Sequence[Put | Update | Delete | Check]) -> bool:
        with self.lock:
            for op in ops:
                key = (op.item["pk"], op.item["sk"]) if isinstance(op, Put) else (op.pk, op.sk)
                if not _holds(self.items.get(key), op.cond):
                    return False
            for op in ops:
                if isinstance(op, Put):
                    self.put(op.item)
                elif isinstance(op, Update):
                    self.update(op)
                elif isinstance(op, Delete):
                    self.delete(op.pk, op.sk)
            return True

    def query(self, pk: str, *, prefix: str = "", start: str | None = None,
              end: str | None = None, after: Item | None = None, limit: int | None = None,
              index: bool = False, attrs: Sequence[str] | None = None
              ) -> tuple[list[Item], Item | None]:
        hk, rk = ("gsi1pk", "gsi1sk") if index else ("pk", "sk")
        with self.lock:
            found = [i for i in self.items.values() if i.get(hk) == pk and rk in i]
        found.sort(key=lambda i: (i[rk], i["pk"], i["sk"]))
        if prefix:
            found = [i for i in found if i[rk].startswith(prefix)]
        elif start is not None and end is not None:
            found = [i for i in found if start <= i[rk] <= end]
        if after:
            mark = (after[rk], after["pk"], after["sk"])
            found = [i for i in found if (i[rk], i["pk"], i["sk"]) > mark]
        last = None
        if limit and len(found) >= limit:  # as DynamoDB: a full page answers its last key,
            found = found[:limit]  # even when nothing follows (the next page is then empty)
            tail = found[-1]
            last = {k: tail[k] for k in ("pk", "sk", *(("gsi1pk", "gsi1sk") if index else ()))}
        if attrs:
            wanted = {"pk", "sk", *(("gsi1pk", "gsi1sk") if index else ()), *attrs}
            found = [{k: v for k, v in i.items() if k in wanted} for i in found]
        return [copy.deepcopy(i) for i in found], last

    def put_blob(self, key: str, data: bytes, transient: bool = False) -> None:
        self.blobs[key] = bytes(data)
        if transient:
            self.transient.add(key)

    def get_blob(self, key: str) -> bytes | None:
        return self.blobs.get(key)

    def blob_size(self, key: str) -> int | None:
        return len(self.blobs[key]) if key in self.blobs else None

    def delete_blob(self, key: str) -> None:
        self.blobs.pop(key, None)

    def list_blobs(self, prefix: str) -> list[str]:
        return sorted(k for k in self.blobs if k.startswith(prefix))

    def presign_put(self, key: str, expires_in: int, transient: bool = False
                    ) -> tuple[str, dict[str, str]]:
        if transient:
            self.transient.add(key)
        return f"https://fake-bucket.example/{key}", {"Content-Type": "application/json"}

    def keep_blob(self, key: str) -> None:
        self.transient.discard(key)


class FakeMailer(Mailer):
    """Records what it sends. ``fail`` maps a recipient to an exception to raise (once per
    entry in the list)."""

    def __init__(self, rate: float = 1000.0, daily: int = 100_000, sent_24h: int = 0):
        self.sent: list[tuple[str, Mail]] = []
        self.fail: dict[str, list[Exception]] = {}
        self._quota = Quota(rate, daily, sent_24h)
        self._ids = itertools.count(1)
        self.lock = threading.Lock()
        self.forgotten: list[str] = []
        self.identities: set[str] = set()

    def quota(self) -> Quota:
        return self._quota

    def verify_identity(self, identity: str) -> None:
        self.identities.add(identity)

    def send(self, mail: Mail) -> str:
        queued = self.fail.get(mail.to)
        if queued:
            raise queued.pop(0)
        with self.lock:
            mid = f"fake-{next(self._ids):06d}"
            self.sent.append((mid, mail))
        return mid

    def forget(self, message_ids: Sequence[str]) -> int:
        with self.lock:
            held = {mid for mid, _ in self.sent}
            gone = [m for m in message_ids if m in held and m not in self.forgotten]
            self.forgotten.extend(gone)  # what the outbox would no longer hold
        return len(gone)


class FakeQueue(Queue):
    def __init__(self) -> None:
        self.messages: dict[str, list[str]] = {"send": [], "work": []}
        self.retries: list[tuple[str, str, int]] = []

    def send(self, queue: str, bodies: Sequence[str], delay: int = 0) -> None:
        self.messages[queue].extend(bodies)

    def retry_later(self, queue: str, receipt_handle: str, seconds: int) -> None:
        self.retries.append((queue, receipt_handle, seconds))

    def take(self, queue: str) -> list[str]:
        out, self.messages[queue] = self.messages[queue], []
        return out


class FakeIdempotency(Idempotency):
    """Records in memory, kept for the life of the fake: a key runs once; a key in progress
    or used with another digest is refused; a call that raises leaves no record."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.lock = threading.Lock()

    def once(self, scope: str, operation: str, key: Sequence[Any], digest: str,
             fn: Callable[[], dict], context: Any = None) -> dict:
        ident = (scope, operation, json.dumps(list(key), sort_keys=True, default=str))
        with self.lock:
            record = self.records.get(ident)
            if record is not None:
                if record["digest"] != digest:
                    raise PayloadMismatch(operation)
                if record["status"] == "running":
                    raise AlreadyRunning(operation)
                return copy.deepcopy(record["result"])
            self.records[ident] = {"status": "running", "digest": digest}
        try:
            result = fn()
        except BaseException:
            with self.lock:
                self.records.pop(ident, None)
            raise
        with self.lock:
            self.records[ident] = {"status": "done", "digest": digest,
                                   "result": copy.deepcopy(result)}
        return result


class FakeClock(Clock):
    def __init__(self, now: dt.datetime | None = None) -> None:
        self.t = now or dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC)
        self.slept = 0.0

    def now(self) -> dt.datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.t += dt.timedelta(seconds=seconds)

    def monotonic(self) -> float:
        return self.t.timestamp()


class FakeContext:
    """A Lambda context with plenty of time left (or not)."""

    def __init__(self, remaining_ms: int = 900_000) -> None:
        self.remaining_ms = remaining_ms
        self.function_name = "test"
        self.aws_request_id = "req"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
