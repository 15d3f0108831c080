"""The domain, as the backend uses it: snapshots in and out of the domain's ledger, today's
reminders computed with the storage history, scores, and the weekly digest.

Heavy domain modules (report, score, dunning) are imported inside the functions, so a cold
start of the API pays for them only when it computes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from creditdesk.api.models import HISTORY_HEADER, EventOut, IssueOut, ReminderIn, SnapshotIn

from . import history, keys
from .ports import Deps

log = logging.getLogger(__name__)

HISTORY_LOOKBACK_DAYS = 400  # how far back the backend reads its own history to compute
MAX_ISSUES = 1000


def raw_tables(snap: SnapshotIn) -> dict[str, Any]:
    from creditdesk.domain.ledger import RawTable

    return {name: RawTable.from_rows(name, t.sheet or name, t.header, t.rows, t.first_row)
            for name, t in snap.tables.items()}


def check(snap: SnapshotIn, today: dt.date) -> dict[str, Any]:
    """Validate a snapshot with the domain: ``{ok, as_of, customers, invoices, issues,
    message, settings}``. Never raises on the snapshot's content."""
    from creditdesk.domain.errors import WorkbookError
    from creditdesk.domain.ledger import build_ledger

    try:
        ledger = build_ledger(raw_tables(snap), today=today)
    except WorkbookError as exc:
        return {"ok": False, "message": str(exc), "issues": []}
    except Exception as exc:  # content the reader did not foresee: refuse it, say so
        log.exception("snapshot could not be read")
        return {"ok": False, "message": f"the workbook could not be read ({type(exc).__name__})",
                "issues": []}
    issues = [IssueOut(sheet=i.sheet, row=i.row, column=i.column, message=i.message)
              for i in ledger.issues]
    if len(issues) > MAX_ISSUES:
        more = len(issues) - MAX_ISSUES
        issues = [*issues[:MAX_ISSUES], IssueOut(sheet="", row=None, column=None,
                                                 message=f"... and {more} more issues")]
    s = ledger.settings
    return {
        "ok": True, "message": "", "issues": issues, "as_of": ledger.as_of_date,
        "customers": len(ledger.customers), "invoices": len(ledger.invoices),
        "settings": {
            "automation": s.automation, "time_zone": s.time_zone, "country": s.country,
            "send_window": [s.send_window[0].strftime("%H:%M"),
                            s.send_window[1].strftime("%H:%M:%S")],
            "controller_email": s.controller_email, "sender_email": s.sender_email,
            "reply_to": s.reply_to, "company_name": s.company_name,
            "base_currency": s.base_currency, "page_link_days": s.page_link_days,
            "statement_day": s.statement_day,
        },
    }


def load_snapshot(deps: Deps, tenant: str, version: str) -> SnapshotIn | None:
    raw = deps.store.get_blob(keys.snapshot_blob(tenant, version))
    return SnapshotIn.model_validate_json(raw) if raw is not None else None


# -- the storage history fed back to the domain -------------------------------------------


def _column(table: Any, header: str) -> list:
    """The column of ``table`` under ``header`` (matched as the domain matches headers),
    added (blank) when the table lacks it."""
    from creditdesk.domain.contract import normalise_header

    for j, h in enumerate(table.header):
        if normalise_header(h) == normalise_header(header):
            return table.columns[j]
    table.header.append(header)
    table.columns.append([None] * len(table))
    return table.columns[-1]


