"""Reading a report-shaped sheet: the title block, the header row, and what each row below it
is (an item, a group's heading, a subtotal, the grand total, a percentage line, a repeated
header, the generated-at line, a blank row).

Accounting systems export their reports as they print them. A row that is not an item is
recognised and skipped with one note, never read as an item with three bad cells; the
export's own totals are compared with the sum of the items read, never trusted.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from creditdesk.domain.cells import (
    date_or_reason,
    is_blank,
    parse_number,
    plain_numbers,
    to_number,
)
from creditdesk.domain.issues import Issue
from creditdesk.imports.model import Sheet

HEADER_SEARCH = 60  # rows looked at for the header row


def key(text: object) -> str:
    """A header as it is matched: 'Open  Balance' = 'open balance' = 'OpenBalance';
    '*ContactName' = 'ContactName'; 'P. O. #' = 'po'; '< 1 Month' = '<1month'."""
    return re.sub(r"[^a-z0-9<>+]", "", str(text if text is not None else "").casefold())


def text_of(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


def money(x: float) -> str:
    return f"{x:,.2f}"


_BUCKET = re.compile(
    r"^(current|not due( yet)?|future|older|overdue|"
    r"[<>]?\s*\d+\s*(days?|months?)?( past due| overdue)?|"
    r"\d+\s*(-|to)\s*\d+( days?| months?)?( past due| overdue)?|"
    r"\d+ or more days( past due| overdue)?|(over|more than|older than)\s*\d+( days?| months?)?|"
    r"\d+\+( days?)?|period \d+)$")
_TOTAL = re.compile(r"^(grand\s+)?totals?\b\s*(for\b)?\s*:?\s*(?P<label>.*)$", re.I)
_PERCENT = re.compile(r"^(percentage|percent|%)\b.*(of )?total", re.I)
_BASIS = re.compile(r"^(accrual|cash)\s+basis\s*", re.I)


def is_bucket_label(text: str) -> bool:
    """An age band's name ('1 - 30 days past due', 'Current', '> 90', 'Older')."""
    return bool(_BUCKET.match(" ".join(text.casefold().split())))


def total_label(text: str) -> tuple[bool, str] | None:
    """(grand, label) for a total row's first text: 'TOTAL' and 'Grand Totals:' are grand,
    'Total for X', 'Total X' and 'Totals:' close a group; None if it is not a total."""
    m = _TOTAL.match(text.strip())
    if not m:
        return None
    label = m["label"].strip().rstrip(":").strip()
    grand = bool(m[1]) or (not label and not text.strip().endswith(":"))
    return grand, label


def generated_at(text: str) -> bool:
    """The line a report ends with: 'Wednesday, December 2, 2026 09:14 AM GMT-05:00'."""
    t = _BASIS.sub("", text).strip()
    return ":" in t and isinstance(date_or_reason(t), dt.date)


@dataclass
class Header:
    row: int  # index into sheet.rows
    cells: list[str]  # the header texts, as they stand
    keys: list[str]

    def find(self, names: Iterable[str]) -> int | None:
        """The position of the first header matching one of ``names`` (keys), in their order
        of preference."""
        for name in names:
            for j, k in enumerate(self.keys):
                if k == name:
                    return j
        return None


def find_header(sheet: Sheet, test) -> Header | None:
    """The first row (of the first ``HEADER_SEARCH``) whose header keys satisfy ``test``."""
    for i, row in enumerate(sheet.rows[:HEADER_SEARCH]):
        keys = [key(v) if isinstance(v, str) else "" for v in row]
        if any(keys) and test(set(keys) - {""}):
            return Header(i, [text_of(v) for v in row], keys)
    return None


def title_texts(sheet: Sheet, until: int | None = None) -> list[str]:
    """The texts of the rows above the header (or of the first rows)."""
    out = []
    for row in sheet.rows[: until if until is not None else 12]:
        texts = [text_of(v) for v in row if not is_blank(v)]
        if texts:
            out.append(" ".join(texts))
    return out


