"""The ``creditdesk`` command.

Exit status: 0 when the run completed (issues in the input or not; they are reported), 3 when
it completed but could not use most of the workbook's invoice rows (said first, on stderr), 2
for a usage error, a workbook that cannot be used, or a backend that cannot be reached or
refuses the key (one line on stderr), 4 when ``import --into`` refuses an export that would
settle most of the workbook's balance (see ``import_command``), 1 for an internal error (one
line on stderr, never a traceback).

Other packages add command groups through the ``creditdesk.commands`` entry point group: each
entry point names a ``register(subparsers)`` function that adds its parsers and sets
``run=callable(args) -> int`` as a default on each (``backend`` is one: the operator tools in
``backend/ops``; ``demo`` another, from ``devkit``). The domain package never imports them.

``main`` is the composition root: what sync and send do with a workbook is
``creditdesk.app``'s; the backend client is made here, from ``--url``/``--api-key`` or the
environment, over the ``transport`` given to ``main`` (tests pass one that reaches the app in
process), else over the network.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from creditdesk.cli.options import date_option
from creditdesk.domain.errors import CreditdeskError

if TYPE_CHECKING:
    import httpx

    from creditdesk.analysis.report import Analysis

PROG = "creditdesk"
PLUGIN_GROUP = "creditdesk.commands"
MOSTLY_UNUSABLE = 3  # the run completed on less than half of the invoice rows
URL_ENV = "CREDITDESK_URL"
KEY_ENV = "CREDITDESK_API_KEY"


class UsageError(CreditdeskError):
    pass


class CommandParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2 (command groups
    added through ``creditdesk.commands`` and run on their own use it too)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


_Parser = CommandParser  # the old name, still imported by backend/ops/cli.py




def _currency(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise argparse.ArgumentTypeError(f"'{text}' is not a three-letter currency code")
    return code


MAX_AMOUNT = 1e12  # an amount of a trillion or more on the command line is a typing slip


def _number(text: str, what: str = "an amount") -> float:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not {what}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not {what}")
    return value


def _amount(text: str) -> float:
    """A debt: a number, not negative, below a trillion."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"{text} is negative: interest is due on a debt, and a credit note or a payment "
            "on account earns none")
    if value >= MAX_AMOUNT:
        raise argparse.ArgumentTypeError(f"{text} is not a plausible debt (at most "
                                         f"{MAX_AMOUNT - 0.01:,.2f})")
    return value


def _order(text: str) -> float:
    """A proposed order, as ``order_check`` takes it."""
    from creditdesk.analysis.report import order_amount_problem

    value = _number(text)
    problem = order_amount_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(f"{text} {problem}")
    return value


MAX_RATE = 100.0  # % a year: a contract rate above it is a typing slip (8.5, not 850)


def _rate(text: str) -> float:
    """A contract rate: annual percent, 0 to 100."""
    value = _number(text, "a rate (annual percent, e.g. 8.5)")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative: a contract rate is 0 or more "
                                         "(annual percent)")
    if value > MAX_RATE:
        raise argparse.ArgumentTypeError(f"{text}% a year is not a plausible contract rate "
                                         f"(at most {MAX_RATE:g}); give the annual percent, "
                                         "e.g. 8.5")
    return value


_REPORTS = (  # (command, help, description)
    ("ageing", "ageing buckets per customer and the KPIs",
     "Show the ageing buckets per customer, the totals and the KPIs of a workbook."),
    ("check", "credit decisions (Approve, Review, Hold) with reasons",
     "Show the credit decision (Approve, Review or Hold) and its reasons for each customer "
     "of a workbook; with --customer, for one customer, and with --order, for a proposed "
     "order."),
    ("remind", "preview today's reminders and who is skipped, and why",
     "Preview the reminders due today, one per customer and currency, and list the "
     "customers who are not chased, with the reason. Nothing is sent ('send' sends)."),
    ("score", "payment scores, grades and recommended limits",
     "Show each customer's payment score, grade and recommended credit limit, with the "
     "reasons."),
)


