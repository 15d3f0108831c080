"""The one-click scripts: plain functions that take an ``xw.Book``.

Each reads the contract tables (one call per table), calls the domain (``creditdesk``) and
writes its results as whole Excel tables; shows progress (the status bar on desktop Excel,
printed lines in xlwings Lite); puts every problem on the Issues sheet; leaves a one-line
summary in ``Dashboard!A2`` (and on the Reminders sheet for the reminder scripts); and never
lets an exception reach a cell or a dialog: a problem becomes an issue and a sentence.

The same functions are the desktop buttons (``creditdesk_addin.desktop``, through
``RunPython``) and the xlwings Lite buttons (the generated ``main.py`` wraps each with ``@script``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from creditdesk.analysis import tables
from creditdesk.analysis.documents import Results
from creditdesk.analysis.report import Analysis
from creditdesk.api.models import ReminderIn, ReminderOut
from creditdesk.app import audit, history, sending
from creditdesk.app.reminders import Unsendable, new_batch_id, preview_key, reminder_in
from creditdesk.app.workbook import Workbook
from creditdesk.domain import contract
from creditdesk.domain.cells import TRUE_WORDS
from creditdesk.domain.errors import CreditdeskError
from creditdesk.domain.ledger import RawTable
from creditdesk.domain.settings import Settings
from creditdesk_addin import session
from creditdesk_addin.results import (
    AGEING,
    CREDIT,
    DASHBOARD,
    HANDOFF_CUSTOMER,
    HANDOFF_TO,
    ISSUES,
    SCORES,
    STATEMENTS,
    write_ageing,
    write_credit,
    write_dashboard,
    write_handoff,
    write_issues,
    write_plans,
    write_result_table,
    write_scores,
    write_statements,
)
from creditdesk_addin.workbook import (
    Col,
    Progress,
    column,
    cosmetic,
    find_table,
    get_sheet,
    is_lite,
    neutralise,
    range_values,
    read_tables,
    screen_updating_off,
    write_block,
    write_table,
)

log = logging.getLogger("creditdesk.addin")

API_KEY_VARIABLE = "CREDITDESK_API_KEY"

# Sheets, and the sheets each script needs (xlwings Lite sends only these to Python)
REMINDERS, HISTORY = "Reminders", "History"  # the result sheets' names: results.py
CONTRACT_SHEETS = [t.name for t in contract.TABLES]
# The reminder policy is read only by the reminder scripts, the import's column mappings by
# none (Sync sends every table); tests/addin/test_lite.py checks the results do not change.
_POLICY, _IMPORT = ("Dunning Levels", "Templates"), ("Mappings",)
_LEDGER = [t for t in CONTRACT_SHEETS if t not in _POLICY + _IMPORT]
_REMINDING = [t for t in CONTRACT_SHEETS if t not in _IMPORT]
INCLUDE: dict[str, list[str] | None] = {
    "import_export": None,  # every sheet: the export may be on the sheet the user is on
    "refresh": [*_LEDGER, AGEING, CREDIT, tables.PLAN_STATUS_SHEET, tables.HANDOFF_SHEET,
                DASHBOARD, ISSUES],
    "preview_reminders": [*_REMINDING, REMINDERS, *tables.REMINDER_SHEETS[1:],
                          tables.NOT_CHASED_SHEET, DASHBOARD, ISSUES],
    "send_reminders": [*_REMINDING, REMINDERS, DASHBOARD, ISSUES],
    "sync": [*CONTRACT_SHEETS, REMINDERS, DASHBOARD, ISSUES],
    "score": [*_LEDGER, SCORES, DASHBOARD, ISSUES],
    "statements": [*_LEDGER, STATEMENTS, DASHBOARD, ISSUES],
    "propose_plan": None,  # every sheet: the selection may be on any of them
    "handoff": [*_REMINDING, tables.HANDOFF_SHEET, DASHBOARD, ISSUES],
}
SUMMARY_CELL = (2, 1)  # Dashboard!A2: the last run, one line

BackendFactory = Callable[[Settings], Any]  # Settings -> creditdesk.api.client.Client


# ---------------------------------------------------------------------------------------
# The scripts


def import_export(book: Any) -> str:
    """Import: an accounting system's export into Customers and Invoices.

    Paste a Xero, QuickBooks or Sage export (title rows and totals included) onto a sheet
    named Import, or go to the sheet that holds it, and click Import: its items go into the
    Invoices table and its customers into Customers, and what you typed there (limits,
    e-mails, notes) is kept. The Import report sheet lists what was read, skipped and
    changed; problems are on the Issues sheet. Then click Refresh."""
    return _run(book, "Import", _import)


def refresh(book: Any) -> str:
    """Refresh: ageing, credit decisions and the dashboard.

    Reads Customers, Invoices, Settings and FX, and writes the Ageing sheet (buckets per
    customer), the Credit sheet (Approve, Review or Hold with the reasons; a credit limit
    whose latest change in the Audit table raised it by more than Limit Raise Review, 50% by
    default, is Review, saying from what to what and when), the Dashboard (totals, KPIs, a
    chart of receivables by age) and the Issues sheet (rows that could not be read; every
    other row is used)."""
    return _run(book, "Refresh", _refresh)


def preview_reminders(book: Any) -> str:
    """Preview reminders: today's reminders, one per customer and currency.

    Fills the Reminders sheet (each reminder with its level, amounts, interest and subject),
    the Reminder invoices sheet (the invoices in each) and the Not chased sheet (the
    customers not chased, with the reason). Untick (Send = No) what should not go, then click
    Send reminders. Nothing is sent here."""
    return _run(book, "Preview reminders", _preview)


def send_reminders(book: Any, *, backend: BackendFactory | None = None,
                   at_once: bool = False, now: dt.datetime | None = None) -> str:
    """Send reminders: hand the ticked reminders of the preview to the Creditdesk backend.

    Sends the rows of the Reminders sheet whose Send column says Yes, under the batch id of
    the preview, and writes each reminder's status and message id back into the sheet.
    Clicking Send again sends nothing twice. A workbook whose As Of Date is not today (in
    Settings' Time Zone) is not sent: clear the As Of Date (blank means today) and preview
    again. Outside the Send Window (or on a weekend or public holiday of the Country) the
    backend holds the reminders until the window opens, and the sheet says when. Needs
    Settings' Backend URL and the API key in the CREDITDESK_API_KEY environment variable."""
    # at_once: send now whatever the hour (creditdesk send --now); now: the clock
    return _run(book, "Send reminders",
                lambda b, p: _send(b, p, backend or connect, at_once=at_once, now=now))


def sync(book: Any, *, backend: BackendFactory | None = None) -> str:
    """Sync: send the ledger to the backend and bring back history, promises and disputes.

    Pushes the workbook's tables as the backend's new snapshot (for the daily reminder cycle),
    adds the backend's contact history (reminders sent, bounces, promises to pay, disputes,
    notes) to the History table, so the next preview respects cool-downs and bounces, adds
    the audit trail (each change of a credit limit, terms, pause, the dunning levels,
    settings and templates, with the key that made it) to the Audit table, and updates the
    statuses on the Reminders sheet."""
    return _run(book, "Sync", lambda b, p: _sync(b, p, backend or connect))


def score(book: Any) -> str:
    """Score: payment scores, grades and recommended credit limits.

    Writes the Scores sheet: a 1-100 payment score per customer from its settled history
    (80 = pays on terms), a grade A-E, a recommended credit limit and the reasons in words."""
    return _run(book, "Score", _score)


def statements(book: Any) -> str:
    """Statements: each customer's statement of account for the As Of Date's month.

    Writes the Statements sheet: per customer and currency, the opening balance on the
    first of the month, every invoice, credit note and payment since with the running
    balance, and the closing balance on the As Of Date (the ageing's outstanding). The PDF
    statements to send: creditdesk statements WORKBOOK -o FOLDER."""
    return _run(book, "Statements", _statements)


def propose_plan(book: Any) -> str:
    """Propose plan: a Proposed payment plan in the Plans table, from the selected cells.

    Type in a row of any sheet, then select those cells: the customer key, the number of
    instalments, the first instalment's date, and optionally the frequency (Weekly,
    Fortnightly or Monthly; blank = Monthly) and the invoices (A; B; blank = every open
    invoice of the customer in its currency). The plan splits what they owe now evenly, the
    last instalment keeping the total. Set its Status to Active once the customer agrees."""
    return _run(book, "Propose plan", _propose_plan)


def handoff(book: Any) -> str:
    """Hand-off: mark a customer as handed to a collection agency or solicitors.

    Type the customer's key in Hand-off!B2 (Refresh, or the first click, lists there who the
    hand-off rule suggests: Settings' Hand-off Days and Hand-off Minimum, after the final
    level) and agency or legal in B3 (blank = agency), then click Hand-off: the customer's
    Collection Status becomes With agency (or Legal), so it is no longer chased, and a
    Hand-off row goes into History. On desktop Excel, with the workbook saved in a folder,
    the pack for the agency (handoff-CUSTOMER-DATE.zip: summary, statements, open items,
    interest, contact history) is written beside it; else: creditdesk handoff WORKBOOK
    --customer ID makes it."""
    return _run(book, "Hand-off", _handoff)


SCRIPTS: dict[str, Callable[..., str]] = {
    "import_export": import_export,
    "refresh": refresh,
    "preview_reminders": preview_reminders,
    "send_reminders": send_reminders,
    "sync": sync,
    "score": score,
    "statements": statements,
    "propose_plan": propose_plan,
    "handoff": handoff,
}


# ---------------------------------------------------------------------------------------
# Running a script: progress, the summary, no traceback


def _run(book: Any, title: str, body: Callable[[Any, Progress], str]) -> str:
    progress = Progress(book, title)
    try:
        with screen_updating_off(book):
            summary = body(book, progress)
    except CreditdeskError as exc:  # the workbook or the backend refused; said for the user
        summary = f"{title} stopped: {exc}"
        _report_failure(book, title, summary)
    except Exception as exc:  # never a traceback in a cell: one line, the details in the log
        log.exception("%s failed", title)
        summary = (f"{title} failed: internal error ({type(exc).__name__}: "
                   f"{_short(str(exc))}); please report it")
        _report_failure(book, title, summary)
    progress.done(summary)
    return summary


def _short(text: str, n: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 3] + "..."


def _report_failure(book: Any, title: str, summary: str) -> None:
    try:
        _write_issues(book, [{"sheet": title, "row": None, "column": None,
                              "message": summary}])
        _summary(book, summary)
    except Exception:
        log.exception("could not write the failure of %s into the workbook", title)


def _summary(book: Any, text: str, sheet: Any = None, cell: tuple[int, int] = SUMMARY_CELL
             ) -> None:
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    line = neutralise(f"{stamp}  {text}")
    target = sheet if sheet is not None else get_sheet(book, DASHBOARD)
    target.range(cell).value = line


def _load(book: Any, progress: Progress) -> Analysis:
    return _workbook(book, progress).analysis


def _workbook(book: Any, progress: Progress, checking: bool = True) -> Workbook:
    """The book's contract tables, read in one call each, and the ledger they make (kept
    for the CD.* functions)."""
    progress("reading the workbook's tables")
    wb = Workbook(read_tables(book))
    if checking:
        progress(f"checking {_rows_in(wb.tables, 'invoices'):,} invoices and "
                 f"{_rows_in(wb.tables, 'customers'):,} customers")
    session.remember(session.book_key(book), wb.analysis)
    return wb


def _rows_in(tables: dict[str, RawTable], key: str) -> int:
    t = tables.get(key)
    return len(t) if t is not None else 0


# ---------------------------------------------------------------------------------------
# Import (creditdesk_addin.importing)


def _import(book: Any, progress: Progress) -> str:
    from creditdesk_addin import importing

    summary = importing.run(book, progress)
    _summary(book, summary)
    return summary


# ---------------------------------------------------------------------------------------
# Refresh


def _refresh(book: Any, progress: Progress) -> str:
    a = _load(book, progress)
    progress("computing ageing, KPIs and credit decisions")
    ageing, check = a.ageing_report(), a.check_report()
    issues = a.issue_rows()
    progress("writing Ageing, Credit and Dashboard")
    write_ageing(book, ageing)
    write_credit(book, check)
    plans = a.plan_report()
    if plans.plans or _named(book, tables.PLAN_STATUS_SHEET) is not None:
        write_plans(book, plans)
    if check.handoff or _named(book, tables.HANDOFF_SHEET) is not None:
        write_handoff(book, check.handoff, ageing.base_currency)
    write_dashboard(book, tables.dashboard(Results(ageing=ageing, check=check,
                                                   issues=issues)))
    write_issues(book, issues)
    cosmetic("recalculate", book.app.calculate)  # CD.* functions pick up the new ledger
    decisions = [c.decision for c in check.customers]
    total = ageing.total
    summary = (f"Refreshed as of {ageing.as_of}: {len(ageing.customers):,} customers with "
               f"open items, outstanding {_money(total.outstanding)} "
               f"{ageing.base_currency}, overdue {_money(total.overdue)}; "
               f"{decisions.count('Hold')} on hold, {decisions.count('Review')} to review. "
               + _issues_phrase(issues))
    _summary(book, summary)
    return summary


def _money(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.2f}"


def _issues_phrase(issues: Sequence[Any]) -> str:
    n = len(issues)
    return "No issues." if not n else f"{n:,} issue(s): see the Issues sheet."


_write_issues = write_issues  # the name the send and sync paths use


# ---------------------------------------------------------------------------------------
# Score


def _score(book: Any, progress: Progress) -> str:
    a = _load(book, progress)
    progress("computing payment scores")
    doc = a.score_report()
    write_scores(book, doc, a.check_report())
    write_issues(book, doc.issues)
    scored = [c for c in doc.customers if c.score is not None]
    summary = (f"Scored {len(scored):,} of {len(doc.customers):,} customers as of "
               f"{doc.as_of} (the others have no settled history yet). "
               + _issues_phrase(doc.issues))
    _summary(book, summary)
    return summary


def _statements(book: Any, progress: Progress) -> str:
    from creditdesk.analysis.statements import statements_report

    a = _load(book, progress)
    progress("making the statements of account")
    doc = statements_report(a.ledger)
    write_statements(book, doc)
    issues = a.issue_rows()
    write_issues(book, issues)
    summary = (f"{len(doc.statements):,} statements of account, {doc.start} to {doc.end}, "
               "on the Statements sheet. " + _issues_phrase(issues))
    _summary(book, summary)
    return summary


# ---------------------------------------------------------------------------------------
# Payment plans: Propose plan, and the plans asked for on the debtor's page (Sync)

PLAN_FIELDS = ("customer key", "number of instalments", "first instalment's date",
               "frequency", "invoices")


def _plan_selection(book: Any) -> tuple[str, int, dt.date, str, list[str]]:
    """(customer, instalments, start, frequency, invoices) from the first row of the
    selection; a clear error naming the cell otherwise."""
    from creditdesk.domain.cells import date_or_reason, parse_number
    from creditdesk_addin.workbook import cell

    sel = book.selection
    if sel is None:
        raise CreditdeskError("Propose plan: select the cells holding the customer key, the "
                              "number of instalments and the first instalment's date")
    values = [cell(v) for v in (sel.options(ndim=2).value or [[]])[0]]
    while values and values[-1] in ("", None):
        values.pop()
    where = f"sheet '{sel.sheet.name}', {sel.address.replace('$', '')}"
    if len(values) < 3:
        raise CreditdeskError(
            f"Propose plan: the selection ({where}) holds {len(values)} value(s); select a "
            "row of 3 to 5 cells: customer key, number of instalments, first instalment's "
            "date, then optionally frequency and invoices (e.g. C-0042 | 6 | 2026-08-01 | "
            "Monthly)")
    values += [""] * (5 - len(values))

    def bad(j: int, why: str) -> CreditdeskError:
        return CreditdeskError(f"Propose plan: {where}, value {j + 1} (the "
                               f"{PLAN_FIELDS[j]}): {why}")

    key = values[0]
    customer = (str(int(key)) if isinstance(key, float) and key.is_integer()
                else str(key)).strip()
    if not customer:
        raise bad(0, "it is blank")
    n = parse_number(values[1])
    if not isinstance(n, int | float) or not float(n).is_integer():
        raise bad(1, f"'{values[1]}' is not a whole number")
    start = date_or_reason(values[2])
    if not isinstance(start, dt.date):
        raise bad(2, start or "it is blank")
    freq = str(values[3]).strip() or "Monthly"
    names = [x.strip() for x in str(values[4]).replace(",", ";").split(";") if x.strip()]
    return customer, int(n), start, freq, names


def _propose_plan(book: Any, progress: Progress) -> str:
    from creditdesk.domain import plans

    customer, n, start, freq, names = _plan_selection(book)
    wb = _workbook(book, progress, checking=False)
    raw = wb.tables.get("plans")
    plan_id = plans.next_plan_id(history.known_plan_ids(raw))
    try:
        row = plans.propose(wb.analysis.ledger, customer, n, start, freq, names or None,
                            plan_id)
    except plans.PlanError as exc:
        raise CreditdeskError(f"Propose plan: {exc}") from None
    new = dict(zip((c.header for c in contract.PLANS.columns), row, strict=True))
    _add_rows(book, contract.PLANS, raw, [new])
    summary = (f"Plan {plan_id} for {customer}: {n} {new['Frequency'].lower()} "
               f"instalment(s) from {start.isoformat()} ({new['Amounts']} "
               f"{new['Currency']}) on {new['Invoices']}, Proposed, in the Plans table. Set "
               "its Status to Active once the customer agrees.")
    _summary(book, summary)
    return summary


# Hand-off


_TO = {"": "agency", "agency": "agency", "with agency": "agency", "legal": "legal",
       "solicitor": "legal", "solicitors": "legal"}


def _handoff(book: Any, progress: Progress) -> str:
    from creditdesk.analysis.handoff import handoff_pack, history_row
    from creditdesk.app.handoff import contact_history

    sheet = _named(book, tables.HANDOFF_SHEET)
    if sheet is None:  # the first click: the sheet, with who the rule suggests
        check = _load(book, progress).check_report()
        write_handoff(book, check.handoff, check.base_currency)
        raise CreditdeskError("type the key of the customer to hand off in Hand-off!B2 (the "
                              "sheet lists who the hand-off rule suggests), then click "
                              "Hand-off again")
    key = str(sheet.range(HANDOFF_CUSTOMER).value or "").strip()
    to = _TO.get(" ".join(str(sheet.range(HANDOFF_TO).value or "").split()).casefold())
    if not key:
        raise CreditdeskError("type the key of the customer to hand off in Hand-off!B2")
    if to is None:
        raise CreditdeskError(f"Hand-off!B3 says '{sheet.range(HANDOFF_TO).value}': type "
                              "agency or legal (blank = agency)")
    wb = _workbook(book, progress)
    ledger = wb.analysis.ledger
    if key not in ledger.customer_index:
        raise CreditdeskError(f"Hand-off!B2: no customer '{key}' in the Customers table")
    progress(f"making the hand-off pack of {key}")
    rows, source = contact_history(ledger, wb.tables.get("history"), key, None,
                                   "Sync brings the backend's into it")
    pack = handoff_pack(ledger, key, to, rows, source)
    zip_name = _write_pack(book, ledger, pack)
    progress("setting the Collection Status and recording the hand-off in History")
    _set_collection_status(book, wb.tables["customers"], key, pack.status)
    _merge_history(book, wb.tables.get("history"), [], ledger.settings.time_zone,
                   extra=[history_row(pack, zip_name)])
    check = wb.analysis.check_report()
    write_handoff(book, [r for r in check.handoff if r.customer != key],
                  check.base_currency)
    claim = "; ".join(f"{t.currency} {_money(t.claim)}" for t in pack.totals)
    summary = (f"Handed off {key} to {'solicitors' if to == 'legal' else 'an agency'}: "
               f"Collection Status {pack.status} (no longer chased), a Hand-off row in "
               f"History; claim {claim or 'nothing open'}. "
               + (f"The pack: {zip_name}, beside the workbook." if zip_name else
                  f"The pack (a zip): creditdesk handoff WORKBOOK --customer {key}"))
    _summary(book, summary)
    return summary


_KINDS = {"date": "date", "integer": "int", "number": "money"}  # contract kind -> Col's


def _add_rows(book: Any, spec: contract.Table, raw: RawTable | None,
              new: Sequence[dict[str, Any]]) -> None:
    """The contract table ``spec`` with ``new`` rows (header -> value) below the rows it
    has, which are kept as they are (a contract column it lacks is added on its right);
    written where its Excel table is, else on a sheet of its name."""
    header = list(raw.header) if raw is not None and raw.header else []
    for c in spec.columns:
        if contract.normalise_header(c.header) not in {contract.normalise_header(x)
                                                      for x in header}:
            header.append(c.header)
    pos = {contract.normalise_header(h): j for j, h in enumerate(header)}
    rows: list[list] = []
    if raw is not None and raw.columns:
        width = len(raw.header)
        rows = [list(r) + [None] * (len(header) - width)
                for r in zip(*raw.columns, strict=True)]
    for values in new:
        row: list[Any] = [None] * len(header)
        for k, v in values.items():
            row[pos[contract.normalise_header(k)]] = v
        rows.append(row)
    kinds = {contract.normalise_header(c.header): c.kind for c in spec.columns}
    cols = [Col(h, _KINDS.get(kinds.get(contract.normalise_header(h), ""), "text"))
            for h in header]
    rows = [[None if v == "" else v for v in r] for r in rows]
    for sheet in book.sheets:
        t = find_table(sheet, spec.name)
        if t is not None:
            write_table(sheet, spec.name, t.range.row, t.range.column, cols, rows)
            return
    sheet = get_sheet(book, spec.name)
    cosmetic("clear", lambda: sheet.used_range.clear_contents())
    write_table(sheet, spec.name, 1, 1, cols, rows)


def _write_pack(book: Any, ledger: Any, pack: Any) -> str:
    """The zip beside the workbook on desktop Excel when the workbook is a file in a folder;
    "" elsewhere (xlwings Lite, an unsaved workbook)."""
    from pathlib import Path

    where = Path(str(getattr(book, "fullname", "") or ""))
    if is_lite() or not where.is_absolute() or not where.is_file():
        return ""
    from creditdesk.analysis.statements import statements_report
    from creditdesk.files.handoff_pack import write_pack

    key = pack.debtor.customer
    reports = [statements_report(ledger, pack.statements_from, "activity", key),
               statements_report(ledger, None, "open-items", key)]
    path, _ = write_pack(pack, reports, where.parent, force=True)
    return path.name


def _set_collection_status(book: Any, raw: RawTable, key: str, status: str) -> None:
    """The customer's Collection Status cell in the Customers table, set in place."""
    heads = [contract.normalise_header(h) for h in raw.header]
    if "collection status" not in heads:
        raise CreditdeskError("the Customers table has no Collection Status column: add one "
                              "at its end (as the template has), then click Hand-off again")
    ids = [str(v).strip() if v is not None else "" for v in raw.columns[heads.index("customer")]]
    table = next((find_table(s, contract.CUSTOMERS.name) for s in book.sheets
                  if find_table(s, contract.CUSTOMERS.name) is not None), None)
    sheet = _named(book, raw.sheet)
    if table is None or sheet is None:
        raise CreditdeskError("the Customers table could not be found to write into")
    col = table.range.column + heads.index("collection status")
    for i, v in enumerate(ids):
        if v == key:
            sheet.range((raw.first_row + i, col)).value = status


# ---------------------------------------------------------------------------------------
# Reminders: preview, send


REM_SUMMARY = (1, 1)  # Reminders!A1
BATCH_LABEL, BATCH_CELL = (2, 1), (2, 2)  # Reminders!A2:B2
REM_TITLES, REM_TOP = 3, 4  # Reminders: the title row, the table's header row
# The invoices in the reminders and the customers not chased: each on its own sheet (as in
# the results workbook), so filtering one table never hides rows of another.
LINES_TOP, NOT_CHASED_TOP = 2, 4  # header rows, under the title (and the summary line)
REMINDER_INVOICES = tables.REMINDER_SHEETS[1]
NOT_CHASED = tables.NOT_CHASED_SHEET
_STATUS_COLS = ("Status", "Message Id", "Detail")


def _preview(book: Any, progress: Progress) -> str:
    a = _load(book, progress)
    progress("selecting today's reminders")
    doc = a.remind_report()
    _refuse_the_old_layout(book)
    sheet = get_sheet(book, REMINDERS)
    batch = new_batch_id(a.ledger.as_of_date)
    reminders = tables.reminders(doc, keys=[preview_key(m.as_data()) for m in doc.reminders])
    lines = tables.reminder_invoices(doc)
    skipped = tables.not_chased(doc)
    progress(f"writing {len(reminders.rows):,} reminders")
    write_block(sheet, *BATCH_LABEL, [["Batch", neutralise(batch)]])
    write_block(sheet, REM_TITLES, 1, [[tables.reminders_title(len(reminders.rows),
                                                               live=True)]])
    write_result_table(sheet, reminders, REM_TOP, 1)
    send = column(sheet, REM_TOP, 1, reminders.index("send"), len(reminders.rows))
    cosmetic("validation", lambda: send.data_validation.set_list(list(tables.SEND_COLOURS)))
    cosmetic("freeze panes", lambda: sheet.freeze_panes.freeze_at(sheet.range((REM_TOP + 1,
                                                                               3))))
    lines_sheet = get_sheet(book, REMINDER_INVOICES, after=sheet)
    write_block(lines_sheet, 1, 1, [[tables.reminder_invoices_title(len(lines.rows))]])
    write_result_table(lines_sheet, lines, LINES_TOP, 1)
    skipped_sheet = get_sheet(book, NOT_CHASED, after=lines_sheet)
    write_block(skipped_sheet, 1, 1, [[tables.not_chased_title(len(skipped.rows))],
                                      [tables.not_chased_summary(doc.skipped)]])
    write_result_table(skipped_sheet, skipped, NOT_CHASED_TOP, 1)
    for s in (lines_sheet, skipped_sheet):
        top = LINES_TOP if s is lines_sheet else NOT_CHASED_TOP
        cosmetic("freeze panes", lambda s=s, top=top: s.freeze_panes.freeze_at(
            s.range((top + 1, 1))))
    write_issues(book, doc.issues)
    total: dict[str, float] = {}
    for m in doc.reminders:
        total[m.currency] = total.get(m.currency, 0.0) + m.total
    amounts = ", ".join(f"{c} {_money(v)}" for c, v in sorted(total.items())) or "nothing"
    summary = (f"Preview as of {doc.as_of}: {len(reminders.rows)} reminder(s) ready "
               f"({amounts}), {len(skipped.rows)} not chased. Untick what should not go, then "
               f"click Send reminders. " + _issues_phrase(doc.issues))
    _summary(book, summary, sheet, REM_SUMMARY)
    _summary(book, summary)
    return summary


def _refuse_the_old_layout(book: Any) -> None:
    """A Reminders sheet an earlier Creditdesk wrote holds the invoices and the customers not
    chased beside the reminders; Excel table names are the workbook's, so they cannot be
    written on their own sheets until that sheet is gone."""
    sheet = _named(book, REMINDERS)
    if sheet is not None and any(find_table(sheet, t.name) is not None
                                 for t in (tables.REMINDER_INVOICES, tables.NOT_CHASED)):
        raise CreditdeskError(
            "the Reminders sheet has the layout of an earlier Creditdesk (three tables side "
            "by side); delete the Reminders sheet (right-click its tab > Delete), then click "
            "Preview reminders again: the invoices and the customers not chased now have "
            "sheets of their own")


def _named(book: Any, name: str) -> Any | None:
    return next((s for s in book.sheets if s.name.casefold() == name.casefold()), None)


class _Sheet:
    """The Reminders table as the controller left it."""

    def __init__(self, book: Any):
        sheet = _named(book, REMINDERS)
        table = find_table(sheet, tables.REMINDERS.name) if sheet is not None else None
        if table is None:
            raise CreditdeskError("there is no Reminders sheet with a preview: click Preview "
                                  "reminders first")
        self.sheet, self.table = sheet, table
        values = range_values(table.range)
        self.header = [str(h) for h in values[0]]
        self.rows = [r for r in values[1:]]
        self.top = table.range.row
        self.left = table.range.column
        self.col = {contract.normalise_header(h): j for j, h in enumerate(self.header)}
        missing = [c.header for c in tables.REMINDERS.columns
                   if contract.normalise_header(c.header) not in self.col]
        if missing:
            raise CreditdeskError("the Reminders table has no column " + ", ".join(
                f"'{m}'" for m in missing) + ": click Preview reminders to rebuild it")
        batch = sheet.range(BATCH_CELL).value
        self.batch = str(batch).strip() if batch not in (None, "") else ""

    def get(self, i: int, header: str) -> Any:
        v = self.rows[i][self.col[contract.normalise_header(header)]]
        return "" if v is None else v

    def text(self, i: int, header: str) -> str:
        v = self.get(i, header)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).strip()

    def ticked(self, i: int) -> bool:
        v = self.get(i, "Send")
        if isinstance(v, bool):
            return v
        if isinstance(v, float):
            return v == 1.0
        return str(v).strip().casefold() in TRUE_WORDS

    def level(self, i: int) -> int:
        v = self.get(i, "Level")
        try:
            return int(float(v))
        except (TypeError, ValueError):
            return -1

    def write_statuses(self, statuses: dict[int, tuple[str, str, str]]) -> None:
        """Status, Message Id and Detail of the rows given, the others kept: one block."""
        j = self.col[contract.normalise_header("Status")]
        block = []
        for i in range(len(self.rows)):
            old = tuple(self.text(i, h) for h in _STATUS_COLS)
            block.append([neutralise(v) if v else None for v in statuses.get(i, old)])
        if block:
            rng = self.sheet.range((self.top + 1, self.left + j),
                                   (self.top + len(block), self.left + j + 2))
            rng.value = block


