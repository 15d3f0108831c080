"""The Import button: an export pasted into Excel (onto the Import sheet, or any sheet the
user is on) into the Customers and Invoices tables, by the same code as ``creditdesk
import`` (``creditdesk.app.importing``; the parsing is ``creditdesk.imports``', which takes
rows of cell values).

What it writes: the Customers and Invoices tables (where they are: an Excel table in place,
else the sheet of that name, else a new sheet), what the user typed kept; the **Import
report** sheet (what was read, skipped and changed, one table: Kind, Sheet, Row, Column,
Message); the problems on the Issues sheet; the one-line summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from creditdesk.analysis import tables as results
from creditdesk.app.importing import ImportRun, import_sheets, mapping, saved_mappings
from creditdesk.domain import contract
from creditdesk.domain.errors import CreditdeskError
from creditdesk.imports import ExportError, Sheet
from creditdesk_addin.results import AGEING, CREDIT, DASHBOARD, ISSUES, SCORES, write_issues
from creditdesk_addin.workbook import (
    Col,
    Progress,
    cosmetic,
    find_table,
    get_sheet,
    range_values,
    read_tables,
    write_block,
    write_table,
)

IMPORT_SHEET = "Import"
REPORT_SHEET, REPORT_TABLE = "Import report", "ImportReport"
REPORT_TOP = 3  # the report table's header row (A1: the title, A2: the summary)
REPORT_COLS = (Col("Kind", "label"), Col("Sheet"), Col("Row", "int"), Col("Column"),
               Col("Message"))
# Sheets Creditdesk reads or writes: never an export
OURS = {s.casefold() for s in (
    *(t.name for t in contract.TABLES), AGEING, CREDIT, DASHBOARD, ISSUES, SCORES,
    *results.REMINDER_SHEETS, results.NOT_CHASED_SHEET, REPORT_SHEET, "Start", "Read me",
    "xlwings.conf")}
_MONEY = {"amount", "paid", "credit limit", "open orders", "promise amount"}


def export_sheet(book: Any) -> Any:
    """The sheet the user is on, if it is not one of Creditdesk's; else the Import sheet."""
    active = None
    try:
        active = book.sheets.active
    except Exception:  # an engine that cannot tell
        active = None
    if active is not None and active.name.casefold() not in OURS:
        return active
    for sheet in book.sheets:
        if sheet.name.casefold() == IMPORT_SHEET.casefold():
            return sheet
    raise CreditdeskError("there is no export to read: paste it (title rows and totals "
                          f"included) onto a sheet named {IMPORT_SHEET}, or go to the sheet "
                          "that holds it, then click Import again")


def run(book: Any, progress: Progress) -> str:
    source = export_sheet(book)
    progress(f"reading the export on the {source.name} sheet")
    used = source.used_range
    rows = range_values(used)
    if not any(v not in (None, "") for r in rows for v in r):
        raise CreditdeskError(f"the {source.name} sheet is empty: paste the export there "
                              "(all of it, from its title rows to its totals), then click "
                              "Import again")
    sheet = Sheet(source.name, "", [list(r) for r in rows], used.row)
    tables = read_tables(book)
    saved = saved_mappings(tables)
    m = mapping(source.name, (), tables) if any(
        k.casefold() == source.name.casefold() for k in saved) else None
    progress(f"reading {len(rows):,} rows")
    try:
        imported = import_sheets([[sheet]], tables, fresh=_fresh(), mapping=m)
    except ExportError as exc:
        raise CreditdeskError(
            f"{str(exc).rstrip('.')}. In Excel, say it once with a mapping named "
            f"{source.name} in the Mappings table (columns Mapping, Field, Value: a row "
            f"'{source.name}, Invoice, <your header>' per field), then click Import "
            "again") from None
    imported.sources = [f"the {source.name} sheet"]
    refused = imported.settles_too_much("creditdesk import --partial",
                                        "creditdesk import --settle-missing")
    if refused:  # nothing is written: a filtered export would remove the others' balances
        raise CreditdeskError(refused[0].upper() + refused[1:])
    progress(f"writing {len(imported.result.items):,} items into "
             + " and ".join(imported.written))
    for name in imported.written:  # Customers, Invoices, and Payments when it has some
        write_contract_table(book, contract.table(name), *imported.tables[name])
    currency_set = imported.result.currency and "settings" not in tables
    if currency_set:  # a workbook without Settings: the export's currency is the base one
        write_contract_table(book, contract.SETTINGS, ["Setting", "Value"],
                             [["Base Currency", imported.result.currency]])
    issues = [{"sheet": i.sheet, "row": i.row, "column": i.column, "message": i.message}
              for i in imported.issues]
    write_issues(book, issues)
    summary = _summary(imported, source.name)
    _report(book, imported, source.name, summary, bool(currency_set))
    return summary


