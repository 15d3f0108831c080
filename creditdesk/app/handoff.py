"""The hand-off pack's contact history from both places it lives: the workbook's History
table and, when the workbook is configured for it and the backend answers, the backend's
events of the customer (reminders sent with their SES message ids, deliveries, bounces,
complaints, promises, disputes, notes). ``creditdesk handoff`` makes the client; this says
in words where the history came from, for the summary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from creditdesk.analysis.documents import ContactEvent
from creditdesk.analysis.handoff import channel, merged_history, workbook_history
from creditdesk.api.models import EventOut
from creditdesk.domain.ledger import Ledger, RawTable


def event_of(e: EventOut, channels: dict[int, str], time_zone: str | None = None
             ) -> ContactEvent:
    """A backend event as a contact, dated in the team's time zone."""
    at = e.at.astimezone(ZoneInfo(time_zone)) if time_zone else e.at
    note = e.note or ""
    if e.type == "promise":
        what = f"promised {e.amount:,.2f}" if e.amount is not None else "promised"
        note = f"{what} by {e.date}" + (f": {note}" if note else "")
    elif e.type == "dispute" and e.invoice:
        note = f"invoice {e.invoice} disputed" + (f": {note}" if note else "")
    return ContactEvent(date=at.date(), type=e.type.capitalize(),
                        channel=channel(e.type, e.level, e.email or "", e.message_id or "",
                                        channels),
                        level=e.level, currency=(e.currency or "").upper(),
                        email=e.email or "", message_id=e.message_id or "", note=note,
                        event_id=e.id, source="backend")


def contact_history(ledger: Ledger, history: RawTable | None, customer: str,
                    fetch: Callable[[str], Sequence[EventOut]] | None,
                    why_not: str = "") -> tuple[list[ContactEvent], str]:
    """Every contact with ``customer`` and where it came from, in words. ``fetch``: the
    backend's history of a customer (None: not configured, ``why_not`` says why); a
    backend that cannot be reached leaves the workbook's rows, and the words say so."""
    own = workbook_history(history, ledger, customer)
    if fetch is None:
        return merged_history(own, None), (f"the workbook's History table only ({why_not})"
                                           if why_not else "the workbook's History table only")
    from creditdesk.api.client import BackendError

    try:
        events = fetch(customer)
    except BackendError as exc:
        return merged_history(own, None), ("the workbook's History table only: the backend "
                                           f"could not be reached ({_short(exc)})")
    channels = {lv.level: lv.channel for lv in ledger.levels}
    zone = ledger.settings.time_zone
    theirs = [event_of(e, channels, zone) for e in events]
    rows = merged_history(own, theirs)
    added = sum(e.source == "backend" for e in rows)
    return rows, (f"the workbook's History table and the backend ({len(events)} event(s), "
                  f"{added} not in the workbook)")


def _short(exc: Any) -> str:
    return " ".join(str(exc).split())[:160]
