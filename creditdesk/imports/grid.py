"""Reading a report-shaped sheet: the title block, the header row, and what each row below it
is (an item, a group's heading, a subtotal, the grand total, a percentage line, a repeated
header, the generated-at line, a blank row).

Accounting systems export their reports as they print them. A row that is not an item is
recognised and skipped with one note, never read as an item with three bad cells; the
export's own totals are compared with the sum of the items read, never trusted.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from creditdesk.domain.cells import date_or_reason, is_blank, parse_number
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
    total: float = 0.0
    count: int = 0
    closed: bool = False


@dataclass
class Walk:
    """The rows of a sheet below its header, sorted into items and the rest."""

    items: list[int] = field(default_factory=list)  # indices into sheet.rows
    groups_of: list[list[Group]] = field(default_factory=list)  # per item: the open groups
    groups: list[Group] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    extras: list[tuple[int, str, list]] = field(default_factory=list)  # (row, kind, cells)


def walk(sheet: Sheet, header: Header, amount_col: int, data_cols: Sequence[int],
         *, decimal: str | None = None, thousands: str | None = None,
         extra_lines: Sequence[str] = (), skip_prefixes: Sequence[str] = ()) -> Walk:
    """Sorts every row below the header.

    ``amount_col`` holds each item's open amount as the report shows it; the report's totals
    are read from it too and compared with the running sums of the items above them.
    ``data_cols`` are the columns an item fills (dates, amounts): a row with none of them
    filled is a heading, a total, a footer or blank. ``extra_lines`` are labels of information
    lines a format has (Sage's 'Turnover:', 'Credit Limit:'), handed back in ``extras``.
    """
    w = Walk()
    where = sheet.where
    base = sheet.first_row
    stack: list[Group] = []
    grand = 0.0
    count = 0
    header_key = list(header.keys)
    hfirst = next(j for j, k in enumerate(header_key) if k)
    extra_keys = [key(x) for x in extra_lines]
    skips = [p.casefold() for p in skip_prefixes if p]
    blank_from: int | None = None
    rows = sheet.rows

    def flush_blank(upto: int) -> None:
        nonlocal blank_from
        if blank_from is not None:
            a, b = base + blank_from, base + upto - 1
            w.notes.append(Issue(where, a, None, "blank row (skipped)" if a == b else
                                 f"blank rows {a}-{b} (skipped)"))
            blank_from = None

    def note(i: int, message: str) -> None:
        w.notes.append(Issue(where, base + i, None, message))

    for i in range(header.row + 1, len(rows)):
        row = rows[i]
        filled = [j for j, v in enumerate(row) if not is_blank(v)]
        if not filled:
            if blank_from is None:
                blank_from = i
            continue
        flush_blank(i)
        first = text_of(row[filled[0]])
        lowered = first.casefold()
        if hfirst < len(row) and isinstance(row[hfirst], str) and \
                key(row[hfirst]) == header_key[hfirst] and \
                [key(v) if isinstance(v, str) else "" for v in row[:len(header_key)]] == header_key:
            note(i, "the header row repeated (skipped)")
            continue
        if any(lowered.startswith(p) for p in skips):
            note(i, f"'{first}': a row the mapping skips")
            continue
        data = any(j in filled for j in data_cols)
        tot = total_label(first) if isinstance(row[filled[0]], str) else None
        if tot is not None and tot[1] and not _has_number(row, filled[1:]) and not any(
                key(g.label) == key(tot[1]) for g in stack):
            tot = None  # a heading that starts with the word: 'Total Solutions Ltd'
        if tot is not None and filled[0] != amount_col:
            _check_total(w, where, base + i, row, amount_col, tot, stack, grand, count,
                         first, decimal, thousands)
            if not tot[0]:
                _close(stack, tot[1])
            continue
        if _PERCENT.match(first) or (not data and first.endswith("%")):
            note(i, f"'{first}': a percentage line (skipped)")
            continue
        ek = key(first.split(":")[0] + ":") if ":" in first else ""
        if ek and any(ek.startswith(x.rstrip(":")) for x in extra_keys):
            w.extras.append((base + i, first, list(row)))
            note(i, f"'{first}': account information (read, not an item)")
            continue
        if not data:
            texts = [text_of(row[j]) for j in filled]
            if len(filled) == 1 and generated_at(first):
                note(i, f"'{first}': the date the report was made (skipped)")
                continue
            g = Group(texts[0], base + i, texts[1:])
            # a heading inside an open group of the same kind nests; a new heading at the same
            # level (the previous group had no subtotal) replaces it
            while stack and stack[-1].count != 0 and not _nests(stack[-1], g):
                stack.pop()
            stack.append(g)
            w.groups.append(g)
            continue
        w.items.append(i)
        w.groups_of.append(list(stack))
        count += 1
        v = row[amount_col] if amount_col < len(row) else None
        x = v if isinstance(v, float) else parse_number(v, decimal, thousands) \
            if not is_blank(v) else None
        if isinstance(x, float) and not math.isnan(x):
            grand += x
            for g in stack:
                g.total += x
                g.count += 1
        else:
            for g in stack:
                g.count += 1
    flush_blank(len(rows))
    return w


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


def _check_total(w: Walk, where: str, row: int, cells: list, amount_col: int,
                 tot: tuple[bool, str], stack: list[Group], grand: float, count: int,
                 first: str, decimal: str | None, thousands: str | None) -> None:
    """A total row: skipped with a note; its figure compared with the items' sum."""
    is_grand, label = tot
    value = cells[amount_col] if amount_col < len(cells) else None
    if is_grand:
        expect, n, what = grand, count, "all items"
    else:
        g = None
        if label:
            k = key(label)
            g = next((s for s in reversed(stack) if key(s.label) == k), None)
        if g is None and stack:
            g = stack[-1]
        expect, n = (g.total, g.count) if g else (0.0, 0)
        what = f"the {n} item(s) of '{g.label}'" if g else "no items"
    w.notes.append(Issue(where, row, None, f"'{first}': a {'grand ' if is_grand else ''}total "
                         "row (skipped; its figure is checked against the items)"))
    if is_blank(value):
        return
    stated = parse_number(value, decimal, thousands)
    if isinstance(stated, str):
        w.issues.append(Issue(where, row, None, f"the total '{text_of(value)}' is not a number "
                              "(not checked)"))
        return
    if abs(stated - expect) > 0.005:
        hint = (" (a 0.00 total is often a formula Excel never recalculated)"
                if stated == 0 else "")
        w.issues.append(Issue(where, row, None, f"'{first}' says {money(stated)}, but "
                              f"{what} add up to {money(expect)}; the items are imported, "
                              f"not the total{hint}"))