def _send(book: Any, progress: Progress, backend: BackendFactory, *, at_once: bool = False,
          now: dt.datetime | None = None) -> str:
    sheet = _Sheet(book)
    if not sheet.batch:
        raise CreditdeskError("the Reminders sheet has no batch id (cell B2): click Preview "
                              "reminders first")
    wb = _workbook(book, progress)
    a = wb.analysis
    if a.ledger.settings.as_of_date is not None:  # blank: today
        sending.stale_as_of(a.ledger.as_of_date, a.ledger.settings, now)
    progress("matching the ticked rows with today's reminders")
    doc = wb.preview
    by_key = {preview_key(m): m for m in doc["reminders"]}
    outgoing: list[tuple[int, ReminderIn]] = []
    statuses: dict[int, tuple[str, str, str]] = {}
    problems: list[dict] = []
    unticked = done = 0
    for i in range(len(sheet.rows)):
        if not sheet.text(i, "Customer"):
            continue
        if not sheet.ticked(i):
            unticked += 1
            continue
        if sheet.text(i, "Status"):  # handed over before: never again from this sheet
            done += 1
            continue
        m = by_key.get(sheet.text(i, "Key"))
        if m is None:
            statuses[i] = ("changed", "", "the ledger changed since the preview: click "
                                          "Preview reminders again")
            problems.append(_problem(sheet, i, "this reminder no longer matches the ledger; "
                                               "preview again before sending"))
            continue
        try:
            outgoing.append((i, reminder_in(m)))
        except Unsendable as exc:
            statuses[i] = ("not sent", "", _short(str(exc), 120))
            problems.append(_problem(sheet, i, f"cannot be sent: {_short(str(exc))}"))
    if not outgoing:
        sheet.write_statuses(statuses)
        _write_issues(book, a.issues(reminders=True) + problems)
        summary = (f"Nothing to send: {done} reminder(s) of batch {sheet.batch} were handed "
                   f"over before, {unticked} unticked" + (f", {len(problems)} with a problem "
                                                          "(see Issues)" if problems else "")
                   + ".")
        _summary(book, summary, sheet.sheet, REM_SUMMARY)
        _summary(book, summary)
        return summary
    window = None if at_once else sending.send_window(a.ledger.settings)
    # the backend sends From the workbook's Sender Email: the snapshot it checks goes first
    batch, answers = _hand_over(backend(a.ledger.settings), sheet.batch, wb,
                                [r for _, r in outgoing], window, progress)
    found = _match(outgoing, answers)
    for i, _ in outgoing:
        out = found.get(i)
        statuses[i] = ((out.status, out.message_id or "", out.detail or _held(batch, a))
                       if out is not None else ("queued", "", "accepted by the backend"))
        if out is not None and out.status in ("failed", "review"):
            problems.append(_problem(sheet, i, f"{out.status}: {out.detail or 'see backend'}"))
    sheet.write_statuses(statuses)
    _write_issues(book, a.issues(reminders=True) + problems)
    counts = {}
    for i, _ in outgoing:
        counts[statuses[i][0]] = counts.get(statuses[i][0], 0) + 1
    said = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    summary = (f"Batch {sheet.batch}: {len(outgoing)} reminder(s) handed over ({said}); "
               f"{unticked} unticked, {done} sent before."
               + ("" if batch.status == "done" else _later(batch, a.ledger.settings)))
    _summary(book, summary, sheet.sheet, REM_SUMMARY)
    _summary(book, summary)
    return summary


