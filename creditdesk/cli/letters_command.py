"""``creditdesk letters``: today's reminders whose level's Channel is Letter, as PDF letters.

    creditdesk letters WORKBOOK [--as-of DATE] [-o DIR] [--printed NEW.xlsx] [--force]
                       [--json]

Without ``-o`` it lists the letters (or prints them as JSON); ``-o DIR`` writes
CUSTOMER-CURRENCY-letter.pdf for each and letters-YYYYMMDD.pdf, the batch to print (a cover
list, then every letter). ``--printed NEW.xlsx`` says the batch was printed: NEW.xlsx is the
workbook with a History row per letter (Type Reminder, its level and currency), so chasing
counts them as sent; the workbook itself is never changed. Exit status as the other
reports: 0, 3 when most invoice rows could not be used, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from creditdesk.cli.options import date_option
from creditdesk.cli.statements_command import MOSTLY_UNUSABLE, folder_for
from creditdesk.domain.errors import CreditdeskError

PROG = "creditdesk letters"


class LettersUsageError(CreditdeskError):
    pass


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "letters", help="today's reminders on the Letter channel, as PDF letters (-o)",
        description="The reminders due today whose dunning level's Channel is Letter, as "
        "printable letters: the address placed for a window envelope (Settings' Envelope "
        "Window), the invoices, how interest and compensation were computed, the payment "
        "details. See docs/statements.md.")
    p.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
    p.add_argument("--as-of", type=date_option, metavar="DATE",
                   help="the as-of date (default: Settings' As Of Date, else today)")
    p.add_argument("-o", "--output", type=Path, metavar="DIR",
                   help="write a PDF per letter and the batch PDF into this folder")
    p.add_argument("--printed", type=Path, metavar="NEW.xlsx",
                   help="the letters were printed and posted: write NEW.xlsx, the workbook "
                   "with a History row for each, so they count as sent")
    p.add_argument("--force", action="store_true",
                   help="let -o and --printed overwrite existing files")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from creditdesk.analysis.letters import letters_report
    from creditdesk.app.workbook import Workbook

    try:
        folder = folder_for(args.output) if args.output else None
    except CreditdeskError as exc:
        raise LettersUsageError(f"{PROG}: {exc}") from None
    _check_printed(args)
    book = Workbook.read(args.workbook, args.as_of)
    analysis = book.analysis
    status = 0
    unusable = analysis.ledger.mostly_unusable()
    if unusable:
        print(f"{PROG}: {args.workbook}: {unusable}", file=sys.stderr)
        status = MOSTLY_UNUSABLE
    report = letters_report(analysis)
    written = None
    if folder:
        from creditdesk.documents.letter_pdf import letter_missing
        from creditdesk.files.pdf_files import write_letter_pdfs

        try:
            written = write_letter_pdfs(report, folder, force=args.force)
        except CreditdeskError as exc:
            raise LettersUsageError(f"{PROG}: {exc}") from None
        for x in report.letters:
            if missing := letter_missing(x):
                print(f"{PROG}: {x.customer} {x.currency}: the PDF font has no {missing}; "
                      "those letters are blank in it", file=sys.stderr)
    if args.printed:
        _write_printed(args, book.tables, report)
    if args.json:
        json.dump(report.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return status
    for x in report.letters:
        kind = f"  (letter before action, {x.before_action.debtor_type}: reply by " \
               f"{x.before_action.reply_by.isoformat()})" if x.before_action else ""
        print(f"{x.customer:<12} {x.currency}  {x.level_name:<18} {x.total:>14,.2f}  "
              f"{' '.join(x.name.split())}{kind}")
    print(f"{len(report.letters)} letters for {report.date.isoformat()}")
    _before_action_notes(report, analysis.ledger.settings)
    if written and written[1]:
        print(f"Wrote {len(written[0])} letters and the batch {written[1].name} to {folder}")
    if args.printed:
        print(f"Recorded {len(report.letters)} letters as sent in the History of "
              f"{args.printed}; use that workbook from now on")
    return status


def _before_action_notes(report, settings) -> None:
    """What the controller must add to letters before action to individuals: the Protocol's
    forms (Creditdesk names them, it does not print them), and the settings they need."""
    from creditdesk.analysis.letters import PROTOCOL

    if any(x.before_action for x in report.letters) and settings.country != "GB":
        print(f"{PROG}: Settings' Country is {settings.country}: letters before action follow "
              "the rules of England and Wales (docs/letters.md)", file=sys.stderr)
    individual = [x for x in report.letters  # under the Protocol: Individual, Sole Trader
                  if x.before_action and x.before_action.rules == PROTOCOL]
    if not individual:
        return
    print(f"{len(individual)} letters before action to individuals or sole traders "
          "(Pre-Action Protocol for Debt Claims): enclose with each the Information Sheet "
          "and Reply Form (the Protocol's Annex 1) and a Financial Statement form, from "
          "justice.gov.uk; the statement of account is in the letter's PDF")
    for name, value, what in (
            ("Company Address", settings.company_address, "where to send the Reply Form"),
            ("Payment Details", settings.payment_details, "how to pay")):
        if not value:
            print(f"{PROG}: Settings has no {name}: the Protocol asks a letter before action "
                  f"to say {what}; set it before printing", file=sys.stderr)


def _check_printed(args: argparse.Namespace) -> None:
    out = args.printed
    if out is None:
        return
    if out.exists() and args.workbook.exists() and out.resolve() == args.workbook.resolve():
        raise LettersUsageError(f"{PROG}: --printed must name a new workbook, not "
                                f"{args.workbook} (it is never changed)")
    if out.exists() and not args.force:
        raise LettersUsageError(f"{PROG}: {out} exists; use --force to overwrite it")
    from creditdesk.files.xlsx_carry import overwrites_macros

    if (why := overwrites_macros(out, args.workbook)) is not None:
        raise LettersUsageError(f"{PROG}: {why}")


def history_rows(report) -> list[dict[str, object]]:
    """A History row per letter: it was sent, by post, on the letters' date."""
    return [{"date": report.date, "customer": x.customer, "type": "Reminder",
             "level": x.level, "currency": x.currency,
             "note": f"{'Letter before action' if x.before_action else 'Letter'} printed "
                     f"and posted ({x.reference})"} for x in report.letters]


def _write_printed(args: argparse.Namespace, tables, report) -> None:
    """The workbook's contract tables, the letters added to its History, as --printed."""
    from creditdesk.domain.contract import HISTORY, normalise_header
    from creditdesk.files.xlsx_update import contract_tables, update_tables

    header, rows = contract_tables(tables).get(HISTORY.name,
                                               ([c.header for c in HISTORY.columns], []))
    keys = [normalise_header(h) for h in header]
    for new in history_rows(report):
        rows.append([new.get(k) for k in keys])
    # the user's own sheets come along
    carry = update_tables(args.printed, {HISTORY.name: (header, rows)}, source=args.workbook,
                          force=args.force, raw=tables)
    if carry.lost:  # loudly: it is not in the new workbook
        print(f"Not carried into {args.printed}: {'; '.join(carry.lost)}", file=sys.stderr)
