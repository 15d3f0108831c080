"""Writing workbook files with XlsxWriter: contract workbooks and the results workbook.

Every text that may come from outside (customer names, references, subjects, messages) is
written with ``write_string`` into a workbook opened with ``strings_to_formulas``,
``strings_to_urls`` and ``strings_to_numbers`` off: a customer called
``=HYPERLINK("http://x","y")`` stays text. A file is written to a temporary name in the
target folder and moved into place at the end, so a failure never leaves half a workbook, and
a workbook is never written onto the input it was computed from.

XlsxWriter is imported inside the functions so the package imports without it (xlwings Lite).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import numbers
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from creditdesk.domain import contract
from creditdesk.domain.errors import WorkbookError
from creditdesk.domain.settings import settings_rows

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
TABLE_STYLE = "Table Style Medium 2"
DATE_FORMAT = 14  # Excel's built-in short date: shown in the user's own locale
MONEY_FORMAT = "#,##0.00"
# The results workbook is read, printed and sent on: its dates are unambiguous in every
# locale (9/11 is 9 November in London, 11 September in New York) and its negatives are red.
RESULTS_DATE_FORMAT = "yyyy-mm-dd"
RESULTS_MONEY_FORMAT = "#,##0.00;[Red]-#,##0.00"
HEADER_FILL = "#4472C4"  # the header colour of TABLE_STYLE, for viewers without table styles
MIN_WIDTH, MAX_WIDTH = 6.0, 60.0
_WIDTH_SAMPLE = 500  # rows looked at to size a column

Rows = Sequence[Sequence[Any]]


# ---------------------------------------------------------------------------------------
# Writing a file safely


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(a.resolve()) == os.path.normcase(b.resolve())


@contextlib.contextmanager
def _target(path: str | os.PathLike, source: str | os.PathLike | None) -> Iterator[str]:
    """Yields a temporary file name next to ``path``; moves it onto ``path`` on success and
    removes it on any failure."""
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise WorkbookError(f"cannot write '{target}': the file name must end in .xlsx")
    if source is not None and _same_file(target, Path(source)):
        raise WorkbookError(f"will not write '{target}': it is the input workbook; "
                            "choose another file name for the output")
    if target.is_dir():
        raise WorkbookError(f"cannot write '{target}': it is a folder")
    folder = target.parent
    if not folder.is_dir():
        raise WorkbookError(f"cannot write '{target}': the folder '{folder}' does not exist")
    tmp = folder / f".~{target.stem[:40]}.{secrets.token_hex(4)}.xlsx"
    try:
        # created with the usual permissions (the umask applies), unlike mkstemp's 0600
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise WorkbookError(f"cannot write '{target}': {exc.strerror or exc}") from None
    try:
        yield str(tmp)
        try:
            os.replace(tmp, target)
        except PermissionError:
            raise WorkbookError(f"cannot write '{target}': permission denied (is it open in "
                                "Excel?)") from None
        except OSError as exc:
            raise WorkbookError(f"cannot write '{target}': {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _new_workbook(tmp: str, created: dt.datetime | None = None) -> Any:
    import xlsxwriter

    wb = xlsxwriter.Workbook(tmp, dict(WORKBOOK_OPTIONS))
    props = {"title": "Creditdesk", "comments": "Written by Creditdesk"}
    if created is not None:
        props["created"] = created
    wb.set_properties(props)
    return wb


def _close(wb: Any, target: str | os.PathLike) -> None:
    from xlsxwriter.exceptions import XlsxWriterException

    try:
        wb.close()
    except (XlsxWriterException, OSError) as exc:
        raise WorkbookError(f"cannot write '{target}': {exc}") from None


# ---------------------------------------------------------------------------------------
# Cells


class _Formats:
    """The workbook's cell formats, made once. ``results``: the results workbook's formats
    (ISO dates, red negatives, bold headers) instead of those of a contract workbook.

    XlsxWriter stores only the formats a cell uses, so formats made here and not used leave a
    contract workbook unchanged."""

    def __init__(self, wb: Any, results: bool = False):
        date = RESULTS_DATE_FORMAT if results else DATE_FORMAT
        money = RESULTS_MONEY_FORMAT if results else MONEY_FORMAT
        # results: table cells at the top, so a row with wrapped reasons reads from its top,
        # and text indented, so it never sits glued to a right-aligned number on its left
        cell = {"valign": "top"} if results else {}
        text = {"align": "left", "indent": 1} if results else {}

        def add(props: dict) -> Any:
            return wb.add_format({**cell, **props})

        self.text = add(text) if results else None
        self.date = add({"num_format": date})
        self.datetime = add({"num_format": "yyyy-mm-dd hh:mm"})
        self.money = add({"num_format": money})
        self.int = add({"num_format": "0"})
        self.one = add({"num_format": "0.0"})
        self.wrap = add({**text, "text_wrap": True})
        self.int_left = add({"num_format": "0", "align": "left", "indent": 1})
        # a table's header row and total row, in cell formats too: LibreOffice and other
        # viewers do not draw Excel's table styles
        self.header = add({**text, "bold": True, "font_color": "#FFFFFF",
                           "bg_color": HEADER_FILL, "text_wrap": True}) if results else None
        self.totals = {"text": add({**text, "bold": True}),
                       "money": add({"bold": True, "num_format": money}),
                       "int": add({"bold": True, "num_format": "0"}),
                       "one": add({"bold": True, "num_format": "0.0"})}
        add = wb.add_format
        # the Dashboard
        self.date_left = add({"num_format": date, "align": "left"})
        self.datetime_left = add({"num_format": "yyyy-mm-dd hh:mm", "align": "left"})
        self.right = add({"align": "right"})
        self.unit = add({"align": "left", "indent": 1})
        self.indent = add({"align": "left", "indent": 1})
        self.title = add({"bold": True, "font_size": 14})
        self.heading = add({"bold": True, "font_size": 11, "bottom": 1})
        self.bold = add({"bold": True})
        self.muted = add({"font_color": "#595959", "italic": True})
        self.red = add({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.amber = add({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
        self.green = add({"bg_color": "#C6EFCE", "font_color": "#006100"})

    def number(self, kind: str) -> Any:
        """The cell format of a column kind (None: the default format)."""
        return {"money": self.money, "int": self.int, "one": self.one, "date": self.date,
                "wrap": self.wrap, "int_left": self.int_left, "text": self.text}.get(kind)


def _is_number(v: object) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _write_any(ws: Any, r: int, c: int, v: Any, f: _Formats, fmt: Any = None) -> None:
    """Any value by its type; text always as text, never a formula or a link."""
    if v is None:
        return
    if isinstance(v, str):
        if v:
            ws.write_string(r, c, v, fmt)
    elif isinstance(v, bool):
        ws.write_boolean(r, c, v, fmt)
    elif _is_number(v):
        x = float(v)
        if math.isfinite(x):
            ws.write_number(r, c, x, fmt)
    elif isinstance(v, dt.datetime):
        if v.year < 1900:  # Excel has no dates before 1900
            ws.write_string(r, c, v.isoformat(), fmt)
        elif v.time() == dt.time() and fmt is f.date:
            ws.write_datetime(r, c, v.replace(tzinfo=None), f.date)
        else:
            ws.write_datetime(r, c, v.replace(tzinfo=None), f.datetime)
    elif isinstance(v, dt.date):
        if v.year < 1900:
            ws.write_string(r, c, v.isoformat(), fmt)
        else:
            ws.write_datetime(r, c, v, f.date)
    else:
        ws.write_string(r, c, str(v), fmt)


def _iso_date(v: Any) -> dt.date | Any:
    if isinstance(v, str) and len(v) >= 10:
        try:
            return dt.date.fromisoformat(v[:10])
        except ValueError:
            return v
    return v


def _cell_writer(ws: Any, kind: str, f: _Formats) -> Callable[[int, int, Any], None]:
    """A writer for one column kind: text, wrap (wrapped text), money, int, int_left (a whole
    number, left-aligned), one (one decimal), date, any."""
    if kind in ("text", "wrap"):
        text_fmt = f.number(kind)

        def text(r: int, c: int, v: Any) -> None:
            if isinstance(v, str):
                if v:
                    ws.write_string(r, c, v, text_fmt)
            else:
                _write_any(ws, r, c, v, f, text_fmt)
        return text
    if kind == "date":
        def date(r: int, c: int, v: Any) -> None:
            _write_any(ws, r, c, _iso_date(v), f, f.date)
        return date
    fmt = f.number(kind)

    def number(r: int, c: int, v: Any) -> None:
        if type(v) is float:  # the common case, fast
            if math.isfinite(v):
                ws.write_number(r, c, v, fmt)
        else:
            _write_any(ws, r, c, v, f, fmt)
    return number


def _shown_len(v: Any, kind: str) -> int:
    if v is None or v == "":
        return 0
    if kind == "date" or isinstance(v, dt.date):
        return 10
    if _is_number(v) and not isinstance(v, bool):
        x = float(v)
        if not math.isfinite(x):
            return 0
        if kind == "money":
            return len(f"{x:,.2f}")
        if kind == "one":
            return len(f"{x:.1f}")
        return len(f"{x:.0f}") if x.is_integer() else len(f"{x:g}")
    text = str(v)
    return max(map(len, text.split("\n"))) if "\n" in text else len(text)


def _width(header: str, kind: str, values: Sequence[Any], cap: float = MAX_WIDTH) -> float:
    longest = max((_shown_len(v, kind) for v in values[:_WIDTH_SAMPLE]), default=0)
    # the header needs room for the filter button
    return max(MIN_WIDTH, min(cap, max(len(header) + 4, longest + 2)))


# ---------------------------------------------------------------------------------------
# Table bodies in bulk
#
# XlsxWriter spends about 5 microseconds per cell (a cell object on write, XML on close); a
# results workbook for 5,000 customers has some 200,000 cells. ``_BulkSheet`` is an XlsxWriter
# worksheet (through the public ``worksheet_class`` hook) that renders a table body's XML once,
# when it is written, and emits it in row order on close. Text still goes through the shared
# string table and is written as a string cell (t="s"): never a formula, never a link. It
# relies on a few XlsxWriter internals (checked in ``_bulk_sheet_class``); without them, or
# with ``BULK_BODIES = False``, every cell is written through the public API instead.

BULK_BODIES = True
_BULK_NEEDS = ("_write_rows", "_write_row", "_write_empty_row", "_write_cell",
               "_check_dimensions", "_convert_date_time")
_bulk_class: list[type | None] = []


def _column_letters(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class _NoCells(dict):
    """Stands in for XlsxWriter's per-cell table map while a table is added."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