_AS_AT = re.compile(r"^(?:as\s+(?:at|of)|report\s+date|date|balance\s+at|aged\s+as\s+at)\s*:?"
                    r"\s*(?P<date>.+)$", re.I)


def as_at_date(texts: Iterable[str], order: str | None) -> dt.date | None:
    for t in texts:
        m = _AS_AT.match(t.strip())
        if m:
            d = date_or_reason(m["date"].strip(), order)
            if isinstance(d, dt.date):
                return d
    return None


@dataclass
class Group:
    label: str
    row: int  # worksheet row
    info: list[str] = field(default_factory=list)  # the other texts on the heading row
    first: int = 0  # its items are the item rows from this one (0-based, in the walk) on


@dataclass
class Walk:
    """The rows of a sheet below its header, sorted into items and the rest."""

    items: list[int] = field(default_factory=list)  # indices into sheet.rows
    # per item: the open groups; items under the same headings share one list (read only)
    groups_of: list[list[Group]] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    extras: list[tuple[int, str, list]] = field(default_factory=list)  # (row, kind, cells)
    # (column, decimal, thousands) -> the items' cells of that column as ``to_number`` reads
    # them: the amount column, read once for the totals and for the items
    parsed: dict[tuple, tuple[np.ndarray, dict[int, str]]] = field(default_factory=dict)


_NEVER_BLANK = frozenset((dt.date, dt.datetime, int, bool))  # cells is_blank never takes


def _blank_cell(v: object) -> bool:
    """``is_blank``, with the common cell types first."""
    c = v.__class__
    if c is str:
        return not v or v.isspace()
    if v is None:
        return True
    if c is float:
        return v != v
    return is_blank(v)


@dataclass(frozen=True)
class _First:
    """What a row's first filled cell says about the row (worked out once per distinct
    value: most rows of a long export start with one of a few dates or none)."""

    text: str
    skip: bool  # it starts with one of the mapping's skip prefixes
    total: tuple[bool, str] | None  # total_label(), for text
    percent: bool  # 'Percentage of total'
    ends_percent: bool  # '12%'
    extra: bool  # one of the format's information lines ('Turnover:')
    header: bool  # text whose key is the first header's (the header row repeated?)
    plain: bool  # none of skip, total, percent, extra: an item if a data column is filled


def _first(value: object, skips: Sequence[str], extra_keys: Sequence[str], hkey: str
           ) -> _First:
    first = text_of(value)
    lowered = first.casefold()
    ek = key(first.split(":")[0] + ":") if ":" in first else ""
    skip = any(lowered.startswith(p) for p in skips)
    total = total_label(first) if isinstance(value, str) else None
    percent = bool(_PERCENT.match(first))
    extra = bool(ek and any(ek.startswith(x.rstrip(":")) for x in extra_keys))
    return _First(first, skip, total, percent, first.endswith("%"), extra,
                  isinstance(value, str) and key(value) == hkey,
                  not skip and total is None and not percent and not extra)


@dataclass
class _Check:
    """A total row, its figure checked against the items once they are all read."""

    row: int  # worksheet row
    value: object  # its cell in the amount column
    first: str
    grand: bool
    group: Group | None
    end: int  # the items above it


