"""The debtor's own page (docs/debtor-page.md): what a valid link shows, and what the debtor
does there. Each action is a history event (``promise``, ``dispute``, ``note``, ``plan``; ids
start with ``pg``), so the backend's cycle and ``creditdesk sync`` treat it as one typed in
the workbook: a promise pauses chasing until its date, a disputed invoice is not chased. A
dispute is mailed to the Controller Email at once; the rest go in its daily summary.

Everything here is scoped by the link: the tenant and customer come from it, never from the
form, and an invoice named by a form must be one of that customer's open items.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from dataclasses import dataclass, field

from creditdesk.api.models import EventOut
from creditdesk.domain.plans import request_note

from . import history, keys
from .errors import Invalid
from .links import Link
from .ports import Cond, Deps, Mail, SendError, Update
from .tenancy import local_day, profile

log = logging.getLogger(__name__)

DISPUTE_REASONS = ("not_received", "wrong_amount", "already_paid", "quality", "other")
PLAN_MIN, PLAN_MAX = 2, 12
PROMISE_MAX_DAYS = 180  # a promise further out than this is refused
STATEMENT_DAYS = 365
DOCUMENT_MONTHS = 3  # the statement PDF's activity: the last three months
DOCUMENT_KINDS = ("open-items", "activity")
PAGE_TYPES = ("promise", "dispute", "note", "plan")


@dataclass(frozen=True)
class Line:
    invoice: str
    invoice_date: dt.date
    due_date: dt.date
    currency: str
    amount: float
    outstanding: float
    days_overdue: int
    disputed: bool


@dataclass
class Page:
    company: str
    customer: str
    name: str
    language: str
    today: dt.date
    open_items: list[Line] = field(default_factory=list)
    statement: list[Line] = field(default_factory=list)
    totals: dict[str, tuple[float, float]] = field(default_factory=dict)  # ccy: (owed, overdue)
    answers: list[EventOut] = field(default_factory=list)  # made on the page, newest first

    @property
    def currencies(self) -> list[str]:
        return sorted(self.totals)

    @property
    def documents(self) -> list[str]:
        """The currencies the page offers a statement PDF in (``statement_document``)."""
        return sorted({x.currency for x in self.statement})


def _date(value) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


def page(deps: Deps, link: Link) -> Page:
    """The customer's open items and statement, from the last synced snapshot and the
    backend's history (so a dispute made on the page shows at once)."""
    from creditdesk.domain.ageing import outstanding_on

    from .ledgers import ledger_with_history

    prof = profile(deps, link.tenant)
    day = local_day(prof, deps.clock.now())
    company = str(prof.get("company_name") or prof.get("name") or "")
    try:
        ledger, _ = ledger_with_history(deps, link.tenant, day, as_of=day)
    except LookupError:
        return Page(company, link.customer, "", "en", day)
    cust = ledger.customers
    ids = cust.ids.tolist()
    if link.customer not in ids:
        return Page(company, link.customer, "", "en", day)
    i = ids.index(link.customer)
    out = Page(company, link.customer, str(cust.name[i] or ""), str(cust.language[i] or "en"),
               day)
    inv = ledger.invoices
    owed = outstanding_on(ledger, ledger.as_of)
    since = day - dt.timedelta(days=STATEMENT_DAYS)
    for k in (int(x) for x in (inv.customer == i).nonzero()[0]):
        if inv.payment[k] if len(inv.payment) else False:
            continue
        due = _date(inv.due_date[k])
        line = Line(str(inv.invoice[k]), _date(inv.invoice_date[k]), due,
                    ledger.currencies[int(inv.currency[k])], float(inv.amount[k]),
                    round(float(owed[k]), 2), max((day - due).days, 0), bool(inv.disputed[k]))
        if line.outstanding:
            out.open_items.append(line)
            total, overdue = out.totals.get(line.currency, (0.0, 0.0))
            out.totals[line.currency] = (round(total + line.outstanding, 2),
                                         round(overdue + (line.outstanding if
                                                          line.days_overdue else 0), 2))
        if line.outstanding or line.invoice_date >= since:
            out.statement.append(line)
    out.answers = answers(deps, link)
    out.open_items.sort(key=lambda x: (x.due_date, x.invoice))
    out.statement.sort(key=lambda x: (x.invoice_date, x.invoice))
    return out