def _bulk_sheet_class() -> type | None:
    if _bulk_class:
        return _bulk_class[0]
    from xlsxwriter.worksheet import Worksheet

    if not all(hasattr(Worksheet, name) for name in _BULK_NEEDS):
        _bulk_class.append(None)
        return None

    class _BulkSheet(Worksheet):
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
            """Table body cells: ``rows`` row-major, ``kinds`` as for ``_cell_writer``."""
            if not rows:
                return
            width = len(kinds)
            last_row = first_row + len(rows) - 1
            for r, c in ((first_row, first_col), (last_row, first_col + width - 1)):
                if self._check_dimensions(r, c):
                    raise WorkbookError(f"a table of {len(rows):,} rows does not fit on one "
                                        "worksheet (1,048,576 rows at most)")
            sst = self.str_table._get_shared_string_index
            convert = self._convert_date_time
            attr = [f' s="{f._get_xf_index()}"' if f is not None else "" for f in fmts]
            date_attr = f' s="{date_fmt._get_xf_index()}"'
            datetime_attr = f' s="{datetime_fmt._get_xf_index()}"'
            serials: dict[Any, float] = {}
            prefix = [f'<c r="{_column_letters(first_col + j)}' for j in range(width)]
            cols = range(width)
            bulk = self._bulk_rows

            def cell(v: Any, j: int) -> str | None:
                kind = kinds[j]
                if type(v) is float or (isinstance(v, numbers.Real)
                                        and not isinstance(v, bool)):
                    x = float(v)
                    return f'"{attr[j]}><v>{x:.16G}</v></c>' if math.isfinite(x) else None
                if isinstance(v, str):
                    if not v:
                        return None
                    if kind == "date":
                        d = _iso_date(v)
                        if d is not v:
                            return cell(d, j)
                    return f'"{attr[j]} t="s"><v>{sst(v[:32767])}</v></c>'
                if v is None:
                    return None
                if isinstance(v, bool):
                    return f'"{attr[j]} t="b"><v>{int(v)}</v></c>'
                if isinstance(v, dt.date):
                    if v.year < 1900:
                        return f'"{attr[j]} t="s"><v>{sst(v.isoformat())}</v></c>'
                    if isinstance(v, dt.datetime):
                        v = v.replace(tzinfo=None)
                        style = date_attr if v.time() == dt.time() else datetime_attr
                    else:
                        style = date_attr
                    serial = serials.get(v)
                    if serial is None:
                        serial = serials[v] = convert(v)
                    return f'"{style}><v>{serial:.16G}</v></c>'
                return cell(str(v), j)

            plain_text = [k != "date" for k in kinds]
            for i, row in enumerate(rows):
                r = first_row + i
                number = str(r + 1)
                parts = []
                short = len(row) < width
                for j in cols:
                    v = None if short and j >= len(row) else row[j]
                    t = type(v)
                    if t is float:  # the common cases inline
                        if v - v == 0:  # finite
                            parts.append(f'{prefix[j]}{number}"{attr[j]}><v>{v:.16G}</v></c>')
                    elif t is str and plain_text[j]:
                        if v:
                            parts.append(f'{prefix[j]}{number}"{attr[j]} t="s"><v>'
                                         f'{sst(v[:32767])}</v></c>')
                    elif t is int:
                        parts.append(f'{prefix[j]}{number}"{attr[j]}><v>{v}</v></c>')
                    elif v is not None:
                        frag = cell(v, j)
                        if frag is not None:
                            parts.append(prefix[j] + number + frag)
                if parts:
                    bulk.setdefault(r, []).append((first_col, "".join(parts)))

        def _write_rows(self) -> None:
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

    _bulk_class.append(_BulkSheet)
    return _BulkSheet