def _hand_over(client: Any, batch_id: str, wb: Any, reminders: list[ReminderIn], window: Any,
               progress: Progress) -> tuple[Any, list[ReminderOut]]:
    """Sync the workbook's snapshot (the backend checks its Sender Email), submit, wait a
    little unless the backend holds them for the Send Window, and read each reminder's
    answer."""
    try:
        progress(f"sending the ledger ({_rows_in(wb.tables, 'invoices'):,} invoices)")
        client.sync_snapshot(wb.snapshot())
        progress(f"handing {len(reminders)} reminder(s) to the backend (batch {batch_id})")
        batch = client.submit_reminders(reminders, batch_id=batch_id, send_window=window)
        if batch.status != "scheduled":
            batch = _wait(client, batch_id, progress)
        return batch, client.reminders(batch_id)
    finally:
        _close(client)


def _held(batch: Any, a: Analysis) -> str:
    if batch.status == "scheduled" and batch.not_before is not None:
        return sending.scheduled(batch.not_before, a.ledger.settings.time_zone)
    return ""


def _later(batch: Any, settings: Settings) -> str:
    if batch.status == "scheduled" and batch.not_before is not None:
        return (f" Outside the Send Window ({sending.window_text(settings)}): "
                f"{sending.scheduled(batch.not_before, settings.time_zone)}; click Sync "
                "after that for their final status.")
    return " Some are still being sent: click Sync later for their final status."