def walk(sheet: Sheet, header: Header, amount_col: int, data_cols: Sequence[int],
         *, decimal: str | None = None, thousands: str | None = None,
         extra_lines: Sequence[str] = (), skip_prefixes: Sequence[str] = ()) -> Walk:
    """Sorts every row below the header.

    ``amount_col`` holds each item's open amount as the report shows it; the report's totals
    are read from it too and compared with the sums of the items above them. ``data_cols``
    are the columns an item fills (dates, amounts): a row with none of them filled is a
    heading, a total, a footer or blank. ``extra_lines`` are labels of information lines a
    format has (Sage's 'Turnover:', 'Credit Limit:'), handed back in ``extras``.

    Each row is looked at once, up to its first filled cell and its first filled data
    column; what that first cell says (a total's label, a percentage line, ...) is worked out
    once per distinct value. The amount column is read once, as a whole column, after the
    rows are sorted (``Walk.parsed``); the totals are checked against it then.

    The steps, per row: blank (a run of blank rows gets one note), the header row repeated,
    an item (the common case, kept on the short path), or one of the other kinds
    (``_Sorter.other``). Then the amount column is read and the totals checked
    (``_read_amounts``).
    """
    s = _Sorter(sheet, header, amount_col, data_cols, extra_lines, skip_prefixes)
    rows = sheet.rows
    for i in range(header.row + 1, len(rows)):
        row = rows[i]
        f = _first_filled(row)
        if f < 0:
            if s.blank_from is None:
                s.blank_from = i
            continue
        if s.blank_from is not None:
            s.end_blanks(i)
        info = s.first_of(row[f])
        if (info.header or s.hfirst > f) and s.repeats_header(row, f, info):
            s.note(i, "the header row repeated (skipped)")
            continue
        data = s.fills_data(row, f)
        if data and info.plain:
            s.item(i)
        else:
            s.other(i, row, f, info, data)
    if s.blank_from is not None:
        s.end_blanks(len(rows))
    _read_amounts(s, decimal, thousands)
    return s.w


def _first_filled(row: list) -> int:
    """The position of the row's first filled cell (-1: the row is blank); ``_blank_cell``
    inlined, as this runs on every row."""
    for j, v in enumerate(row):
        c = v.__class__
        if c is str:
            if v and not v.isspace():
                return j
        elif v is None:
            continue
        elif c is float:
            if v == v:
                return j
        elif c in _NEVER_BLANK or not is_blank(v):
            return j
    return -1


