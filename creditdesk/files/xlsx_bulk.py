"""The fast path for table bodies: an XlsxWriter worksheet that writes a table's cells as XML
in bulk, with the guard that keeps it to the XlsxWriter versions it was made for.

XlsxWriter spends about 5 microseconds per cell (a cell object on write, XML on close); a
results workbook for 5,000 customers has some 200,000 cells. ``sheet_class()`` is an
XlsxWriter worksheet class (given to ``add_worksheet`` through its public
``worksheet_class`` argument) that renders a table body's XML once, when it is written, and
emits it in row order on close. Text still goes through the shared string table and is
written as a string cell (t="s"): never a formula, never a link.

It relies on internals of XlsxWriter 3.x (``_write_rows`` and the others in ``NEEDS``,
``table_cells``, ``str_table``, a format's ``_get_xf_index``). ``sheet_class()`` checks the
version and those names; without them, or with ``BULK_BODIES = False``, it is None and every
cell is written through the public API instead (same cells, slower). pyproject.toml pins
``xlsxwriter<4`` for this reason.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Sequence
from typing import Any

from creditdesk.domain.errors import WorkbookError

BULK_BODIES = True  # False: every cell through XlsxWriter's public API
MAJOR_VERSION = "3"  # the XlsxWriter line whose internals the fast path uses
NEEDS = ("_write_rows", "_write_row", "_write_empty_row", "_write_cell", "_check_dimensions",
         "_convert_date_time")
_made: list[type | None] = []  # the class, made on first use (None: not supported)

Rows = Sequence[Sequence[Any]]


def iso_date(v: Any) -> dt.date | Any:
    """ISO text ("2026-11-24...") as a date; anything else as it is."""
    if isinstance(v, str) and len(v) >= 10:
        try:
            return dt.date.fromisoformat(v[:10])
        except ValueError:
            return v
    return v


def column_letters(col: int) -> str:
    """0 -> A, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def supported() -> bool:
    """True when the installed XlsxWriter is one the fast path was made for."""
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    version = str(getattr(xlsxwriter, "__version__", ""))
    return (version.split(".")[0] == MAJOR_VERSION
            and all(hasattr(Worksheet, name) for name in NEEDS))


def sheet_class() -> type | None:
    """The bulk worksheet class, or None: switched off, or an XlsxWriter it was not made
    for."""
    if not BULK_BODIES:
        return None
    if not _made:
        _made.append(_make_class() if supported() else None)
    return _made[0]


