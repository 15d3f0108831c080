"""The backend's history as rows of the workbook's History table: which events the workbook
does not have yet (by Event Id), and each as a row. ``creditdesk sync`` (written into the
file by ``creditdesk.files.xlsx_append``) and the add-in's Sync (written into Excel) share
it, so the next preview sees the reminders just sent, the bounces, promises and disputes;
the plans asked for on the debtor's page become Proposed rows of the Plans table
(``plan_rows``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from creditdesk.api.models import EventOut
from creditdesk.domain import contract, plans
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



@dataclass
class PlanRequests:
    """The Plans rows that plan requests from the debtor's page make (``plan_rows``)."""

    rows: list[dict[str, Any]] = field(default_factory=list)  # header -> value, Proposed
    already: int = 0  # requests whose plan the Plans table holds
    skipped: list[str] = field(default_factory=list)  # each request not made a plan, why


def known_plan_ids(raw: RawTable | None) -> set[str]:
    """The plan ids the workbook's Plans table holds."""
    if raw is None or not raw.columns:
        return set()
    for h, col in zip(raw.header, raw.columns, strict=False):
        if contract.normalise_header(h) == "plan":
            return {str(v).strip() for v in col if v not in (None, "")}
    return set()


def plan_rows(raw: RawTable | None, events: Iterable[EventOut], ledger: Any
              ) -> PlanRequests:
    """A Proposed row of the Plans table for each Plan event (a plan asked for on the
    debtor's page) whose plan the table (``raw``) does not hold yet: its id derived from the
    event's (``plans.request_plan_id``, so a second Sync adds nothing), its instalments,
    frequency, start and invoices read from the event, what those invoices owe now split
    evenly as ``plan propose`` does. Invoices named that are no longer open are left out; a
    request for an unknown customer, or with none of its invoices open, is skipped, said."""
    out = PlanRequests()
    known = known_plan_ids(raw)
    for e in sorted(events, key=lambda e: (e.at, e.id)):
        if e.type != "plan":
            continue
        plan_id = plans.request_plan_id(e.id)
        if plan_id in known:
            out.already += 1
            continue
        known.add(plan_id)
        what = f"the plan {e.customer} asked for on {e.at.date().isoformat()} ({e.id})"
        req = plans.read_request(e.note, e.date)
        if req is None or req.start is None:
            out.skipped.append(f"{what}: its note names no number of instalments or start "
                               "date; propose it with 'creditdesk plan propose'")
            continue
        if e.customer not in ledger.customer_index:
            out.skipped.append(f"{what}: no customer '{e.customer}' in the Customers table")
            continue
        open_now = set(plans.open_invoices(ledger, e.customer))
        names = [n for n in req.invoices if n in open_now]
        if req.invoices and not names:
            out.skipped.append(f"{what}: none of its invoices ({', '.join(req.invoices)}) is "
                               "open in the workbook any more")
            continue
        try:
            row = plans.propose(ledger, e.customer, req.instalments, req.start,
                                req.frequency, names or None, plan_id)
        except plans.PlanError as exc:
            out.skipped.append(f"{what}: {exc}")
            continue
        out.rows.append(dict(zip((c.header for c in contract.PLANS.columns), row,
                                 strict=True)))
    return out
