"""Erasing a customer's personal data (``DELETE /v1/customers/{customer}``), and what is
kept because accounting must keep it (``KEPT``, the answer lists it)."""

from __future__ import annotations

import json
from collections import Counter

from creditdesk.api.models import ErasureOut

from . import audit, holding, keys, ledgers, links, tombstones
from .ports import Cond, Deps, Update
from .tenancy import profile

KEPT = [
    "reminders sent: date, level, currency, amount and SES message id, under the customer key "
    "(accounting evidence of the demand for payment; the address, subject and text are erased)",
    "deliveries, bounces and complaints: date and message id (evidence of delivery; the "
    "address and the diagnostic text are erased)",
    "suppressed addresses: as a SHA-256 hash only, so an address that bounced or complained is "
    "never mailed again",
    "send claims: reminder key, batch and message id (they guarantee nothing is sent twice)",
    "batch rows: status and amount under the customer key (the address and subject are "
    "erased); reminders not yet sent fail and are never sent",
    "the tombstone: a hash of the tenant and customer key and the time of the erasure, so "
    "nothing sent or reported later writes the data back",
    "invoices in the current snapshot: numbers, dates and amounts (accounting records); the "
    "customer's name, e-mail, CC and pause reason are blanked, and the old and new values of "
    "its rows in the workbook's Audit table",
]


def erase_customer(deps: Deps, tenant: str, customer: str) -> ErasureOut:
    """Erase a customer's personal data; keep what accounting must keep (``KEPT``). The
    tombstone comes first, so nothing in flight writes the data back (``tombstones``)."""
    tombstones.bury(deps, tenant, customer)
    erased: Counter = Counter()
    kept: Counter = Counter()
    mids: set[str] = set()
    erased["page_links_deleted"] = links.forget(deps, tenant, customer)
    erased["audit_entries_deleted"] = audit.forget_customer(deps, tenant, customer)
    reminder_keys = _erase_rows(deps, tenant, customer, erased, kept, mids)
    erased["held_parts_rewritten"] = holding.forget(deps, tenant, customer, reminder_keys)
    for ev in deps.store.query_all(keys.customer_pk(tenant, customer), prefix="H#"):
        tombstones.scrub_event(deps.store, ev)
        if ev.get("type") in tombstones.EVIDENCE:
            erased["history_events_blanked"] += 1
            kept["reminder_events" if ev["type"] == "reminder" else "delivery_events"] += 1
        else:
            erased["history_events_deleted"] += 1
        if ev.get("message_id"):
            mids.add(ev["message_id"])
    erased["snapshots_and_scores_deleted"] = _erase_files(deps, tenant, customer)
    erased["outbox_copies_deleted"] = deps.mailer.forget(sorted(mids))
    return ErasureOut(customer=customer,
                      erased_events=erased["history_events_blanked"]
                      + erased["history_events_deleted"],
                      erased=dict(sorted(erased.items())), kept_counts=dict(sorted(kept.items())),
                      kept=KEPT)


def _erase_rows(deps: Deps, tenant: str, customer: str, erased: Counter, kept: Counter,
                mids: set[str]) -> set[str]:
    """The customer's batch rows: the address and subject blanked, the large content deleted,
    and what has not been sent yet stopped (queued, held or dead-lettered: it fails).
    Returns the rows' reminder keys."""
    store = deps.store
    found: set[str] = set()
    for row in store.query_all(keys.customer_batches_gsi(tenant, customer), index=True):
        if row.get("customer") != customer or not row["pk"].startswith(
                keys.tenant_pk(tenant) + "#B#"):
            continue
        stop = {"status": "failed", "detail": tombstones.ERASED,
                "updated_at": keys.stamp(deps.clock.now())}
        if store.update(Update(row["pk"], row["sk"], set=stop, cond=Cond(
                equals={"status": "queued"}))) is not None or store.update(Update(
                row["pk"], row["sk"], set=stop, remove=("dead_letter",), cond=Cond(
                equals={"status": "failed", "dead_letter": True}))) is not None:
            erased["reminders_stopped"] += 1
        tombstones.scrub_row(store, row)
        found.add(str(row.get("key") or row["sk"].removeprefix("R#")))
        erased["reminder_rows_blanked"] += 1
        kept["reminder_rows"] += 1
        if row.get("message_id"):
            mids.add(row["message_id"])
        if row.get("content_ref"):
            store.delete_blob(row["content_ref"])
            erased["reminder_contents_deleted"] += 1
    return found


def _erase_files(deps: Deps, tenant: str, customer: str) -> int:
    """Blank the customer in the current snapshot; delete the earlier snapshots and every
    score file (they hold the same personal data). Returns the files deleted."""
    store = deps.store
    prof = profile(deps, tenant)
    version = prof.get("snapshot")
    n = 0
    if version:
        _erase_from_snapshot(deps, tenant, version, customer)
        store.update(Update(keys.tenant_pk(tenant), "PROFILE", set={"scores_version": None}))
    for key in store.list_blobs(f"{tenant}/snapshots/") + store.list_blobs(f"{tenant}/scores/"):
        if version and key == keys.snapshot_blob(tenant, version):
            continue
        store.delete_blob(key)
        n += 1
    return n


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
        key = "subject" if kind == "audit" else "customer"  # the workbook's audit trail
        if key not in cols:
            continue
        c = cols.index(key)
        blank = ({"name", "email", "cc", "pause reason"} if kind == "customers" else
                 {"email", "note"} if kind == "history" else
                 {"old", "new"} if kind == "audit" else set())
        for row in table["rows"]:
            if c < len(row) and str(row[c] or "").strip() == customer:
                for j, h in enumerate(cols):
                    if h in blank and j < len(row) and row[j] not in (None, ""):
                        row[j] = ""
                        changed = True
    if changed:
        deps.store.put_blob(keys.snapshot_blob(tenant, version),
                            json.dumps(data, ensure_ascii=False).encode())
