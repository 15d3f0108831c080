"""Reference rates newer than the ones shipped: a workbook's Rates table, and the published
files it is updated from (``creditdesk rates update FILE --into WORKBOOK``).

The shipped tables (``creditdesk/domain/data/*.csv``, ``interest.rate_table``) are never
edited by a user: a Rates table in the workbook (Law, Effective Date, Rate, and optionally
Checked Until and Source) is laid over them, and every calculation takes the result through
``interest``'s ``rates=`` argument (the ledger carries it: ``Ledger.rates``).

Laying rows over a table (``merge``): a row on a date the table has replaces that change,
the others are added, consecutive equal rates collapse into the first; the result is known
complete up to the latest of the table's ``checked_until``, the rows' Checked Until and their
last date.

The published files (``published``), as the central banks' sites give them:

- Bank of England: the Bank Rate page's table (https://www.bankofengland.co.uk/boeapps/
  database/Bank-Rate.asp) saved as CSV, ``Date Changed,Rate`` with dates like ``18 Dec 25``,
  newest first; or the database's CSV export of the daily series IUDBEDR, ``DATE,IUDBEDR``
  with dates like ``02 Jan 2025``, one row per business day.
- ECB: the Data Portal's CSV of the MRO rate (series FM.B.U2.EUR.4F.KR.MRR_FR.LEV, "date of
  changes"; or FM.D... daily), ``"DATE","TIME PERIOD","Main refinancing operations - ..."``;
  or the data API's SDMX-CSV (``format=csvdata``): ``KEY,FREQ,...,TIME_PERIOD,OBS_VALUE,...``,
  where only the rows of the MRR_FR series are taken.

A daily series is complete over the days it covers: there it replaces the table's changes
(``update``), and it is known complete up to its last day. A list of changes is added to the
table, and is known complete up to the day it was downloaded (the caller says which: today,
unless told otherwise). Rows before the table's first date are left out: the shipped tables
start where the laws' rates are checked (a gap in the ECB's fixed-rate series, 2000-2008,
must not replace the minimum bid rates of those years).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from creditdesk.domain.interest import LAWS, RateTable, rate_table

Change = tuple[dt.date, float]  # (effective date, rate in percent)

RATE_NAME = {"UK": "Bank of England Bank Rate", "EU": "ECB main refinancing rate"}
SOURCES = {"UK": "https://www.bankofengland.co.uk/boeapps/database/Bank-Rate.asp",
           "EU": "https://data.ecb.europa.eu/data/datasets/FM/FM.B.U2.EUR.4F.KR.MRR_FR.LEV"}
LOWEST, HIGHEST = -10.0, 30.0  # percent: a reference rate outside these is a typing slip
WORKBOOK_TABLE = "the workbook's Rates table"


class RatesError(ValueError):
    """A published file that cannot be read as a rate history; the message says why."""


# ---------------------------------------------------------------------------------------
# Laying rows over a table


def merge(base: RateTable, changes: Iterable[Change], checked_until: dt.date | None = None,
          name: str = WORKBOOK_TABLE, source: str = "") -> RateTable:
    """``base`` with ``changes`` laid over it: a change on a date ``base`` has replaces it,
    the others are added; consecutive equal rates collapse."""
    rows = {_day(d): float(r) for d, r in zip(base.effective, base.rates, strict=True)}
    given = sorted(changes)
    for day, rate in given:
        rows[day] = float(rate)
    kept: list[Change] = []
    for day in sorted(rows):
        if not kept or rows[day] != kept[-1][1]:
            kept.append((day, rows[day]))
    checked = max([base.checked_until, *([checked_until] if checked_until else []),
                   *([given[-1][0]] if given else [])])
    return RateTable(name, np.array([np.datetime64(d, "D") for d, _ in kept],
                                    dtype="datetime64[D]"),
                     np.array([r for _, r in kept], dtype=np.float64), checked,
                     source or base.source)


def changes_of(table: RateTable) -> list[Change]:
    return [(_day(d), float(r)) for d, r in zip(table.effective, table.rates, strict=True)]


def _day(d: np.datetime64) -> dt.date:
    return np.datetime64(d, "D").astype(object)


def rate_problem(rate: float) -> str | None:
    """Why ``rate`` cannot be a reference rate in percent; None when it can."""
    if not math.isfinite(rate):
        return "is not a number"
    if not LOWEST <= rate <= HIGHEST:
        return (f"is not a reference rate in percent (Bank Rate and the ECB's rate have "
                f"stayed between {LOWEST:g} and {HIGHEST:g}); write 3.75 for 3.75%")
    return None


def law_of(text: object) -> str | None:
    key = str(text or "").strip().upper()
    return key if key in LAWS else None


@dataclass
class WorkbookRates:
    """The rows of a workbook's Rates table for one law, as the ledger collected them."""

    changes: list[Change] = field(default_factory=list)
    checked_until: dt.date | None = None
    source: str = ""

    def table(self, law: str) -> RateTable:
        return merge(rate_table(law), self.changes, self.checked_until, WORKBOOK_TABLE,
                     self.source)


