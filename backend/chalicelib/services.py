"""The service layer: plain functions over ``Deps``. Routes, workers and schedules call these;
so do the operator tools (``create_tenant``) and the tests.

Send flow (BRIEF §4): ``submit_part`` validates, stores the batch's reminders (BatchWriteItem,
25 at a time), enqueues them (SendMessageBatch, several reminders per message) and answers;
``sending.process`` sends them, once per reminder key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import secrets
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from creditdesk.api.models import (
    BatchIn,
    BatchOut,
    Counts,
    DisputeIn,
    ErasureOut,
    EventOut,
    NoteIn,
    PromiseIn,
    ReminderIn,
    ReminderOut,
    ScoreOut,
    ScoresOut,
    SnapshotIn,
    SnapshotOut,
    UploadOut,
)

from . import history, keys, ledgers
from .adapters import MAX_MESSAGE_BYTES, dumps
from .bootstrap import Deps
from .ports import Cond, Item, Update
from .tenancy import add_api_key, authenticate, create_tenant, profile, revoke_api_key
from .web import ApiError

__all__ = ["add_api_key", "authenticate", "create_tenant", "revoke_api_key"]

log = logging.getLogger(__name__)

MAX_AMOUNT = 1e13  # larger amounts are typing errors, and DynamoDB numbers stop at 1e125
MESSAGE_BUDGET = MAX_MESSAGE_BYTES - 16 * 1024  # room for the envelope
MAX_PER_MESSAGE = 50
UPLOAD_EXPIRES = 900
MAX_UPLOAD_BYTES = 512_000_000


def local_day(prof: Item, now: dt.datetime) -> dt.date:
    try:
        zone = ZoneInfo(prof.get("time_zone") or "UTC")
    except Exception:
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


# -- ledger snapshots ----------------------------------------------------------------------


def new_version(now: dt.datetime) -> str:
    """Time-ordered: a later snapshot has a larger version."""
    return f"{int(now.timestamp() * 1000):013d}{secrets.token_hex(4)}"


def _snapshot_out(item: Item) -> SnapshotOut:
    return SnapshotOut(version=item["sk"].removeprefix("SNAP#"), status=item["status"],
                       as_of=item.get("as_of"), customers=item.get("customers", 0),
                       invoices=item.get("invoices", 0), issues=item.get("issues", []),
                       message=item.get("message", ""))


def _activate(deps: Deps, tenant: str, version: str, snap: SnapshotIn, size: int
              ) -> SnapshotOut:
    now = deps.clock.now()
    prof = profile(tenant, deps)
    result = ledgers.check(snap, local_day(prof, now))
    pk, sk = keys.tenant_pk(tenant), f"SNAP#{version}"
    if not result["ok"]:
        deps.store.update(Update(pk, sk, set={
            "status": "rejected", "message": result["message"], "updated_at": keys.stamp(now),
            "expiration": int(now.timestamp()) + 30 * 86400}))
        raise ApiError(422, "rejected", f"the snapshot was not accepted: {result['message']}",
                       "tables")
    issues = [i.model_dump() for i in result["issues"]]
    deps.store.update(Update(pk, sk, set={
        "status": "active", "as_of": result["as_of"].isoformat(),
        "customers": result["customers"], "invoices": result["invoices"],
        "issues": issues[:500], "message": "", "size": size, "updated_at": keys.stamp(now),
        "expiration": None}))
    # The new snapshot is in force only now, and only if nothing newer got there first.
    deps.store.update(Update(pk, "PROFILE", set={
        "snapshot": version, "snapshot_at": keys.stamp(now), **result["settings"]},
        cond=Cond(exists=True, before=("snapshot", version))))
    return SnapshotOut(version=version, status="active", as_of=result["as_of"],
                       customers=result["customers"], invoices=result["invoices"],
                       issues=result["issues"])


def put_snapshot(deps: Deps, tenant: str, snap: SnapshotIn, body: bytes) -> SnapshotOut:
    """An inline snapshot: stored, validated with the domain, and in force if it is usable.
    The previous snapshot stays in force otherwise."""
    now = deps.clock.now()
    version = new_version(now)
    deps.store.put_blob(keys.snapshot_blob(tenant, version), body)
    deps.store.put({"pk": keys.tenant_pk(tenant), "sk": f"SNAP#{version}", "status": "pending",
                    "created_at": keys.stamp(now), "size": len(body),
                    "expiration": int(now.timestamp()) + 86400})
    return _activate(deps, tenant, version, snap, len(body))


def create_upload(deps: Deps, tenant: str, size: int) -> UploadOut:
    now = deps.clock.now()
    version = new_version(now)
    url, headers = deps.store.presign_put(keys.snapshot_blob(tenant, version), UPLOAD_EXPIRES)
    deps.store.put({"pk": keys.tenant_pk(tenant), "sk": f"SNAP#{version}", "status": "pending",
                    "created_at": keys.stamp(now), "declared_size": size,
                    "expiration": int(now.timestamp()) + 86400})
    return UploadOut(version=version, url=url, headers=headers,
                     expires_at=now + dt.timedelta(seconds=UPLOAD_EXPIRES))


def complete_upload(deps: Deps, tenant: str, version: str) -> SnapshotOut:
    from pydantic import ValidationError

    from .web import validation_error

    item = deps.store.get(keys.tenant_pk(tenant), f"SNAP#{version}")
    if item is None:
        raise ApiError(404, "not_found", f"no upload {version}", "version")
    if item["status"] == "active":
        return _snapshot_out(item)
    if item["status"] == "rejected":
        raise ApiError(422, "rejected", f"the snapshot was not accepted: {item['message']}",
                       "tables")
    key = keys.snapshot_blob(tenant, version)
    size = deps.store.blob_size(key)
    if size is None:
        raise ApiError(409, "not_uploaded", "nothing was uploaded to the URL yet; PUT the "
                       "snapshot JSON there first", "version")
    if size > min(int(item.get("declared_size") or MAX_UPLOAD_BYTES), MAX_UPLOAD_BYTES):
        deps.store.delete_blob(key)
        raise ApiError(422, "too_large", f"the upload has {size} bytes, more than the "
                       f"{item.get('declared_size')} announced", "size")
    raw = deps.store.get_blob(key) or b""
    try:
        snap = SnapshotIn.model_validate_json(raw)
    except ValidationError as exc:
        err = validation_error(exc)
        now = deps.clock.now()
        deps.store.update(Update(keys.tenant_pk(tenant), f"SNAP#{version}", set={
            "status": "rejected", "message": err.message, "updated_at": keys.stamp(now)}))
        raise ApiError(422, "invalid", f"the uploaded snapshot is not valid: {err.message}",
                       err.field) from None
    return _activate(deps, tenant, version, snap, size)


def current_snapshot(deps: Deps, tenant: str) -> SnapshotOut:
    version = profile(tenant, deps).get("snapshot")
    item = deps.store.get(keys.tenant_pk(tenant), f"SNAP#{version}") if version else None
    if item is None:
        raise ApiError(404, "not_found", "no ledger snapshot yet")
    return _snapshot_out(item)


# -- reminder batches ------------------------------------------------------------------------


def _check_amounts(batch: BatchIn) -> None:
    for i, r in enumerate(batch.reminders):
        for name in ("amount", "interest", "compensation"):
            v = getattr(r, name)
            if not math.isfinite(v) or abs(v) > MAX_AMOUNT:
                raise ApiError(422, "invalid", f"reminders.{i}.{name}: {v} is not a usable "
                               "amount", f"reminders.{i}.{name}")


def payload_digest(batch: BatchIn) -> str:
    return hashlib.sha256(batch.model_dump_json().encode()).hexdigest()


def submit_part(deps: Deps, tenant: str, batch: BatchIn, lambda_context: Any = None
                ) -> BatchOut:
    """Accept one part of a batch (202). The same part again, from a retry or a second client,
    is accepted once: Powertools' idempotency guards the request (same tenant, batch_id and
    part; a different body under the same part is a 409), and the part is recorded on the
    batch so a late retry writes and enqueues nothing. Sending is once per reminder key
    whatever happens here (``sending``)."""
    if batch.part > batch.parts:
        raise ApiError(422, "invalid", f"part {batch.part} of {batch.parts}: part must not be "
                       "more than parts", "part")
    if batch.compute and batch.reminders:
        raise ApiError(422, "invalid", "with compute: true the backend computes the reminders;"
                       " send reminders: []", "reminders")
    if batch.compute and batch.parts != 1:
        raise ApiError(422, "invalid", "a computed batch has one part", "parts")
    _check_amounts(batch)
    prof = profile(tenant, deps)
    if batch.compute and not prof.get("snapshot"):
        raise ApiError(422, "no_snapshot", "no ledger snapshot to compute from: send the "
                       "workbook first (POST /v1/ledger)", "compute")
    from . import idempotency

    idempotency.run(deps, tenant, {"tenant": tenant, "batch_id": batch.batch_id,
                                   "part": batch.part, "digest": payload_digest(batch)},
                    lambda: _accept(deps, tenant, batch, prof), lambda_context)
    return batch_out(deps, tenant, batch.batch_id)


def _batch_item(deps: Deps, tenant: str, batch: BatchIn, prof: Item) -> Item:
    pk, sk = keys.tenant_pk(tenant), f"BATCH#{batch.batch_id}"
    now = deps.clock.now()
    item = {"pk": pk, "sk": sk, "parts": batch.parts, "compute": batch.compute,
            "created_at": keys.stamp(now), "day": local_day(prof, now).isoformat(),
            "detail": ""}
    if not deps.store.put(item, Cond(absent=True)):
        item = deps.store.get(pk, sk) or item
    if item["parts"] != batch.parts or bool(item.get("compute")) != batch.compute:
        raise ApiError(409, "conflict", f"batch {batch.batch_id} was started with "
                       f"{item['parts']} part(s), compute={bool(item.get('compute'))}; use a "
                       "new batch_id for a different batch", "parts")
    return item


def _accept(deps: Deps, tenant: str, batch: BatchIn, prof: Item) -> dict:
    item = _batch_item(deps, tenant, batch, prof)
    if batch.part in set(item.get("parts_received") or ()):
        return {"accepted": False}
    day = dt.date.fromisoformat(item["day"])
    if batch.compute:
        deps.queue.send("work", [dumps({"kind": "compute", "tenant": tenant,
                                        "batch": batch.batch_id, "day": day.isoformat()})])
        return {"accepted": True}
    accept_reminders(deps, tenant, batch.batch_id, batch.part, day, batch.reminders)
    return {"accepted": True}


def accept_reminders(deps: Deps, tenant: str, batch_id: str, part: int, day: dt.date,
                     reminders: list[ReminderIn]) -> int:
    """Store a part's reminders as queued rows, enqueue them for the send worker, and record
    the part on the batch. The step the API and the computed cycle share."""
    now = keys.stamp(deps.clock.now())
    keyed: dict[str, ReminderIn] = {}
    for r in reminders:
        keyed.setdefault(r.key(tenant, day), r)
    pk = keys.batch_rows_pk(tenant, batch_id)
    entries: list[str] = []
    rows = []
    for key, r in keyed.items():
        row = {"pk": pk, "sk": f"R#{key}", "key": key, "customer": r.customer,
               "currency": r.currency, "level": r.level, "to": r.to, "subject": r.subject,
               "amount": r.amount, "status": "queued", "detail": "", "part": part,
               "updated_at": now, "gsi1pk": keys.customer_batches_gsi(tenant, r.customer),
               "gsi1sk": f"{batch_id}#{key}"}
        entry = dumps({"key": key, "r": r.model_dump(mode="json")})
        if len(entry.encode()) > MESSAGE_BUDGET:  # too large for a message: S3 holds it
            ref = keys.outgoing_blob(tenant, batch_id, key)
            deps.store.put_blob(ref, entry.encode(), transient=True)
            row["content_ref"] = ref
            entry = dumps({"key": key, "ref": ref})
        rows.append(row)
        entries.append(entry)
    messages = pack(tenant, batch_id, entries, part)
    summaries = [summary_item(tenant, batch_id, m, {"queued": n}, n) for m, n, _ in messages]
    deps.store.put_many(rows + summaries)
    deps.queue.send("send", [body for _, _, body in messages])
    deps.store.update(Update(keys.tenant_pk(tenant), f"BATCH#{batch_id}",
                             add={"parts_received": {part}}, set={"updated_at": now}))
    return len(rows)


def pack(tenant: str, batch_id: str, entries: list[str], part: int = 1
         ) -> list[tuple[str, int, str]]:
    """Entries into SQS message bodies of at most 50 reminders and ~240 KB each:
    ``(message id within the batch, reminders in it, body)``."""
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for e in entries:
        n = len(e.encode()) + 1
        if current and (len(current) == MAX_PER_MESSAGE or size + n > MESSAGE_BUDGET):
            groups.append(current)
            current, size = [], 0
        current.append(e)
        size += n
    if current:
        groups.append(current)
    out = []
    for i, group in enumerate(groups):
        m = f"{part:05d}#{i:04d}"
        head = dumps({"v": 1, "tenant": tenant, "batch": batch_id, "m": m, "items": []})[:-2]
        out.append((m, len(group), head + ",".join(group) + "]}"))
    return out


STATES = ("queued", "sent", "skipped", "failed", "review")


def summary_item(tenant: str, batch_id: str, m: str, counts: dict[str, int], n: int) -> Item:
    """How the reminders of one send message stand: the batch's counts are the sum of these
    (a few items per batch, where counting the reminders would read every one)."""
    return {"pk": keys.batch_summary_pk(tenant, batch_id), "sk": f"M#{m}", "n": n,
            **{s: int(counts.get(s, 0)) for s in STATES}}


def batch_out(deps: Deps, tenant: str, batch_id: str) -> BatchOut:
    item = deps.store.get(keys.tenant_pk(tenant), f"BATCH#{batch_id}")
    if item is None:
        raise ApiError(404, "not_found", f"no batch {batch_id}", "batch_id")
    n: Counter = Counter()
    for m in deps.store.query_all(keys.batch_summary_pk(tenant, batch_id), prefix="M#"):
        n.update({s: m.get(s, 0) for s in (*STATES, "n")})
    counts = Counts(total=n["n"], queued=n["queued"], sent=n["sent"], skipped=n["skipped"],
                    failed=n["failed"], review=n["review"])
    received = len(set(item.get("parts_received") or ()))
    status = ("accepted" if received < item["parts"] else
              "sending" if counts.queued else "done")
    return BatchOut(batch_id=batch_id, status=status,
                    created_at=keys.parse_stamp(item["created_at"]), counts=counts,
                    parts_received=received, parts=item["parts"],
                    detail=item.get("detail") or "")


def _reminder_out(row: Item) -> ReminderOut:
    return ReminderOut(key=row["key"], customer=row["customer"], currency=row["currency"],
                       level=row["level"], to=row.get("to") or "",
                       subject=row.get("subject") or "", status=row["status"],
                       message_id=row.get("message_id"), detail=row.get("detail") or "",
                       updated_at=keys.parse_stamp(row["updated_at"])
                       if row.get("updated_at") else None)


def batch_reminders(deps: Deps, tenant: str, batch_id: str, limit: int,
                    after: Item | None) -> tuple[list[ReminderOut], Item | None]:
    if deps.store.get(keys.tenant_pk(tenant), f"BATCH#{batch_id}") is None:
        raise ApiError(404, "not_found", f"no batch {batch_id}", "batch_id")
    pk = keys.batch_rows_pk(tenant, batch_id)
    if after is not None and (after.get("pk") != pk or not str(after.get("sk", "")).startswith(
            "R#")):
        raise ApiError(400, "invalid", "next is not a token this API gave out", "next")
    rows, last = deps.store.query(pk, prefix="R#", after=after, limit=limit)
    return [_reminder_out(r) for r in rows], last


def run_compute(deps: Deps, tenant: str, batch_id: str, day: dt.date) -> int:
    """The work item behind ``compute: true`` and the daily cycle: today's reminders from the
    last snapshot, submitted as part 1 of ``batch_id`` through the same path."""
    pk, sk = keys.tenant_pk(tenant), f"BATCH#{batch_id}"
    item = deps.store.get(pk, sk)
    if item is None:
        item = {"pk": pk, "sk": sk, "parts": 1, "compute": True,
                "created_at": keys.stamp(deps.clock.now()), "day": day.isoformat(),
                "detail": ""}
        if not deps.store.put(item, Cond(absent=True)):
            item = deps.store.get(pk, sk) or item
    if 1 in set(item.get("parts_received") or ()):
        return 0  # done before (a redelivered work item)
    day = dt.date.fromisoformat(item["day"])
    try:
        reminders, notes = ledgers.compute_reminders(deps, tenant, day)
    except LookupError as exc:
        deps.store.update(Update(pk, sk, set={"detail": str(exc)},
                                 add={"parts_received": {1}}))
        return 0
    n = accept_reminders(deps, tenant, batch_id, 1, day, reminders)
    if notes:
        deps.store.update(Update(pk, sk, set={"detail": "; ".join(notes)[:2000]}))
    return n


# -- history ---------------------------------------------------------------------------------


def add_promise(deps: Deps, tenant: str, customer: str, p: PromiseIn) -> EventOut:
    if not math.isfinite(p.amount) or p.amount > MAX_AMOUNT:
        raise ApiError(422, "invalid", f"amount: {p.amount} is not a usable amount", "amount")
    return history.add_event(deps, tenant, EventOut(
        id=history.new_event_id(), at=deps.clock.now(), customer=customer, type="promise",
        amount=p.amount, date=p.date, note=p.note))


def add_dispute(deps: Deps, tenant: str, customer: str, d: DisputeIn) -> EventOut:
    return history.add_event(deps, tenant, EventOut(
        id=history.new_event_id(), at=deps.clock.now(), customer=customer, type="dispute",
        invoice=d.invoice, note=d.reason))


def add_note(deps: Deps, tenant: str, customer: str, n: NoteIn) -> EventOut:
    return history.add_event(deps, tenant, EventOut(
        id=history.new_event_id(), at=deps.clock.now(), customer=customer, type="note",
        note=n.text))


# -- scores ----------------------------------------------------------------------------------


def compute_scores(deps: Deps, tenant: str) -> str | None:
    """Score the current snapshot and store the result; the snapshot version scored."""
    prof = profile(tenant, deps)
    if not prof.get("snapshot"):
        return None
    doc, version = ledgers.scores_doc(deps, tenant, local_day(prof, deps.clock.now()))
    deps.store.put_blob(keys.scores_blob(tenant, version), ledgers.to_json(doc))
    deps.store.update(Update(keys.tenant_pk(tenant), "PROFILE",
                             set={"scores_version": version}))
    return version


def scores(deps: Deps, tenant: str, limit: int, offset: int) -> ScoresOut:
    prof = profile(tenant, deps)
    version = prof.get("snapshot")
    if not version:
        return ScoresOut(as_of=None, version=None, customers=[])
    raw = (deps.store.get_blob(keys.scores_blob(tenant, version))
           if prof.get("scores_version") == version else None)
    if raw is None:
        compute_scores(deps, tenant)
        raw = deps.store.get_blob(keys.scores_blob(tenant, version)) or b"{}"
    doc = json.loads(raw)
    rows = doc.get("customers", [])
    page = rows[offset:offset + limit]
    from .web import encode_token

    nxt = encode_token({"o": offset + limit, "v": version}) if offset + limit < len(rows) else None
    return ScoresOut(as_of=doc.get("as_of"), version=version,
                     customers=[ScoreOut(**{k: r.get(k) for k in ScoreOut.model_fields})
                                for r in page], next=nxt)


# -- erasure ---------------------------------------------------------------------------------

KEPT = [
    "reminders sent: date, level, currency, amount and SES message id, under the customer key "
    "(accounting evidence of the demand for payment; the address, subject and text are erased)",
    "deliveries, bounces and complaints: date and message id (evidence of delivery; the "
    "address and the diagnostic text are erased)",
    "suppressed addresses: as a SHA-256 hash only, so an address that bounced or complained is "
    "never mailed again",
    "send claims: reminder key, batch and message id (they guarantee nothing is sent twice)",
    "invoices in the current snapshot: numbers, dates and amounts (accounting records); the "
    "customer's name, e-mail, CC and pause reason are blanked",
]


def erase_customer(deps: Deps, tenant: str, customer: str) -> ErasureOut:
    """Erase a customer's personal data; keep what accounting must keep (``KEPT``)."""
    store = deps.store
    n = 0
    events = store.query_all(keys.customer_pk(tenant, customer), prefix="H#")
    for ev in events:
        if ev.get("type") in ("reminder", "delivery", "bounce", "complaint"):
            store.update(Update(ev["pk"], ev["sk"], set={"email": None, "note": "",
                                                         "erased": True}))
        else:  # promises, disputes and notes are the customer's free text: deleted
            store.delete(ev["pk"], ev["sk"])
        n += 1
    rows = store.query_all(keys.customer_batches_gsi(tenant, customer), index=True)
    for row in rows:
        if row.get("customer") != customer or not row["pk"].startswith(
                keys.tenant_pk(tenant) + "#B#"):
            continue
        store.update(Update(row["pk"], row["sk"], set={"to": "", "subject": "",
                                                       "erased": True}))
        if row.get("content_ref"):
            store.delete_blob(row["content_ref"])
    prof = profile(tenant, deps)
    version = prof.get("snapshot")
    if version:
        _erase_from_snapshot(deps, tenant, version, customer)
        store.delete_blob(keys.scores_blob(tenant, version))
        store.update(Update(keys.tenant_pk(tenant), "PROFILE", set={"scores_version": None}))
    # earlier snapshots hold the same personal data: delete them (the current one stays)
    for key in store.list_blobs(f"{tenant}/snapshots/"):
        if version and key == keys.snapshot_blob(tenant, version):
            continue
        store.delete_blob(key)
    for key in store.list_blobs(f"{tenant}/scores/"):
        store.delete_blob(key)
    return ErasureOut(customer=customer, erased_events=n, kept=KEPT)


def _erase_from_snapshot(deps: Deps, tenant: str, version: str, customer: str) -> None:
    from creditdesk.domain.contract import normalise_header

    snap = ledgers.load_snapshot(deps, tenant, version)
    if snap is None:
        return
    data = snap.model_dump(mode="json")
    changed = False
    for name, table in data["tables"].items():
        cols = [normalise_header(h) for h in table["header"]]
        kind = normalise_header(name)
        if "customer" not in cols:
            continue
        c = cols.index("customer")
        blank = ({"name", "email", "cc", "pause reason"} if kind == "customers" else
                 {"email", "note"} if kind == "history" else set())
        for row in table["rows"]:
            if c < len(row) and str(row[c] or "").strip() == customer:
                for j, h in enumerate(cols):
                    if h in blank and j < len(row) and row[j] not in (None, ""):
                        row[j] = ""
                        changed = True
    if changed:
        deps.store.put_blob(keys.snapshot_blob(tenant, version),
                            json.dumps(data, ensure_ascii=False).encode())
