"""A workbook file being written with XlsxWriter: written safely, its cell formats, its cells
and its Excel tables. The contract workbook (``xlsx_contract``) and the results workbook
(``xlsx_results``) are both written through this.

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

from creditdesk.analysis.tables import AMBER, GREEN, HEADER_FILL, MUTED, NUMBER_FORMATS, RED
from creditdesk.domain.errors import WorkbookError
from creditdesk.files import xlsx_bulk
from creditdesk.files.xlsx_bulk import iso_date

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
TABLE_STYLE = "Table Style Medium 2"
DATE_FORMAT = 14  # Excel's built-in short date: shown in the user's own locale
MONEY_FORMAT = "#,##0.00"
MIN_WIDTH, MAX_WIDTH = 6.0, 60.0
WIDTH_SAMPLE = 500  # rows looked at to size a column
ROW_HEIGHT = 15.0  # points: one line of the default font

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
def target_file(path: str | os.PathLike, source: str | os.PathLike | None) -> Iterator[str]:
    """Yields a temporary file name next to ``path``; moves it onto ``path`` on success and
    removes it on any failure. ``source``, the input workbook, is never the target."""
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


def new_workbook(tmp: str, created: dt.datetime | None = None) -> Any:
    wb = xlsx_bulk.workbook_class()(tmp, dict(WORKBOOK_OPTIONS))
    props = {"title": "Creditdesk", "comments": "Written by Creditdesk"}
    if created is not None:
        props["created"] = created
    wb.set_properties(props)
    return wb


def close_workbook(wb: Any, target: str | os.PathLike) -> None:
    from xlsxwriter.exceptions import XlsxWriterException

    try:
        wb.close()
    except (XlsxWriterException, OSError) as exc:
        raise WorkbookError(f"cannot write '{target}': {exc}") from None


def print_setup(ws: Any, header_row: int | None, *, one_page: bool = False) -> None:
    """How a sheet prints: landscape, one page wide (``one_page``: one page in all), the
    header row (0-based) on every page, the sheet name and page number in the footer."""
    ws.set_landscape()
    ws.fit_to_pages(1, 1 if one_page else 0)
    if header_row is not None:
        ws.repeat_rows(header_row)
    ws.set_footer("&L&A&RPage &P of &N")


# ---------------------------------------------------------------------------------------
# Cells


class Formats:
    """The workbook's cell formats, made once. ``results``: the results workbook's formats
    (``tables.NUMBER_FORMATS``: ISO dates, red negatives; bold headers) instead of those of
    a contract workbook.

    XlsxWriter stores only the formats a cell uses, so formats made here and not used leave a
    contract workbook unchanged."""

    def __init__(self, wb: Any, results: bool = False):
        date = NUMBER_FORMATS["date"] if results else DATE_FORMAT
        money = NUMBER_FORMATS["money"] if results else MONEY_FORMAT
        datetime = NUMBER_FORMATS["datetime"]
        # results: table cells at the top, so a row with wrapped reasons reads from its top,
        # and text indented, so it never sits glued to a right-aligned number on its left
        cell = {"valign": "top"} if results else {}
        text = {"align": "left", "indent": 1} if results else {}

        def add(props: dict) -> Any:
            return wb.add_format({**cell, **props})

        self.text = add(text) if results else None
        self.date = add({"num_format": date})
        self.datetime = add({"num_format": datetime})
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
        self.datetime_left = add({"num_format": datetime, "align": "left"})
        self.right = add({"align": "right"})
        self.unit = add({"align": "left", "indent": 1})
        self.indent = add({"align": "left", "indent": 1})
        self.title = add({"bold": True, "font_size": 14})
        self.heading = add({"bold": True, "font_size": 11, "bottom": 1})
        self.bold = add({"bold": True})
        self.muted = add({"font_color": MUTED, "italic": True})
        self.colours = {c: add({"bg_color": c[0], "font_color": c[1]})
                        for c in (RED, AMBER, GREEN)}

    def number(self, kind: str) -> Any:
        """The cell format of a column kind (None: the default format)."""
        return {"money": self.money, "int": self.int, "one": self.one, "date": self.date,
                "wrap": self.wrap, "int_left": self.int_left, "text": self.text}.get(kind)


def is_number(v: object) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def write_value(ws: Any, r: int, c: int, v: Any, f: Formats, fmt: Any = None) -> None:
    """Any value by its type; text always as text, never a formula or a link."""
    if v is None:
        return
    if isinstance(v, str):
        if v:
            ws.write_string(r, c, v, fmt)
    elif isinstance(v, bool):
        ws.write_boolean(r, c, v, fmt)
    elif is_number(v):
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


def cell_writer(ws: Any, kind: str, f: Formats) -> Callable[[int, int, Any], None]:
    """A writer for one column kind: text, wrap (wrapped text), money, int, int_left (a whole
    number, left-aligned), one (one decimal), date, any."""
    if kind in ("text", "wrap"):
        text_fmt = f.number(kind)

        def text(r: int, c: int, v: Any) -> None:
            if isinstance(v, str):
                if v:
                    ws.write_string(r, c, v, text_fmt)
            else:
                write_value(ws, r, c, v, f, text_fmt)
        return text
    if kind == "date":
        def date(r: int, c: int, v: Any) -> None:
            write_value(ws, r, c, iso_date(v), f, f.date)
        return date
    fmt = f.number(kind)

    def number(r: int, c: int, v: Any) -> None:
        if type(v) is float:  # the common case, fast
            if math.isfinite(v):
                ws.write_number(r, c, v, fmt)
        else:
            write_value(ws, r, c, v, f, fmt)
    return number


def _shown_len(v: Any, kind: str) -> int:
    if v is None or v == "":
        return 0
    if kind == "date" or isinstance(v, dt.date):
        return 10
    if is_number(v) and not isinstance(v, bool):
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


def fitted_width(header: str, kind: str, values: Sequence[Any], cap: float = MAX_WIDTH
                 ) -> float:
    """A column's width for its header and the first ``WIDTH_SAMPLE`` values, up to ``cap``."""
    longest = max((_shown_len(v, kind) for v in values[:WIDTH_SAMPLE]), default=0)
    # the header needs room for the filter button
    return max(MIN_WIDTH, min(cap, max(len(header) + 4, longest + 2)))