def _parser() -> CommandParser:
    p = CommandParser(prog=PROG, description="Credit management and debt collection on "
                      "your Excel workbook: ageing, credit checks, reminders, interest and "
                      "scores.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    sub.required = True

    new = sub.add_parser("new", help="write a fresh workbook from the template",
                         description="Write a fresh Creditdesk workbook (the contract tables "
                         "with default settings, reminder levels and templates).")
    new.add_argument("path", type=Path, help="where to write the .xlsx")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    new.add_argument("--base-currency", metavar="CODE", type=_currency,
                     help="the ledger's currency, e.g. GBP (default: blank, which follows "
                     "the Country setting: GB is GBP)")

    for name, what, description in _REPORTS:
        c = sub.add_parser(name, help=what, description=description + " Problems in the "
                           "workbook are listed as issues; every good row is still used.")
        c.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
        c.add_argument("--as-of", type=date_option, metavar="DATE",
                       help="the as-of date (default: Settings' As Of Date, else today)")
        c.add_argument("--json", action="store_true", help="print one JSON document")
        c.add_argument("-o", "--output", type=Path, metavar="RESULTS.xlsx",
                       help="also write a results workbook (the input is never changed)")
        c.add_argument("--force", action="store_true",
                       help="let -o overwrite an existing file")
        if name == "remind":
            c.add_argument("--drafts", type=Path, metavar="DIR",
                           help="also write each reminder as an .eml draft, "
                           "DIR/CUSTOMER-CURRENCY-levelN.eml, to open in a mail program")
        if name == "check":
            c.add_argument("--customer", help="check one customer (with --order: for a "
                           "proposed order)")
            c.add_argument("--order", type=_order, metavar="AMOUNT",
                           help="a proposed order amount, base currency (needs --customer)")

    it = sub.add_parser("interest", help="statutory interest and compensation on a debt",
                        description="Late-payment interest and fixed compensation under the "
                        "UK Late Payment of Commercial Debts (Interest) Act 1998 or the EU "
                        "Late Payment Directive 2011/7/EU.")
    it.add_argument("--amount", type=_amount, required=True,
                    help="the debt, in the invoice's currency")
    it.add_argument("--due", type=date_option, required=True, metavar="DATE", help="due date")
    it.add_argument("--paid", type=date_option, metavar="DATE",
                    help="payment date (default: today, for a debt still unpaid)")
    it.add_argument("--law", choices=("UK", "EU"), type=str.upper, required=True)
    it.add_argument("--contract-rate", type=_rate, metavar="PERCENT",
                    help="a contractual annual rate (0 to 100) that replaces the statutory "
                    "rate")
    it.add_argument("--workbook", type=Path, metavar="WORKBOOK",
                    help="take the reference rates from this workbook's Rates table (see "
                    "'rates update'; default: the rates Creditdesk ships)")
    it.add_argument("--json", action="store_true", help="print one JSON document")

    sy = sub.add_parser("sync", help="send the workbook to the backend; write its history "
                        "back into the workbook",
                        description="Send the workbook's tables to the Creditdesk backend as "
                        "a new ledger snapshot (large ledgers go through a direct upload), "
                        "then show what the backend holds (reminders sent, deliveries, "
                        "bounces, promises to pay, disputes and notes) and add what the "
                        "workbook's History table does not have yet to it, so the next "
                        "preview does not offer what was sent; and the audit trail (each "
                        "change of a credit limit, terms, pause, Do Not Chase, Debtor Type, "
                        "the dunning levels, settings and templates, with the key that sent "
                        "it) to the Audit table. Only the History and Audit tables "
                        "change; the workbook as it was is kept beside it "
                        "(NAME.backup.xlsx). A workbook open in Excel is refused: close it "
                        "first.")
    sy.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
    sy.add_argument("--days", type=int, default=90, metavar="N",
                    help="history of the last N days (default 90)")
    sy.add_argument("--json", action="store_true", help="print one JSON document")
    _backend_options(sy)

    se = sub.add_parser("send", help="send today's reminders through the backend",
                        description="Preview today's reminders (as 'remind' does, with the "
                        "count and total per level and one mail of each level in full), ask, "
                        "hand them to the Creditdesk backend, wait until they are sent and "
                        "show each one's status and message id. A workbook whose As Of Date "
                        "is not today (in its Time Zone) is refused; outside the Send Window "
                        "the batch is scheduled for when it opens. A reminder already sent "
                        "(same customer, level, invoices and day) is never sent again.")
    se.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
    se.add_argument("--as-of", type=date_option, metavar="DATE",
                    help="the as-of date (default: Settings' As Of Date, else today)")
    se.add_argument("--yes", action="store_true", help="send without asking (without a "
                    "terminal and without --yes nothing is sent, and the first line says so)")
    se.add_argument("--now", action="store_true",
                    help="send at once; without it, outside the Send Window (Settings' Send "
                    "Window, in its Time Zone, on business days of its Country) the backend "
                    "holds the batch until the window opens")
    se.add_argument("--as-of-ok", action="store_true",
                    help="send although the workbook's As Of Date is not today (by default "
                    "such a workbook is refused: blank As Of Date means today)")
    se.add_argument("--json", action="store_true",
                    help="print one JSON document (the preview goes to stderr)")
    se.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                    help="how long to wait for the batch (default 600)")
    _backend_options(se)

    from creditdesk.cli import (
        handoff_command,
        import_command,
        letters_command,
        plan_command,
        rates_command,
        statements_command,
    )

    import_command.register(sub)
    rates_command.register(sub)
    plan_command.register(sub)
    statements_command.register(sub)
    letters_command.register(sub)
    handoff_command.register(sub)
    _add_plugins(sub)
    return p