def _problem(sheet: _Sheet, i: int, message: str) -> dict:
    return {"sheet": sheet.sheet.name, "row": sheet.top + 1 + i, "column": "Send",
            "message": f"{sheet.text(i, 'Customer')} {sheet.text(i, 'Currency')}: {message}"}


def _wait(client: Any, batch_id: str, progress: Progress) -> Any:
    """Wait a little for the backend to send (a button should not hang for minutes)."""
    def shown(b: Any) -> None:
        progress(f"batch {batch_id}: {b.counts.sent} sent, {b.counts.queued} queued")
    try:
        return client.wait_for_batch(batch_id, timeout=20.0, poll=1.0, on_progress=shown)
    except CreditdeskError as exc:
        if getattr(exc, "error", "") != "timeout":
            raise
        return client.batch(batch_id)


def _match(outgoing: Sequence[tuple[int, ReminderIn]], answers: Sequence[ReminderOut]
           ) -> dict[int, ReminderOut]:
    """The backend's answer for each row sent: by customer, currency and level."""
    by = {(a.customer, a.currency, a.level): a for a in answers}
    return {i: by[(r.customer, r.currency, r.level)] for i, r in outgoing
            if (r.customer, r.currency, r.level) in by}


def _close(client: Any) -> None:
    close = getattr(client, "close", None)
    if close is not None:
        close()