# ---------------------------------------------------------------------------------------
# Tables


@dataclass(frozen=True)
class Col:
    header: str
    kind: str = "text"  # text, money, int, one, date, any
    total: str | None = None  # an Excel table total function: sum, max, ...
    width: float | None = None


_TABLE_NAME_BAD = re.compile(r"[^A-Za-z0-9_.\\]")


def table_name(name: str) -> str:
    """The Excel table (ListObject) name for a table: no spaces, no cell-like names."""
    out = _TABLE_NAME_BAD.sub("", name) or "Table"
    if not (out[0].isalpha() or out[0] in "_\\"):
        out = "T_" + out
    if re.match(r"^[a-zA-Z]{1,3}\d+$", out) or re.match(r"^[rcRC](\d+[rcRC]\d+)?$", out):
        out = "T_" + out
    return out[:255]


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    out = _SHEET_BAD.sub(" ", name).strip().strip("'")[:31].strip()
    return out or "Sheet"


def _unique(names: Sequence[str]) -> list[str]:
    """Excel table headers must be unique ignoring case, and not blank."""
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        base = " ".join(str(name).split()) or f"Column{i + 1}"
        cand, k = base, 2
        while cand.casefold() in seen:
            cand, k = f"{base} {k}", k + 1
        seen.add(cand.casefold())
        out.append(cand)
    return out


ROW_HEIGHT = 15.0  # points: one line of the default font