def lines_of(text: Any, width: float) -> int:
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
        n = max(lines_of(row[j] if j < len(row) else None, width) for j, width in wrapped)
        if n > 1:
            ws.set_row(first + i, ROW_HEIGHT * n)


# ---------------------------------------------------------------------------------------
# Names


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


_SUBTOTAL = {"average": 101, "count_nums": 102, "count": 103, "max": 104, "min": 105,
             "std_dev": 107, "sum": 109, "var": 110}


def column_ref(table: str, header: str) -> str:
    """A structured reference to a table column, table-qualified and in double brackets
    (``Ageing[[Not due]]``): Excel reads it like ``[Not due]`` and LibreOffice, which cannot
    parse an unqualified column name with spaces or hyphens, reads it too."""
    for ch in "'[]#":  # the apostrophe first: it escapes the others
        header = header.replace(ch, "'" + ch)
    return f"{table}[[{header}]]"


# ---------------------------------------------------------------------------------------
# Excel tables


@dataclass(frozen=True)
class Col:
    """A column as written: header, kind (text, wrap, money, int, int_left, one, date, any),
    the total row's function (sum, max, ...) and a width (None: fitted to the values, up to
    ``max_width``)."""

    header: str
    kind: str = "text"
    total: str | None = None
    width: float | None = None
    max_width: float = MAX_WIDTH