# ---------------------------------------------------------------------------------------
# Sync


def _sync(book: Any, progress: Progress, backend: BackendFactory) -> str:
    wb = _workbook(book, progress, checking=False)
    tables, a = wb.tables, wb.analysis
    client = backend(a.ledger.settings)
    problems: list[dict] = []
    try:
        progress(f"sending the ledger ({_rows_in(tables, 'invoices'):,} invoices)")
        snap = client.sync_snapshot(wb.snapshot())
        problems += [i.model_dump() for i in snap.issues]
        since = _history_since(a)
        progress("fetching history, promises and disputes")
        events = client.history(start=since)
        progress("fetching the audit trail")
        entries = client.audit(since=audit.fetch_since(tables.get("audit")))
        batch_id, statuses = "", 0
        sheet = _reminders_sheet_or_none(book)
        if sheet is not None and sheet.batch:
            batch_id = sheet.batch
            try:
                answers = client.reminders(sheet.batch)
            except CreditdeskError as exc:
                if getattr(exc, "status", None) != 404:
                    raise
                answers = []  # previewed, never sent
            statuses = _update_statuses(sheet, answers)
    finally:
        _close(client)
    added = _merge_history(book, tables.get("history"), events, a.ledger.settings.time_zone)
    planned = history.plan_rows(tables.get("plans"), events, a.ledger)
    if planned.rows:
        _add_rows(book, contract.PLANS, tables.get("plans"), planned.rows)
    problems += [{"sheet": "Plans", "row": None, "column": None, "message": why}
                 for why in planned.skipped]
    changes = _merge_audit(book, tables.get("audit"), entries)
    _write_issues(book, a.issues() + problems)
    summary = (f"Synced: the backend has the ledger (snapshot {snap.version}, {snap.status}); "
               f"{added} new history row(s) added, {changes} audit change(s)"
               + (f"; {len(planned.rows)} plan(s) asked for on the debtor's page added to "
                  "Plans as Proposed (set Status to Active to accept)" if planned.rows else "")
               + (f"; {statuses} status(es) of batch {batch_id} updated" if batch_id else "")
               + ". " + _issues_phrase(a.issues() + problems))
    if sheet is not None:
        _summary(book, summary, sheet.sheet, REM_SUMMARY)
    _summary(book, summary)
    return summary