def _fresh() -> dict[str, tuple[list[str], list[list]]]:
    """A workbook without Customers and Invoices gets them, with the contract's columns."""
    return {t.name: ([c.header for c in t.columns], []) for t in (contract.CUSTOMERS,
                                                                  contract.INVOICES)}


def _summary(imported: ImportRun, sheet: str) -> str:
    r, m = imported.result, imported.merged
    n = len(imported.issues)
    problems = "No issues." if not n else f"{n:,} issue(s): see the Issues sheet."
    if imported.status:
        problems = (f"Most of the {r.candidates} rows that looked like items could not be "
                    "used: check the export. " + problems)
    return (f"Imported {len(r.items):,} item(s) for {len(imported.customers):,} customer(s) "
            f"from the {sheet} sheet ({r.format}"
            + (f", as at {r.as_at}" if r.as_at else "") + f"): {m.items_added:,} added, "
            f"{m.items_updated:,} updated, {m.items_settled:,} no longer in the export marked "
            f"settled; {len(m.new_customers):,} new customer(s)"
            + (f"; {m.payments_added + m.payments_updated:,} dated payment(s) in Payments"
               if m.payments_added or m.payments_updated else "") + ". " + problems
            + " Click Refresh for the ageing.")


def _report(book: Any, imported: ImportRun, sheet: str, summary: str,
            currency_set: bool) -> None:
    """The Import report sheet: its title, the summary, and one table of what was read,
    skipped and found wrong."""
    ws = get_sheet(book, REPORT_SHEET)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    write_block(ws, 1, 1, [[f"Import of the {sheet} sheet, {stamp}"], [summary]])
    rows: list[list] = [["Summary", None, None, None, line]
                        for line in imported.lines("Customers and Invoices",
                                                   base_currency_set=currency_set,
                                                   issue_lines=False)]
    rows += [["Skipped", n.sheet, n.row, n.column, n.message] for n in imported.notes]
    rows += [["Issue", i.sheet, i.row, i.column, i.message] for i in imported.issues]
    write_table(ws, REPORT_TABLE, REPORT_TOP, 1, REPORT_COLS, rows)
    cosmetic("column width", lambda: setattr(ws.range((1, 5)), "column_width", 100))


def write_contract_table(book: Any, spec: contract.Table, header: Sequence[str],
                         rows: Sequence[Sequence[Any]]) -> None:
    """A contract table written back whole: an Excel table of that name where it is (resized
    in place), else on the sheet of that name (its cells replaced: every row and column of
    it is in ``rows``), else on a new sheet. Text is neutralised (a name like a formula stays
    text); dates stay dates."""
    cols = [Col(h, _kind(spec, h)) for h in header]
    where = table_location(book, spec.name)
    if where is not None:
        sheet, top, left = where
    else:
        sheet, top, left = get_sheet(book, spec.name), 1, 1
        cosmetic("clear", lambda: sheet.used_range.clear_contents())
    write_table(sheet, spec.name, top, left, cols, [list(r) for r in rows])


def table_location(book: Any, name: str) -> tuple[Any, int, int] | None:
    """(sheet, header row, first column) of the Excel table ``name``, wherever it is."""
    for sheet in book.sheets:
        t = find_table(sheet, name.replace(" ", ""))
        if t is not None:
            return sheet, t.range.row, t.range.column
    return None


def _kind(spec: contract.Table, header: str) -> str:
    key = contract.normalise_header(header)
    try:
        kind = spec.column(header).kind
    except KeyError:
        return "any"  # a column of the user's own
    if kind == "date":
        return "date"
    if kind in ("number", "integer"):
        return "money" if key in _MONEY else "any"
    if kind == "bool":
        return "any"
    return "text"
