"""The audit trail: when a snapshot comes into force, what changed since the one before it
(``creditdesk.domain.audit.diff``), one entry per change, with the API key that sent it; read
back by ``GET /v1/audit``, paginated.

Storage (``keys``): ``T#<t>#AUDIT`` | ``A#<utc time>#<version>#<nnnnn>``, and a customer's
entries also under gsi1 ``T#<t>#CA#<customer>``. The entries of one snapshot are written under
its version, so writing them again (a retried activation) overwrites, never duplicates.

The first snapshot of a tenant records one ``initial`` entry (subject ``ledger``), not one per
customer and field: there is nothing before it to have changed.

Erasure (GDPR): erasing a customer deletes its audit entries (``forget_customer``): an entry
names the customer and may hold its pause reason, and a credit limit is not an accounting
record the law asks to keep. After the erasure nothing more is recorded for that customer
key (its tombstone is checked), so a later snapshot of the blanked data records nothing either.
Deleting a tenant deletes its whole audit partition (``tenant_erasure``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from creditdesk.api.models import AuditOut

from . import keys, tombstones
from .ports import Deps, Item

# At most this many entries per snapshot (400 BatchWriteItem calls, a few seconds of the API's
# 29): the rest is summed up in one last ``truncated`` entry.
MAX_ENTRIES_PER_SNAPSHOT = 10_000
AUDITED_TABLES = ("customers", "dunninglevels", "settings", "templates")


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the API key's id and label (never the key itself)."""

    key_id: str = ""
    key_label: str = ""


def _squash(name: object) -> str:
    return "".join(str(name).split()).replace("_", "").casefold()


def audited_tables(tables: Mapping[str, Any]) -> dict[str, Any]:
    """The tables the audit compares, as domain RawTables, from a snapshot's tables
    (``TableData`` models, or the same as plain JSON)."""
    from creditdesk.domain.ledger import RawTable

    out = {}
    for name, t in tables.items():
        if _squash(name) not in AUDITED_TABLES:
            continue
        if not isinstance(t, Mapping):
            t = t.model_dump()
        out[name] = RawTable.from_rows(name, t.get("sheet") or name, t.get("header") or [],
                                       t.get("rows") or [], int(t.get("first_row") or 2))
    return out


def previous_tables(deps: Deps, tenant: str, version: str | None) -> dict[str, Any] | None:
    """The audited tables of snapshot ``version`` (None when there is none, or its file is
    gone). Read as plain JSON: the snapshot was validated when it was put in force."""
    if not version:
        return None
    raw = deps.store.get_blob(keys.snapshot_blob(tenant, version))
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return audited_tables(data.get("tables") or {})
    except (ValueError, AttributeError, TypeError):
        return None


def record(deps: Deps, tenant: str, version: str, before: Mapping[str, Any] | None,
           after: Mapping[str, Any], caller: Caller, at: dt.datetime,
           before_version: str | None = None) -> int:
    """Write one entry per change from ``before`` to ``after`` (audited tables; ``before``
    None: the tenant's first snapshot, or ``before_version``'s file is gone); the number
    written. Changes of erased customers are not recorded."""
    from creditdesk.domain.audit import CUSTOMER, INITIAL, LEDGER, Change, diff

    changes = diff(before, after)
    if before is None and before_version:
        changes = [Change(LEDGER, INITIAL, "", f"the snapshot before ({before_version}) could "
                          "not be read: nothing to compare with; changes are recorded from "
                          "the next one", LEDGER)]
    gone = tombstones.erased(deps, tenant, {c.subject for c in changes if c.kind == CUSTOMER})
    changes = [c for c in changes if not (c.kind == CUSTOMER and c.subject in gone)]
    if len(changes) > MAX_ENTRIES_PER_SNAPSHOT:
        rest = len(changes) - MAX_ENTRIES_PER_SNAPSHOT + 1
        changes = [*changes[:MAX_ENTRIES_PER_SNAPSHOT - 1], Change(
            LEDGER, "truncated", "", f"{rest} more change(s) in this snapshot not recorded "
            f"(at most {MAX_ENTRIES_PER_SNAPSHOT} entries per snapshot)", LEDGER)]
    stamp = keys.stamp(at)
    pk = keys.audit_pk(tenant)
    items: list[Item] = []
    for n, c in enumerate(changes):
        tail = f"{stamp}#{version}#{n:05d}"
        item: Item = {"pk": pk, "sk": f"A#{tail}", "at": stamp, "version": version,
                      "key_id": caller.key_id, "key_label": caller.key_label, "kind": c.kind,
                      "subject": c.subject, "field": c.field, "old": c.old, "new": c.new}
        if c.kind == CUSTOMER:
            item["gsi1pk"] = keys.customer_audit_gsi(tenant, c.subject)
            item["gsi1sk"] = tail
        items.append(item)
    deps.store.put_many(items)
    return len(items)


def forget_version(deps: Deps, tenant: str, version: str, at: dt.datetime) -> int:
    """Delete the entries ``record`` wrote for ``version`` at ``at`` (a snapshot that did not
    come into force after all)."""
    pk = keys.audit_pk(tenant)
    found = deps.store.query_all(pk, prefix=f"A#{keys.stamp(at)}#{version}#")
    for it in found:
        deps.store.delete(it["pk"], it["sk"])
    return len(found)


def entry_out(item: Item) -> AuditOut:
    tail = item["sk"].removeprefix("A#")
    _, version, n = tail.split("#")
    return AuditOut(id=f"{version}-{n}", at=keys.parse_stamp(item["at"]),
                    key_id=item.get("key_id") or "", key_label=item.get("key_label") or "",
                    kind=item.get("kind") or "customer", subject=item["subject"],
                    field=item["field"], old=item.get("old") or "", new=item.get("new") or "",
                    version=item.get("version") or version)


def entries(deps: Deps, tenant: str, since: dt.datetime | None, customer: str | None,
            limit: int, after: Item | None) -> tuple[list[AuditOut], Item | None]:
    """The tenant's entries from ``since`` (UTC; None: all), oldest first, only
    ``customer``'s when given; a page of at most ``limit`` and the key to continue after.
    ``after`` must be a key this listing gave out (``ValueError`` otherwise)."""
    start = keys.stamp(since) if since else "0"  # "0" sorts before every stamp
    if customer:
        pk, index, lo, hi = keys.customer_audit_gsi(tenant, customer), True, start, "~"
    else:
        pk, index, lo, hi = keys.audit_pk(tenant), False, f"A#{start}", "A#~"
    if after is not None and after.get("gsi1pk" if index else "pk") != pk:
        raise ValueError("not a token of this listing")
    items, last = deps.store.query(pk, start=lo, end=hi, after=after, limit=limit,
                                   index=index)
    if customer:  # the index is the customer's by its key; the partition names the tenant
        items = [it for it in items if it.get("pk") == keys.audit_pk(tenant)]
    return [entry_out(it) for it in items], last


def forget_customer(deps: Deps, tenant: str, customer: str) -> int:
    """Delete the customer's audit entries (an erasure); how many were deleted."""
    n = 0
    own = keys.audit_pk(tenant)
    for it in deps.store.query_all(keys.customer_audit_gsi(tenant, customer), index=True):
        if it.get("pk") == own and it.get("subject") == customer:
            deps.store.delete(it["pk"], it["sk"])
            n += 1
    return n