def _backend_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help=f"the backend's address (default: ${URL_ENV})")
    p.add_argument("--api-key", help=f"the API key (default: ${KEY_ENV}; prefer the "
                   "variable: options can be seen by other users of the machine)")


def _add_plugins(sub: argparse._SubParsersAction) -> None:
    """Command groups other packages register (entry point group ``creditdesk.commands``).
    A group that fails to load stays listed and says why when used."""
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        if ep.name in sub.choices:
            continue
        try:
            ep.load()(sub)
        except Exception as exc:  # a missing optional dependency, most often
            why = f"{type(exc).__name__}: {exc}"
            if ep.name in sub.choices:  # half-registered: replace with the stub
                continue
            stub = sub.add_parser(ep.name, help=f"(unavailable: {why})", add_help=False)
            stub.add_argument("rest", nargs=argparse.REMAINDER)
            stub.set_defaults(run=_unavailable(ep.name, why))


def _unavailable(name: str, why: str):
    def run(args: argparse.Namespace) -> int:
        raise UsageError(f"{PROG} {name}: not available here ({why}); install the extras it "
                         "needs, e.g. pip install 'creditdesk[backend,local]'")
    return run


# ---------------------------------------------------------------------------------------


def _load(path: Path, as_of: dt.date | None):
    from creditdesk.app.workbook import Workbook

    return Workbook.read(path, as_of).analysis


def _write_results(analysis, output: Path, source: Path | None) -> None:
    from creditdesk.files.xlsx_write import write_results

    if source is not None and output.resolve() == source.resolve():
        raise UsageError(f"{PROG}: -o must not be the input workbook {source}")
    write_results(output, analysis.results(), source_name=source.name if source else "")


def _print_json(doc) -> None:
    """One document on stdout: a model of ``creditdesk.analysis.documents`` or a dict."""
    if hasattr(doc, "as_json"):
        doc = doc.as_json()
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _issues_line(issues: list) -> str:
    from creditdesk.cli import text

    return "\n".join(text.issues(issues))


def _m(x: float | None) -> str:
    return "" if x is None else f"{x:,.2f}"


def _show(report: str, doc) -> None:
    """The text report of ``creditdesk.cli.text`` named ``report``, printed."""
    from creditdesk.cli import text

    print("\n".join(getattr(text, report)(doc)))


def _check_output(args: argparse.Namespace, source: Path | None) -> None:
    """``-o`` is never the input, and overwrites an existing file only with ``--force``
    (checked before any work is done)."""
    out = args.output
    if out is None:
        return
    if source is not None and out.resolve() == source.resolve():
        raise UsageError(f"{PROG}: -o must not be the input workbook {source}")
    if out.exists() and not args.force:
        raise UsageError(f"{PROG} {args.command}: {out} exists; use --force to overwrite it")


def _run_report(args: argparse.Namespace) -> int:
    """A report command, with the cyclic garbage collector paused (``imports.collector``):
    the documents of 100,000 invoices are some 100,000 objects, none in a cycle, and walking
    them again and again cost a fifth of building and writing them."""
    from creditdesk.imports.collector import paused

    with paused():
        return _report(args)