def overlay(tables: dict[str, Any], events: list[EventOut], since: dt.datetime,
            tz: str) -> dict[str, Any]:
    """The snapshot's tables with the backend's history added, in the workbook's terms:
    History rows (``EventOut.history_row``) for every event the workbook does not have yet
    (matched by Event Id, and reminders by Message Id); and the promises and disputes
    recorded after the snapshot was taken (``since``) also set on Customers and Invoices, so
    chasing pauses whichever way the domain reads them."""
    from creditdesk.domain.contract import normalise_header
    from creditdesk.domain.ledger import RawTable

    tables = dict(tables)
    by_key = {normalise_header(k): k for k in tables}
    existing = tables.get(by_key.get("history", ""))
    rows: list[list] = []
    ids: set[str] = set()
    messages: set[str] = set()
    if existing is not None and len(existing):
        cols = [_column(existing, h) for h in HISTORY_HEADER]
        rows = [list(r) for r in zip(*cols, strict=True)]
        at = {h: j for j, h in enumerate(HISTORY_HEADER)}
        if "Event Id" in at:
            ids = {str(r[at["Event Id"]]).strip() for r in rows if r[at["Event Id"]]}
        messages = {str(r[at["Message Id"]]).strip() for r in rows
                    if r[at["Message Id"]] and str(r[at["Type"]]).strip().casefold()
                    == "reminder"}
    for ev in events:  # what the workbook has already (synced before) is not added twice
        if ev.id in ids or (ev.type == "reminder" and ev.message_id in messages):
            continue
        rows.append(ev.history_row(tz))
    name = by_key.get("history", "History")
    first = existing.first_row if existing is not None else 2
    tables[name] = RawTable.from_rows(name, existing.sheet if existing is not None
                                      else "History", HISTORY_HEADER, rows, first)

    customers = tables.get(by_key.get("customers", ""))
    invoices = tables.get(by_key.get("invoices", ""))
    later = [e for e in events if e.at > since]
    if customers is not None:
        ids = _column(customers, "Customer")
        pdate = _column(customers, "Promise Date")
        pamount = _column(customers, "Promise Amount")
        index = {str(v).strip(): i for i, v in enumerate(ids) if v is not None}
        for ev in sorted((e for e in later if e.type == "promise"), key=lambda e: e.at):
            i = index.get(ev.customer)
            if i is not None and ev.date is not None:
                pdate[i] = ev.date.isoformat()
                pamount[i] = ev.amount
    if invoices is not None:
        numbers = _column(invoices, "Invoice")
        disputed = _column(invoices, "Disputed")
        owners = _column(invoices, "Customer")
        wanted = {(e.customer, e.invoice) for e in later if e.type == "dispute" and e.invoice}
        for i, number in enumerate(numbers):
            if (str(owners[i]).strip(), str(number).strip()) in wanted:
                disputed[i] = True
    return tables


def ledger_with_history(deps: Deps, tenant: str, day: dt.date, as_of: dt.date | None
                        ) -> tuple[Any, dict]:
    """The tenant's current snapshot as a domain ledger, with the storage history."""
    from creditdesk.domain.ledger import build_ledger

    from .tenancy import profile

    prof = profile(deps, tenant)
    version = prof.get("snapshot")
    snap = load_snapshot(deps, tenant, version) if version else None
    if snap is None:
        raise LookupError("no ledger snapshot yet: send the workbook first (POST /v1/ledger)")
    events = history.all_events(deps, tenant, day - dt.timedelta(days=HISTORY_LOOKBACK_DAYS),
                                day + dt.timedelta(days=1))
    since = keys.parse_stamp(prof["snapshot_at"]) if prof.get("snapshot_at") else dt.datetime.min
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    tables = overlay(raw_tables(snap), events, since, prof.get("time_zone") or "UTC")
    return build_ledger(tables, today=day, as_of=as_of), prof


