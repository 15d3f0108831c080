"""Deleting a tenant and everything it stored (``creditdesk backend tenant delete``): its
API keys first (no request gets in once they are gone, after the authorizer's 5-minute
cache), then every item under its keys (``keys.py`` lists them: profile, snapshots,
batches and their rows and summaries, claims, suppressions, customers' history, idempotency
records, held parts, the audit trail) and every S3 object under its prefix (snapshots,
scores, oversized reminders, the send messages of batches held for the Send Window).

Nothing of it is kept: unlike erasing one customer (``erasure.py``), the tenant's accounting
evidence goes with it; an operator keeps an export first if the law asks for one.

A reminder still in a queue for the tenant finds no row any more and is dropped by the send
worker without being sent.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from . import keys, ledgers
from .errors import NotFound
from .ports import Deps, Item
from .tenancy import profile

HISTORY_YEARS_BACK = 10  # months of the history index searched for customers: this far
HISTORY_MONTHS_AHEAD = 13  # back from now, this far ahead (events carry SES's timestamps)


def _months(now: dt.datetime) -> list[str]:
    year, month = now.year - HISTORY_YEARS_BACK, now.month
    out = []
    for _ in range(HISTORY_YEARS_BACK * 12 + HISTORY_MONTHS_AHEAD):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _customers(deps: Deps, tenant: str, rows: list[Item], prof: Item) -> set[str]:
    """Every customer the tenant has stored anything for: in its batches' rows, its
    current snapshot and its history index."""
    found = {str(r["customer"]) for r in rows if r.get("customer")}
    version = prof.get("snapshot")
    snap = ledgers.load_snapshot(deps, tenant, version) if version else None
    from creditdesk.domain.contract import normalise_header

    for name, table in (snap.tables.items() if snap else ()):
        if normalise_header(name) != "customers":
            continue
        header = [normalise_header(h) for h in table.header]
        if "customer" in header:
            c = header.index("customer")
            found.update(str(r[c]).strip() for r in table.rows if c < len(r) and r[c])
    prefix = keys.customer_pk(tenant, "")
    for month in _months(deps.clock.now()):
        for ev in deps.store.query_all(keys.history_month_pk(tenant, month), index=True):
            if str(ev.get("pk", "")).startswith(prefix):
                found.add(ev["pk"][len(prefix):])
    return found


def erase_tenant(deps: Deps, tenant: str) -> dict[str, int]:
    """Delete the tenant, its keys and all its data. Returns counts by kind of what was
    deleted (``keys``, ``items``, ``objects``, ``customers``)."""
    store = deps.store
    prof = profile(deps, tenant)
    if not prof:
        raise NotFound(f"no tenant {tenant}", "tenant")
    counts: Counter[str] = Counter()
    home = keys.tenant_pk(tenant)
    for key in store.query_all(home, prefix="KEY#"):  # first: access stops
        store.delete(key["pk"], key["sk"])
        counts["keys"] += 1
    own = store.query_all(home)
    batches = {it["sk"].removeprefix("BATCH#") for it in own if it["sk"].startswith("BATCH#")}
    batches |= {str(it["batch"]) for it in own if it["sk"].startswith("CLAIM#")
                and it.get("batch")}
    rows = [r for b in sorted(batches) for r in store.query_all(keys.batch_rows_pk(tenant, b))]
    customers = _customers(deps, tenant, rows, prof)
    pks = [*(keys.customer_pk(tenant, c) for c in sorted(customers)),
           keys.idempotency_pk(tenant), keys.audit_pk(tenant)]
    items = rows + [it for pk in pks for it in store.query_all(pk)]
    for it in items + [it for it in own if it["sk"] != "PROFILE"]:
        store.delete(it["pk"], it["sk"])
        counts["items"] += 1
    for key in store.list_blobs(f"{tenant}/"):
        store.delete_blob(key)
        counts["objects"] += 1
    store.delete(home, "PROFILE")  # last: the tenant stays findable until all is gone
    counts["items"] += 1
    counts["customers"] = len(customers)
    return {k: counts[k] for k in ("keys", "items", "objects", "customers")}