def _report(args: argparse.Namespace) -> int:
    from creditdesk.analysis.report import order_check

    _check_output(args, args.workbook)
    one = args.command == "check" and (args.customer is not None or args.order is not None)
    if one and not args.customer:
        raise UsageError(f"{PROG} check: --order needs --customer (the customer the order "
                         "is for)")
    analysis = _load(args.workbook, args.as_of)
    status = 0
    unusable = analysis.ledger.mostly_unusable()
    if unusable:
        print(f"{PROG}: {args.workbook}: {unusable}", file=sys.stderr)
        status = MOSTLY_UNUSABLE
    if one:
        try:
            order = order_check(analysis, args.customer, args.order or 0.0)
        except KeyError:
            raise UsageError(f"{PROG} check: no customer '{args.customer}' in the "
                             "Customers table") from None
        order = order.model_copy(update={"issues": analysis.issue_rows()})
        if args.output:
            _write_results(analysis, args.output, args.workbook)
        if args.json:
            _print_json(order)
        else:
            print(order.summary)
            if args.output:
                print(f"Results written to {args.output}")
        return status
    doc = {"ageing": analysis.ageing_report, "check": analysis.check_report,
           "remind": analysis.remind_report, "score": analysis.score_report}[args.command]()
    if args.output:
        _write_results(analysis, args.output, args.workbook)
    if getattr(args, "drafts", None) is not None:
        _write_drafts(analysis, args.drafts, sys.stderr if args.json else sys.stdout)
    if args.json:
        _print_json(doc)
        return status
    _show(args.command, doc)
    print()
    print(_issues_line(doc.issues))
    if args.output:
        print(f"Results written to {args.output}")
    return status


def _write_drafts(analysis: Analysis, folder: Path, out: Any) -> None:
    from creditdesk.app.drafts import write_drafts

    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{PROG} remind: --drafts {folder} is a file, not a folder")
    try:
        drafts = write_drafts(analysis.remind_doc()["reminders"], analysis.ledger.settings,
                              folder)
    except OSError as exc:
        raise UsageError(f"{PROG} remind: cannot write the drafts into {folder}: "
                         f"{exc.strerror or exc}") from None
    print(f"{len(drafts.written)} draft(s) written to {folder}/ (CUSTOMER-CURRENCY-levelN.eml)",
          file=out)
    for h in drafts.held:
        print(f"  no draft for {h.customer} {h.currency} level {h.level}: {h.reason}", file=out)


def _run_interest(args: argparse.Namespace) -> int:
    from creditdesk.analysis.documents import InterestReport
    from creditdesk.domain.interest import round_money, statutory_interest

    paid = args.paid or dt.date.today()
    rates = None
    if args.workbook is not None:
        from creditdesk.app.workbook import Workbook

        rates = Workbook.read(args.workbook).analysis.ledger.rates.get(args.law)
    try:
        r = statutory_interest(args.amount, args.due, paid, args.law, args.contract_rate,
                               rates=rates)
    except ValueError as exc:  # a due date before the rate table starts, for one
        raise UsageError(f"{PROG} interest: {exc}") from None
    doc = InterestReport(
        law=r.law, amount=round_money(args.amount), due=args.due, paid=paid, rate=r.rate,
        days=r.days, interest=round_money(r.interest),
        compensation=round_money(r.compensation),
        compensation_currency=r.compensation_currency, reference_date=r.reference_date,
        warnings=[r.warning] if r.warning else [])
    if args.json:
        _print_json(doc)
        return 0
    early = (args.due - paid).days
    if early >= 0:
        when = "on the due date" if early == 0 else \
            f"{early} day{'s' if early != 1 else ''} before the due date {args.due}"
        print(f"Not late: paid on {paid}, {when}. No interest and no fixed compensation are "
              "due.")
    elif args.amount == 0:
        print(f"Nothing is due on an amount of 0 ({-early} days late).")
    else:
        print(f"{r.days} days late at {r.rate:g}% a year ({r.law}): interest "
              f"{doc.interest:,.2f}, fixed compensation {r.compensation_currency} "
              f"{doc.compensation:,.2f}")
    for w in doc.warnings:
        print(f"Note: {w}")
    return 0


def _run_new(args: argparse.Namespace) -> int:
    from creditdesk.files.xlsx_write import write_template

    if args.path.exists() and not args.force:
        raise UsageError(f"{PROG} new: {args.path} exists; use --force to overwrite it")
    write_template(args.path, base_currency=args.base_currency)
    print(f"Wrote {args.path}: fill in Customers and Invoices, then run "
          f"'{PROG} ageing {args.path}'.")
    return 0


# -- the backend -------------------------------------------------------------------------


