"""Writing contract workbooks: the tables Creditdesk reads, each an Excel table on its own
sheet (``creditdesk new``, the blank template in workbook_templates/, the demo's sample),
its header row frozen, printed landscape one page wide with the header row on every page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Mapping, Sequence

from creditdesk.domain import contract
from creditdesk.domain.settings import settings_rows
from creditdesk.files.xlsx_book import (
    Book,
    Col,
    Rows,
    close_workbook,
    new_workbook,
    print_setup,
    target_file,
)
from creditdesk.files.xlsx_carry import Carry, write_carried

_KIND = {"text": "text", "email": "text", "emails": "text", "number": "any",
         "integer": "any", "date": "date", "bool": "any"}
_MONEY_HEADERS = {"amount", "paid", "credit limit", "open orders", "promise amount"}


def _columns_for(name: str, headers: Sequence[str], rows: Rows) -> list[Col]:
    """Column kinds from the contract where the table and column are known, else from the
    values: a column whose first values are dates is a date column."""
    try:
        spec: contract.Table | None = contract.table(name)
    except KeyError:
        spec = None
    cols = []
    for j, h in enumerate(headers):
        kind = "any"
        if spec is not None:
            with contextlib.suppress(KeyError):
                kind = _KIND[spec.column(h).kind]
        if kind == "any" and contract.normalise_header(h) in _MONEY_HEADERS:
            kind = "money"
        sample = [r[j] for r in rows[:50] if j < len(r) and r[j] not in (None, "")]
        if kind == "any" and sample and all(isinstance(v, dt.date) for v in sample):
            kind = "date"
        if kind in ("text", "any") and any(isinstance(v, str) and "\n" in v for v in sample):
            kind = "wrap"  # texts of several lines (a template's body) read, and print, wrapped
        cols.append(Col(str(h), kind))
    return cols


def _contract_table(book: Book, name: str, headers: Sequence[str], rows: Rows,
                    widths: Mapping[str, float] | Sequence[float] | None) -> None:
    ws = book.sheet(name)
    cols = _columns_for(name, headers, rows)
    if widths is None:
        widths = TEMPLATE_WIDTHS.get(name)
    if isinstance(widths, Mapping):
        keyed = {contract.normalise_header(k): v for k, v in widths.items()}
        given = {j: keyed[contract.normalise_header(h)] for j, h in enumerate(headers)
                 if contract.normalise_header(h) in keyed}
    elif widths is not None:
        given = {j: float(w) for j, w in enumerate(widths) if w is not None}
    else:
        given = {}
    book.table(ws, name, 0, 0, cols, rows, widths=given)
    ws.freeze_panes(1, 0)
    print_setup(ws, 0)


def write_workbook(path: str | os.PathLike,
                   tables: Mapping[str, tuple[Sequence[str], Rows]], *,
                   widths: Mapping[str, Mapping[str, float] | Sequence[float]] | None = None,
                   readme: bool = False, source: str | os.PathLike | None = None,
                   created: dt.datetime | None = None, carry: Carry | None = None) -> None:
    """Each table as an Excel table on its own sheet named like the table.

    ``tables`` maps a table name ("Dunning Levels") to (headers, rows); the Excel table is
    named without spaces ("DunningLevels"). ``widths`` optionally gives column widths per
    table, by header or by position (default: ``TEMPLATE_WIDTHS`` for the texts a user
    edits, else fitted to the values). ``readme`` puts a "Read me" sheet first that explains
    the contract tables. ``source`` is the input workbook, which is never overwritten.
    ``carry``: the input's own sheets (``xlsx_carry.read_carry``), written after the tables.
    """
    with target_file(path, source) as tmp:
        wb = new_workbook(tmp, created)
        book = add_contract_sheets(wb, tables, widths=widths, readme=readme)
        if carry is not None:
            write_carried(book, carry)
        close_workbook(wb, path)


def template_tables(base_currency: str | None = None
                    ) -> dict[str, tuple[list[str], list[list]]]:
    """The blank contract workbook's tables: headers for all, defaults where they exist.
    ``base_currency``: the Base Currency setting (None: blank, it follows Country)."""
    from creditdesk.domain.ledger import DEFAULT_LEVELS
    from creditdesk.domain.templates import DEFAULT_TEMPLATES

    tables: dict[str, tuple[list[str], list[list]]] = {}
    for t in contract.TABLES:
        headers = [c.header for c in t.columns]
        rows: list[list] = []
        if t is contract.SETTINGS:
            headers = [*headers, "Notes"]
            rows = settings_rows()
            if base_currency:
                for row in rows:
                    if row[0] == "Base Currency":
                        row[1] = base_currency
        elif t is contract.DUNNING_LEVELS:
            rows = [[lv.level, lv.name, lv.days, lv.template, lv.channel,
                     "Yes" if lv.add_interest else "No"] for lv in DEFAULT_LEVELS]
        elif t is contract.TEMPLATES:
            rows = [[tp.name, tp.language, tp.subject, tp.body] for tp in DEFAULT_TEMPLATES]
        tables[t.name] = (headers, rows)
    return tables


# The template's wide columns: the texts a user edits there.
TEMPLATE_WIDTHS = {"Templates": {"Subject": 45, "Body": 80},
                   "Settings": {"Setting": 28, "Value": 18, "Notes": 50}}


def write_template(path: str | os.PathLike, *, created: dt.datetime | None = None,
                   base_currency: str | None = None) -> None:
    """The blank contract workbook: a Read me sheet, then every contract table; Settings,
    Dunning Levels and Templates hold the defaults (Base Currency ``base_currency``, else
    blank: it follows Country), the other tables only their headers."""
    write_workbook(path, template_tables(base_currency), readme=True, created=created,
                   widths=TEMPLATE_WIDTHS)


def add_contract_sheets(wb, tables: Mapping[str, tuple[Sequence[str], Rows]], *,
                        widths: Mapping[str, Mapping[str, float] | Sequence[float]] | None
                        = None, readme: bool = False) -> Book:
    """The sheets ``write_workbook`` writes, onto an XlsxWriter workbook the caller opened
    with ``WORKBOOK_OPTIONS`` and closes (the desktop ``.xlsm`` adds its own sheets and its
    VBA project around them); returns the ``Book`` (its sheet and table names)."""
    book = Book(wb)
    if readme:
        _readme(book)
    for name, (headers, rows) in tables.items():
        _contract_table(book, name, list(headers), rows, (widths or {}).get(name))
    return book


_KIND_WORDS = {"text": "text", "number": "number", "integer": "whole number", "date": "date",
               "bool": "Yes/No", "email": "e-mail address", "emails": "e-mail addresses"}


def _readme(book: Book) -> None:
    ws = book.sheet("Read me")
    print_setup(ws, None)
    f = book.f
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 10)
    ws.set_column(3, 3, 80)
    lines = [
        "Creditdesk reads the tables below by name: an Excel table (Insert > Table) named "
        "like the table, or a sheet with that name whose first row holds the headers.",
        "Headers are matched ignoring case and extra spaces; column order is free and extra "
        "columns are ignored. Rows that cannot be read are listed as issues; the rest is used.",
        "Amounts are in the document currency; the FX table converts them into the base "
        "currency (Settings).",
    ]
    ws.write_string(0, 0, "Creditdesk workbook", f.title)
    r = 1
    for line in lines:
        ws.write_string(r, 0, line)
        r += 1
    for t in contract.TABLES:
        r += 1
        need = "required" if t.required else "optional"
        ws.write_string(r, 0, t.name, f.heading)
        ws.write_string(r, 1, need, f.heading)
        ws.write_blank(r, 2, None, f.heading)
        ws.write_string(r, 3, t.help, f.heading)
        r += 1
        for c in t.columns:
            ws.write_string(r, 0, c.header)
            ws.write_string(r, 1, _KIND_WORDS.get(c.kind, c.kind))
            if c.required:
                ws.write_string(r, 2, "required", f.bold)
            if c.help:
                ws.write_string(r, 3, c.help)
            r += 1