def _history_since(a: Analysis) -> dt.date | None:
    """Fetch from a week before the newest History row (None: everything)."""
    dates = a.ledger.history.date
    if not len(dates):
        return None
    newest = dates.max()
    if str(newest) == "NaT":
        return None
    return newest.astype("datetime64[D]").item() - dt.timedelta(days=7)


def _reminders_sheet_or_none(book: Any) -> _Sheet | None:
    try:
        return _Sheet(book)
    except CreditdeskError:
        return None


def _update_statuses(sheet: _Sheet, answers: Sequence[ReminderOut]) -> int:
    by = {(a.customer, a.currency, a.level): a for a in answers}
    statuses = {}
    for i in range(len(sheet.rows)):
        out = by.get((sheet.text(i, "Customer"), sheet.text(i, "Currency"), sheet.level(i)))
        if out is not None:
            statuses[i] = (out.status, out.message_id or "", out.detail)
    sheet.write_statuses(statuses)
    return len(statuses)


def _merge_history(book: Any, raw: RawTable | None, events: Sequence[Any],
                   time_zone: str | None = None, extra: Sequence[dict[str, Any]] = ()) -> int:
    """The History table with the backend's events added (each once, by Event Id, dated in
    the team's Time Zone: ``creditdesk.app.history``) and the ``extra`` rows (header ->
    value: a hand-off); rows typed in by the controller are kept as they are."""
    new = [history.event_row(e, time_zone) for e in history.new_events(raw, events)]
    _add_rows(book, contract.HISTORY, raw, new + list(extra))
    return len(new)