def _client(args: argparse.Namespace, transport=None):
    """The backend client for ``--url`` and ``--api-key`` (else the environment); a usage
    error when either is missing."""
    from creditdesk.api.client import Client

    url = args.url or os.environ.get(URL_ENV, "")
    key = args.api_key or os.environ.get(KEY_ENV, "")
    if not url:
        raise UsageError(f"{PROG} {args.command}: no backend address: set {URL_ENV} or pass "
                         "--url")
    if not key:
        raise UsageError(f"{PROG} {args.command}: no API key: set {KEY_ENV} or pass --api-key")
    return Client(url, key, transport=transport)


_KINDS = (("reminder", "reminder(s) sent"), ("delivery", "delivered"), ("bounce", "bounced"),
          ("complaint", "complaint(s)"), ("promise", "promise(s) to pay"),
          ("dispute", "dispute(s)"), ("note", "note(s)"), ("plan", "plan request(s)"))


def _run_sync(args: argparse.Namespace, transport=None) -> int:
    from creditdesk.app import audit
    from creditdesk.app.workbook import Workbook
    from creditdesk.files.xlsx_append import check_writable, has_table

    wb = Workbook.read(args.workbook)
    check_writable(args.workbook, "History")  # before anything is sent: it is written back
    with_audit = has_table(args.workbook, audit.TABLE)
    since = dt.date.today() - dt.timedelta(days=max(args.days, 0))
    with _client(args, transport) as cd:
        snap = cd.sync_snapshot(wb.snapshot())
        events = cd.history(start=since)
        entries = cd.audit(since=audit.fetch_since(wb.tables.get("audit"))) if with_audit \
            else []
    written, audit_written = _write_history(args, wb, events, entries if with_audit else None)
    backed_up = bool(written["backup"] or audit_written["backup"])
    planned = _write_plans(args, wb, events, backup=not backed_up)
    doc = {"snapshot": snap.model_dump(mode="json"), "since": since.isoformat(),
           "history": [e.model_dump(mode="json") for e in events], "written": written,
           "plans": planned, "audit": [e.model_dump(mode="json") for e in entries],
           "audit_written": audit_written}
    if args.json:
        _print_json(doc)
        return 0 if snap.status != "rejected" else 2
    s = snap
    if s.status == "rejected":
        print(f"The backend rejected {args.workbook}: {s.message or 'see the issues'}; the "
              "previous snapshot stays in force.")
    else:
        print(f"Synced {args.workbook}: snapshot {s.version} is {s.status}"
              f"{f' as of {s.as_of}' if s.as_of else ''}, {s.customers} customer(s), "
              f"{s.invoices} invoice(s).")
    print(_issues_line([i.model_dump() for i in s.issues]))
    counts = {k: sum(1 for e in events if e.type == k) for k, _ in _KINDS}
    print(f"\nThe backend's history since {since}: "
          + ", ".join(f"{counts[k]} {label}" for k, label in _KINDS) + ".")
    for e in events:
        if e.type == "promise":
            print(f"  promise  {e.customer:<10} {_m(e.amount):>12} by {e.date}  {e.note}")
        elif e.type == "dispute":
            print(f"  dispute  {e.customer:<10} invoice {e.invoice}: {e.note}")
        elif e.type in ("bounce", "complaint"):
            print(f"  {e.type:<8} {e.customer:<10} {e.email or ''}  {e.note}")
    print(_written_line(args.workbook, written, planned, audit_written["rows_added"]))
    for line in _plans_lines(args.workbook, planned):
        print(line)
    print(_audit_line(audit_written, written["rows_added"]))
    return 0 if s.status != "rejected" else 2


def _write_history(args: argparse.Namespace, wb, events, entries=None) -> tuple[dict, dict]:
    """The backend's events the workbook's History table does not have yet, and its audit
    entries the Audit table does not have yet (``entries`` None: the workbook has no Audit
    table), written into it in one write (``files.xlsx_append``: only those tables change;
    a backup beside the file)."""
    from creditdesk.app import audit, history
    from creditdesk.files.xlsx_append import append_tables

    new = history.new_events(wb.tables.get("history"), events)
    try:
        zone = wb.analysis.ledger.settings.time_zone
    except CreditdeskError:  # a ledger the backend judges; its History is dated in UTC then
        zone = None
    rows = {"History": [history.event_row(e, zone) for e in new]}
    fresh = audit.new_entries(wb.tables.get("audit"), entries) if entries is not None else []
    if entries is not None:
        rows[audit.TABLE] = [audit.entry_row(e) for e in fresh]
    done = append_tables(args.workbook, rows)
    h = done["History"]
    a = done.get(audit.TABLE)
    return ({"table": "History", "sheet": h.sheet, "rows_added": h.rows,
             "by_type": history.counts(new),
             "backup": str(h.backup) if h.backup else None,
             "columns_added": h.added_columns},
            {"table": audit.TABLE, "present": a is not None,
             "sheet": a.sheet if a else None, "rows_added": a.rows if a else 0,
             "backup": str(a.backup) if a and a.backup else None})