def workbook_rates(reader) -> dict[str, RateTable]:
    """Each law's table with the rows of the workbook's Rates table laid over the shipped
    one; ``reader`` is the ledger's reader of the table (None: no table, or an empty one).
    A row that cannot be used is an issue and left out."""
    if reader is None:
        return {}
    laws, days, values = reader.get("Law"), reader.get("Effective Date"), reader.get("Rate")
    checked, sources = reader.get("Checked Until"), reader.get("Source")
    found: dict[str, WorkbookRates] = {}
    first: dict[tuple[str, dt.date], int] = {}
    for i in range(reader.n):
        if reader.bad[i]:
            continue
        law = law_of(laws[i])
        if law is None:
            reader.report(i, "Law", f"'{laws[i]}' is not a law: UK or EU")
            continue
        problem = rate_problem(float(values[i]))
        if problem:
            reader.report(i, "Rate", f"{values[i]:g} {problem}")
            continue
        day = _day(days[i])
        if (law, day) in first:
            reader.report(i, "Effective Date", f"a second {law} rate on {day} (the first, on "
                          f"row {first[(law, day)]}, is used)")
            continue
        first[(law, day)] = int(reader.rows[i])
        w = found.setdefault(law, WorkbookRates())
        w.changes.append((day, float(values[i])))
        if not np.isnat(checked[i]):
            c = _day(checked[i])
            w.checked_until = max(w.checked_until, c) if w.checked_until else c
        w.source = w.source or str(sources[i])
    return {law: w.table(law) for law, w in found.items()}


def table_rows(law: str, table: RateTable, source: str = "") -> list[list]:
    """A law's table as rows of the Rates contract table (Law, Effective Date, Rate, Checked
    Until, Source): Checked Until and Source on the last row."""
    out: list[list] = [[law, day, rate, None, None] for day, rate in changes_of(table)]
    if out:
        out[-1][3] = table.checked_until
        out[-1][4] = source or table.source
    return out


# ---------------------------------------------------------------------------------------
# The published files


@dataclass(frozen=True)
class Published:
    """What a published file holds: the law's rate on each date it gives (``daily``: one
    observation a business day; else: the dates the rate changed), oldest first."""

    law: str
    rows: tuple[Change, ...]
    daily: bool
    what: str  # how the file was read, for the user: "the Bank of England's Bank Rate table"

    @property
    def first(self) -> dt.date:
        return self.rows[0][0]

    @property
    def last(self) -> dt.date:
        return self.rows[-1][0]

    def changes(self) -> list[Change]:
        """The rows as changes: an observation equal to the one before it is not one."""
        return _collapse(self.rows)


