"""The cells of an export's item rows, column by column, converted with the domain's cell
rules; every unusable cell an issue that names the file, sheet, row and column."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from creditdesk.domain import cells
from creditdesk.domain.issues import Issue
from creditdesk.imports.grid import Header, Walk, text_of
from creditdesk.imports.model import ImportResult, Sheet


@dataclass
class Options:
    """What the user (a mapping, the workbook's Settings) says about how to read cells."""

    date_order: str | None = None  # DMY / MDY: forced for columns the data cannot decide
    date_why: str = ""
    decimal: str | None = None
    thousands: str | None = None


class ItemCells:
    """Column access to the item rows a ``Walk`` found: the rows are turned into columns once,
    and each column is converted as a whole."""

    def __init__(self, sheet: Sheet, header: Header, w: Walk, result: ImportResult,
                 opts: Options, order: str | None, why: str):
        self.sheet, self.header, self.walk, self.result, self.opts = sheet, header, w, result, opts
        self.rows = [sheet.rows[i] for i in w.items]
        self.numbers_at = [sheet.first_row + i for i in w.items]
        self.order, self.why = (opts.date_order, opts.date_why) if opts.date_order else (order,
                                                                                         why)
        self.bad = np.zeros(len(self.rows), dtype=bool)
        self._columns: list[tuple] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def name(self, j: int | None) -> str:
        return self.header.cells[j] if j is not None and j < len(self.header.cells) else ""

    def raw(self, j: int | None) -> list:
        if j is None:
            return [None] * len(self.rows)
        if self._columns is None:  # a short row's missing cells are None
            self._columns = list(itertools.zip_longest(*self.rows)) if self.rows else []
        return list(self._columns[j]) if j < len(self._columns) else [None] * len(self.rows)

    def issue(self, k: int, j: int | None, message: str, *, drop: bool = False) -> None:
        self.result.issues.append(Issue(self.sheet.where, self.numbers_at[k],
                                        self.name(j) or None, message))
        if drop:
            self.bad[k] = True

    def text(self, j: int | None) -> list[str]:
        return texts(self.raw(j))

    def numbers(self, j: int | None, *, drop: bool) -> np.ndarray:
        got = self.walk.parsed.get((j, self.opts.decimal, self.opts.thousands))
        if got is not None:  # the walk read this column for the totals
            arr, errors = got[0].copy(), got[1]
        else:
            arr, errors = cells.to_number(self.raw(j), self.opts.decimal, self.opts.thousands)
        for k, message in errors.items():
            self.issue(k, j, message + ("; the row is left out" if drop else ""), drop=drop)
        return arr

    def dates(self, j: int | None) -> list[dt.date | None]:
        values = self.raw(j)
        if j is None:
            return [None] * len(values)
        choice = cells.decide_date_order(values, self.order, self.why)
        if choice.note:
            self.result.issues.append(Issue(self.sheet.where, None, self.name(j), choice.note))
        out, errors = dates(values, choice.order)
        for k, message in errors.items():
            self.issue(k, j, message)
        return out


# Whitespace that ``text_of`` changes: any but a space, two spaces, a space at either end of
# a cell (cells joined with NUL, which no text holds; ``\s`` is what ``str.split`` splits on).
_UNTIDY = re.compile(r"[^\S ]|  |(?:^|\x00) | (?:\x00|$)")


def texts(values: Sequence[object]) -> list[str]:
    """``text_of`` of every cell: a column of text that needs no tidying is taken as it is."""
    if values and set(map(type, values)) == {str}:
        joined = "\x00".join(values)
        if joined.count("\x00") == len(values) - 1 and not _UNTIDY.search(joined):
            return list(values)
        return [" ".join(v.split()) for v in values]
    return [text_of(v) for v in values]


def dates(values: Sequence[object], order: str | None) -> tuple[list[dt.date | None],
                                                              cells.Errors]:
    """``cells.to_date`` of a column as dates (None for blank and for what is not a date),
    each distinct value read once, without going through datetime64."""
    out: list[dt.date | None] = []
    errors: cells.Errors = {}
    cache: dict[object, dt.date | str | None] = {}
    for i, v in enumerate(values):
        k = ("bool", v) if isinstance(v, bool) else v  # True == 1 must not share a slot
        try:
            d = cache[k]
        except (KeyError, TypeError):
            d = cells.date_or_reason(v, order)
            if d is not None and not isinstance(d, str) and type(d) is not dt.date:
                d = dt.date(d.year, d.month, d.day)  # as datetime64 gives it back
            with contextlib.suppress(TypeError):
                cache[k] = d
        if d is None or d.__class__ is dt.date:
            out.append(d)
        else:
            errors[i] = d
            out.append(None)
    return out, errors


def money_known(amount: float, open_: float) -> tuple[float, float, bool]:
    """(Amount, Paid, the document's total known) from an export's document total and open
    balance, either of which may be missing (NaN). Paid is never negative: a part-used credit
    note is imported at what is left of it."""
    if open_ != open_:  # NaN
        return amount, 0.0, True
    if amount != amount:
        return open_, 0.0, False
    if amount > 0 and 0 <= open_ <= amount + 0.005:
        return amount, max(amount - open_, 0.0), True
    return open_, 0.0, False


class Keys:
    """Keys for items an export lists without a number (a credit note with no number, an
    overpayment, a payment on account): the same export gives the same keys, import after
    import, so a re-import updates the item instead of adding it again."""

    def __init__(self, system: str):
        self.system = system
        self.seen: dict[str, int] = {}

    def make(self, prefix: str, customer: str, day: dt.date | None, reference: str) -> str:
        base = f"{self.system}|{prefix}|{customer.casefold()}|{day}|{reference.casefold()}"
        n = self.seen.get(base, 0)
        self.seen[base] = n + 1
        digest = hashlib.sha1(f"{base}|{n}".encode()).hexdigest()[:6].upper()
        return f"{prefix}-{day:%Y%m%d}-{digest}" if day else f"{prefix}-{digest}"


def unique_numbers(result: ImportResult) -> None:
    """Every item's number unique within the import: a credit note or payment whose number an
    invoice already has gets its kind's prefix; another repeat gets '-2', '-3' (an issue)."""
    seen: dict[str, int] = {}
    prefixes = {"credit note": "CN", "payment": "PAY", "overpayment": "OP",
                "prepayment": "PP", "refund": "RF", "discount": "DS", "journal": "JNL"}
    for it in result.items:
        k = it.invoice.casefold()
        if k not in seen:
            seen[k] = it.row
            continue
        if it.kind in prefixes and not it.invoice.upper().startswith(prefixes[it.kind]):
            cand = f"{prefixes[it.kind]}-{it.invoice}"
            if cand.casefold() not in seen:
                seen[cand.casefold()] = it.row
                it.invoice = cand
                continue
        n = 2
        while f"{k}-{n}" in seen:
            n += 1
        result.issues.append(Issue(it.where, it.row, None,
                                   f"number {it.invoice} is also on row {seen[k]}; this one is "
                                   f"imported as {it.invoice}-{n}"))
        it.invoice = f"{it.invoice}-{n}"
        seen[f"{k}-{n}"] = it.row