def _audit_line(written: dict, history_rows: int) -> str:
    """What the Audit write did (the backup is named by the History line when it added
    rows too: one write, one backup)."""
    if not written["present"]:
        return ("Audit: the workbook has no Audit table, so the audit trail was not written "
                "(copy the Audit sheet from 'creditdesk new', or see it with GET /v1/audit).")
    n = written["rows_added"]
    if not n:
        return "Audit: no new changes."
    return (f"Audit: {n} change(s) added to the Audit table."
            + ("" if history_rows else f" The workbook as it was: {written['backup']}."))


def _write_plans(args: argparse.Namespace, wb, events, *, backup: bool) -> dict:
    """A Proposed row in the Plans table for each plan asked for on the debtor's page that
    it does not hold yet (``app.history.plan_rows``): appended in place to the workbook's
    Plans table, else the table is added (``files.xlsx_update``: the workbook rewritten, its
    other sheets carried; refused for a macro workbook). ``backup``: no backup was made yet
    by the History write."""
    from creditdesk.app import history
    from creditdesk.domain import contract
    from creditdesk.files.xlsx_append import append_rows, has_table
    from creditdesk.files.xlsx_update import update_tables

    doc: dict = {"table": "Plans", "requests": sum(1 for e in events if e.type == "plan"),
                 "rows_added": 0, "plans": [], "already": 0, "skipped": [],
                 "created": False, "not_written": None, "backup": None, "not_carried": []}
    if not doc["requests"]:
        return doc
    try:
        ledger = wb.analysis.ledger
    except CreditdeskError as exc:
        doc["not_written"] = f"the workbook's ledger cannot be read ({exc})"
        return doc
    made = history.plan_rows(wb.tables.get("plans"), events, ledger)
    doc["already"], doc["skipped"] = made.already, made.skipped
    if not made.rows:
        return doc
    try:
        if has_table(args.workbook, "Plans"):
            done = append_rows(args.workbook, "Plans", made.rows, backup=backup)
            doc["backup"] = str(done.backup) if done.backup else None
        else:
            from creditdesk.files.xlsx_read import read_workbook

            raw = read_workbook(args.workbook)  # with the History rows just added
            header = [c.header for c in contract.PLANS.columns]
            try:
                up = update_tables(args.workbook, {"Plans": (header, [
                    [r.get(h) for h in header] for r in made.rows])}, backup=backup, raw=raw)
            except CreditdeskError as exc:
                raise CreditdeskError(f"{exc}; it has no Plans table to add them to: add one "
                                      "(copy the Plans sheet of 'creditdesk new')") from None
            doc["created"], doc["not_carried"] = True, up.lost
            doc["backup"] = str(up.backup) if up.backup else None
    except CreditdeskError as exc:
        doc["not_written"] = str(exc)
        return doc
    doc["rows_added"] = len(made.rows)
    doc["plans"] = [{"plan": r["Plan"], "customer": r["Customer"],
                     "instalments": r["Instalments"], "frequency": r["Frequency"],
                     "start": r["Start Date"].isoformat(), "amounts": r["Amounts"],
                     "currency": r["Currency"], "invoices": r["Invoices"]}
                    for r in made.rows]
    return doc


def _plans_lines(path: Path, planned: dict) -> list[str]:
    if not planned["requests"]:
        return []
    out = []
    if planned["not_written"]:
        out.append(f"Plans: the plan(s) asked for on the debtor's page were NOT written into "
                   f"{path}: {planned['not_written']}. Sync again once that is put right.")
    elif planned["rows_added"]:
        where = ("a new Plans table" if planned["created"] else "its Plans table")
        out.append(f"Plans: {planned['rows_added']} plan(s) asked for on the debtor's page "
                   f"added to {where} in {path} as Proposed; set a plan's Status to Active to "
                   "accept it (Cancelled to refuse it).")
        out += [f"  {p['plan']}  {p['customer']:<10} {p['instalments']} "
                f"{p['frequency'].lower()} from {p['start']}: {p['amounts']} {p['currency']} "
                f"({p['invoices']})" for p in planned["plans"]]
        if planned["created"]:
            out.append(f"  {path} was rewritten to add the table (the workbook as it was: "
                       f"{planned['backup'] or 'the backup named above'}).")
            if planned["not_carried"]:
                out.append("  NOT CARRIED: " + "; ".join(planned["not_carried"]))
    if planned["already"]:
        out.append(f"Plans: {planned['already']} plan request(s) already in the Plans table.")
    out += [f"Plans: not proposed: {why}" for why in planned["skipped"]]
    return out