class Book:
    """A workbook being written, with its formats and the names already used."""

    def __init__(self, wb: Any, results: bool = False):
        self.wb = wb
        self.f = Formats(wb, results)
        self.table_names: set[str] = set()
        self.sheet_names: set[str] = set()

    def sheet(self, name: str) -> Any:
        base = sheet_name(name)
        cand, k = base, 2
        while cand.casefold() in self.sheet_names:
            suffix = f" ({k})"
            cand, k = base[:31 - len(suffix)] + suffix, k + 1
        self.sheet_names.add(cand.casefold())
        return self.wb.add_worksheet(cand, xlsx_bulk.sheet_class())

    def unique_table_name(self, name: str) -> str:
        """An Excel table name for ``name`` that no table of the workbook has yet."""
        return self._table_name(name)

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
        headers = _unique([c.header for c in cols])
        first = top + 1
        last = first + max(len(rows), 1) - 1  # an Excel table needs one data row, even blank
        if totals is not None:
            last += 1
        excel_name = self._table_name(name)
        result = ws.add_table(top, left, last, left + len(cols) - 1, {
            "name": excel_name, "style": TABLE_STYLE, "total_row": totals is not None,
            "columns": self._column_specs(cols, headers, totals, total_label)})
        if result != 0:  # XlsxWriter warns and returns -1/-2 instead of raising
            raise WorkbookError(f"cannot write the table '{name}' ({len(rows):,} rows at "
                                f"row {top + 1}, column {left + 1})")
        if totals is not None:
            self._total_row(ws, excel_name, last, left, cols, headers, totals, total_label)
        self._body(ws, first, left, cols, rows)
        self._widths(ws, first, left, cols, headers, rows, widths or {})
        return first, last

    def _column_specs(self, cols: Sequence[Col], headers: Sequence[str],
                      totals: Mapping[int, Any] | None, total_label: str | None
                      ) -> list[dict[str, Any]]:
        """XlsxWriter's column options of a table: header, formats, total row."""
        f = self.f
        specs = []
        for j, (c, h) in enumerate(zip(cols, headers, strict=True)):
            spec: dict[str, Any] = {"header": h}
            if f.header is not None:
                spec["header_format"] = f.header
            fmt = f.number(c.kind)
            if fmt is not None:
                spec["format"] = fmt
            if totals is not None:
                if j == 0 and total_label:
                    spec["total_string"] = total_label
                elif c.total:
                    spec["total_function"] = c.total
                    value = totals.get(j, 0)
                    spec["total_value"] = value if is_number(value) else 0
            specs.append(spec)
        return specs

    def _body(self, ws: Any, first: int, left: int, cols: Sequence[Col], rows: Rows) -> None:
        """The data cells: in bulk where the worksheet can (``xlsx_bulk``), else cell by
        cell through XlsxWriter's public API."""
        f = self.f
        if hasattr(ws, "write_body"):
            ws.write_body(first, left, [c.kind for c in cols], rows,
                          [f.number(c.kind) for c in cols], f.date, f.datetime)
            return
        writers = [cell_writer(ws, c.kind, f) for c in cols]
        for i, row in enumerate(rows):
            r = first + i
            for j, w in enumerate(writers):
                v = row[j] if j < len(row) else None
                if v is not None:
                    w(r, left + j, v)

    def _widths(self, ws: Any, first: int, left: int, cols: Sequence[Col],
                headers: Sequence[str], rows: Rows, widths: Mapping[int, float]) -> None:
        """Column widths (given, else fitted to the values); date columns keep the date
        format for dates typed in later; rows with wrapped text high enough for it."""
        f = self.f
        wrapped = []
        for j, c in enumerate(cols):
            if c.kind == "date":  # dates typed in later are dates too
                ws.set_column(left + j, left + j, None, f.date)
            width = widths.get(j, c.width)
            if width is None:
                width = fitted_width(headers[j], c.kind, [row[j] if j < len(row) else None
                                                          for row in rows[:WIDTH_SAMPLE]],
                                     cap=c.max_width)
            ws.set_column(left + j, left + j, width, f.date if c.kind == "date" else None)
            if c.kind == "wrap":
                wrapped.append((j, width))
        if wrapped:
            _fit_rows(ws, first, rows, wrapped)

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
                                 f"{column_ref(excel_name, headers[j])})",
                                 f.totals.get(c.kind, f.totals["text"]),
                                 value if is_number(value) else 0)
