"""``creditdesk statements``: statements of account, as text, JSON or PDF files.

    creditdesk statements WORKBOOK [--customer ID] [--from DATE] [--to DATE]
                          [--kind activity|open-items] [-o DIR] [--force] [--json]

The period defaults to the As Of Date's month (from its first day to the As Of Date);
``--to`` is the statements' last day and the as-of date of the ledger they are made from.
Every customer and currency with a balance or a transaction in the period gets a statement
(open items: with something unpaid). ``-o DIR`` writes CUSTOMER-CURRENCY-statement.pdf for
each and statements.xlsx (the same figures on its Statements sheet). Exit status as the
other reports: 0, 3 when most invoice rows could not be used, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from creditdesk.cli.options import date_option
from creditdesk.domain.errors import CreditdeskError
from creditdesk.domain.statements import KINDS

PROG = "creditdesk statements"
RESULTS_FILE = "statements.xlsx"
MOSTLY_UNUSABLE = 3


class StatementsUsageError(CreditdeskError):
    pass


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "statements", help="statements of account per customer and currency (PDF with -o)",
        description="Statements of account: per customer and currency, the opening balance, "
        "every invoice, credit note and payment of the period with a running balance, the "
        "closing balance (the ageing's outstanding on the last day) and its ageing; or the "
        "open items only. See docs/statements.md.")
    p.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
    p.add_argument("--customer", metavar="ID", help="only this customer (its key)")
    p.add_argument("--from", dest="start", type=date_option, metavar="DATE",
                   help="the period's first day (default: the first of --to's month)")
    p.add_argument("--to", dest="end", type=date_option, metavar="DATE",
                   help="the period's last day (default: Settings' As Of Date, else today)")
    p.add_argument("--kind", choices=KINDS, default="activity",
                   help="activity: every transaction (default); open-items: what is unpaid")
    p.add_argument("-o", "--output", type=Path, metavar="DIR",
                   help=f"write a PDF per statement and {RESULTS_FILE} into this folder")
    p.add_argument("--force", action="store_true", help="let -o overwrite existing files")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from creditdesk.analysis.statements import statements_report
    from creditdesk.app.workbook import Workbook

    if args.start and args.end and args.start > args.end:
        raise StatementsUsageError(f"{PROG}: --from {args.start} is after --to {args.end}")
    folder = _folder(args.output, args.force) if args.output else None
    ledger = Workbook.read(args.workbook, args.end).analysis.ledger
    status = 0
    unusable = ledger.mostly_unusable()
    if unusable:
        print(f"{PROG}: {args.workbook}: {unusable}", file=sys.stderr)
        status = MOSTLY_UNUSABLE
    if args.customer is not None and args.customer not in ledger.customer_index:
        raise StatementsUsageError(f"{PROG}: no customer '{args.customer}' in the Customers "
                                   "table")
    try:
        report = statements_report(ledger, args.start, args.kind, args.customer)
    except ValueError as exc:  # a period after the as-of date
        raise StatementsUsageError(f"{PROG}: {exc}") from None
    written = _write(report, folder, args) if folder else []
    if folder:
        from creditdesk.documents.pdf import statement_missing

        for st in report.statements:
            if missing := statement_missing(st):
                print(f"{PROG}: {st.customer} {st.currency}: the PDF font has no {missing}; "
                      "those letters are blank in it (the JSON and statements.xlsx have them)",
                      file=sys.stderr)
    if args.json:
        json.dump(report.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return status
    for line in lines(report):
        print(line)
    if folder:
        print(f"Wrote {len(written)} PDF statements and {RESULTS_FILE} to {folder}")
    return status


def folder_for(path: Path) -> Path:
    """An output folder, made if its parent exists."""
    if path.exists() and not path.is_dir():
        raise StatementsUsageError(f"-o {path} is a file; give a folder")
    if not path.exists():
        if not path.parent.is_dir():
            raise StatementsUsageError(f"-o {path}: the folder {path.parent} does not exist")
        path.mkdir()
    return path


def _folder(path: Path, force: bool) -> Path:
    """The output folder; its results workbook is overwritten only with ``--force`` (the
    PDFs are checked when their names are known)."""
    try:
        folder_for(path)
    except StatementsUsageError as exc:
        raise StatementsUsageError(f"{PROG}: {exc}") from None
    if (path / RESULTS_FILE).exists() and not force:
        raise StatementsUsageError(f"{PROG}: {path / RESULTS_FILE} exists; use --force to "
                                   "overwrite it")
    return path


def _write(report, folder: Path, args: argparse.Namespace) -> list[Path]:
    from creditdesk.files.pdf_files import write_statement_pdfs
    from creditdesk.files.xlsx_results import write_statements

    try:
        paths = write_statement_pdfs(report, folder, force=args.force)
    except CreditdeskError as exc:
        raise StatementsUsageError(f"{PROG}: {exc}") from None
    write_statements(folder / RESULTS_FILE, report, source=args.workbook)
    return paths


def lines(report) -> list[str]:
    """The text report: one line per statement, then the count."""
    out = []
    for s in report.statements:
        out.append(f"{s.customer:<12} {s.currency}  opening {s.opening_balance:>14,.2f}  "
                   f"{len(s.lines):>4} lines  closing {s.closing_balance:>14,.2f}  "
                   f"{' '.join(s.name.split())}")
    kind = "statements of account" if report.kind == "activity" else "open-items statements"
    out.append(f"{len(report.statements)} {kind}, {report.start.isoformat()} to "
               f"{report.end.isoformat()}")
    return out