def _written_line(path: Path, written: dict, planned: dict | None = None,
                  audited: int = 0) -> str:
    """What the History write did; ``planned``: what the Plans write did, ``audited``: how
    many Audit rows the same write added (each with its own lines)."""
    n = written["rows_added"]
    plans = bool(planned and planned["rows_added"])
    others = [name for name, yes in (("Plans", plans), ("Audit", audited > 0)) if yes]
    if not n:
        return "History: no new rows." if others else \
            f"History: no new rows; {path} is unchanged."
    kinds = ", ".join(f"{c} {k}" for k, c in written["by_type"].items())
    tables = " and ".join(others) + (" tables" if len(others) > 1 else " table")
    rest = ("" if plans and planned["created"] else
            f"; nothing else in it changed but the {tables} (below)" if others else
            "; nothing else in it changed")
    line = (f"History: {n} row(s) added to {path} ({kinds}){rest}. "
            f"The workbook as it was: {written['backup']}.")
    if written["columns_added"]:
        line += (" Column(s) added to its History table: "
                 + ", ".join(written["columns_added"]) + ".")
    return line


class _Progress:
    """A progress bar on a terminal; plain lines (only when something changed) otherwise."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last: tuple | None = None

    def __call__(self, b) -> None:
        c = b.counts
        done = c.total - c.queued
        state = (b.status, c.total, c.queued, c.sent, c.skipped, c.failed, c.review)
        if state == self.last:
            return
        self.last = state
        tail = (f"{done}/{c.total}: {c.sent} sent, {c.skipped} skipped, {c.failed} failed, "
                f"{c.review} for review")
        if self.tty:
            width = 30
            fill = int(width * done / c.total) if c.total else width
            self.stream.write(f"\rSending [{'#' * fill}{'.' * (width - fill)}] {tail}\x1b[K")
            if b.status == "done":
                self.stream.write("\n")
        else:
            self.stream.write(f"Sending: {tail}\n")
        self.stream.flush()


def _can_ask() -> bool:
    return bool(sys.stdin) and sys.stdin.isatty()


def _confirm(question: str) -> bool:
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _send_workbook(args: argparse.Namespace):
    """The workbook to send, as of today in its Time Zone unless it says otherwise;
    ``StaleWorkbook`` (exit 2) when its As Of Date is not today and ``--as-of-ok`` is not
    given."""
    from creditdesk.app import sending
    from creditdesk.app.workbook import Workbook

    wb = Workbook.read(args.workbook, args.as_of)
    settings = wb.analysis.ledger.settings
    today = sending.today_in(settings)
    if args.as_of is None and settings.as_of_date is None and \
            wb.analysis.ledger.as_of_date != today:  # blank: today where the team is
        wb = Workbook(wb.tables, today)
    if not args.as_of_ok:
        sending.stale_as_of(wb.analysis.ledger.as_of_date, settings,
                            how_to_override="pass --as-of-ok to send as of that date anyway")
    return wb


def _show_levels(doc: dict) -> None:
    """Per level: the count, the totals and one mail in full."""
    from creditdesk.app.sending import levels

    for lv in levels(doc["reminders"]):
        r = lv.sample
        print(f"\nLevel {lv.level}: {lv.count} reminder(s), {lv.totals_text()}. One of them "
              "in full:")
        print(f"  To: {r['to']}" + (f"  Cc: {r['cc']}" if r.get("cc") else ""))
        print(f"  Subject: {r['subject']}")
        for line in (r["text"] or "(no text: its template could not be rendered)").splitlines():
            print(f"  | {line}".rstrip())


def _send_preview(wb, out) -> tuple[dict, list]:
    from dataclasses import asdict

    doc = wb.preview
    held = [asdict(h) for h in wb.outgoing.held]
    with contextlib.redirect_stdout(out):
        _show("remind", doc)
        _show_levels(doc)
        for h in held:
            print(f"  not sent: {h['customer']} {h['currency']} L{h['level']}: "
                  f"{h['reason']}")
    return doc, held


def _run_send(args: argparse.Namespace, transport=None) -> int:
    from creditdesk.app import sending
    from creditdesk.app.reminders import new_batch_id

    out = sys.stderr if args.json else sys.stdout
    wb = _send_workbook(args)
    settings = wb.analysis.ledger.settings
    asking = not args.yes
    if asking and not _can_ask():  # said first, before the preview
        print(f"{PROG} send: nothing will be sent: there is no terminal to ask on; add --yes "
              "to send without asking. The preview follows.", file=out)
    cd = _client(args, transport)  # checks URL and key before anything is shown
    with cd:
        doc, held = _send_preview(wb, out)
        reminders = wb.outgoing.send
        result: dict = {"as_of": doc["as_of"], "batch": None, "reminders": [],
                        "not_sent": held, "issues": doc["issues"]}
        if not reminders:
            print("Nothing to send.", file=out)
            if args.json:
                _print_json(result)
            return 0
        if asking and not _can_ask():
            print("Nothing was sent (no terminal to ask on; add --yes).", file=out)
            return 2
        if asking and not _confirm(f"Send {len(reminders)} reminder(s) through "
                                   f"{cd.base_url}?"):
            print("Nothing was sent.", file=out)
            return 0
        # the backend sends From the workbook's Sender Email: the snapshot it checks goes first
        cd.sync_snapshot(wb.snapshot())
        batch = cd.submit_reminders(
            reminders, batch_id=new_batch_id(wb.analysis.ledger.as_of_date),
            send_window=None if args.now else sending.send_window(settings))
        if batch.status == "scheduled" and batch.not_before is not None:
            return _scheduled(args, batch, settings, result, out)
        print(f"Batch {batch.batch_id}: {batch.counts.total} reminder(s) accepted by the "
              "backend.", file=out)
        batch = cd.wait_for_batch(batch.batch_id, timeout=args.timeout,
                                  on_progress=_Progress())
        rows = cd.reminders(batch.batch_id)
    return _sent(args, batch, rows, result)


def _scheduled(args: argparse.Namespace, batch, settings, result: dict, out) -> int:
    from creditdesk.app import sending

    print(f"Batch {batch.batch_id}: {batch.counts.total} reminder(s) accepted, "
          f"{sending.scheduled(batch.not_before, settings.time_zone)}: outside the Send "
          f"Window ({sending.window_text(settings)}, business days in {settings.country}). "
          f"The backend sends them then; '{PROG} send --now' sends at once, '{PROG} sync' "
          "shows them once sent.", file=out)
    if args.json:
        result["batch"] = batch.model_dump(mode="json")
        _print_json(result)
    return 0


def _sent(args: argparse.Namespace, batch, rows, result: dict) -> int:
    result["batch"] = batch.model_dump(mode="json")
    result["reminders"] = [r.model_dump(mode="json") for r in rows]
    if args.json:
        _print_json(result)
        return 0
    for r in rows:
        detail = f"  {r.detail}" if r.detail else ""
        print(f"  {r.customer:<10} L{r.level} {r.currency}  {r.status:<8} "
              f"{r.message_id or '-'}{detail}")
    c = batch.counts
    print(f"Done: {c.sent} sent, {c.skipped} skipped (already sent or not to be chased), "
          f"{c.failed} failed, {c.review} held for review.")
    return 0


def main(argv: Sequence[str] | None = None, *,
         transport: httpx.BaseTransport | None = None) -> int:
    """Run the ``creditdesk`` command on ``argv`` (default: the process's arguments) and
    return its exit status. ``transport`` carries the backend client's requests (default:
    the network)."""
    try:
        args = _parser().parse_args(argv)
        run = getattr(args, "run", None) or {
            "new": _run_new, "interest": _run_interest,
            "sync": functools.partial(_run_sync, transport=transport),
            "send": functools.partial(_run_send, transport=transport),
        }.get(args.command, _run_report)
        if getattr(args, "takes_transport", False):  # a command that may reach the backend
            run = functools.partial(run, transport=transport)
        return run(args)
    except CreditdeskError as exc:
        print(str(exc) if str(exc).startswith(PROG) else f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: no traceback reaches the user
        print(f"{PROG}: internal error ({type(exc).__name__}: {exc}); please report it",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
