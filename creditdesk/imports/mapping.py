"""Exports of any other layout: a mapping says which column holds which field and how its
cells are written; made once, saved by name in the workbook's Mappings table, used by name
the next morning (``creditdesk import FILE --into BOOK -o OUT --mapping NAME``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from creditdesk.domain.cells import is_blank, parse_terms
from creditdesk.domain.errors import CreditdeskError
from creditdesk.domain.issues import Issue
from creditdesk.imports.columns import ItemCells, Keys, Options, money_known
from creditdesk.imports.formats import finish_items
from creditdesk.imports.grid import Header, Walk, find_header, key, text_of, title_texts, walk
from creditdesk.imports.model import Contact, ImportResult, Item, Sheet


class ExportError(CreditdeskError):
    """An export that cannot be read as asked: unknown layout, a mapping that does not fit."""


FIELDS = ("Invoice", "Customer", "Name", "Invoice Date", "Due Date", "Currency", "Amount",
          "Paid", "Outstanding", "Debit", "Credit", "Reference", "Type", "Email",
          "Terms (days)", "Credit Limit")
OPTIONS = ("Sheet", "Header Row", "Skip Rows Starting With", "Date Order",
           "Decimal Separator", "Thousands Separator", "Sign", "Credit Types")
SIGNS = ("As Is", "Reversed", "Credits Positive")
_FIELD = {key(f): f for f in FIELDS}
_OPTION = {key(o): o for o in OPTIONS}
_SEPARATORS = {".": ".", ",": ",", "comma": ",", "dot": ".", "point": ".", "period": ".",
               "space": " ", " ": " ", "'": "'", "apostrophe": "'", "none": "", "": ""}


@dataclass
class Mapping:
    name: str
    columns: dict[str, str] = field(default_factory=dict)  # field -> the export's header
    sheet: str = ""
    header_row: int | None = None  # worksheet row of the headers; None = found
    skip: tuple[str, ...] = ()  # rows whose first text starts with one of these are skipped
    date_order: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    sign: str = "As Is"
    credit_types: tuple[str, ...] = ()

    def rows(self) -> list[list[str]]:
        """The Mappings table's rows for this mapping: [Mapping, Field, Value]."""
        out = [[self.name, f, self.columns[f]] for f in FIELDS if f in self.columns]
        opts = {"Sheet": self.sheet, "Header Row": str(self.header_row or ""),
                "Skip Rows Starting With": ", ".join(self.skip),
                "Date Order": self.date_order or "", "Decimal Separator": self.decimal or "",
                "Thousands Separator": {" ": "space", "": "none"}.get(
                    self.thousands, self.thousands) if self.thousands is not None else "",
                "Sign": self.sign if self.sign != "As Is" else "",
                "Credit Types": ", ".join(self.credit_types)}
        out += [[self.name, k, v] for k, v in opts.items() if v]
        return out


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[;,]", text) if p.strip())


def build_mapping(name: str, pairs: Iterable[tuple[str, str]]) -> tuple[Mapping, list[str]]:
    """A mapping from (field or option, value) pairs; the problems, in words."""
    m = Mapping(name)
    problems: list[str] = []
    for raw_field, raw_value in pairs:
        value = text_of(raw_value).strip()
        k = key(raw_field)
        if k in _FIELD:
            if value:
                m.columns[_FIELD[k]] = value
            continue
        opt = _OPTION.get(k)
        if opt is None:
            problems.append(f"'{raw_field}' is not a field ({', '.join(FIELDS)}) or an option "
                            f"({', '.join(OPTIONS)})")
        elif opt == "Sheet":
            m.sheet = value
        elif opt == "Header Row":
            if value and not value.isdigit():
                problems.append(f"Header Row '{value}' is not a row number")
            m.header_row = int(value) if value.isdigit() else None
        elif opt == "Skip Rows Starting With":
            m.skip = _split(value)
        elif opt == "Date Order":
            v = re.sub(r"[^a-z]", "", value.casefold())
            m.date_order = {"dmy": "DMY", "ddmmyyyy": "DMY", "mdy": "MDY",
                            "mmddyyyy": "MDY"}.get(v)
            if value and m.date_order is None:
                problems.append(f"Date Order '{value}' is not DMY or MDY")
        elif opt in ("Decimal Separator", "Thousands Separator"):
            sep = _SEPARATORS.get(value.casefold())
            if sep is None:
                problems.append(f"{opt} '{value}' is not one of . , space ' none")
            elif opt == "Decimal Separator":
                m.decimal = sep or None
            else:
                m.thousands = sep
        elif opt == "Sign":
            sign = next((s for s in SIGNS if key(s) == key(value)), None)
            if sign is None and value:
                problems.append(f"Sign '{value}' is not one of {', '.join(SIGNS)}")
            m.sign = sign or "As Is"
        elif opt == "Credit Types":
            m.credit_types = _split(value)
    if m.decimal and m.thousands == m.decimal:
        problems.append("the decimal and thousands separators are the same")
    if "Invoice Date" not in m.columns:
        problems.append("a mapping needs at least Invoice Date")
    if not {"Amount", "Outstanding", "Debit"} & set(m.columns):
        problems.append("a mapping needs Amount, Outstanding or Debit/Credit")
    return m, problems


