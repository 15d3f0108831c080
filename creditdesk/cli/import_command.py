"""``creditdesk import``: an accounting system's export into a contract workbook.

    creditdesk import SOURCE... -o WORKBOOK.xlsx [--force] [--into WORKBOOK.xlsx] [--format NAME]
                     [--mapping NAME [--map FIELD=VALUE ...]] [--json]

Exit status: 0 imported; 2 a usage error or an input that cannot be read (unknown layout, a
mapping that does not fit, an unreadable file); 3 when most of the rows that looked like items
could not be used (the workbook is still written, with every usable row).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from creditdesk.domain.errors import CreditdeskError

MOSTLY_UNUSABLE = 3


class ImportUsageError(CreditdeskError):
    pass


def register(sub: argparse._SubParsersAction) -> None:
    from creditdesk.imports import FIELDS, FORMATS, OPTIONS

    p = sub.add_parser(
        "import", help="import a Xero, QuickBooks or Sage export (or any, with a mapping)",
        description="Read accounting-system exports (.xlsx, .xls, .csv) into a Creditdesk "
        "workbook. The format is detected from the title rows and headers; title, heading, "
        "subtotal and total rows are skipped (one note each) and the export's totals are "
        "checked against its items. With --into, the workbook's own tables and what you "
        "typed (limits, e-mails, settings, history) are kept. See docs/import.md.",
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


def _pairs(items: list[str]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        f, sep, v = item.partition("=")
        if not sep or not f.strip():
            raise ImportUsageError(f"creditdesk import: --map '{item}' is not FIELD=VALUE")
        out.append((f.strip(), v.strip()))
    return out


def _table(raw) -> tuple[list[str], list[list]]:
    rows = [[None if v == "" else v for v in r] for r in zip(*raw.columns, strict=True)] \
        if raw.columns else []
    return list(raw.header), rows


def _date_order(tables) -> tuple[str | None, str]:
    raw = tables.get("settings")
    if raw is None or len(raw.columns) < 2:
        return None, ""
    from creditdesk.domain.settings import parse_settings

    rows = [(n, s, v) for n, (s, v) in enumerate(zip(raw.columns[0], raw.columns[1],
                                                        strict=True))
            if str(s).strip().casefold() == "date order"]
    settings, _ = parse_settings(rows)
    if settings.date_order:
        return settings.date_order, "the workbook's Date Order setting"
    return None, ""


def _mapping(args, tables):
    from creditdesk.imports import build_mapping, find_mapping, mappings_from_table

    if not args.map and not args.mapping:
        return None
    if args.map:
        m, problems = build_mapping(args.mapping or "import", _pairs(args.map))
    else:
        raw = tables.get("mappings")
        saved = mappings_from_table(*raw.columns[:3]) if raw is not None and \
            len(raw.columns) >= 3 else {}
        pairs = find_mapping(saved, args.mapping)
        if pairs is None:
            where = f"the Mappings table of {args.into}" if args.into else \
                "a workbook (give it with --into)"
            known = f" (it has: {', '.join(sorted(saved))})" if saved else ""
            raise ImportUsageError(f"creditdesk import: no mapping named '{args.mapping}' in "
                                   f"{where}{known}; make one with --map")
        m, problems = build_mapping(args.mapping, pairs)
    if problems:
        raise ImportUsageError(f"creditdesk import: mapping '{m.name}': " + "; ".join(problems))
    return m


def _tables_out(args, tables, merged, result, mapping) -> dict:
    from creditdesk.domain import contract
    from creditdesk.files.xlsx_write import template_tables

    if args.into:
        out = {}
        for spec in contract.TABLES:
            raw = tables.get(contract.normalise_header(spec.name))
            if raw is not None:
                out[spec.name] = _table(raw)
    else:
        out = dict(template_tables())
        if result.currency:
            header, rows = out["Settings"]
            for r in rows:
                if r[0] == "Base Currency":
                    r[1] = result.currency
    out["Customers"] = merged.customers
    out["Invoices"] = merged.invoices
    if mapping is not None and args.map:
        header, rows = out.get("Mappings", (["Mapping", "Field", "Value"], []))
        keep = [r for r in rows if str(r[0] or "").strip().casefold() != mapping.name.casefold()]
        out["Mappings"] = (header, keep + mapping.rows())
    order = [t.name for t in contract.TABLES]
    return {k: out[k] for k in sorted(out, key=lambda k: order.index(k) if k in order else 99)}


_KINDS = (("title row", "title rows"), ("heading", "headings"), ("total row", "totals"),
          ("blank", "blank rows"), ("percentage", "percentage lines"),
          ("the date the report was made", "generated-at lines"),
          ("header row repeated", "repeated headers"), ("account information",
                                                        "account information lines"),
          ("lines (rows", "invoices of several lines"))


def _note_counts(notes) -> str:
    c: Counter = Counter()
    for n in notes:
        label = next((name for k, name in _KINDS if k in n.message), "other notes")
        c[label] += 1
    return ", ".join(f"{v} {k}" for k, v in c.items())


def _issue(i) -> dict:
    return {"sheet": i.sheet, "row": i.row, "column": i.column, "message": i.message}


def _m(x: float) -> str:
    return f"{x:,.2f}"


def run(args: argparse.Namespace) -> int:
    from creditdesk.files.exports import read_export, sheets_without_tables
    from creditdesk.files.xlsx_read import read_workbook
    from creditdesk.files.xlsx_write import write_workbook
    from creditdesk.imports import ImportResult, Options, merge, parse_export

    out = args.output
    for src in [*args.sources, *([args.into] if args.into else [])]:
        if src.exists() and out.exists() and out.resolve() == src.resolve():
            raise ImportUsageError(f"creditdesk import: -o {out} is one of the inputs; write to "
                                   "a new file (your workbook and exports are never changed)")
    if out.exists() and not args.force:
        raise ImportUsageError(f"creditdesk import: {out} exists; use --force to overwrite it")
    tables = read_workbook(args.into) if args.into else {}
    if args.into and ("customers" not in tables or "invoices" not in tables):
        raise ImportUsageError(f"creditdesk import: {args.into} has no Customers and Invoices "
                               "tables; make one with 'creditdesk new' or leave out --into")
    mapping = _mapping(args, tables)
    order, why = _date_order(tables)
    opts = Options(order, why)
    result = ImportResult()
    for src in args.sources:
        result.extend(parse_export(read_export(src), args.format, mapping, opts))
    existing = {name: _table(tables[name.casefold()]) for name in ("Customers", "Invoices")
                if name.casefold() in tables}
    merged = merge(existing, result)
    out_tables = _tables_out(args, tables, merged, result, mapping)
    left_behind = sheets_without_tables(args.into, {r.sheet for r in tables.values()}) \
        if args.into else []
    write_workbook(out, out_tables, readme=True, source=args.into,
                   widths={"Templates": {"Subject": 45, "Body": 80},
                           "Settings": {"Setting": 28, "Value": 18, "Notes": 50}})
    status = MOSTLY_UNUSABLE if result.mostly_unusable else 0
    notes = sorted(result.notes, key=lambda n: (n.sheet, n.row or 0))
    issues = sorted(result.issues + merged.issues, key=lambda n: (n.sheet, n.row or 0))
    total = sum(it.outstanding for it in result.items)
    custs = {it.customer for it in result.items}
    doc = {
        "format": result.format, "sources": [str(s) for s in args.sources],
        "output": str(out), "into": str(args.into) if args.into else None,
        "as_at": result.as_at.isoformat() if result.as_at else None,
        "currency": result.currency or None, "matched": result.matched,
        "items": {"imported": len(result.items), "added": merged.items_added,
                  "updated": merged.items_updated, "settled": merged.items_settled,
                  "settled_on": merged.settled_on.isoformat() if merged.settled_on else None,
                  "outstanding": round(total, 2)},
        "customers": {"in_export": len(custs) or len(result.contacts),
                      "new": merged.new_customers,
                      "left": [{"customer": k, "balance_before": round(b, 2)}
                               for k, b in merged.left],
                      "changed": [{"customer": k, "before": round(b, 2), "after": round(a, 2)}
                                  for k, b, a in merged.changed],
                      "fields_filled": merged.filled, "fields_kept": merged.kept},
        "sheets_not_carried": left_behind,
        "rows": {"looked_like_items": result.candidates, "unusable": result.unusable},
        "notes": [_issue(n) for n in notes], "issues": [_issue(i) for i in issues],
        "exit_status": status,
    }
    if args.json:
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
        return status
    srcs = ", ".join(str(s) for s in args.sources)
    print(f"Read {srcs}: {result.format}"
          + (f", as at {result.as_at}" if result.as_at else "") + ".")
    if result.matched:
        print("Columns: " + ", ".join(f"{f} <- {h}" for f, h in result.matched.items()))
    if result.currency:
        print(f"Currency: {result.currency} ({result.currency_from or 'its Currency column'})"
              + ("; set as the Base Currency" if not args.into else ""))
    print(f"{len(result.items)} item(s) for {len(custs)} customer(s), {_m(total)} outstanding"
          + (f"; {len(result.contacts)} contact(s)" if not result.items else "") + ".")
    print(f"Wrote {out}: {len(merged.new_customers)} new customer(s), "
          f"{merged.items_added} item(s) added, {merged.items_updated} updated, "
          f"{merged.items_settled} no longer in the export marked settled on "
          f"{merged.settled_on}.")
    if merged.filled or merged.kept:
        print(f"Customer details: {merged.filled} empty cell(s) filled from the export; "
              f"{merged.kept} value(s) you typed kept where the export differs.")
    if merged.left:
        print("Customers that left the ledger (no open items now): "
              + ", ".join(f"{k} (was {_m(b)})" for k, b in merged.left))
    if merged.changed:
        print("Changed balances:")
        for k, b, a in merged.changed[:20]:
            print(f"  {k:<24} {_m(b):>14} -> {_m(a):>14}")
        if len(merged.changed) > 20:
            print(f"  ... and {len(merged.changed) - 20} more (use --json)")
    if left_behind:
        print(f"Not carried into {out} (not contract tables): sheet(s) "
              + ", ".join(left_behind))
    if notes:
        print(f"{len(notes)} row(s) were not items and were skipped: {_note_counts(notes)} "
              "(--json lists each).")
    if issues:
        print(f"{len(issues)} issue(s):")
        for i in issues[:20]:
            where = i.sheet + (f", row {i.row}" if i.row is not None else "")
            where += f", column {i.column}" if i.column else ""
            print(f"  {where}: {i.message}")
        if len(issues) > 20:
            print(f"  ... and {len(issues) - 20} more (use --json)")
    else:
        print("No issues: the export's totals agree with its items.")
    if status:
        print(f"Most of the {result.candidates} rows that looked like items could not be used "
              f"({result.unusable}); check the format or the mapping.")
    as_of = f" --as-of {result.as_at}" if result.as_at else ""
    print(f"Next: creditdesk ageing {out}{as_of}")
    return status
