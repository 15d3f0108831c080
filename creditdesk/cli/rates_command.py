"""``creditdesk rates update``: newer reference rates into a workbook's Rates table, from the
file the Bank of England or the ECB publishes.

    creditdesk rates update FILE [--law UK|EU] [--checked-until DATE]
                            [--into WORKBOOK -o NEW.xlsx [--force]] [--json]

The rates go into the Rates table of the workbook written to ``-o`` (a copy of ``--into``
with every contract table kept), never into the installed package; every calculation on that
workbook then uses them. Without ``--into`` it only shows what the file holds and what it
would change.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from creditdesk.domain.errors import CreditdeskError

MAX_BYTES = 16 * 1024 * 1024  # a rate history since 1694 is 30 kB; a daily one since 1975, 300


class RatesUsageError(CreditdeskError):
    pass


def register(sub: argparse._SubParsersAction) -> None:
    from creditdesk.cli.options import date_option

    p = sub.add_parser(
        "rates", help="update the reference rates of late-payment interest",
        description="The reference rates of late-payment interest (the Bank of England's Bank "
        "Rate, the ECB's main refinancing rate).")
    rs = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    rs.required = True
    u = rs.add_parser(
        "update", help="newer rates from the central bank's file into a workbook",
        description="Read the rate history as the Bank of England or the ECB publishes it "
        "(a CSV file: the Bank Rate page's table or the database's IUDBEDR series; the ECB "
        "Data Portal's MRO series or its API's SDMX-CSV) and put the newer rates into the "
        "Rates table of a copy of your workbook, which every calculation then uses. The "
        "installed package is never changed. See docs/interest.md.")
    u.add_argument("file", type=Path, metavar="FILE", help="the published CSV file")
    u.add_argument("--law", type=str.upper, choices=("UK", "EU"),
                   help="whose rate the file holds (default: told from the file)")
    u.add_argument("--checked-until", type=date_option, metavar="DATE",
                   help="the day the file was downloaded (a list of changes is complete up "
                   "to then; default: today; a daily series: its last day)")
    u.add_argument("--into", type=Path, metavar="WORKBOOK",
                   help="the workbook whose Rates table to update (it is not changed: -o gets "
                   "the result)")
    u.add_argument("-o", "--output", type=Path, metavar="NEW.xlsx",
                   help="the workbook to write: --into's tables with the new Rates table")
    u.add_argument("--force", action="store_true", help="let -o overwrite an existing file")
    u.add_argument("--json", action="store_true", help="print one JSON document")
    u.set_defaults(run=run)


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()[:MAX_BYTES + 1]
    except FileNotFoundError:
        raise RatesUsageError(f"creditdesk rates: cannot read '{path}': no such file") from None
    except OSError as exc:
        raise RatesUsageError(f"creditdesk rates: cannot read '{path}': "
                              f"{exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise RatesUsageError(f"creditdesk rates: '{path}' is larger than a rate history")
    if data.startswith((b"PK\x03\x04", bytes.fromhex("D0CF11E0"))):
        raise RatesUsageError(f"creditdesk rates: '{path}' is a workbook; download the CSV "
                              "file instead (both banks offer one)")
    from creditdesk.files.exports import decode_text

    return decode_text(data)


def _check_paths(args: argparse.Namespace) -> None:
    if args.output is not None and args.into is None:
        raise RatesUsageError("creditdesk rates update: -o needs --into WORKBOOK (the workbook "
                              "whose other tables the new one keeps)")
    if args.into is not None and args.output is None:
        raise RatesUsageError("creditdesk rates update: --into needs -o NEW.xlsx: your "
                              "workbook itself is never changed")
    if args.output is None:
        return
    if args.output.exists() and args.into.exists() and \
            args.output.resolve() == args.into.resolve():
        raise RatesUsageError("creditdesk rates update: -o must not be the --into workbook; "
                              "write to a new file")
    from creditdesk.files.xlsx_carry import overwrites_macros

    if (why := overwrites_macros(args.output, args.into)) is not None:
        raise RatesUsageError(f"creditdesk rates update: {why}")
    if args.output.exists() and not args.force:
        raise RatesUsageError(f"creditdesk rates update: {args.output} exists; use --force to "
                              "overwrite it")


def run(args: argparse.Namespace) -> int:
    from creditdesk.domain import contract, rates
    from creditdesk.domain.interest import rate_table

    _check_paths(args)
    try:
        file = rates.published(_text(args.file), args.law)
    except rates.RatesError as exc:
        raise RatesUsageError(f"creditdesk rates update: {args.file}: {exc}") from None
    law = file.law
    tables = {}
    if args.into is not None:
        from creditdesk.domain.ledger import build_ledger
        from creditdesk.files.xlsx_read import read_workbook

        tables = read_workbook(args.into)
        base = build_ledger(tables).rates.get(law) or rate_table(law)
    else:
        base = rate_table(law)
    checked = args.checked_until or (None if file.daily else dt.date.today())
    result = rates.update(base, file, checked)
    new = result.table
    was = dict(rates.changes_of(base))
    source = f"{rates.SOURCES[law]} (read from {args.file.name} on {dt.date.today()})"
    doc = {
        "law": law, "file": str(args.file), "read": file.what,
        "first": file.first.isoformat(), "last": file.last.isoformat(), "rows": len(file.rows),
        "older_left_out": result.older, "table_starts": base.first_date.isoformat(),
        "added": [{"date": d.isoformat(), "rate": r, "was": _rate_before(was, d)}
                  for d, r in result.added],
        "removed": [{"date": d.isoformat(), "rate": r} for d, r in result.removed],
        "checked_until": new.checked_until.isoformat(),
        "checked_until_before": base.checked_until.isoformat(),
        "into": str(args.into) if args.into else None,
        "output": str(args.output) if args.output else None,
    }
    carry = None
    if args.into is not None:
        carry = _write(args, tables, law, new, source, contract, rates)
        doc["sheets_carried"], doc["not_carried"] = carry.sheets_carried, carry.lost
        if carry.lost:  # loudly, on stderr too: it is gone from the output
            print(f"creditdesk rates: WARNING: {args.output} does not have what XlsxWriter "
                  f"cannot rewrite from {args.into}: {'; '.join(carry.lost)}. {args.into} "
                  "itself is unchanged: keep it for them.", file=sys.stderr)
    if args.json:
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    _show(args, doc, file, base, new, carry)
    return 0


def _rate_before(was: dict, day: dt.date) -> float | None:
    earlier = [d for d in was if d <= day]
    return was[max(earlier)] if earlier else None


def _write(args, tables, law, new, source, contract, rates):
    """The workbook with its Rates table: returns the ``xlsx_update.Updated`` (its own
    sheets carried into the output, what could not be)."""
    from creditdesk.files.xlsx_update import contract_tables, update_tables

    out = contract_tables(tables)
    header = [c.header for c in contract.RATES.columns]
    kept: list[list] = []
    if "Rates" in out:
        old_header, old_rows = out["Rates"]
        at = {contract.normalise_header(h): j for j, h in enumerate(old_header)}
        j = at.get("law")
        for r in old_rows:
            if j is not None and rates.law_of(r[j]) == law:
                continue  # the law's rows are written anew, whole
            kept.append([r[at[contract.normalise_header(h)]]
                         if contract.normalise_header(h) in at else None for h in header])
    return update_tables(args.output, {"Rates": (header, kept + rates.table_rows(law, new,
                                                                              source))},
                         source=args.into, force=args.force, raw=tables)


def _show(args, doc, file, base, new, carry) -> None:
    from creditdesk.domain.rates import RATE_NAME

    name = RATE_NAME[doc["law"]]
    print(f"Read {args.file}: {file.what}, {doc['first']} to {doc['last']} "
          f"({doc['rows']} row(s)).")
    if doc["older_left_out"]:
        print(f"  {doc['older_left_out']} row(s) before {doc['table_starts']} left out: the "
              "table starts there.")
    if doc["added"]:
        print(f"New or changed {name}:")
        for a in doc["added"]:
            was = "" if a["was"] is None else f" (was {a['was']:g}%)"
            print(f"  from {a['date']}: {a['rate']:g}%{was}")
    for r in doc["removed"]:
        print(f"  no change on {r['date']} (the table had {r['rate']:g}%): the daily series "
              "shows none")
    if not doc["added"] and not doc["removed"]:
        print("No rate changes that the table does not already have.")
    how = ("the file's last day" if file.daily else
           "the day given" if args.checked_until else
           "today, the day the file was read; give --checked-until DATE if it was downloaded "
           "earlier")
    print(f"Known complete up to {doc['checked_until']} ({how}); before: "
          f"{doc['checked_until_before']}.")
    if args.into is None:
        print("Nothing written: add --into WORKBOOK -o NEW.xlsx to put these rates into a "
              "workbook's Rates table (the installed package is never changed).")
        return
    print(f"Wrote {args.output}: the tables of {args.into}, its Rates table holding the "
          f"{doc['law']} rates ({len(new.rates)} row(s)); every calculation on "
          f"{args.output.name} uses them.")
    if carry.sheets_carried:
        print(f"Your own sheets carried into {args.output} (values, formulas, number "
              "formats, widths): " + ", ".join(carry.sheets_carried))
    if carry.lost:
        print(f"NOT CARRIED into {args.output} (XlsxWriter cannot rewrite them): "
              + "; ".join(carry.lost))