class _NoCells(dict):
    """Stands in for XlsxWriter's per-cell table map while a table is added."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


class _CellXml:
    """The XML of a table body's cells, one row at a time: the styles of its columns, text
    through the workbook's shared strings, each date's serial number computed once."""

    def __init__(self, sheet: Any, first_col: int, kinds: Sequence[str],
                 fmts: Sequence[Any], date_fmt: Any, datetime_fmt: Any):
        self.kinds = kinds
        self.sst = sheet.str_table._get_shared_string_index
        self.convert = sheet._convert_date_time
        self.attr = [f' s="{f._get_xf_index()}"' if f is not None else "" for f in fmts]
        self.date_attr = f' s="{date_fmt._get_xf_index()}"'
        self.datetime_attr = f' s="{datetime_fmt._get_xf_index()}"'
        self.serials: dict[Any, float] = {}
        self.prefix = [f'<c r="{column_letters(first_col + j)}' for j in range(len(kinds))]
        self.plain_text = [k != "date" for k in kinds]

    def row(self, r: int, values: Sequence[Any]) -> str:
        """The cells of worksheet row ``r`` (0-based); the common cases inline, as this runs
        once per cell of the table."""
        number = str(r + 1)
        parts = []
        prefix, attr, plain_text, sst = self.prefix, self.attr, self.plain_text, self.sst
        width = len(prefix)
        short = len(values) < width
        for j in range(width):
            v = None if short and j >= len(values) else values[j]
            t = type(v)
            if t is float:
                if v - v == 0:  # finite
                    parts.append(f'{prefix[j]}{number}"{attr[j]}><v>{v:.16G}</v></c>')
            elif t is str and plain_text[j]:
                if v:
                    parts.append(f'{prefix[j]}{number}"{attr[j]} t="s"><v>'
                                 f'{sst(v[:32767])}</v></c>')
            elif t is int:
                parts.append(f'{prefix[j]}{number}"{attr[j]}><v>{v}</v></c>')
            elif v is not None:
                frag = self.other(v, j)
                if frag is not None:
                    parts.append(prefix[j] + number + frag)
        return "".join(parts)

    def other(self, v: Any, j: int) -> str | None:
        """A cell that is not a plain float, int or text: its XML after the cell reference
        (None: an empty cell)."""
        attr = self.attr[j]
        if isinstance(v, numbers.Real) and not isinstance(v, bool):
            x = float(v)
            return f'"{attr}><v>{x:.16G}</v></c>' if math.isfinite(x) else None
        if isinstance(v, str):
            if not v:
                return None
            if self.kinds[j] == "date":
                d = iso_date(v)
                if d is not v:
                    return self.other(d, j)
            return f'"{attr} t="s"><v>{self.sst(v[:32767])}</v></c>'
        if isinstance(v, bool):
            return f'"{attr} t="b"><v>{int(v)}</v></c>'
        if isinstance(v, dt.date):
            return self._date(v, attr)
        return self.other(str(v), j)

    def _date(self, v: dt.date, attr: str) -> str:
        if v.year < 1900:  # Excel has no dates before 1900
            return f'"{attr} t="s"><v>{self.sst(v.isoformat())}</v></c>'
        style = self.date_attr
        if isinstance(v, dt.datetime):
            v = v.replace(tzinfo=None)
            if v.time() != dt.time():
                style = self.datetime_attr
        serial = self.serials.get(v)
        if serial is None:
            serial = self.serials[v] = self.convert(v)
        return f'"{style}><v>{serial:.16G}</v></c>'


class _BulkRows:
    """What the bulk worksheet adds to XlsxWriter's ``Worksheet`` (mixed in before it by
    ``_make_class``): table bodies kept as XML per row, written out on close."""

    def __init__(self) -> None:
        super().__init__()
        self._bulk_rows: dict[int, list[tuple[int, str]]] = {}
        self._table_ranges: list[tuple[int, int, int, int]] = []

    def add_table(self, first_row: int, first_col: int, last_row: int, last_col: int,
                  options: dict | None = None) -> int:
        """XlsxWriter notes every cell of a table in a dict to detect overlapping tables
        (0.2 s and some 100 bytes a cell for 200,000 cells); compare rectangles instead."""
        cells = getattr(self, "table_cells", None)
        if not isinstance(cells, dict):
            return super().add_table(first_row, first_col, last_row, last_col, options)
        for r0, c0, r1, c1 in self._table_ranges:
            if first_row <= r1 and r0 <= last_row and first_col <= c1 and c0 <= last_col:
                raise WorkbookError("two tables overlap on one worksheet")
        self.table_cells = _NoCells()
        try:
            result = super().add_table(first_row, first_col, last_row, last_col, options)
        finally:
            self.table_cells = cells
        if result == 0:
            self._table_ranges.append((first_row, first_col, last_row, last_col))
        return result

    def write_body(self, first_row: int, first_col: int, kinds: Sequence[str],
                   rows: Rows, fmts: Sequence[Any], date_fmt: Any,
                   datetime_fmt: Any) -> None:
        """Table body cells: ``rows`` row-major, ``kinds`` as for
        ``xlsx_book.cell_writer``, ``fmts`` the cell format of each column."""
        if not rows:
            return
        self._check_fits(first_row, first_col, len(rows), len(kinds))
        xml = _CellXml(self, first_col, kinds, fmts, date_fmt, datetime_fmt)
        bulk = self._bulk_rows
        for i, values in enumerate(rows):
            cells = xml.row(first_row + i, values)
            if cells:
                bulk.setdefault(first_row + i, []).append((first_col, cells))

    def _check_fits(self, first_row: int, first_col: int, n: int, width: int) -> None:
        last_row = first_row + n - 1
        for r, c in ((first_row, first_col), (last_row, first_col + width - 1)):
            if self._check_dimensions(r, c):
                raise WorkbookError(f"a table of {n:,} rows does not fit on one "
                                    "worksheet (1,048,576 rows at most)")

    def _write_rows(self) -> None:
        """The rows on close: XlsxWriter's own cells and the bulk rows, in order."""
        if not self._bulk_rows:
            super()._write_rows()
            return
        table, bulk, info = self.table, self._bulk_rows, self.row_info
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row_num)
            segments = bulk.get(row_num)
            if not cells and not segments:
                if row_num in info or row_num in self.comments:
                    self._write_empty_row(row_num, None, info.get(row_num))
                continue
            self._write_row(row_num, None, info.get(row_num))
            items: list[tuple[int, Any]] = sorted(
                [*(cells or {}).items(), *(segments or ())], key=lambda item: item[0])
            for col_num, item in items:
                if isinstance(item, str):
                    self.fh.write(item)
                else:
                    self._write_cell(row_num, col_num, item)
            self._xml_end_tag("row")


def _make_class() -> type:
    """The bulk worksheet class, made on first use: XlsxWriter is imported only then (the
    package imports without it)."""
    from xlsxwriter.worksheet import Worksheet

    return type("BulkSheet", (_BulkRows, Worksheet), {})