def _lines(text: Any, width: float) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` characters wide. A width
    counts digits; text averages some 15% narrower (in LibreOffice's fonts too): reckoned
    with 10% so a row is rather a little too high than a reason cut off."""
    if not isinstance(text, str) or not text:
        return 1
    room = max(int(width * 1.1) - 2, 1)  # less a margin and the indent
    n = 0
    for para in text.split("\n"):
        n += 1
        used = 0
        for word in para.split():
            size = len(word)
            if used and used + 1 + size > room:
                n += 1
                used = 0
            used = used + 1 + size if used else size
            while used > room:  # a word longer than the column is broken
                n += 1
                used -= room
    return n


def _fit_rows(ws: Any, first: int, rows: Rows, wrapped: Sequence[tuple[int, float]]) -> None:
    """Row heights for wrapped text, set here: LibreOffice does not fit rows to wrapped
    text when it opens a file, and a wrapped reason would spill over the rows around it."""
    for i, row in enumerate(rows):
        n = max(_lines(row[j] if j < len(row) else None, width) for j, width in wrapped)
        if n > 1:
            ws.set_row(first + i, ROW_HEIGHT * n)


_SUBTOTAL = {"average": 101, "count_nums": 102, "count": 103, "max": 104, "min": 105,
             "std_dev": 107, "sum": 109, "var": 110}


def _column_ref(table: str, header: str) -> str:
    """A structured reference to a table column, table-qualified and in double brackets
    (``Ageing[[Not due]]``): Excel reads it like ``[Not due]`` and LibreOffice, which cannot
    parse an unqualified column name with spaces or hyphens, reads it too."""
    for ch in "'[]#":  # the apostrophe first: it escapes the others
        header = header.replace(ch, "'" + ch)
    return f"{table}[[{header}]]"


class _Book:
    """A workbook being written, with its formats and the names already used."""

    def __init__(self, wb: Any, results: bool = False):
        self.wb = wb
        self.f = _Formats(wb, results)
        self.table_names: set[str] = set()
        self.sheet_names: set[str] = set()

    def sheet(self, name: str) -> Any:
        base = sheet_name(name)
        cand, k = base, 2
        while cand.casefold() in self.sheet_names:
            suffix = f" ({k})"
            cand, k = base[:31 - len(suffix)] + suffix, k + 1
        self.sheet_names.add(cand.casefold())
        return self.wb.add_worksheet(cand, _bulk_sheet_class() if BULK_BODIES else None)

    def _table_name(self, name: str) -> str:
        base = table_name(name)
        cand, k = base, 2
        while cand.casefold() in self.table_names:
            cand, k = f"{base}{k}", k + 1
        self.table_names.add(cand.casefold())
        return cand

    def table(self, ws: Any, name: str, top: int, left: int, cols: Sequence[Col], rows: Rows,
              *, totals: Mapping[int, Any] | None = None, total_label: str | None = None,
              widths: Mapping[int, float] | None = None) -> tuple[int, int]:
        """Writes an Excel table with its header at (top, left); returns the worksheet rows
        (0-based) of its first data row and of its last row (the total row if any)."""
        f = self.f
        headers = _unique([c.header for c in cols])
        n = len(rows)
        first = top + 1
        last_data = first + max(n, 1) - 1  # an Excel table needs one data row, even blank
        with_total = totals is not None
        last = last_data + 1 if with_total else last_data
        columns = []
        for j, (c, h) in enumerate(zip(cols, headers, strict=True)):
            spec: dict[str, Any] = {"header": h}
            if f.header is not None:
                spec["header_format"] = f.header
            fmt = f.number(c.kind)
            if fmt is not None:
                spec["format"] = fmt
            if with_total:
                if j == 0 and total_label:
                    spec["total_string"] = total_label
                elif c.total:
                    spec["total_function"] = c.total
                    value = totals.get(j, 0) if totals else 0
                    spec["total_value"] = value if _is_number(value) else 0
            columns.append(spec)
        excel_name = self._table_name(name)
        result = ws.add_table(top, left, last, left + len(cols) - 1, {
            "name": excel_name, "columns": columns, "style": TABLE_STYLE,
            "total_row": with_total,
        })
        if result != 0:  # XlsxWriter warns and returns -1/-2 instead of raising
            raise WorkbookError(f"cannot write the table '{name}' ({len(rows):,} rows at "
                                f"row {top + 1}, column {left + 1})")
        if with_total:
            self._total_row(ws, excel_name, last, left, cols, headers, totals or {},
                            total_label)
        if hasattr(ws, "write_body"):
            ws.write_body(first, left, [c.kind for c in cols], rows,
                          [f.number(c.kind) for c in cols], f.date, f.datetime)
        else:
            writers = [_cell_writer(ws, c.kind, f) for c in cols]
            for i, row in enumerate(rows):
                r = first + i
                for j, w in enumerate(writers):
                    v = row[j] if j < len(row) else None
                    if v is not None:
                        w(r, left + j, v)
        wrapped = []
        for j, c in enumerate(cols):
            if c.kind == "date":  # dates typed in later are dates too
                ws.set_column(left + j, left + j, None, f.date)
            width = (widths or {}).get(j, c.width)
            if width is None:
                width = _width(headers[j], c.kind, [row[j] if j < len(row) else None
                                                    for row in rows[:_WIDTH_SAMPLE]])
            ws.set_column(left + j, left + j, width, f.date if c.kind == "date" else None)
            if c.kind == "wrap":
                wrapped.append((j, width))
        if wrapped:
            _fit_rows(ws, first, rows, wrapped)
        return first, last

    def _total_row(self, ws: Any, excel_name: str, row: int, left: int, cols: Sequence[Col],
                   headers: Sequence[str], totals: Mapping[int, Any],
                   total_label: str | None) -> None:
        """The total row's cells, over what XlsxWriter wrote: table-qualified formulas (its
        ``SUBTOTAL(109,[Not due])`` is Err:508 in LibreOffice), each with its value cached
        for viewers that do not calculate, in bold. The table keeps its total functions, so
        Excel still offers its total row menu."""
        f = self.f
        for j, c in enumerate(cols):
            if j == 0 and total_label:
                ws.write_string(row, left, total_label, f.totals["text"])
            elif c.total:
                value = totals.get(j, 0)
                ws.write_formula(row, left + j,
                                 f"=SUBTOTAL({_SUBTOTAL[c.total]},"
                                 f"{_column_ref(excel_name, headers[j])})",
                                 f.totals.get(c.kind, f.totals["text"]),
                                 value if _is_number(value) else 0)


# ---------------------------------------------------------------------------------------
# Contract workbooks: `creditdesk new`, the demo


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
        if kind == "any":
            sample = [r[j] for r in rows[:50] if j < len(r) and r[j] not in (None, "")]
            if sample and all(isinstance(v, dt.date) for v in sample):
                kind = "date"
        cols.append(Col(str(h), kind))
    return cols


def _contract_table(book: _Book, name: str, headers: Sequence[str], rows: Rows,
                    widths: Mapping[str, float] | Sequence[float] | None) -> None:
    ws = book.sheet(name)
    cols = _columns_for(name, headers, rows)
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


def write_workbook(path: str | os.PathLike,
                   tables: Mapping[str, tuple[Sequence[str], Rows]], *,
                   widths: Mapping[str, Mapping[str, float] | Sequence[float]] | None = None,
                   readme: bool = False, source: str | os.PathLike | None = None,
                   created: dt.datetime | None = None) -> None:
    """Each table as an Excel table on its own sheet named like the table.

    ``tables`` maps a table name ("Dunning Levels") to (headers, rows); the Excel table is
    named without spaces ("DunningLevels"). ``widths`` optionally gives column widths per
    table, by header or by position. ``readme`` puts a "Read me" sheet first that explains
    the contract tables. ``source`` is the input workbook, which is never overwritten.
    """
    with _target(path, source) as tmp:
        book = _Book(_new_workbook(tmp, created))
        if readme:
            _readme(book)
        for name, (headers, rows) in tables.items():
            _contract_table(book, name, list(headers), rows, (widths or {}).get(name))
        _close(book.wb, path)


def template_tables() -> dict[str, tuple[list[str], list[list]]]:
    """The blank contract workbook's tables: headers for all, defaults where they exist."""
    from creditdesk.domain.ledger import DEFAULT_LEVELS
    from creditdesk.domain.templates import DEFAULT_TEMPLATES

    tables: dict[str, tuple[list[str], list[list]]] = {}
    for t in contract.TABLES:
        headers = [c.header for c in t.columns]
        rows: list[list] = []
        if t is contract.SETTINGS:
            headers = [*headers, "Notes"]
            rows = settings_rows()
        elif t is contract.DUNNING_LEVELS:
            rows = [[lv.level, lv.name, lv.days, lv.template, lv.channel,
                     "Yes" if lv.add_interest else "No"] for lv in DEFAULT_LEVELS]
        elif t is contract.TEMPLATES:
            rows = [[tp.name, tp.language, tp.subject, tp.body] for tp in DEFAULT_TEMPLATES]
        tables[t.name] = (headers, rows)
    return tables


def write_template(path: str | os.PathLike, *, created: dt.datetime | None = None) -> None:
    """The blank contract workbook: a Read me sheet, then every contract table; Settings,
    Dunning Levels and Templates hold the defaults, the other tables only their headers."""
    write_workbook(path, template_tables(), readme=True, created=created,
                   widths={"Templates": {"Subject": 45, "Body": 80},
                           "Settings": {"Setting": 28, "Value": 18, "Notes": 50}})


def add_contract_sheets(wb: Any, tables: Mapping[str, tuple[Sequence[str], Rows]], *,
                        widths: Mapping[str, Mapping[str, float] | Sequence[float]] | None
                        = None, readme: bool = False) -> None:
    """The sheets ``write_workbook`` writes, onto an XlsxWriter workbook the caller opened
    with ``WORKBOOK_OPTIONS`` and closes (the desktop ``.xlsm`` adds its own sheets and its
    VBA project around them)."""
    book = _Book(wb)
    if readme:
        _readme(book)
    for name, (headers, rows) in tables.items():
        _contract_table(book, name, list(headers), rows, (widths or {}).get(name))


_KIND_WORDS = {"text": "text", "number": "number", "integer": "whole number", "date": "date",
               "bool": "Yes/No", "email": "e-mail address", "emails": "e-mail addresses"}


def _readme(book: _Book) -> None:
    ws = book.sheet("Read me")
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


# ---------------------------------------------------------------------------------------
# The results workbook


_KPIS: tuple[tuple[str, str, str, str], ...] = (
    # key, label, unit ("ccy" = base currency), what it means
    ("period_days", "KPI period", "days", "the KPIs below cover this many days up to the "
     "as-of date"),
    ("credit_sales", "Credit sales in the period", "ccy", "invoices dated in the period"),
    ("receivables", "Receivables", "ccy", "outstanding on the as-of date"),
    ("overdue", "Overdue receivables", "ccy", "outstanding and past the due date"),
    ("dso_simple", "DSO (simple)", "days", "receivables / credit sales x period days"),
    ("dso_countback", "DSO (countback)", "days", "months of sales counted back from the "
     "as-of date until they add up to the receivables"),
    ("best_possible_dso", "Best possible DSO", "days", "receivables not yet due / credit "
     "sales x period days"),
    ("average_days_delinquent", "Average days delinquent (ADD)", "days",
     "DSO - best possible DSO"),
    ("cei", "Collection effectiveness index (CEI)", "%", "share of what could be collected "
     "in the period that was collected; 100% is perfect"),
    ("average_days_to_pay", "Average days to pay", "days", "invoice date to settlement, "
     "weighted by amount, for items settled in the period"),
    ("average_days_late", "Average days late", "days", "due date to settlement, weighted by "
     "amount, for items settled in the period"),
    ("percent_overdue", "Overdue share", "%", "overdue receivables / receivables"),
)


def _join(items: Any) -> str:
    if items is None:
        return ""
    if isinstance(items, str):
        return items
    return "; ".join(str(x) for x in items)


def _bucket_colours(n: int) -> list[str]:
    warm = ["#FFD966", "#F4B183", "#ED7D31", "#C55A11", "#C00000", "#7B0000"]
    if n <= 1:
        return ["#70AD47"][:n]
    rest = n - 1
    picks = [warm[round(i * (len(warm) - 1) / max(rest - 1, 1))] for i in range(rest)]
    return ["#70AD47", *picks]


def _money_header(name: str, ccy: str) -> str:
    """A money column's header says the currency: "Outstanding (GBP)"."""
    return f"{name} ({ccy})" if ccy else name


def _is_not_due_label(label: str) -> bool:
    return contract.normalise_header(label) == "not due"


_NOT_DUE_YET = ("nothing due for a reminder yet", "next reminder on")


def _not_due_yet(reason: Any) -> bool:
    """Left out only because nothing is due for a reminder yet: the rule, not an exception."""
    return str(reason or "").strip().casefold().startswith(_NOT_DUE_YET)


def _wrap_width(header: str, rows: Rows, j: int, cap: float) -> float:
    """The width of a wrapped text column: its longest text, up to ``cap``."""
    return _width(header, "text", [r[j] if j < len(r) else None for r in rows[:_WIDTH_SAMPLE]],
                  cap=cap)


def _print_setup(ws: Any, header_row: int | None, *, one_page: bool = False) -> None:
    """Landscape, one page wide (``one_page``: one page in all), the header row on every
    page, the sheet name and page number in the footer."""
    ws.set_landscape()
    ws.fit_to_pages(1, 1 if one_page else 0)
    if header_row is not None:
        ws.repeat_rows(header_row)
    ws.set_footer("&L&A&RPage &P of &N")


def write_results(path: str | os.PathLike, docs: Mapping[str, Any], *,
                  source: str | os.PathLike | None = None, source_name: str = "",
                  made: dt.datetime | None = None) -> None:
    """The results workbook from the CLI's JSON documents (keys ageing, check, score,
    remind, issues; any may be missing): Dashboard, Ageing, Credit, Scores, Reminders,
    Not chased, Issues. ``source`` is the input workbook, which is never overwritten;
    ``source_name`` is the input's file name shown on the Dashboard (blank: none), ``made``
    the time the results were made (default: now)."""
    made = (made or dt.datetime.now()).replace(tzinfo=None, microsecond=0)
    with _target(path, source) as tmp:
        book = _Book(_new_workbook(tmp), results=True)
        dashboard = book.sheet("Dashboard")
        ageing = docs.get("ageing") or {}
        check = docs.get("check") or {}
        score = docs.get("score") or {}
        remind = docs.get("remind") or {}
        issues = docs.get("issues")
        if issues is None:
            issues = ageing.get("issues") or []
        ccy = next((str(d["base_currency"]) for d in (ageing, check, score, remind)
                    if d.get("base_currency")), "")
        _ageing_sheet(book, ageing, ccy)
        _credit_sheet(book, check, ccy)
        _scores_sheet(book, score, check, ccy)
        _reminders_sheet(book, remind)
        _not_chased_sheet(book, remind.get("skipped") or [])
        _issues_sheet(book, issues)
        _dashboard(book, dashboard, docs, ageing, check, remind, issues,
                   source_name=source_name, made=made)
        dashboard.activate()
        _close(book.wb, path)


_DASHBOARD_WIDTHS = (36, 16, 11, 70)  # label, value, unit, note (and the chart)
_CHART_ROWS = 15  # the least rows beside the chart: 300 pixels high


def _dashboard(book: _Book, ws: Any, docs: Mapping[str, Any], ageing: Mapping[str, Any],
               check: Mapping[str, Any], remind: Mapping[str, Any], issues: list, *,
               source_name: str, made: dt.datetime) -> None:
    """Labels in A, figures right-aligned in B, their unit in C, what they mean in D. The
    receivables and credit decisions have no notes: the ageing chart stands in D beside
    them, at the top of the first sheet."""
    f = book.f
    head = ageing or check or docs.get("score") or remind or {}
    ccy = str(head.get("base_currency") or "")
    as_of = _iso_date(head.get("as_of"))
    for c, width in enumerate(_DASHBOARD_WIDTHS):
        ws.set_column(c, c, width)
    _print_setup(ws, None, one_page=True)
    ws.write_string(0, 0, "Creditdesk results", f.title)
    r = 2

    def info(label: str, value: Any) -> None:
        """The heading block: values left-aligned, as text reads."""
        nonlocal r
        ws.write_string(r, 0, label)
        if isinstance(value, dt.datetime):
            ws.write_datetime(r, 1, value, f.datetime_left)
        elif isinstance(value, dt.date) and value.year >= 1900:
            ws.write_datetime(r, 1, value, f.date_left)
        elif value is not None and value != "":
            ws.write_string(r, 1, str(value))
        r += 1

    def row(label: str, value: Any, unit: str = "", note: str = "", kind: str = "any",
            label_fmt: Any = None, quiet: bool = False) -> None:
        """A figure: right-aligned in B, its unit in C, a note in D (``quiet``: none)."""
        nonlocal r
        ws.write_string(r, 0, label, label_fmt)
        if value is None or value == "":
            ws.write_string(r, 1, "n/a", f.right)
            note = note or ("" if quiet else "not enough data")
        elif _is_number(value):
            _write_any(ws, r, 1, value, f, f.number(kind))
        else:
            ws.write_string(r, 1, str(value), f.right)
        if unit:
            ws.write_string(r, 2, unit, f.unit)
        if note and not quiet:
            ws.write_string(r, 3, note, f.muted)
        r += 1

    def heading(text: str, last_col: int = 3) -> None:
        nonlocal r
        r += 1
        ws.write_string(r, 0, text, f.heading)
        for c in range(1, last_col + 1):
            ws.write_blank(r, c, None, f.heading)
        r += 1

    info("As of", as_of if as_of not in (None, "") else "n/a")
    info("Base currency", ccy or "n/a")
    info("Source workbook", source_name)
    info("Results made", made)

    labels = [str(x) for x in ageing.get("buckets") or []]
    chart = bool(labels)
    beside = 2 if chart else 3  # headings stop short of the chart
    chart_top = r + 1
    heading("Receivables", beside)
    total = ageing.get("total") or {}
    row("Outstanding", total.get("outstanding"), ccy, kind="money", quiet=chart)
    row("Overdue", total.get("overdue"), ccy, kind="money", quiet=chart)
    amounts = list(total.get("buckets") or [])
    first_bucket = r
    for k, label in enumerate(labels):
        shown = label if _is_not_due_label(label) else f"{label} days overdue"
        row(shown, amounts[k] if k < len(amounts) else None, ccy, kind="money",
            label_fmt=f.indent, quiet=chart)
    last_bucket = r - 1
    row("Customers with open items", len(ageing.get("customers") or []), "customers",
        kind="int", quiet=chart)

    heading("Credit decisions", beside)
    decisions = [str(c.get("decision", "")) for c in check.get("customers") or []]
    for name, fmt in (("Hold", f.red), ("Review", f.amber), ("Approve", f.green)):
        ws.write_string(r, 0, name, fmt)
        ws.write_number(r, 1, decisions.count(name), f.int)
        ws.write_string(r, 2, "customers", f.unit)
        r += 1
    if chart:
        r = max(r, chart_top + _CHART_ROWS)
        title = "Receivables by age"
        if isinstance(as_of, dt.date):
            title += f" on {as_of.isoformat()}"
        elif as_of:
            title += f" on {as_of}"
        if ccy:
            title += f" ({ccy})"
        _bucket_chart(book, ws, chart_top, r - chart_top, first_bucket, last_bucket, title)

    kpis = ageing.get("kpis") or {}
    if kpis:
        heading("Key figures")
        known = {k for k, *_ in _KPIS}
        for key, label, unit, note in _KPIS:
            if key not in kpis:
                continue
            kind = "money" if unit == "ccy" else ("int" if key == "period_days" else "one")
            row(label, kpis[key], ccy if unit == "ccy" else unit, note, kind)
        for key, value in kpis.items():
            if key not in known:
                row(key.replace("_", " ").capitalize(), value, kind="one")

    heading("Reminders")
    skipped = remind.get("skipped") or []
    waiting = sum(_not_due_yet(s.get("reason")) for s in skipped)
    row("Reminders ready to send", len(remind.get("reminders") or []), "",
        "one per customer and currency; see the Reminders sheet", kind="int")
    row("Not chased", len(skipped), "", f"see the Not chased sheet: {len(skipped) - waiting} "
        f"to check, {waiting} simply not due yet", kind="int")

    heading("Issues")
    row("Problems found in the workbook", len(issues), "", "see the Issues sheet; rows with "
        "a problem were left out, every other row was used", kind="int")


def _bucket_chart(book: _Book, ws: Any, top: int, rows: int, first: int, last: int,
                  title: str) -> None:
    """One column per ageing bucket, from the Dashboard's own figures (labels in A, amounts
    in B, rows ``first`` to ``last``): plain numbers, so every viewer draws it. Placed in
    column D from row ``top``, ``rows`` rows high."""
    chart = book.wb.add_chart({"type": "column"})
    sheet = ws.get_name()
    colours = _bucket_colours(last - first + 1)
    chart.add_series({
        "name": "Receivables",
        "categories": [sheet, first, 0, last, 0],
        "values": [sheet, first, 1, last, 1],
        "points": [{"fill": {"color": c}, "border": {"color": c}} for c in colours],
        "gap": 60,
        "data_labels": {"value": True, "num_format": "#,##0", "font": {"size": 8}},
    })
    chart.set_title({"name": title, "name_font": {"size": 11}})
    chart.set_x_axis({"num_font": {"size": 8}})
    chart.set_y_axis({"num_format": "#,##0", "num_font": {"size": 8},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"none": True})
    width = int(_DASHBOARD_WIDTHS[3] * 7 + 0.5) + 5  # the column in pixels, as Excel
    chart.set_size({"width": width - 20, "height": rows * 20 - 8})
    ws.insert_chart(top, 3, chart, {"x_offset": 12, "y_offset": 4})


def _ageing_sheet(book: _Book, doc: Mapping[str, Any], ccy: str) -> None:
    ws = book.sheet("Ageing")
    labels = [str(x) for x in doc.get("buckets") or []]
    customers = doc.get("customers") or []
    nb = len(labels)
    cols = [Col("Customer"), Col("Name"),
            Col(_money_header("Outstanding", ccy), "money", "sum"),
            Col(_money_header("Overdue", ccy), "money", "sum"),
            *[Col(_money_header(label if _is_not_due_label(label) else f"{label} days", ccy),
                  "money", "sum") for label in labels],
            Col("Open Items", "int", "sum"), Col("Oldest Days Overdue", "int", "max")]
    rows = [[c.get("customer"), c.get("name"), c.get("outstanding"), c.get("overdue"),
             *(list(c.get("buckets") or []) + [None] * nb)[:nb], c.get("open_items"),
             c.get("oldest_days_overdue")] for c in customers]
    total = doc.get("total") or {}
    tb = list(total.get("buckets") or [])
    totals: dict[int, Any] = {2: total.get("outstanding", 0), 3: total.get("overdue", 0)}
    for k in range(nb):
        totals[4 + k] = tb[k] if k < len(tb) else 0
    totals[4 + nb] = sum(x for x in (c.get("open_items") for c in customers) if _is_number(x))
    totals[5 + nb] = max((x for x in (c.get("oldest_days_overdue") for c in customers)
                          if _is_number(x)), default=0)
    book.table(ws, "Ageing", 0, 0, cols, rows, totals=totals, total_label="Total")
    ws.freeze_panes(1, 2)
    _print_setup(ws, 0)


def _credit_sheet(book: _Book, doc: Mapping[str, Any], ccy: str) -> None:
    """Decision and its reasons (the documents' summary repeats them, so it is left out)."""
    ws = book.sheet("Credit")
    f = book.f
    customers = doc.get("customers") or []
    cols = [Col("Customer"), Col("Name"), Col(_money_header("Outstanding", ccy), "money"),
            Col(_money_header("Open Orders", ccy), "money"),
            Col(_money_header("Exposure", ccy), "money"),
            Col(_money_header("Credit Limit", ccy), "money"), Col("Utilisation %", "one"),
            Col("Score", "int"), Col("Decision", width=12), Col("Reasons", "wrap")]
    rows = [[c.get("customer"), c.get("name"), c.get("outstanding"), c.get("open_orders"),
             c.get("exposure"), c.get("credit_limit"), c.get("utilisation"), c.get("score"),
             c.get("decision"), _join(c.get("reasons"))] for c in customers]
    first, last = book.table(ws, "Credit", 0, 0, cols, rows)
    ws.freeze_panes(1, 2)
    _print_setup(ws, 0)
    for word, fmt in (("Hold", f.red), ("Review", f.amber), ("Approve", f.green)):
        ws.conditional_format(first, 8, last, 8, {"type": "cell", "criteria": "==",
                                                  "value": f'"{word}"', "format": fmt})


def _scores_sheet(book: _Book, doc: Mapping[str, Any], check: Mapping[str, Any],
                  ccy: str) -> None:
    """The scores, with the current credit limit (from the credit check's document, the one
    that carries it) next to the recommended one."""
    ws = book.sheet("Scores")
    limits = {c.get("customer"): c.get("credit_limit") for c in check.get("customers") or []}
    cols = [Col("Customer"), Col("Name"), Col("Score", "int"), Col("Grade"),
            Col(_money_header("Credit Limit", ccy), "money"),
            Col(_money_header("Recommended Limit", ccy), "money"),
            Col("Days Beyond Terms", "one")]
    rows = [[c.get("customer"), c.get("name"), c.get("score"), c.get("grade"),
             limits.get(c.get("customer")), c.get("recommended_limit"),
             c.get("days_beyond_terms"), _join(c.get("reasons"))]
            for c in doc.get("customers") or []]
    cols.append(Col("Reasons", "wrap", width=_wrap_width("Reasons", rows, len(cols), 80)))
    book.table(ws, "Scores", 0, 0, cols, rows)
    ws.freeze_panes(1, 2)
    _print_setup(ws, 0)


def _reminders_sheet(book: _Book, doc: Mapping[str, Any]) -> None:
    """Two tables side by side (so filtering one never hides rows of the other): the
    reminders and their invoice lines. Amounts are in each reminder's own currency."""
    ws = book.sheet("Reminders")
    f = book.f
    reminders = doc.get("reminders") or []
    cols = [Col("Customer"), Col("Name"), Col("Currency", width=10), Col("Level", "int"),
            Col("Level Name"), Col("Channel"), Col("To"), Col("CC"), Col("Subject"),
            Col("Invoices", "int"), Col("Amount", "money"), Col("Interest", "money"),
            Col("Compensation", "money"), Col("Total", "money")]
    rows = [[m.get("customer"), m.get("name"), m.get("currency"), m.get("level"),
             m.get("level_name"), m.get("channel"), _join(m.get("to")), _join(m.get("cc")),
             m.get("subject"), len(m.get("invoices") or []), m.get("amount"),
             m.get("interest"), m.get("compensation"), m.get("total")] for m in reminders]
    line_cols = [Col("Customer"), Col("Currency", width=10), Col("Level", "int"),
                 Col("Invoice"), Col("Invoice Date", "date"), Col("Due Date", "date"),
                 Col("Days Overdue", "int"), Col("Outstanding", "money"),
                 Col("Interest", "money"), Col("Compensation", "money")]
    lines = [[m.get("customer"), m.get("currency"), m.get("level"), ln.get("invoice"),
              ln.get("invoice_date"), ln.get("due_date"), ln.get("days_overdue"),
              ln.get("outstanding"), ln.get("interest"), ln.get("compensation")]
             for m in reminders for ln in m.get("invoices") or []]

    left = 0
    for title, name, c, r in (
            (f"Reminders to send ({len(rows)}), amounts in the reminder's currency",
             "Reminders", cols, rows),
            (f"Invoices in the reminders ({len(lines)})", "ReminderInvoices", line_cols,
             lines)):
        ws.write_string(0, left, title, f.bold)
        book.table(ws, name, 1, left, c, r)
        left += len(c) + 1
        ws.set_column(left - 1, left - 1, 3)
    ws.freeze_panes(2, 0)
    _print_setup(ws, 1)


def _not_chased_sheet(book: _Book, skipped: list[Mapping[str, Any]]) -> None:
    """The customers (per currency) left out of the reminders: those left out for a reason
    someone should look at first, then those with simply nothing due yet."""
    ws = book.sheet("Not chased")
    f = book.f
    waiting = [s for s in skipped if _not_due_yet(s.get("reason"))]
    others = [s for s in skipped if not _not_due_yet(s.get("reason"))]
    ws.write_string(0, 0, f"Customers not chased ({len(skipped)})", f.title)
    if not skipped:
        summary = "Every customer with something due gets a reminder."
    else:
        summary = (f"{len(others)} left out for a reason to check (listed first); "
                   f"{len(waiting)} simply not due for a reminder yet (listed last).")
    ws.write_string(1, 0, summary)
    rows = [[s.get("customer"), s.get("name"), s.get("currency"), kind, s.get("reason")]
            for kind, group in (("Exception", others), ("Not due yet", waiting))
            for s in group]
    cols = [Col("Customer"), Col("Name"), Col("Currency", width=10), Col("Kind", width=14),
            Col("Reason", "wrap", width=_wrap_width("Reason", rows, 4, 100))]
    book.table(ws, "NotChased", 3, 0, cols, rows)
    ws.freeze_panes(4, 0)
    _print_setup(ws, 3)


def _issues_sheet(book: _Book, issues: list[Mapping[str, Any]]) -> None:
    ws = book.sheet("Issues")
    cols = [Col("Sheet"), Col("Row", "int_left", width=8), Col("Column"),
            Col("Message", "wrap", width=90)]
    rows = [[i.get("sheet"), i.get("row"), i.get("column"), i.get("message")] for i in issues]
    if not rows:
        rows = [[None, None, None, "No issues"]]
    book.table(ws, "Issues", 0, 0, cols, rows)
    ws.freeze_panes(1, 0)
    _print_setup(ws, 0)