_DATE_HEADERS = ("time_period", "time period", "date changed", "date", "period")
_VALUE_HEADERS = ("obs_value", "iudbedr", "rate", "value")
_MISSING = {"", "..", ".", "-", "nan", "n/a", "na", "null"}
_FORMATS = ("%Y-%m-%d", "%d %b %Y", "%d %b %y", "%d/%b/%Y", "%d-%b-%Y", "%d %B %Y")


def _key(text: object) -> str:
    return " ".join(str(text or "").replace("\ufeff", "").split()).strip().casefold()


def parse_date(text: str) -> dt.date | None:
    t = " ".join(text.split())
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(t, fmt).date()
        except ValueError:
            continue
    return None


def _rows(text: str) -> list[list[str]]:
    sample = text[:8192]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _header(rows: list[list[str]]) -> int:
    """The first row naming a date column and a value column."""
    for i, row in enumerate(rows[:60]):
        keys = [_key(c) for c in row]
        if any(k in _DATE_HEADERS for k in keys) and len([k for k in keys if k]) >= 2:
            return i
    raise RatesError("no header row with a date column (DATE, Date Changed or TIME_PERIOD) "
                     "and a rate column")


def _law(text: str, law: str | None) -> str:
    low = text.casefold()
    uk = any(w in low for w in ("iudbedr", "bank rate", "date changed", "bank of england"))
    eu = "mrr_fr" in low or "main refinancing" in low or re.search(r"\bmro\b", low) is not None
    if law is not None:
        law = law.strip().upper()
        if law not in LAWS:
            raise RatesError(f"unknown law '{law}': UK or EU")
        if (law == "UK" and eu and not uk) or (law == "EU" and uk and not eu):
            found = "the ECB's MRO rate" if eu else "the Bank of England's Bank Rate"
            raise RatesError(f"the file holds {found}, not the reference rate of the {law} "
                             "law")
        return law
    if uk == eu:
        raise RatesError("cannot tell whether this is the Bank of England's Bank Rate (UK) "
                         "or the ECB's main refinancing rate (EU); give --law UK or EU")
    return "UK" if uk else "EU"


def published(text: str, law: str | None = None) -> Published:
    """A rate history as the Bank of England or the ECB publishes it (see the module's
    docstring). Raises ``RatesError`` with the reason and, for a row, its line."""
    rows = _rows(text)
    h = _header(rows)
    header = [_key(c) for c in rows[h]]
    law = _law(text, law)
    dates = [j for k in _DATE_HEADERS for j, c in enumerate(header) if c == k]
    value = _value_column(header, rows[h + 1:], dates)
    key_col = header.index("key") if "key" in header else None
    freq_col = header.index("freq") if "freq" in header else None
    body = rows[h + 1:]
    if key_col is not None:
        keys = {r[key_col] for r in body if len(r) > key_col and r[key_col]}
        if len(keys) > 1 or (law == "EU" and keys and not any("MRR_FR" in k for k in keys)):
            wanted = [k for k in keys if "MRR_FR" in k] if law == "EU" else []
            if len(wanted) != 1:
                raise RatesError("the file holds several series (" + ", ".join(sorted(keys))
                                 + "); download the main refinancing rate alone "
                                 "(FM.B.U2.EUR.4F.KR.MRR_FR.LEV)")
            body = [r for r in body if len(r) > key_col and r[key_col] == wanted[0]]
    out: dict[dt.date, float] = {}
    for n, r in enumerate(body, start=h + 2):
        if not any(c.strip() for c in r):
            continue
        raw = r[value].strip() if len(r) > value else ""
        if raw.rstrip("%").strip().casefold() in _MISSING:
            continue
        day = next((d for j in dates if len(r) > j and (d := parse_date(r[j]))), None)
        if day is None:
            shown = ", ".join(r[j] for j in dates if len(r) > j)
            raise RatesError(f"line {n}: '{shown}' is not a date")
        try:
            rate = float(raw.rstrip("%").replace(",", "."))
        except ValueError:
            raise RatesError(f"line {n}: '{raw}' is not a rate") from None
        problem = rate_problem(rate)
        if problem:
            raise RatesError(f"line {n}: {raw} {problem}")
        if day in out and out[day] != rate:
            raise RatesError(f"line {n}: {day} has two rates ({out[day]:g} and {rate:g})")
        out[day] = rate
    if not out:
        raise RatesError("no rates in the file")
    ordered = tuple(sorted(out.items()))
    daily = _is_daily(header, rows[h + 1:], freq_col, ordered)
    return Published(law, ordered, daily, _what(law, header, daily))


