"""The backend's audit trail as rows of the workbook's Audit table: from when to fetch, which
entries the table does not have yet, and each as a row. ``creditdesk sync`` (written into the
file with the History rows by ``creditdesk.files.xlsx_append.append_tables``) and the add-in's
Sync share it, so a second Sync adds nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from creditdesk.api.models import AuditOut
from creditdesk.domain.audit import Entry, read_audit, stamp_text
from creditdesk.domain.ledger import RawTable

TABLE = "Audit"


def key_text(e: AuditOut) -> str:
    """The Key cell: the key id, and its label in brackets when it has one."""
    return f"{e.key_id} ({e.key_label})" if e.key_label else e.key_id


def entry(e: AuditOut) -> Entry:
    return Entry(stamp_text(e.at), key_text(e), e.subject, e.field, e.old, e.new)


def entry_row(e: AuditOut) -> dict[str, Any]:
    """The entry as an Audit row (header -> value); the Date as UTC text that sorts."""
    return entry(e).cells()


def fetch_since(raw: RawTable | None) -> dt.datetime | None:
    """From when to ask the backend: the newest Date in the Audit table (its entries of that
    second are asked for again and left out as known); None: everything."""
    rows = read_audit(raw)
    if not rows:
        return None
    return dt.datetime.strptime(rows[-1].at, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)


def new_entries(raw: RawTable | None, entries: Iterable[AuditOut]) -> list[AuditOut]:
    """The entries the Audit table does not have yet (the same six values), oldest first,
    each once."""
    known = {e.identity() for e in read_audit(raw)}
    out = []
    for e in sorted(entries, key=lambda e: (e.at, e.id)):
        ident = entry(e).identity()
        if ident not in known:
            known.add(ident)
            out.append(e)
    return out
