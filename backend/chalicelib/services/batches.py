"""Reminder batches: a part accepted once (``submit_part``), its reminders stored and
enqueued for the send worker (``accept_reminders``, which the computed batch shares), and the
batch reported (``batch_out``, ``batch_reminders``).

Send flow (BRIEF §4): ``submit_part`` validates, stores the batch's reminders (BatchWriteItem,
25 at a time), enqueues them (SendMessageBatch, several reminders per message) and answers;
``sending.process`` sends them, once per reminder key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from typing import Any

from creditdesk.api.models import BatchIn, BatchOut, Counts, ReminderIn, ReminderOut

from . import amounts, keys, ledgers, senders, tombstones
from .errors import BadToken, Conflict, InProgress, Invalid, NotFound
from .html_safe import sanitise_html
from .messages import MAX_PER_MESSAGE, MESSAGE_BUDGET, dumps
from .ports import AlreadyRunning, Cond, Deps, Item, PayloadMismatch, Update
from .tenancy import local_day, profile

log = logging.getLogger(__name__)


def _check_amounts(batch: BatchIn) -> None:
    for i, r in enumerate(batch.reminders):
        for name in ("amount", "interest", "compensation"):
            v = getattr(r, name)
            if not amounts.usable(v):
                raise Invalid(f"reminders.{i}.{name}: {v} is not a usable amount",
                              f"reminders.{i}.{name}")


def payload_digest(batch: BatchIn) -> str:
    return hashlib.sha256(batch.model_dump_json().encode()).hexdigest()


def submit_part(deps: Deps, tenant: str, batch: BatchIn, lambda_context: Any = None
                ) -> BatchOut:
    """Accept one part of a batch (202). The same part again, from a retry or a second client,
    is accepted once: the idempotency port guards the request (same tenant, batch_id and
    part: a concurrent one is ``InProgress``, a different body under the same part is a
    ``Conflict``), and the part is recorded on the batch so a late retry writes and enqueues
    nothing. Sending is once per reminder key whatever happens here (``sending``)."""
    if batch.part > batch.parts:
        raise Invalid(f"part {batch.part} of {batch.parts}: part must not be more than parts",
                      "part")
    if batch.compute and batch.reminders:
        raise Invalid("with compute: true the backend computes the reminders; send "
                      "reminders: []", "reminders")
    if batch.compute and batch.parts != 1:
        raise Invalid("a computed batch has one part", "parts")
    _check_amounts(batch)
    prof = profile(deps, tenant)
    senders.mail_from(prof)  # From an address the tenant may send from, or nothing goes
    if batch.compute and not prof.get("snapshot"):
        raise Invalid("no ledger snapshot to compute from: send the workbook first "
                      "(POST /v1/ledger)", "compute", code="no_snapshot")
    try:
        deps.idempotency.once(keys.idempotency_pk(tenant), "batch-part",
                              (tenant, batch.batch_id, batch.part), payload_digest(batch),
                              lambda: _accept(deps, tenant, batch, prof), lambda_context)
    except AlreadyRunning:
        raise InProgress("this part is being accepted by another request; retry in a moment",
                         "batch_id", retry_after=1) from None
    except PayloadMismatch:
        raise Conflict(f"part {batch.part} of batch {batch.batch_id} was already submitted "
                       "with different reminders; use a new batch_id", "batch_id") from None
    return batch_out(deps, tenant, batch.batch_id)


def _batch_item(deps: Deps, tenant: str, batch: BatchIn, prof: Item) -> Item:
    pk, sk = keys.tenant_pk(tenant), f"BATCH#{batch.batch_id}"
    now = deps.clock.now()
    item = {"pk": pk, "sk": sk, "parts": batch.parts, "compute": batch.compute,
            "created_at": keys.stamp(now), "day": local_day(prof, now).isoformat(),
            "detail": ""}
    opens = _window_opens(batch, now) if batch.send_window is not None else None
    if opens is not None:  # its reminders are sent, and keyed, on the day the window opens
        item.update(not_before=keys.stamp(opens), day=opens.date().isoformat())
    if not deps.store.put(item, Cond(absent=True)):
        item = deps.store.get(pk, sk) or item
    if item["parts"] != batch.parts or bool(item.get("compute")) != batch.compute:
        raise Conflict(f"batch {batch.batch_id} was started with {item['parts']} part(s), "
                       f"compute={bool(item.get('compute'))}; use a new batch_id for a "
                       "different batch", "parts")
    return item


def _window_opens(batch: BatchIn, now: dt.datetime) -> dt.datetime | None:
    """When a batch submitted now may be sent, in the window's zone (``holding``): None when
    at once."""
    from . import holding

    assert batch.send_window is not None
    try:
        return holding.window_opens(batch.send_window, now)
    except ValueError as exc:
        raise Invalid(str(exc), "send_window.country") from None


def _held_until(deps: Deps, item: Item) -> dt.datetime | None:
    at = item.get("not_before")
    if not at:
        return None
    until = keys.parse_stamp(at)
    return until if until > deps.clock.now() else None


def _accept(deps: Deps, tenant: str, batch: BatchIn, prof: Item) -> dict:
    item = _batch_item(deps, tenant, batch, prof)
    if batch.part in set(item.get("parts_received") or ()):
        return {"accepted": False}
    day = dt.date.fromisoformat(item["day"])
    if batch.compute:
        deps.queue.send("work", [dumps({"kind": "compute", "tenant": tenant,
                                        "batch": batch.batch_id, "day": day.isoformat()})])
        return {"accepted": True}
    accept_reminders(deps, tenant, batch.batch_id, batch.part, day, batch.reminders,
                     held_until=_held_until(deps, item))
    return {"accepted": True}


def accept_reminders(deps: Deps, tenant: str, batch_id: str, part: int, day: dt.date,
                     reminders: list[ReminderIn], held_until: dt.datetime | None = None
                     ) -> int:
    """Store a part's reminders as queued rows, enqueue them for the send worker (or, with
    ``held_until``, hold them until then: ``holding``), and record the part on the batch.
    A reminder for a customer erased already fails at once (``tombstones.ERASED``): its row
    keeps no address or subject, and its content goes neither to the queue nor to S3. The
    step the API and the computed cycle share."""
    now = keys.stamp(deps.clock.now())
    keyed: dict[str, ReminderIn] = {}
    for r in reminders:  # a client's HTML is never stored or mailed as given
        keyed.setdefault(r.key(tenant, day), r.model_copy(update={"html": sanitise_html(
            r.html)}) if r.html else r)
    pk = keys.batch_rows_pk(tenant, batch_id)
    gone = tombstones.erased(deps, tenant, {r.customer for r in keyed.values()})
    entries: list[str] = []
    rows = []
    for key, r in keyed.items():
        row = {"pk": pk, "sk": f"R#{key}", "key": key, "customer": r.customer,
               "currency": r.currency, "level": r.level, "to": r.to, "subject": r.subject,
               "amount": r.amount, "status": "queued", "detail": "", "part": part,
               "updated_at": now, "gsi1pk": keys.customer_batches_gsi(tenant, r.customer),
               "gsi1sk": f"{batch_id}#{key}"}
        if r.customer in gone:  # erased already: it fails here, and nothing of it is kept
            row.update(status="failed", detail=tombstones.ERASED, to="", subject="",
                       erased=True)
            rows.append(row)
            continue
        entry = dumps({"key": key, "r": r.model_dump(mode="json")})
        if len(entry.encode()) > MESSAGE_BUDGET:  # too large for a message: S3 holds it
            ref = keys.outgoing_blob(tenant, batch_id, key)
            deps.store.put_blob(ref, entry.encode(), transient=True)
            row["content_ref"] = ref
            entry = dumps({"key": key, "ref": ref})
        rows.append(row)
        entries.append(entry)
    messages = pack(tenant, batch_id, entries, part)
    deps.store.put_many(rows)
    if messages and held_until is not None:
        from . import holding

        holding.hold(deps, tenant, batch_id, part, [body for _, _, body in messages],
                     held_until)
    elif messages:
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


def batch_out(deps: Deps, tenant: str, batch_id: str) -> BatchOut:
    item = deps.store.get(keys.tenant_pk(tenant), f"BATCH#{batch_id}")
    if item is None:
        raise NotFound(f"no batch {batch_id}", "batch_id")
    n = Counter(r.get("status") for r in deps.store.query_all(
        keys.batch_rows_pk(tenant, batch_id), prefix="R#", attrs=["status"]))
    counts = Counts(total=sum(n.values()), queued=n["queued"], sent=n["sent"],
                    skipped=n["skipped"], failed=n["failed"], review=n["review"])
    received = len(set(item.get("parts_received") or ()))
    held = _held_until(deps, item)
    status = ("accepted" if received < item["parts"] else
              "scheduled" if held is not None and counts.queued else
              "sending" if counts.queued else "done")
    return BatchOut(batch_id=batch_id, status=status,
                    created_at=keys.parse_stamp(item["created_at"]), counts=counts,
                    parts_received=received, parts=item["parts"],
                    detail=item.get("detail") or "", not_before=held)


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
        raise NotFound(f"no batch {batch_id}", "batch_id")
    pk = keys.batch_rows_pk(tenant, batch_id)
    if after is not None and (after.get("pk") != pk or not str(after.get("sk", "")).startswith(
            "R#")):
        raise BadToken("next is not a token this API gave out", "next")
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