def _merge_audit(book: Any, raw: RawTable | None, entries: Sequence[Any]) -> int:
    """The Audit table with the backend's audit entries added (each once: the same six
    values are not added again; ``creditdesk.app.audit``), made on its own sheet when the
    workbook has none; rows typed in are kept. Returns the entries added."""
    fresh = audit.new_entries(raw, entries)
    if fresh or raw is None:
        _add_rows(book, contract.AUDIT, raw, [audit.entry_row(e) for e in fresh])
    return len(fresh)


# ---------------------------------------------------------------------------------------
# The backend


def connect(settings: Settings) -> Any:
    """The backend client: the address from Settings' Backend URL, the key from the
    ``CREDITDESK_API_KEY`` environment variable (desktop: the user's environment; xlwings
    Lite: its Environment Variables), never from the workbook."""
    from creditdesk.api.client import Client, KeyRefused

    if not settings.backend_url:
        raise CreditdeskError("Settings has no Backend URL: add the address of your "
                              "Creditdesk backend (ask your administrator)")
    key = os.environ.get(API_KEY_VARIABLE, "").strip()
    if not key:
        where = ("xlwings Lite > Settings > Environment Variables" if is_lite()
                 else "your user environment variables, then restart Excel")
        raise KeyRefused(f"no API key: set {API_KEY_VARIABLE} in {where}")
    transport = None
    if is_lite():
        from creditdesk_addin.pyodide_http import XHRTransport

        transport = XHRTransport()
    return Client(settings.backend_url, key, transport=transport, retries=2,
                  max_retry_seconds=20.0)
