"""Erasing a customer's personal data (``DELETE /v1/customers/{customer}``), and what is
kept because accounting must keep it (``KEPT``, the answer lists it)."""

from __future__ import annotations

import json

from creditdesk.api.models import ErasureOut

from . import keys, ledgers
from .ports import Deps, Update
from .tenancy import profile

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
    prof = profile(deps, tenant)
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
