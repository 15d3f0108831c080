"""The hand-off pack as a document (``creditdesk.analysis.documents.HandoffPack``): who the
debtor is, what is open, what each overdue invoice claims with interest and compensation
(``creditdesk.domain.handoff``), every contact with the debtor and the figures of the
one-page summary. ``creditdesk.files.handoff_pack`` writes it as a zip; the CLI adds the
backend's events (``creditdesk.app.handoff``) and writes the status back.

Figures are rounded to cents here, at the edge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from creditdesk.analysis.documents import (
    ClaimLine,
    ContactEvent,
    CurrencyTotal,
    Debtor,
    HandoffPack,
    OpenItem,
)
from creditdesk.analysis.statements import company
from creditdesk.domain import cells
from creditdesk.domain.ageing import Position, position
from creditdesk.domain.contract import normalise_header
from creditdesk.domain.handoff import HANDOFF_TYPE, TARGETS, claims
from creditdesk.domain.interest import round_money
from creditdesk.domain.ledger import Ledger, RawTable
from creditdesk.domain.statements import issue_type

SENT = ("delivery", "bounce", "complaint")  # what happened to a sent mail


def debtor(ledger: Ledger, i: int) -> Debtor:
    c = ledger.customers
    key = str(c.ids[i])
    return Debtor(customer=key, name=str(c.name[i]) or key, contact_name=str(c.contact_name[i]),
                  account=c.account_of(i), address=list(c.address_of(i)),
                  email=str(c.email[i]), cc=str(c.cc[i]),
                  phone=str(c.phone[i]) if i < len(c.phone) else "")


def open_items(ledger: Ledger, pos: Position, i: int) -> list[OpenItem]:
    """The customer's open items, oldest due date first."""
    inv = ledger.invoices
    mine = np.flatnonzero(pos.customer == i)
    mine = mine[np.lexsort((inv.invoice[pos.idx[mine]].astype(str), pos.due[mine]))]
    return [OpenItem(invoice=str(inv.invoice[k]), type=issue_type(ledger, k),
                     invoice_date=inv.invoice_date[k].item(), due_date=inv.due_date[k].item(),
                     currency=ledger.currencies[int(inv.currency[k])],
                     amount=round_money(float(inv.amount[k])),
                     outstanding=round_money(float(pos.outstanding[j])),
                     days_overdue=int(pos.days_overdue[j]), disputed=bool(inv.disputed[k]),
                     reference=str(inv.reference[k]))
            for j, k in ((int(j), int(pos.idx[j])) for j in mine)]


def workbook_history(raw: RawTable | None, ledger: Ledger, customer: str
                     ) -> list[ContactEvent]:
    """The customer's rows of the workbook's History table (rows whose date or type cannot
    be read are left out: the ledger's issues name them)."""
    if raw is None or not len(raw):
        return []
    at = {normalise_header(h): j for j, h in enumerate(raw.header)}

    def column(name: str) -> list:
        j = at.get(normalise_header(name))
        return raw.columns[j] if j is not None else [None] * len(raw)

    values = column("Date")
    dates, _ = cells.to_date(values,
                             cells.decide_date_order(values, *ledger.settings.dates()).order)
    levels, _ = cells.to_integer(column("Level"))
    text = {h: cells.to_text(column(h)) for h in ("Customer", "Type", "Currency", "Email",
                                                  "Message Id", "Note", "Event Id")}
    channels = {lv.level: lv.channel for lv in ledger.levels}
    out = []
    for r in np.flatnonzero(text["Customer"] == customer).tolist():
        if np.isnat(dates[r]) or not text["Type"][r]:
            continue
        kind = str(text["Type"][r]).strip()
        level = None if np.isnan(levels[r]) else int(levels[r])
        out.append(ContactEvent(
            date=dates[r].item(), type=kind[:1].upper() + kind[1:].lower(),
            channel=channel(kind, level, str(text["Email"][r]), str(text["Message Id"][r]),
                            channels),
            level=level, currency=str(text["Currency"][r]).upper(),
            email=str(text["Email"][r]), message_id=str(text["Message Id"][r]),
            note=str(text["Note"][r]), event_id=str(text["Event Id"][r]), source="workbook"))
    return out