def compute_reminders(deps: Deps, tenant: str, day: dt.date
                      ) -> tuple[list[ReminderIn], list[str]]:
    """Today's reminders from the last snapshot and the storage history (cool-downs,
    escalation, bounces, promises and disputes hold). Returns (reminders, notes on what could
    not be sent by e-mail)."""
    from pydantic import ValidationError

    from creditdesk.analysis.report import Analysis
    from creditdesk.domain.emails import split_addresses

    ledger, _ = ledger_with_history(deps, tenant, day, as_of=day)
    doc = Analysis(ledger).remind_doc()
    out: list[ReminderIn] = []
    notes: list[str] = []
    for r in doc["reminders"]:
        if r["channel"] != "Email":
            notes.append(f"{r['customer']} {r['currency']}: level {r['level']} goes by "
                         f"{r['channel'].lower()}, not e-mail")
            continue
        try:
            out.append(ReminderIn(
                customer=r["customer"], currency=r["currency"], level=r["level"], to=r["to"],
                cc=split_addresses(r["cc"] or "") if isinstance(r["cc"], str) else r["cc"],
                subject=r["subject"], text=r["text"], html=r["html"],
                invoices=[i["invoice"] for i in r["invoices"]], amount=r["amount"],
                interest=r["interest"], compensation=r["compensation"]))
        except ValidationError as exc:
            notes.append(f"{r['customer']} {r['currency']}: not sent: "
                         f"{exc.errors(include_url=False)[0]['msg']}")
    return out, notes


def scores_doc(deps: Deps, tenant: str, day: dt.date) -> tuple[dict, str]:
    from creditdesk.analysis.report import Analysis

    ledger, prof = ledger_with_history(deps, tenant, day, as_of=None)
    return Analysis(ledger).score_doc(), prof["snapshot"]


def digest_doc(deps: Deps, tenant: str, day: dt.date) -> dict:
    """What the weekly digest says: totals, the Hold list, last week's reminders and
    bounces."""
    from creditdesk.analysis.report import Analysis

    ledger, prof = ledger_with_history(deps, tenant, day, as_of=day)
    a = Analysis(ledger)
    ageing = a.ageing_doc()
    holds = [r for r in a.check_doc()["customers"] if r["decision"] == "Hold"]
    week = history.all_events(deps, tenant, day - dt.timedelta(days=7), day)
    return {
        "company": prof.get("company_name") or prof.get("name") or "",
        "as_of": day.isoformat(), "base_currency": ageing["base_currency"],
        "outstanding": ageing["total"]["outstanding"], "overdue": ageing["total"]["overdue"],
        "dso": ageing["kpis"].get("dso_countback"),
        "holds": [{"customer": r["customer"], "name": r["name"], "exposure": r["exposure"],
                   "summary": r["summary"]} for r in holds],
        "reminders": sum(1 for e in week if e.type == "reminder"),
        "bounces": [{"customer": e.customer, "email": e.email, "type": e.type}
                    for e in week if e.type in ("bounce", "complaint")],
    }


def digest_text(doc: dict) -> tuple[str, str, str]:
    """(subject, text, html) of the digest mail."""
    import html as _html

    ccy = doc["base_currency"]
    subject = f"Creditdesk weekly digest {doc['as_of']}: {ccy} {doc['overdue']:,.2f} overdue"
    lines = [
        f"Credit control digest for {doc['company']}, week to {doc['as_of']}",
        "",
        f"Outstanding: {ccy} {doc['outstanding']:,.2f}",
        f"Overdue:     {ccy} {doc['overdue']:,.2f}",
        f"Reminders sent in the last 7 days: {doc['reminders']}",
        f"Bounces and complaints in the last 7 days: {len(doc['bounces'])}",
        "",
        f"On hold ({len(doc['holds'])}):",
    ]
    lines += [f"  {h['customer']} {h['name']}: {h['summary']}" for h in doc["holds"]] or [
        "  none"]
    if doc["bounces"]:
        lines += ["", "Addresses that bounced or complained (fix them in Customers):"]
        lines += [f"  {b['customer']}: {b['email']} ({b['type']})" for b in doc["bounces"]]
    text = "\n".join(lines) + "\n"
    body = "<br>\n".join(_html.escape(line).replace("  ", "&nbsp;&nbsp;") for line in lines)
    return subject, text, f"<html><body style=\"font-family:sans-serif\">{body}</body></html>"


def to_json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, default=str).encode()