def mappings_from_table(names: Sequence, fields: Sequence, values: Sequence
                        ) -> dict[str, list[tuple[str, str]]]:
    """The Mappings table's columns as {name: [(field, value), ...]} (names matched ignoring
    case)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for n, f, v in zip(names, fields, values, strict=False):
        if is_blank(n) or is_blank(f):
            continue
        out.setdefault(text_of(n).strip(), []).append((text_of(f), text_of(v)))
    return out


def find_mapping(table: dict[str, list[tuple[str, str]]], name: str
                 ) -> list[tuple[str, str]] | None:
    k = name.strip().casefold()
    for n, pairs in table.items():
        if n.casefold() == k:
            return pairs
    return None


def parse_with_mapping(sheet: Sheet, m: Mapping, opts: Options) -> ImportResult:
    """The sheet read as the mapping says, in steps: its header row (the one it names, or
    found), each field's column, the rows sorted by ``walk``, the cells read column by column
    (``_read_columns``), then an item per item row and a contact per customer
    (``_add_items``)."""
    opts = Options(m.date_order or opts.date_order,
                   "the mapping's Date Order" if m.date_order else opts.date_why,
                   m.decimal, m.thousands)
    result = ImportResult(f"mapping '{m.name}'", "mapping", [sheet.source])
    result.lists_items = True
    wanted = {f: key(h) for f, h in m.columns.items()}
    header = _mapped_header(sheet, m, wanted)
    pos = _mapped_columns(sheet, m, header, wanted)
    result.matched = {f: header.cells[j] for f, j in pos.items()}
    for i, text in enumerate(title_texts(sheet, header.row)):
        result.notes.append(Issue(sheet.where, None, None, f"above the headers: '{text[:60]}' "
                                  f"(skipped, {i + 1})"))
    amount_col = next(pos[f] for f in ("Outstanding", "Amount", "Debit") if f in pos)
    data = [pos[f] for f in ("Invoice Date", "Due Date", "Amount", "Outstanding", "Debit",
                             "Credit", "Paid") if f in pos]
    w = walk(sheet, header, amount_col, data, decimal=m.decimal, thousands=m.thousands,
             skip_prefixes=m.skip)
    result.notes += w.notes
    result.issues += w.issues
    c = ItemCells(sheet, header, w, result, opts, opts.date_order, opts.date_why)
    _add_items(result, sheet, m, pos, w, c, _read_columns(c, pos))
    return finish_items(result, [c])


def _mapped_header(sheet: Sheet, m: Mapping, wanted: dict[str, str]) -> Header:
    """The mapping's Header Row, or the first row with all (else two) of its headers."""
    if m.header_row:
        i = m.header_row - sheet.first_row
        if not 0 <= i < len(sheet.rows):
            raise ExportError(f"{sheet.where}: the mapping's Header Row {m.header_row} is "
                              "not in the sheet")
        row = sheet.rows[i]
        return Header(i, [text_of(v) for v in row],
                      [key(v) if isinstance(v, str) else "" for v in row])
    header = find_header(sheet, lambda keys: set(wanted.values()) <= keys) or \
        find_header(sheet, lambda keys: len(set(wanted.values()) & keys) >= 2)
    if header is None:
        raise ExportError(f"{sheet.where}: no row has the headers the mapping '{m.name}' "
                          "names (" + ", ".join(m.columns.values()) + ")")
    return header