def channel(kind: str, level: int | None, email: str, message_id: str,
            channels: dict[int, str]) -> str:
    """How a contact was made: a reminder by its level's Channel, a mail's fate by Email;
    else Email when it names an address or message, "" when it was only recorded."""
    k = kind.strip().casefold()
    if k == "reminder" and level is not None and level in channels:
        return channels[level] or "Email"
    if k in SENT or message_id or (k == "reminder" and email):
        return "Email"
    return ""


def merged_history(workbook: Sequence[ContactEvent], backend: Sequence[ContactEvent] | None
                   ) -> list[ContactEvent]:
    """The workbook's rows and the backend's events not already in it (by Event Id), by
    date; each sent mail with its delivery events (by message id)."""
    known = {e.event_id for e in workbook if e.event_id}
    rows = [*workbook, *(e for e in backend or () if e.event_id not in known)]
    fates: dict[str, list[str]] = {}
    for e in rows:
        if e.type.casefold() in SENT and e.message_id:
            fates.setdefault(e.message_id, []).append(f"{e.type.lower()} {e.date.isoformat()}")
    rows = [e.model_copy(update={"deliveries": sorted(set(fates.get(e.message_id, [])))})
            if e.type.casefold() not in SENT and e.message_id in fates else e for e in rows]
    order = {"workbook": 0, "backend": 1}
    return sorted(rows, key=lambda e: (e.date, order[e.source], e.type))


def totals(items: Sequence[OpenItem], lines: Sequence[ClaimLine]) -> list[CurrencyTotal]:
    out = []
    for ccy in sorted({x.currency for x in items} | {x.currency for x in lines}):
        mine = [x for x in lines if x.currency == ccy]
        overdue = sum(x.principal for x in mine)
        interest = sum(x.interest for x in mine)
        comp = sum(x.compensation for x in mine)
        out.append(CurrencyTotal(
            currency=ccy, outstanding=round_money(sum(x.outstanding for x in items
                                                      if x.currency == ccy)),
            overdue=round_money(overdue), interest=round_money(interest),
            compensation=round_money(comp), claim=round_money(overdue + interest + comp)))
    return out


def statements_start(ledger: Ledger, i: int, all_time: bool) -> dt.date:
    """The activity statements' first day: the last 12 months, or (``all_time``) the
    customer's first invoice date."""
    end = ledger.as_of_date
    year = end.replace(year=end.year - 1) if not (end.month == 2 and end.day == 29) \
        else end.replace(year=end.year - 1, day=28)
    start = year + dt.timedelta(days=1)
    if all_time:
        inv = ledger.invoices
        days = inv.invoice_date[inv.customer == i]
        days = days[~np.isnat(days)]
        if len(days):
            start = min(start, days.min().item())
    return start


def handoff_pack(ledger: Ledger, customer: str, to: str, history: Sequence[ContactEvent],
                 history_source: str, *, all_time: bool = False) -> HandoffPack:
    """The pack for ``customer`` (KeyError: not in Customers); ``to``: agency or legal."""
    i = ledger.customer_index[customer]
    pos = position(ledger)
    items = open_items(ledger, pos, i)
    inv = ledger.invoices
    lines = [ClaimLine(invoice=str(inv.invoice[c.item]), currency=c.currency,
                       principal=round_money(c.principal), due_date=c.due, days=c.days,
                       rate=c.rate, interest=round_money(c.interest),
                       compensation=round_money(c.compensation), law=c.law)
             for c in claims(ledger, pos, i)]
    debts = [x for x in items if x.outstanding > 0 and not x.disputed]
    oldest = max(debts, key=lambda x: (x.days_overdue, x.invoice), default=None)
    return HandoffPack(as_of=ledger.as_of_date, to=to, status=TARGETS[to],
                       company=company(ledger), debtor=debtor(ledger, i), open_items=items,
                       claims=lines, totals=totals(items, lines), oldest=oldest,
                       history=list(history), history_source=history_source,
                       statements_from=statements_start(ledger, i, all_time))


def history_row(pack: HandoffPack, zip_name: str = "") -> dict[str, object]:
    """The Hand-off row of the History table (header -> value)."""
    to = "a collection agency" if pack.to == "agency" else "solicitors"
    claim = "; ".join(f"{t.currency} {t.claim:,.2f}" for t in pack.totals) or "nothing open"
    return {"Date": pack.as_of, "Customer": pack.debtor.customer, "Type": HANDOFF_TYPE,
            "Note": f"Handed off to {to} (Collection Status {pack.status}): claim {claim}"
                    + (f"; pack {zip_name}" if zip_name else "")}
