"""``creditdesk import``: an accounting system's export into a contract workbook.

    creditdesk import SOURCE... -o WORKBOOK.xlsx [--force] [--into WORKBOOK.xlsx]
                     [--partial | --settle-missing] [--format NAME]
                     [--mapping NAME [--map FIELD=VALUE ...]] [--json]

Exit status: 0 imported; 2 a usage error or an input that cannot be read (unknown layout, a
mapping that does not fit, an unreadable file); 3 when most of the rows that looked like items
could not be used (the workbook is still written, with every usable row); 4 when the export,
not said to be partial, would settle more than half of the --into workbook's open balance or
make more than half of its customers with a balance leave the ledger (nothing is written:
give --partial or --settle-missing).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from creditdesk.app.importing import MOSTLY_UNUSABLE, SETTLES_TOO_MUCH
from creditdesk.domain.errors import CreditdeskError

__all__ = ["MOSTLY_UNUSABLE", "SETTLES_TOO_MUCH", "register", "run"]


class ImportUsageError(CreditdeskError):
    pass


def register(sub: argparse._SubParsersAction) -> None:
    from creditdesk.imports import FIELDS, FORMATS, OPTIONS

    p = sub.add_parser(
        "import", help="import a Xero, QuickBooks or Sage export (or any, with a mapping)",
        description="Read accounting-system exports (.xlsx, .xls, .csv) into a Creditdesk "
        "workbook. The format is detected from the title rows and headers; title, heading, "
        "subtotal and total rows are skipped (one note each) and the export's totals are "
        "checked against its items. With --into, the workbook's own tables, what you "
        "typed (limits, e-mails, settings, history) and your own sheets are kept (what "
        "cannot be, such as charts and macros, is named); a filtered export needs "
        "--partial. See docs/import.md.",
        epilog="formats: " + ", ".join(f"{f.id} ({f.name})" for f in FORMATS)
        + ". --map fields: " + ", ".join(FIELDS) + "; options: " + ", ".join(OPTIONS) + ".")
    p.add_argument("sources", nargs="+", type=Path, metavar="SOURCE",
                   help="export files: the items, and optionally a contacts export")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="WORKBOOK.xlsx",
                   help="the workbook to write (never one of the inputs)")
    p.add_argument("--force", action="store_true", help="let -o overwrite an existing file")
    p.add_argument("--into", type=Path, metavar="WORKBOOK.xlsx",
                   help="merge into this workbook's tables (it is not changed; -o gets the "
                   "result)")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--partial", action="store_true",
                       help="the export lists some customers only (a filtered report): update "
                       "them and touch nobody else")
    scope.add_argument("--settle-missing", action="store_true",
                       help="the export is the whole ledger: settle what it no longer lists "
                       "even when that is most of the workbook's balance")
    p.add_argument("--format", choices=[f.id for f in FORMATS], metavar="NAME",
                   help="read every SOURCE as this format instead of detecting it")
    p.add_argument("--mapping", metavar="NAME",
                   help="read with the mapping of this name from --into's Mappings table; "
                   "with --map, save the mapping under this name")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=VALUE",
                   help="a mapping row: a field and the export's header ('Invoice=Doc No'), "
                   "or an option ('Date Order=DMY'); repeat for each")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The command, with the garbage collector paused from the read to the report
    (``imports.collector``: no step makes reference cycles, and between the steps the
    collector would walk the 100,000 rows each step leaves for the next)."""
    from creditdesk.imports.collector import paused

    with paused():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from creditdesk.app.importing import (
        ImportSetupError,
        import_sheets,
        mapping,
        pairs,
    )
    from creditdesk.files.exports import read_export
    from creditdesk.files.xlsx_carry import read_carry
    from creditdesk.files.xlsx_read import read_workbook
    from creditdesk.files.xlsx_write import template_tables, write_workbook

    out = args.output
    _check_output(args)
    tables = read_workbook(args.into) if args.into else {}
    if args.into and ("customers" not in tables or "invoices" not in tables):
        raise ImportUsageError(f"creditdesk import: {args.into} has no Customers and Invoices "
                               "tables; make one with 'creditdesk new' or leave out --into")
    where = f"the Mappings table of {args.into}" if args.into else \
        "a workbook (give it with --into)"
    try:
        m = mapping(args.mapping, pairs(args.map), tables, where)
    except ImportSetupError as exc:
        raise ImportUsageError(f"creditdesk import: {exc}") from None
    imported = import_sheets([read_export(src) for src in args.sources], tables,
                             fresh=None if args.into else template_tables(), format=args.format,
                             mapping=m, save_mapping=bool(args.map), partial=args.partial)
    imported.sources = [str(s) for s in args.sources]
    refused = None if args.settle_missing else imported.settles_too_much()
    if refused:
        print(f"creditdesk import: {refused}", file=sys.stderr)
        return SETTLES_TOO_MUCH
    carry = read_carry(args.into, tables) if args.into else None
    write_workbook(out, imported.tables, readme=True, source=args.into, carry=carry,
                   widths=carry.table_widths if carry else None)
    doc = imported.report()
    doc.update({"output": str(out), "into": str(args.into) if args.into else None,
                "sheets_carried": carry.sheet_names if carry else [],
                "not_carried": carry.lost if carry else []})
    if carry is not None and carry.lost:  # loudly, on stderr too: it is gone from the output
        print(f"creditdesk import: WARNING: {out} does not have what XlsxWriter cannot "
              f"rewrite from {args.into}: {'; '.join(carry.lost)}. {args.into} itself is "
              "unchanged: keep it for them.", file=sys.stderr)
    if args.json:
        # one write: json.dump would write each of its some 200,000 pieces on its own
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n")
        return imported.status
    for line in imported.lines(str(out), base_currency_set=not args.into):
        print(line)
    if carry is not None and carry.sheets:
        print(f"Your own sheets carried into {out} (values, formulas, number formats, "
              "widths): " + ", ".join(carry.sheet_names))
    if carry is not None and carry.lost:
        print(f"NOT CARRIED into {out} (XlsxWriter cannot rewrite them): "
              + "; ".join(carry.lost))
    as_of = f" --as-of {imported.result.as_at}" if imported.result.as_at else ""
    print(f"Next: creditdesk ageing {out}{as_of}")
    return imported.status


def _check_output(args: argparse.Namespace) -> None:
    """-o is never an input, overwrites only with --force, and never a workbook with
    macros: when --into or -o holds a VBA project, -o must name a new file."""
    from creditdesk.files.xlsx_carry import overwrites_macros

    out = args.output
    for src in [*args.sources, *([args.into] if args.into else [])]:
        if src.exists() and out.exists() and out.resolve() == src.resolve():
            raise ImportUsageError(f"creditdesk import: -o {out} is one of the inputs; write to "
                                   "a new file (your workbook and exports are never changed)")
    if (why := overwrites_macros(out, args.into)) is not None:
        raise ImportUsageError(f"creditdesk import: {why}")
    if out.exists() and not args.force:
        raise ImportUsageError(f"creditdesk import: {out} exists; use --force to overwrite it")
