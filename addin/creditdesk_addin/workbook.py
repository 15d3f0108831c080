"""The user's workbook through xlwings: contract tables in, result tables out.

The same code runs on every xlwings engine: classic xlwings on desktop Excel (COM on Windows,
AppleScript on macOS) and the Office.js engine of xlwings Lite (Pyodide inside Excel), which
is also the engine the tests drive with ``xw.Book(json=payload)``.

Reading: each contract table is read in one call (``table.range`` of an Excel table, or the
used range of a sheet named like the table) and turned into the same ``RawTable`` the file
reader (``creditdesk.files.xlsx_read``) makes from a workbook file: the same table-or-sheet rules
(``xlsx_read``'s own for a sheet), the same header row, the same worksheet row numbers, and
cell values normalised to the types python-calamine gives (text, float, bool,
``datetime.date``, ``''`` for blank), so ``build_ledger`` sees identical input on both paths.

Writing: results go out as whole blocks (one ``setValues`` per table) into Excel tables that
are created on the first run and resized on later ones, so formulas that point at them keep
working. Text from outside (customer names, subjects, notes, replies) is neutralised first: a
value that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or ``'``,
which Excel would swallow) gets a leading ``'``, and text columns are formatted as Text, so
nothing a ledger says becomes a formula.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from creditdesk.analysis.tables import POSITIVE_FROM
from creditdesk.domain import contract
from creditdesk.domain.cells import neutralise  # used in this module and by scripts.py
from creditdesk.domain.ledger import RawTable
from creditdesk.files.xlsx_book import sheet_name, table_name
from creditdesk.files.xlsx_read import table_from_sheet, table_key  # the same rules

log = logging.getLogger("creditdesk.addin")

TABLE_STYLE = "TableStyleMedium2"
MONEY = "#,##0.00"
WHOLE = "0"
ONE = "0.0"
DATE = "yyyy-mm-dd"
TEXT = "@"
NUMBER_FORMATS = {"money": MONEY, "int": WHOLE, "one": ONE, "date": DATE, "text": TEXT}
# the contract tables' formats (History); the result tables have tables.NUMBER_FORMATS

# ---------------------------------------------------------------------------------------
# Neutralising text


# neutralise: defined once, in creditdesk.domain.cells (the hand-off pack's CSVs use it too)


# ---------------------------------------------------------------------------------------
# Cell values as python-calamine gives them


_MIDNIGHT = dt.time()


def _iso(text: str) -> dt.date | dt.datetime | str:
    """'2026-06-30T00:00:00.000Z' (a date-formatted cell in an Office.js payload)."""
    try:
        value = dt.datetime.fromisoformat(text[:23])
    except ValueError:
        return text
    return value.date() if value.time() == _MIDNIGHT else value


def cell(value: Any) -> Any:
    """One cell value in the form the file reader has it."""
    t = type(value)
    if t is str:
        if len(value) == 24 and value[-1] == "Z" and value[10] == "T" and value[4] == "-":
            return _iso(value)
        return value
    if t is float:
        return value
    if value is None:
        return ""
    if t is int:
        return float(value)
    if t is bool:
        return value
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
        return value.date() if value.time() == _MIDNIGHT else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):  # numpy or pywin32 numbers
        return float(value)
    return value


def _column(col: Sequence[Any]) -> list:
    """One column's cells normalised; homogeneous columns at C speed, the others through a
    table of their distinct values (a ledger's dates repeat: some 500 days in 100,000 rows)."""
    types = set(map(type, col))
    if types == {str}:
        if 24 not in set(map(len, col)):
            return list(col)
    elif types == {float}:
        return list(col)
    elif types <= {int, float}:
        return list(map(float, col))
    try:
        distinct = {v: cell(v) for v in set(col)}
    except TypeError:  # an unhashable value: one by one
        return list(map(cell, col))
    return list(map(distinct.__getitem__, col))


def _rows(values: Any) -> list[list]:
    """A range's values as a list of row lists of normalised cells (any engine's shape)."""
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        return [[cell(values)]]
    if not values:
        return []
    if not isinstance(values[0], list | tuple):
        return [[cell(v) for v in values]]
    width = max(map(len, values))
    if any(len(r) != width for r in values):
        values = [list(r) + [None] * (width - len(r)) for r in values]
    columns = [_column(c) for c in zip(*values, strict=True)]
    return [list(r) for r in zip(*columns, strict=True)]


def range_values(rng: Any) -> list[list]:
    """A range's values in one call. On the Office.js engine (xlwings Lite, the tests) the raw
    payload values are taken, which skips xlwings' per-cell conversion; elsewhere ``value``
    with Excel errors kept as text (``#N/A``), so they are reported, not read as blanks."""
    if is_remote(rng.sheet.book):
        return _rows(rng.raw_value)
    return _rows(rng.options(ndim=2, err_to_str=True).value)


def is_remote(book: Any) -> bool:
    """True on the Office.js engine (xlwings Lite, or a book built from a payload)."""
    try:
        return type(book.impl).__module__.endswith("_xlremote")
    except AttributeError:
        return False


def is_lite() -> bool:
    return sys.platform == "emscripten"


# ---------------------------------------------------------------------------------------
# Reading the contract tables


@dataclass
class _Sheet:
    """A worksheet shaped like python-calamine's sheet, for ``xlsx_read``'s rules."""

    name: str
    start: tuple[int, int] | None  # 0-based (row, column) of the first non-empty cell
    rows: list[list]  # from ``start``: the non-empty area

    def to_python(self, skip_empty_area: bool = True) -> list[list]:
        return self.rows


def _blank(v: Any) -> bool:
    return v is None or v == ""


def _listobject(table: Any, sheet: Any, name: str) -> RawTable:
    """An Excel table as ``xlsx_read`` makes one from a file's table (python-calamine's):
    header text, trailing blank rows dropped, worksheet row of the first data row; column by
    column, without going through rows."""
    rng = table.range
    if rng is None:
        return RawTable(name, sheet.name, [], [], 2)
    values = rng.raw_value if is_remote(sheet.book) else \
        rng.options(ndim=2, err_to_str=True).value
    values = [values] if values and not isinstance(values[0], list | tuple) else \
        list(values or [])
    if values and _show_totals(table):
        values = values[:-1]
    header = ["" if h is None else str(h) for h in (values[0] if values else [])]
    body = values[1:]
    end = len(body)
    while end and all(_blank(v) for v in body[end - 1]):
        end -= 1
    body = body[:end]
    width = len(header)
    if body:
        if any(len(r) != width for r in body):
            body = [(list(r) + [None] * width)[:width] for r in body]
        columns = [_column(c) for c in zip(*body, strict=True)]
    else:
        columns = [[] for _ in header]
    return RawTable(name, sheet.name, header, columns, rng.row + 1)


def _show_totals(table: Any) -> bool:
    try:
        return bool(table.show_totals)
    except Exception:  # an engine that cannot tell: a contract table has no total row
        return False


def _sheet(sheet: Any) -> _Sheet:
    used = sheet.used_range
    rows = range_values(used)
    top = next((i for i, r in enumerate(rows) if not all(_blank(v) for v in r)), None)
    if top is None:
        return _Sheet(sheet.name, None, [])
    bottom = max(i for i, r in enumerate(rows) if not all(_blank(v) for v in r))
    width = max(len(r) for r in rows)
    left = min(next(j for j, v in enumerate(r) if not _blank(v))
               for r in rows if not all(_blank(v) for v in r))
    right = max(max(j for j, v in enumerate(r) if not _blank(v))
                for r in rows if not all(_blank(v) for v in r))
    area = [(r + [""] * (width - len(r)))[left:right + 1] for r in rows[top:bottom + 1]]
    return _Sheet(sheet.name, (used.row - 1 + top, used.column - 1 + left), area)


def find_tables(book: Any) -> tuple[dict[str, tuple[Any, Any]], dict[str, Any]]:
    """The book's Excel tables ({key: (table, sheet)}) and sheets ({key: sheet}), first of
    each name, as the file reader finds them."""
    tables: dict[str, tuple[Any, Any]] = {}
    sheets: dict[str, Any] = {}
    for sheet in book.sheets:
        sheets.setdefault(table_key(sheet.name), sheet)
        try:
            for t in sheet.tables:
                tables.setdefault(table_key(t.name), (t, sheet))
        except Exception:  # an engine without tables
            continue
    return tables, sheets


def read_tables(book: Any, specs: Iterable[contract.Table] = contract.TABLES
                ) -> dict[str, RawTable]:
    """The contract tables found in the book, keyed by normalised table name: an Excel table
    of that name, else a sheet of that name, each read in one call."""
    listobjects, sheets = find_tables(book)
    out: dict[str, RawTable] = {}
    for spec in specs:
        k = table_key(spec.name)
        raw = None
        if k in listobjects:
            table, sheet = listobjects[k]
            raw = _listobject(table, sheet, spec.name)
        elif k in sheets:
            raw = table_from_sheet(_sheet(sheets[k]), spec)
        if raw is not None:
            out[contract.normalise_header(spec.name)] = raw
    return out


# ---------------------------------------------------------------------------------------
# Writing


@dataclass(frozen=True)
class Col:
    header: str
    kind: str = "text"  # text (from outside: neutralised), label (our own text), money,
    #                     int, one, date, any


def _out(value: Any, kind: str) -> Any:
    """A value ready for a cell: NaN and None blank, numpy scalars plain, text neutralised."""
    if value is None:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return neutralise(value) if kind in ("text", "any") else value
    if isinstance(value, bool):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return _out(value.item(), kind)
    if isinstance(value, list | tuple):
        return neutralise("; ".join(str(x) for x in value))
    return value


def block(cols: Sequence[Col], rows: Iterable[Sequence[Any]]) -> list[list]:
    return [[_out(v, c.kind) for v, c in zip(row, cols, strict=False)] for row in rows]


def cosmetic(what: str, fn: Callable[[], Any]) -> None:
    """Formatting that makes results easier to read but is never worth failing a run for:
    an engine or Excel version without the feature skips it (and the log says so)."""
    try:
        fn()
    except Exception as exc:
        log.info("skipped %s: %s: %s", what, type(exc).__name__, exc)


def get_sheet(book: Any, name: str, *, after: Any = None) -> Any:
    """The sheet called ``name`` (matched ignoring case), added at the end if missing."""
    name = sheet_name(name)
    for sheet in book.sheets:
        if sheet.name.casefold() == name.casefold():
            return sheet
    if after is None:
        after = book.sheets[len(book.sheets) - 1]
    return book.sheets.add(name, after=after)


def find_table(sheet: Any, name: str) -> Any | None:
    key = name.casefold()
    try:
        for t in sheet.tables:
            if t.name.casefold() == key:
                return t
    except Exception:
        return None
    return None


def write_table(sheet: Any, name: str, top: int, left: int, cols: Sequence[Col],
                rows: Sequence[Sequence[Any]],
                formats: Mapping[str, str] = NUMBER_FORMATS) -> Any:
    """An Excel table at (top, left) (1-based) holding ``rows``: created on the first run,
    cleared, rewritten and resized on later ones. ``formats``: the number format of each
    column kind. Returns the data-body range (None when there are no rows). One
    ``setValues`` for the whole table."""
    name = table_name(name)
    width = len(cols)
    values = [[c.header for c in cols], *block(cols, rows)]
    if len(values) == 1:  # an Excel table needs a data row
        values.append([None] * width)
    n = len(values)
    existing = find_table(sheet, name)
    if existing is not None:
        body = existing.data_body_range
        if body is not None:
            body.clear_contents()
        _clear_columns_beyond(sheet, existing, left + width - 1)
    whole = sheet.range((top, left), (top + n - 1, left + width - 1))
    body = sheet.range((top + 1, left), (top + n - 1, left + width - 1))
    # number formats first, so text stays text and dates are dates when the values land
    for j, c in enumerate(cols):
        fmt = formats.get("text" if c.kind == "label" else c.kind)
        if fmt is not None:
            col = sheet.range((top + 1, left + j), (top + n - 1, left + j))
            cosmetic("number format", lambda col=col, fmt=fmt: setattr(col, "number_format",
                                                                          fmt))
    whole.value = values
    if existing is not None:
        existing.resize(whole)
    else:
        sheet.tables.add(source=whole, name=name, table_style_name=TABLE_STYLE,
                         has_headers=True)
    return body if rows else None


def _clear_columns_beyond(sheet: Any, table: Any, last_col: int) -> None:
    """A table that had more columns than it has now (a column a newer version no longer
    writes) leaves no stale header or cells beside it once resized."""
    def clear() -> None:
        rng = table.range
        rows, cols = rng.shape
        if rng.column + cols - 1 > last_col:
            sheet.range((rng.row, last_col + 1),
                        (rng.row + rows - 1, rng.column + cols - 1)).clear_contents()
    cosmetic("clear old columns", clear)


def column(sheet: Any, top: int, left: int, j: int, n: int) -> Any:
    """The data cells of column ``j`` (0-based) of a table written at (top, left)."""
    return sheet.range((top + 1, left + j), (top + max(n, 1), left + j))


def colour_words(rng: Any, colours: Mapping[str, tuple[str, str]]) -> None:
    """Conditional formats: cells equal to a word get its (fill, font) colours."""
    def apply() -> None:
        rng.conditional_formats.clear()
        for word, (fill, font) in colours.items():
            rng.conditional_formats.add_cell_value("equal_to", f'="{word}"',
                                                   fill_color=fill, font_color=font)
    cosmetic("conditional format", apply)


def colour_positive(rng: Any, colours: tuple[str, str]) -> None:
    def apply() -> None:
        rng.conditional_formats.clear()
        rng.conditional_formats.add_cell_value("greater_than", POSITIVE_FROM,
                                               fill_color=colours[0], font_color=colours[1])
    cosmetic("conditional format", apply)


def write_block(sheet: Any, top: int, left: int, rows: Sequence[Sequence[Any]]) -> None:
    """Plain cells (no table), one ``setValues``; rows are padded to one width."""
    if not rows:
        return
    width = max(len(r) for r in rows)
    values = [[_out(v, "label") for v in r] + [None] * (width - len(r)) for r in rows]
    sheet.range((top, left), (top + len(values) - 1, left + width - 1)).value = values


# ---------------------------------------------------------------------------------------
# Progress and the one-line summary


class Progress:
    """Where the user sees a script working: the status bar on desktop Excel, printed lines
    in xlwings Lite (its output pane) and wherever no status bar exists."""

    def __init__(self, book: Any, script: str):
        self.book, self.script = book, script
        self._bar = not is_remote(book) and not is_lite()

    def __call__(self, message: str) -> None:
        text = f"Creditdesk {self.script}: {message}"
        if self._bar:
            try:
                self.book.app.status_bar = text
                return
            except Exception:
                self._bar = False
        print(text, flush=True)

    def done(self, summary: str) -> None:
        self(summary)


def today() -> dt.date:
    return dt.date.today()


@contextlib.contextmanager
def screen_updating_off(book: Any):
    """Desktop Excel repaints after each write unless told not to."""
    app = None
    with contextlib.suppress(Exception):
        if not is_remote(book):
            app = book.app
            app.screen_updating = False
    try:
        yield
    finally:
        if app is not None:
            with contextlib.suppress(Exception):
                app.screen_updating = True