def _mapped_columns(sheet: Sheet, m: Mapping, header: Header, wanted: dict[str, str]
                    ) -> dict[str, int]:
    """Each mapped field's column; ``ExportError`` naming the first one not in the header."""
    pos = {}
    for f, k in wanted.items():
        j = header.find([k])
        if j is None:
            raise ExportError(f"{sheet.where}: the header row (row {sheet.first_row + header.row}"
                              f") has no column '{m.columns[f]}' for {f} (mapping '{m.name}')")
        pos[f] = j
    return pos


_TEXT_FIELDS = ("Invoice", "Customer", "Name", "Currency", "Reference", "Type", "Email",
                "Terms (days)")


@dataclass
class _Columns:
    """The item rows' cells, read column by column (NaN / "" where a field is not mapped)."""

    amount: np.ndarray
    open: np.ndarray
    paid: np.ndarray
    limit: np.ndarray
    invoice_dates: list
    due_dates: list
    text: dict[str, list[str]]


def _read_columns(c: ItemCells, pos: dict[str, int]) -> _Columns:
    def num(f: str, drop: bool = False) -> np.ndarray:
        return c.numbers(pos.get(f), drop=drop) if f in pos else np.full(len(c), np.nan)

    if "Debit" in pos:
        amount = np.nan_to_num(num("Debit")) - np.nan_to_num(num("Credit"))
    else:
        amount = num("Amount", drop="Outstanding" not in pos)
    open_ = num("Outstanding", drop=True)
    paid = num("Paid")
    limit = num("Credit Limit")
    idates, ddates = c.dates(pos.get("Invoice Date")), c.dates(pos.get("Due Date"))
    text = {f: c.text(pos.get(f)) for f in _TEXT_FIELDS}
    return _Columns(amount, open_, paid, limit, idates, ddates, text)


def _signed(m: Mapping, cols: _Columns, k: int, credit_types: set[str]) -> tuple[float, float]:
    """Item ``k``'s amount and open amount, with the mapping's Sign applied (Outstanding
    from Amount - Paid when only those are given)."""
    a, o = cols.amount[k], cols.open[k]
    if not np.isnan(cols.paid[k]) and np.isnan(o) and not np.isnan(a):
        o = a - cols.paid[k]
    if m.sign == "Reversed":
        a, o = -a, -o
    credit = key(cols.text["Type"][k]) in credit_types if credit_types else False
    if m.sign == "Credits Positive" and credit:
        a, o = -abs(a), -abs(o)
    return a, o


def _add_items(result: ImportResult, sheet: Sheet, m: Mapping, pos: dict[str, int], w: Walk,
               c: ItemCells, cols: _Columns) -> None:
    """An item per readable item row (a row without a customer is left out, with an issue);
    a contact per customer, from its first row."""
    text = cols.text
    credit_types = {key(t) for t in m.credit_types}
    keys = Keys(f"mapping:{m.name}")
    contacts: dict[str, Contact] = {}
    for k in range(len(c)):
        if c.bad[k]:
            continue
        groups = w.groups_of[k]
        name = text["Name"][k] or (groups[-1].label if groups and "Customer" not in pos else "")
        cust = text["Customer"][k] or name
        if not cust:
            c.issue(k, pos.get("Customer"), "no customer; left out", drop=True)
            continue
        am, pd, known = money_known(*_signed(m, cols, k, credit_types))
        idate = cols.invoice_dates[k]
        no = text["Invoice"][k] or keys.make("CN" if am < 0 else "ITEM", cust, idate,
                                            text["Reference"][k])
        result.items.append(Item(no, cust, name or cust, idate, cols.due_dates[k], am, pd,
                                 text["Currency"][k].upper(), text["Reference"][k],
                                 "credit note" if am < 0 else "invoice", c.numbers_at[k],
                                 sheet.where, known))
        if cust not in contacts:
            t = parse_terms(text["Terms (days)"][k]) if text["Terms (days)"][k] else None
            contacts[cust] = Contact(cust, name or cust, text["Email"][k],
                                     terms=t if isinstance(t, int) else None,
                                     credit_limit=None if np.isnan(cols.limit[k])
                                     else cols.limit[k],
                                     row=c.numbers_at[k], where=sheet.where)
    result.contacts += contacts.values()