def _value_column(header: list[str], body: list[list[str]], dates: list[int]) -> int:
    for k in _VALUE_HEADERS:
        if k in header:
            return header.index(k)
    named = [j for j, c in enumerate(header)
             if any(w in c for w in ("mrr_fr", "main refinancing", "bank rate"))]
    if len(named) == 1:
        return named[0]
    numeric = [j for j in range(len(header)) if j not in dates and any(
        len(r) > j and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*%?\s*", r[j]) for r in body[:20])]
    if len(numeric) == 1:
        return numeric[0]
    raise RatesError("no rate column (Rate, IUDBEDR, OBS_VALUE or the series' title)")


def _is_daily(header: Sequence[str], body: list[list[str]], freq_col: int | None,
              rows: Sequence[Change]) -> bool:
    """One observation a business day (not a list of changes)?"""
    text = " ".join(header)
    if "date changed" in header or "date of changes" in text:
        return False
    if freq_col is not None:
        freqs = {r[freq_col] for r in body if len(r) > freq_col and r[freq_col]}
        if freqs == {"D"}:
            return True
        if freqs == {"B"}:
            return False
    if "iudbedr" in header:
        return True
    return any(a[1] == b[1] for a, b in itertools.pairwise(rows))


def _what(law: str, header: Sequence[str], daily: bool) -> str:
    if law == "UK":
        return ("the Bank of England's daily Bank Rate (IUDBEDR)" if daily else
                "the Bank of England's Bank Rate changes")
    return ("the ECB's daily main refinancing rate" if daily else
            "the ECB's main refinancing rate changes")


@dataclass(frozen=True)
class Update:
    """What a published file did to a table."""

    table: RateTable  # the table updated
    added: list[Change]  # changes it has that the table had not (or at another rate)
    removed: list[Change]  # changes the table had that a daily series shows never happened
    older: int  # the file's rows before the table's first date, left out


def update(base: RateTable, file: Published, checked_until: dt.date | None = None,
           name: str = WORKBOOK_TABLE) -> Update:
    """``base`` updated from a published file. A daily series replaces the table's changes
    over the days it covers and is complete up to its last day; a list of changes is added
    and is complete up to ``checked_until`` (the day it was downloaded)."""
    first = base.first_date
    older = sum(1 for d, _ in file.rows if d < first)
    rows = [(d, r) for d, r in file.rows if d >= first]
    if not rows:
        return Update(base, [], [], older)
    kept = changes_of(base)
    changes = _collapse(rows)  # a daily series' first day counts as a change: it is known
    if file.daily:
        kept = [(d, r) for d, r in kept if not rows[0][0] <= d <= rows[-1][0]]
        checked_until = max(rows[-1][0], checked_until or rows[-1][0])
    trimmed = RateTable(base.name, np.array([np.datetime64(d, "D") for d, _ in kept],
                                            dtype="datetime64[D]"),
                        np.array([r for _, r in kept], dtype=np.float64), base.checked_until,
                        base.source)
    new = merge(trimmed, changes, checked_until, name, base.source)
    was, now = dict(changes_of(base)), dict(changes_of(new))
    return Update(new, [(d, r) for d, r in now.items() if was.get(d) != r],
                  [(d, r) for d, r in was.items() if d not in now], older)


def _collapse(rows: Sequence[Change]) -> list[Change]:
    out: list[Change] = []
    for day, rate in rows:
        if not out or rate != out[-1][1]:
            out.append((day, rate))
    return out