def months_back(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (the month's last day when it is shorter)."""
    import calendar

    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def statement_document(deps: Deps, link: Link, kind: str, currency: str
                       ) -> tuple[bytes, str] | None:
    """The link's customer's statement in ``currency`` as a PDF and its file name: open
    items today, or the activity of the last ``DOCUMENT_MONTHS`` months; None when there is
    none (no snapshot, no such customer, kind or currency)."""
    from creditdesk.analysis.statements import statements_report
    from creditdesk.documents.pdf import quiet_fonts, safe_name, statement_pdf

    from .ledgers import ledger_with_history

    if kind not in DOCUMENT_KINDS:
        return None
    day = local_day(profile(deps, link.tenant), deps.clock.now())
    try:
        ledger, _ = ledger_with_history(deps, link.tenant, day, as_of=day)
        report = statements_report(ledger, start=months_back(day, DOCUMENT_MONTHS),
                                   kind=kind, customer=link.customer)  # type: ignore[arg-type]
    except (LookupError, KeyError):
        return None
    found = next((s for s in report.statements if s.currency == currency), None)
    if found is None:
        return None
    with quiet_fonts():
        data = statement_pdf(found, report.company, kind)
    name = (f"statement-{safe_name(link.customer)}-{safe_name(currency)}-{kind}-"
            f"{day.isoformat()}.pdf")
    return data, name


def answers(deps: Deps, link: Link, limit: int = 10) -> list[EventOut]:
    """What the debtor did on the page in the last ``STATEMENT_DAYS``, newest first."""
    since = keys.stamp(deps.clock.now() - dt.timedelta(days=STATEMENT_DAYS))
    items, _ = deps.store.query(keys.customer_pk(link.tenant, link.customer),
                                start=f"H#{since}", end="H#~")
    events = [history.event_from_item(i) for i in items if str(i.get("id", "")).startswith(
        "pg") and i.get("type") in PAGE_TYPES]
    return events[::-1][:limit]


def _event(deps: Deps, link: Link, type_: str, **fields) -> EventOut:
    ev = EventOut(id="pg" + secrets.token_hex(11), at=deps.clock.now(), customer=link.customer,
                  type=type_, **fields)
    return history.add_event(deps, link.tenant, ev)


def promise(deps: Deps, link: Link, pg: Page, amount: float, date: dt.date,
            note: str = "") -> EventOut:
    if not pg.open_items:
        raise Invalid("there is nothing open to promise a payment for", "amount")
    if not pg.today <= date <= pg.today + dt.timedelta(days=PROMISE_MAX_DAYS):
        raise Invalid(f"date: choose a day from today to {PROMISE_MAX_DAYS} days ahead", "date")
    if not 0 < amount <= 1e12:
        raise Invalid("amount: give an amount above zero", "amount")
    currency = pg.currencies[0] if len(pg.currencies) == 1 else None
    return _event(deps, link, "promise", amount=round(amount, 2), date=date,
                  currency=currency, note=note[:2000])


def dispute(deps: Deps, link: Link, pg: Page, invoice: str, reason: str,
            text: str) -> EventOut:
    line = next((x for x in pg.open_items if x.invoice == invoice), None)
    if line is None:
        raise Invalid("invoice: choose one of your open invoices", "invoice")
    if reason not in DISPUTE_REASONS:
        raise Invalid("reason: choose a reason from the list", "reason")
    ev = _event(deps, link, "dispute", invoice=invoice, currency=line.currency,
                amount=line.outstanding, note=f"{reason}: {text}"[:2000])
    _notify_dispute(deps, link, pg, ev)
    return ev


def plan(deps: Deps, link: Link, pg: Page, instalments: int, currency: str,
         start: dt.date) -> EventOut:
    """A plan request: lands as a Plan event (Proposed), for the controller to accept."""
    if not PLAN_MIN <= instalments <= PLAN_MAX:
        raise Invalid(f"instalments: choose {PLAN_MIN} to {PLAN_MAX}", "instalments")
    if currency not in pg.totals:
        raise Invalid("currency: choose a currency you owe in", "currency")
    if not pg.today <= start <= pg.today + dt.timedelta(days=62):
        raise Invalid("start: choose a first instalment within two months", "start")
    total = pg.totals[currency][0]
    note = request_note(instalments, start,
                        [x.invoice for x in pg.open_items if x.currency == currency])
    return _event(deps, link, "plan", amount=total, currency=currency, date=start,
                  note=note[:2000])


def message(deps: Deps, link: Link, text: str) -> EventOut:
    text = text.strip()
    if not text:
        raise Invalid("message: write a message", "message")
    return _event(deps, link, "note", note=f"Message from the page: {text}"[:2000])


# -- the controller's notices ------------------------------------------------------------


def _mail_controller(deps: Deps, tenant: str, subject: str, text: str, key: str) -> str:
    from .sending import sender_of

    prof = profile(deps, tenant)
    to = prof.get("controller_email")
    sender, name = sender_of(prof)
    if not to or not sender:
        return ""
    return deps.mailer.send(Mail(sender=sender, sender_name=name or "Creditdesk", to=to,
                                 subject=subject, text=text,
                                 tags=(("tenant", tenant), ("key", key))))


def _notify_dispute(deps: Deps, link: Link, pg: Page, ev: EventOut) -> None:
    subject = f"Dispute from {link.customer}: invoice {ev.invoice}"
    text = (f"{pg.name or link.customer} ({link.customer}) disputed invoice {ev.invoice} "
            f"({ev.currency} {ev.amount:,.2f}) on their page at {keys.stamp(ev.at)}.\n\n"
            f"{ev.note}\n\nThe invoice is not chased while it is disputed; Sync brings the "
            "dispute into the workbook's History.\n")
    try:
        _mail_controller(deps, link.tenant, subject[:200], text, f"dispute-{ev.id}")
    except SendError:  # the dispute is recorded; the daily summary lists it again
        log.warning("dispute notice for %s not sent", link.tenant, exc_info=True)


def page_events(deps: Deps, tenant: str, day: dt.date) -> list[EventOut]:
    return [e for e in history.all_events(deps, tenant, day, day)
            if e.id.startswith("pg") and e.type in PAGE_TYPES]


def _summary_line(e: EventOut) -> str:
    amount = f"{e.currency or ''} {e.amount or 0:,.2f}".strip()
    if e.type == "promise":
        return f"promised {amount} by {e.date}"
    if e.type == "dispute":
        return f"disputed invoice {e.invoice} ({amount})"
    if e.type == "plan":
        return f"asked for a plan ({amount})"
    return "left a message"


def send_summary(deps: Deps, tenant: str, day: dt.date) -> str:
    """The daily summary of what debtors did on their pages on ``day`` (UTC), once."""
    events = page_events(deps, tenant, day)
    if not events:
        return "nothing to summarise"
    pk, sk = keys.tenant_pk(tenant), f"PAGESUM#{day.isoformat()}"
    owner = uuid.uuid4().hex
    if not deps.store.put({"pk": pk, "sk": sk, "owner": owner}, Cond(absent=True)):
        return "already sent"
    lines = [f"What your customers did on their pages on {day.isoformat()}:", ""]
    for e in events:
        lines.append(f"  {e.customer}: {_summary_line(e)}. {e.note}")
    lines += ["", "Sync brings each of these into the workbook's History."]
    try:
        mid = _mail_controller(deps, tenant, f"Creditdesk: {len(events)} action(s) on "
                               f"customer pages, {day.isoformat()}", "\n".join(lines) + "\n",
                               f"pagesum-{day.isoformat()}")
    except SendError:
        deps.store.delete(pk, sk, Cond(equals={"owner": owner}))
        raise
    deps.store.update(Update(pk, sk, set={"message_id": mid}))
    return mid or "no controller e-mail"
