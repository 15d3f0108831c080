"""``creditdesk letters``: today's reminders whose level's Channel is Letter, as PDF letters.

    creditdesk letters WORKBOOK [--as-of DATE] [-o DIR] [--force] [--json]

Without ``-o`` it lists the letters (or prints them as JSON); ``-o DIR`` writes
CUSTOMER-CURRENCY-letter.pdf for each and letters-YYYYMMDD.pdf, the batch to print (a cover
list, then every letter). Exit status as the other reports: 0, 3 when most invoice rows
could not be used, 2 for a usage error.
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
    p.add_argument("--force", action="store_true", help="let -o overwrite existing files")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from creditdesk.analysis.letters import letters_report
    from creditdesk.app.workbook import Workbook

    try:
        folder = folder_for(args.output) if args.output else None
    except CreditdeskError as exc:
        raise LettersUsageError(f"{PROG}: {exc}") from None
    analysis = Workbook.read(args.workbook, args.as_of).analysis
    status = 0
    unusable = analysis.ledger.mostly_unusable()
    if unusable:
        print(f"{PROG}: {args.workbook}: {unusable}", file=sys.stderr)
        status = MOSTLY_UNUSABLE
    report = letters_report(analysis)
    written = None
    if folder:
        from creditdesk.files.letter_pdf import write_letter_pdfs

        try:
            written = write_letter_pdfs(report, folder, force=args.force)
        except CreditdeskError as exc:
            raise LettersUsageError(f"{PROG}: {exc}") from None
    if args.json:
        json.dump(report.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return status
    for x in report.letters:
        print(f"{x.customer:<12} {x.currency}  {x.level_name:<18} {x.total:>14,.2f}  "
              f"{' '.join(x.name.split())}")
    print(f"{len(report.letters)} letters for {report.date.isoformat()}")
    if written and written[1]:
        print(f"Wrote {len(written[0])} letters and the batch {written[1].name} to {folder}")
    return status
