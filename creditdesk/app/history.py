"""The backend's history as rows of the workbook's History table: which events the workbook
does not have yet (by Event Id), and each as a row. ``creditdesk sync`` (written into the
file by ``creditdesk.files.xlsx_append``) and the add-in's Sync (written into Excel) share
it, so the next preview sees the reminders just sent, the bounces, promises and disputes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from creditdesk.api.models import EventOut
from creditdesk.domain import contract
from creditdesk.domain.ledger import RawTable


def _money(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.2f}"


def event_row(e: EventOut, time_zone: str | None = None) -> dict[str, Any]:
    """The event as a History row (header -> value), dated in ``time_zone`` (the team's;
    the event's own UTC date when None)."""
    note = e.note or ""
    if e.type == "promise":
        what = f"promised {_money(e.amount)}" if e.amount is not None else "promised"
        note = f"{what} by {e.date}" + (f": {note}" if note else "")
    elif e.type == "dispute" and e.invoice:
        note = f"invoice {e.invoice} disputed" + (f": {note}" if note else "")
    at = e.at.astimezone(ZoneInfo(time_zone)) if time_zone else e.at
    return {"Date": at.date(), "Customer": e.customer, "Type": e.type.capitalize(),
            "Level": e.level, "Currency": e.currency, "Email": e.email,
            "Message Id": e.message_id, "Note": note, "Event Id": e.id, "Amount": e.amount,
            "Promised Date": e.date, "Invoice": e.invoice}


def known_event_ids(raw: RawTable | None) -> set[str]:
    """The Event Ids the workbook's History table holds."""
    if raw is None or not raw.columns:
        return set()
    key = contract.normalise_header("Event Id")
    for h, col in zip(raw.header, raw.columns, strict=False):
        if contract.normalise_header(h) == key:
            return {str(v).strip() for v in col if v not in (None, "")}
    return set()


def new_events(raw: RawTable | None, events: Iterable[EventOut]) -> list[EventOut]:
    """The events not yet in the History table, oldest first, each once."""
    known = known_event_ids(raw)
    out = []
    for e in sorted(events, key=lambda e: (e.at, e.id)):
        if e.id not in known:
            known.add(e.id)
            out.append(e)
    return out


def counts(events: Iterable[EventOut]) -> dict[str, int]:
    """Events per type, in the order of ``EventOut.type``'s kinds."""
    out: dict[str, int] = {}
    for e in events:
        out[e.type] = out.get(e.type, 0) + 1
    return out