class _Sorter:
    """``walk``'s state while it sorts the rows: the open groups (headings not yet closed by
    their total), where a run of blank rows began, the total rows to check at the end."""

    def __init__(self, sheet: Sheet, header: Header, amount_col: int,
                 data_cols: Sequence[int], extra_lines: Sequence[str],
                 skip_prefixes: Sequence[str]) -> None:
        self.w = Walk()
        self.where, self.base, self.rows = sheet.where, sheet.first_row, sheet.rows
        self.amount_col = amount_col
        self.stack: list[Group] = []
        self.snap: list[Group] | None = []  # the stack as the items under it share it
        self.header_key = list(header.keys)
        self.hfirst = next(j for j, k in enumerate(self.header_key) if k)
        self.hkey = self.header_key[self.hfirst]
        self.extra_keys = [key(x) for x in extra_lines]
        self.skips = [p.casefold() for p in skip_prefixes if p]
        self.data_cols = list(data_cols)
        self.data_set = set(self.data_cols)
        self.blank_from: int | None = None
        self.firsts: dict[tuple[type, object], _First] = {}
        self.hkeys: dict[str, str] = {}
        self.checks: list[_Check] = []

    def note(self, i: int, message: str) -> None:
        self.w.notes.append(Issue(self.where, self.base + i, None, message))

    def end_blanks(self, i: int) -> None:
        """One note for the blank rows from ``blank_from`` up to the row before ``i``."""
        a, b = self.base + self.blank_from, self.base + i - 1
        self.w.notes.append(Issue(self.where, a, None, "blank row (skipped)" if a == b else
                                  f"blank rows {a}-{b} (skipped)"))
        self.blank_from = None

    def first_of(self, v0: object) -> _First:
        """What the row's first filled cell says, worked out once per distinct value."""
        try:
            info = self.firsts.get((v0.__class__, v0))
            if info is None:
                info = self.firsts[(v0.__class__, v0)] = _first(v0, self.skips,
                                                                self.extra_keys, self.hkey)
        except TypeError:  # an unhashable cell value
            info = _first(v0, self.skips, self.extra_keys, self.hkey)
        return info

    def repeats_header(self, row: list, f: int, info: _First) -> bool:
        """The header row repeated: its first header's cell first (before the row's first
        filled cell it is blank, and no blank cell has that key), then every header."""
        hfirst = self.hfirst
        return (info.header if hfirst == f else hfirst > f and hfirst < len(row) and isinstance(
                hv := row[hfirst], str) and _key_once(self.hkeys, hv) == self.hkey) and [
                key(v) if isinstance(v, str) else "" for v in row[:len(self.header_key)]
                ] == self.header_key

    def fills_data(self, row: list, f: int) -> bool:
        """A data column is filled (cells before the first filled one are blank: a data
        column at or after it decides)."""
        if f in self.data_set:
            return True
        n = len(row)
        for j in self.data_cols:  # noqa: SIM110 (a loop, not any(): this runs on most rows)
            if f < j < n and not _blank_cell(row[j]):
                return True
        return False

    def item(self, i: int) -> None:
        self.w.items.append(i)
        if self.snap is None:
            self.snap = list(self.stack)
        self.w.groups_of.append(self.snap)

    def other(self, i: int, row: list, f: int, info: _First, data: bool) -> None:
        """A row that is not a plain item: skipped by the mapping, a total, a percentage line,
        account information, the generated-at line, a heading; else an item after all."""
        first = info.text
        if info.skip:
            self.note(i, f"'{first}': a row the mapping skips")
            return
        tot = self.total_of(row, f, info)
        if tot is not None and f != self.amount_col:
            self.total_row(i, row, first, tot)
            return
        if info.percent or (not data and info.ends_percent):
            self.note(i, f"'{first}': a percentage line (skipped)")
            return
        if info.extra:
            self.w.extras.append((self.base + i, first, list(row)))
            self.note(i, f"'{first}': account information (read, not an item)")
            return
        if not data:
            self.heading(i, row, f, first)
            return
        self.item(i)

    def total_of(self, row: list, f: int, info: _First) -> tuple[bool, str] | None:
        """``total_label`` of the first cell, unless the row is a heading that starts with
        the word: 'Total Solutions Ltd' (no figure after it and no open group of that name)."""
        tot = info.total
        n = len(row)
        if tot is not None and tot[1] and not _has_number(
                row, [j for j in range(f + 1, n) if not _blank_cell(row[j])]) and not any(
                key(g.label) == key(tot[1]) for g in self.stack):
            return None
        return tot

    def total_row(self, i: int, row: list, first: str, tot: tuple[bool, str]) -> None:
        """A total: noted, kept to be checked against the items above it; a group's total
        closes its group."""
        is_grand, label = tot
        g = None
        if not is_grand:
            if label:
                k = key(label)
                g = next((s for s in reversed(self.stack) if key(s.label) == k), None)
            if g is None and self.stack:
                g = self.stack[-1]
        self.w.notes.append(Issue(self.where, self.base + i, None, f"'{first}': a "
                                  f"{'grand ' if is_grand else ''}total row (skipped; its "
                                  "figure is checked against the items)"))
        amount_col = self.amount_col
        self.checks.append(_Check(self.base + i, row[amount_col] if amount_col < len(row)
                                  else None, first, is_grand, g, len(self.w.items)))
        if not is_grand:
            _close(self.stack, label)
            self.snap = None

    def heading(self, i: int, row: list, f: int, first: str) -> None:
        """A row without data: the generated-at line, or a group's heading."""
        n = len(row)
        filled = [j for j in range(f, n) if not _blank_cell(row[j])]
        if len(filled) == 1 and generated_at(first):
            self.note(i, f"'{first}': the date the report was made (skipped)")
            return
        texts = [text_of(row[j]) for j in filled]
        stack, items = self.stack, self.w.items
        g = Group(texts[0], self.base + i, texts[1:], len(items))
        # a heading inside an open group of the same kind nests; a new heading at the same
        # level (the previous group had no subtotal) replaces it
        while stack and stack[-1].first != len(items) and not _nests(stack[-1], g):
            stack.pop()
        stack.append(g)
        self.w.groups.append(g)
        self.snap = None


