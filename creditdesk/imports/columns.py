"""The cells of an export's item rows, column by column, converted with the domain's cell
rules; every unusable cell an issue that names the file, sheet, row and column."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import operator
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
        self._width = min(map(len, self.rows), default=0)  # the cells every item row has

    def __len__(self) -> int:
        return len(self.rows)

    def name(self, j: int | None) -> str:
        return self.header.cells[j] if j is not None and j < len(self.header.cells) else ""

    def raw(self, j: int | None) -> list:
        if j is None:
            return [None] * len(self.rows)
        if j < self._width:
            return list(map(operator.itemgetter(j), self.rows))
        return [r[j] if j < len(r) else None for r in self.rows]  # a short row: None

    def issue(self, k: int, j: int | None, message: str, *, drop: bool = False) -> None:
        self.result.issues.append(Issue(self.sheet.where, self.numbers_at[k],
                                        self.name(j) or None, message))
        if drop:
            self.bad[k] = True

    def text(self, j: int | None) -> list[str]:
        if j is None:  # a column the export does not have
            return [""] * len(self.rows)
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


# Whitespace that ``text_of`` changes, besides two spaces and a space at either end of a cell:
# any but a space (``\s`` is what ``str.split`` splits on).
_UNTIDY = re.compile(r"[^\S ]")


def texts(values: Sequence[object]) -> list[str]:
    """``text_of`` of every cell: a column of text that needs no tidying is taken as it is
    (its cells joined with NUL, which no text holds, and looked at once)."""
    if values and set(map(type, values)) == {str}:
        joined = "\x00".join(values)
        if joined.count("\x00") == len(values) - 1 and "  " not in joined and \
                "\x00 " not in joined and " \x00" not in joined and \
                not joined.startswith(" ") and not joined.endswith(" ") and \
                not _UNTIDY.search(joined):
            return list(values)
        return [" ".join(v.split()) for v in values]
    return [text_of(v) for v in values]


def dates(values: Sequence[object], order: str | None) -> tuple[list[dt.date | None],
                                                              cells.Errors]:
    """``cells.to_date`` of a column as dates (None for blank and for what is not a date),
    without going through datetime64: each distinct value read once."""
    parsed: dict[object, dt.date | str | None] | None = None
    if bool not in set(map(type, values)):  # True == 1 would share a slot
        try:
            parsed = dict.fromkeys(values)
        except TypeError:  # an unhashable cell
            parsed = None
    if parsed is None:
        return _dates_one_by_one(values, order)
    for v in parsed:
        parsed[v] = _date(v, order)
    out = list(map(parsed.__getitem__, values))
    errors: cells.Errors = {}
    if any(isinstance(d, str) for d in parsed.values()):
        for i, d in enumerate(out):
            if isinstance(d, str):
                errors[i] = d
                out[i] = None
    return out, errors


def _date(v: object, order: str | None) -> dt.date | str | None:
    d = cells.date_or_reason(v, order)
    if d is not None and not isinstance(d, str) and type(d) is not dt.date:
        d = dt.date(d.year, d.month, d.day)  # as datetime64 gives it back
    return d


def _dates_one_by_one(values: Sequence[object], order: str | None
                      ) -> tuple[list[dt.date | None], cells.Errors]:
    out: list[dt.date | None] = []
    errors: cells.Errors = {}
    cache: dict[object, dt.date | str | None] = {}
    for i, v in enumerate(values):
        k = ("bool", v) if isinstance(v, bool) else v  # True == 1 must not share a slot
        try:
            d = cache[k]
        except (KeyError, TypeError):
            d = _date(v, order)
            with contextlib.suppress(TypeError):
                cache[k] = d
        if isinstance(d, str):
            errors[i] = d
            out.append(None)
        else:
            out.append(d)
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
        paid = amount - open_
        return amount, 0.0 if paid < 0.0 else paid, True  # max(paid, 0.0), faster
    return open_, 0.0, False


def money_columns(amount: np.ndarray | None, open_: np.ndarray
                  ) -> tuple[list[float], list[float], list[bool]]:
    """``money_known(amount[k], open_[k])`` for every item at once (``amount`` None: every
    item's is ``np.nan``), each value as ``money_known`` gives it: the amount or open balance
    as the numpy scalar of its array, Paid as the difference or the float 0.0."""
    n = len(open_)
    a = np.full(n, np.nan) if amount is None else amount
    o_nan, a_nan = np.isnan(open_), np.isnan(a)
    with np.errstate(invalid="ignore"):
        known_total = ~o_nan & ~a_nan & (a > 0) & (open_ >= 0) & (open_ <= a + 0.005)
        paid = a - open_
        real_paid = known_total & ~(paid < 0.0)
    take_amount = (o_nan | known_total).tolist()
    amounts = [np.nan] * n if amount is None else list(amount)
    out = [x if t else y for x, y, t in zip(amounts, list(open_), take_amount, strict=True)]
    paids = [x if t else 0.0 for x, t in zip(list(paid), real_paid.tolist(), strict=True)]
    return out, paids, take_amount


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
    folded = [it.invoice.casefold() for it in result.items]
    if len(set(folded)) == len(folded):  # nothing to do
        return
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