def _read_amounts(s: _Sorter, decimal: str | None, thousands: str | None) -> None:
    """The items' amount column read once, as a whole column (``Walk.parsed``), and the
    total rows checked against it."""
    w, rows, amount_col = s.w, s.rows, s.amount_col
    item_rows = list(map(rows.__getitem__, w.items))
    raw = list(map(operator.itemgetter(amount_col), item_rows)) \
        if item_rows and min(map(len, item_rows)) > amount_col else \
        [r[amount_col] if amount_col < len(r) else None for r in item_rows]
    plain = plain_numbers(raw, decimal, thousands)
    if plain is not None:
        arr, errors, summed = plain, {}, plain
    else:
        arr, errors = to_number(raw, decimal, thousands)
        summed = None
    w.parsed[(amount_col, decimal, thousands)] = (arr, errors)
    if s.checks:
        _check_totals(w, s.where, s.checks, _summed(raw, arr, errors, decimal, thousands)
                      if summed is None else np.where(np.isnan(summed), 0.0, summed).tolist(),
                      decimal, thousands)


def _key_once(keys: dict[str, str], text: str) -> str:
    if text.__class__ is not str:
        return key(text)
    k = keys.get(text)
    if k is None:
        k = keys[text] = key(text)
    return k


def _running(v: object, decimal: str | None, thousands: str | None) -> float | None:
    """The figure of an item's amount cell that the totals above it are checked with: a
    number cell as it is, text as ``parse_number`` reads it; None for blank and what is not
    a number."""
    x = v if isinstance(v, float) else parse_number(v, decimal, thousands) \
        if not is_blank(v) else None
    return x if isinstance(x, float) and not math.isnan(x) else None


def _summed(raw: list, arr: np.ndarray, errors: dict[int, str], decimal: str | None,
            thousands: str | None) -> list[float]:
    """``_running`` of every item's amount cell (0.0 for None), from the column as
    ``to_number`` read it: that is the same figure except for an infinite number (not a
    number to ``to_number``) and, when numpy read the whole column with ``float()``, for
    cells that are not numbers (text, True/False)."""
    out = np.where(np.isnan(arr), 0.0, arr).tolist()
    types = set(map(type, raw))
    if types <= {float, type(None)} or errors:
        fix = [k for k in errors if isinstance(raw[k], float)]
    else:
        fix = [k for k, v in enumerate(raw) if v.__class__ not in (float, int, type(None))]
    for k in fix:
        x = _running(raw[k], decimal, thousands)
        out[k] = 0.0 if x is None else x
    return out


def _check_totals(w: Walk, where: str, checks: list[_Check], summed: list[float],
                  decimal: str | None, thousands: str | None) -> None:
    """Each total row's figure against the sum of the items above it (of its group, or all
    for a grand total), added up one by one from 0.0 in the order of the rows."""
    grand = list(itertools.accumulate(summed, initial=0.0))
    for c in checks:
        if c.grand:
            expect, n, what = grand[c.end], c.end, "all items"
        elif c.group is not None:
            g = c.group
            n = c.end - g.first
            expect = functools.reduce(operator.add, summed[g.first:c.end], 0.0)
            what = f"the {n} item(s) of '{g.label}'"
        else:
            expect, n, what = 0.0, 0, "no items"
        if is_blank(c.value):
            continue
        stated = parse_number(c.value, decimal, thousands)
        if isinstance(stated, str):
            w.issues.append(Issue(where, c.row, None, f"the total '{text_of(c.value)}' is not a "
                                  "number (not checked)"))
            continue
        if abs(stated - expect) > 0.005:
            hint = (" (a 0.00 total is often a formula Excel never recalculated)"
                    if stated == 0 else "")
            w.issues.append(Issue(where, c.row, None, f"'{c.first}' says {money(stated)}, but "
                                  f"{what} add up to {money(expect)}; the items are imported, "
                                  f"not the total{hint}"))


def _has_number(row: list, cols: Sequence[int]) -> bool:
    return any(not isinstance(row[j], bool) and (isinstance(row[j], int | float) or
               isinstance(parse_number(row[j]), float)) for j in cols)


def _nests(outer: Group, inner: Group) -> bool:
    """QuickBooks' sub-customers: 'Parent:Child' inside 'Parent'."""
    return inner.label.startswith(outer.label + ":")


def _close(stack: list[Group], label: str) -> None:
    if not stack:
        return
    if label:
        k = key(label)
        for n in range(len(stack) - 1, -1, -1):
            if key(stack[n].label) == k:
                del stack[n:]
                return
    stack.pop()
