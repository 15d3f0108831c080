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

from . import contract
from .errors import WorkbookError
from .settings import settings_rows

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
TABLE_STYLE = "Table Style Medium 2"
DATE_FORMAT = 14  # Excel's built-in short date: shown in the user's own locale
MONEY_FORMAT = "#,##0.00"
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
    """The workbook's cell formats, made once."""

    def __init__(self, wb: Any):
        add = wb.add_format
        self.date = add({"num_format": DATE_FORMAT})
        self.datetime = add({"num_format": "yyyy-mm-dd hh:mm"})
        self.money = add({"num_format": MONEY_FORMAT})
        self.int = add({"num_format": "0"})
        self.one = add({"num_format": "0.0"})
        self.title = add({"bold": True, "font_size": 14})
        self.heading = add({"bold": True, "font_size": 11, "bottom": 1})
        self.bold = add({"bold": True})
        self.muted = add({"font_color": "#595959", "italic": True})
        self.red = add({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.amber = add({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
        self.green = add({"bg_color": "#C6EFCE", "font_color": "#006100"})

    def number(self, kind: str) -> Any:
        return {"money": self.money, "int": self.int, "one": self.one, "date": self.date}.get(
            kind)


def _is_number(v: object) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _write_any(ws: Any, r: int, c: int, v: Any, f: _Formats, fmt: Any = None) -> None:
    """Any value by its type; text always as text, never a formula or a link."""
    if v is None:
        return
    if isinstance(v, str):
        if v:
            ws.write_string(r, c, v)
    elif isinstance(v, bool):
        ws.write_boolean(r, c, v)
    elif _is_number(v):
        x = float(v)
        if math.isfinite(x):
            ws.write_number(r, c, x, fmt)
    elif isinstance(v, dt.datetime):
        if v.year < 1900:  # Excel has no dates before 1900
            ws.write_string(r, c, v.isoformat())
        elif v.time() == dt.time() and fmt is f.date:
            ws.write_datetime(r, c, v.replace(tzinfo=None), f.date)
        else:
            ws.write_datetime(r, c, v.replace(tzinfo=None), f.datetime)
    elif isinstance(v, dt.date):
        if v.year < 1900:
            ws.write_string(r, c, v.isoformat())
        else:
            ws.write_datetime(r, c, v, f.date)
    else:
        ws.write_string(r, c, str(v))


def _iso_date(v: Any) -> dt.date | Any:
    if isinstance(v, str) and len(v) >= 10:
        try:
            return dt.date.fromisoformat(v[:10])
        except ValueError:
            return v
    return v


def _cell_writer(ws: Any, kind: str, f: _Formats) -> Callable[[int, int, Any], None]:
    """A writer for one column kind: text, money, int, one (one decimal), date, any."""
    if kind == "text":
        def text(r: int, c: int, v: Any) -> None:
            if isinstance(v, str):
                if v:
                    ws.write_string(r, c, v)
            else:
                _write_any(ws, r, c, v, f)
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


class _Book:
    """A workbook being written, with its formats and the names already used."""

    def __init__(self, wb: Any):
        self.wb = wb
        self.f = _Formats(wb)
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
        result = ws.add_table(top, left, last, left + len(cols) - 1, {
            "name": self._table_name(name), "columns": columns, "style": TABLE_STYLE,
            "total_row": with_total,
        })
        if result != 0:  # XlsxWriter warns and returns -1/-2 instead of raising
            raise WorkbookError(f"cannot write the table '{name}' ({len(rows):,} rows at "
                                f"row {top + 1}, column {left + 1})")
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
        for j, c in enumerate(cols):
            if c.kind == "date":  # dates typed in later are dates too
                ws.set_column(left + j, left + j, None, f.date)
            width = (widths or {}).get(j, c.width)
            if width is None:
                width = _width(headers[j], c.kind, [row[j] if j < len(row) else None
                                                    for row in rows[:_WIDTH_SAMPLE]])
            ws.set_column(left + j, left + j, width, f.date if c.kind == "date" else None)
        return first, last


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
    from .ledger import DEFAULT_LEVELS
    from .templates import DEFAULT_TEMPLATES

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


def write_results(path: str | os.PathLike, docs: Mapping[str, Any], *,
                  source: str | os.PathLike | None = None) -> None:
    """The results workbook from the CLI's JSON documents (keys ageing, check, score,
    remind, issues; any may be missing): Dashboard, Ageing, Credit, Scores, Reminders,
    Issues. ``source`` is the input workbook, which is never overwritten."""
    with _target(path, source) as tmp:
        book = _Book(_new_workbook(tmp))
        dashboard = book.sheet("Dashboard")
        ageing = docs.get("ageing") or {}
        check = docs.get("check") or {}
        score = docs.get("score") or {}
        remind = docs.get("remind") or {}
        issues = docs.get("issues")
        if issues is None:
            issues = ageing.get("issues") or []
        _ageing_sheet(book, ageing)
        _credit_sheet(book, check.get("customers") or [])
        _scores_sheet(book, score.get("customers") or [])
        _reminders_sheet(book, remind)
        _issues_sheet(book, issues)
        _dashboard(book, dashboard, docs, ageing, check, remind, issues)
        dashboard.activate()
        _close(book.wb, path)


def _dashboard(book: _Book, ws: Any, docs: Mapping[str, Any], ageing: Mapping[str, Any],
               check: Mapping[str, Any], remind: Mapping[str, Any], issues: list) -> None:
    f = book.f
    head = ageing or check or docs.get("score") or remind or {}
    ccy = str(head.get("base_currency") or "")
    ws.set_column(0, 0, 38)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 8)
    ws.set_column(3, 3, 70)
    ws.write_string(0, 0, "Creditdesk results", f.title)
    r = 2

    def row(label: str, value: Any, unit: str = "", note: str = "", kind: str = "any") -> None:
        nonlocal r
        ws.write_string(r, 0, label)
        if value is None or value == "":
            ws.write_string(r, 1, "n/a")
            note = note or "not enough data"
        elif kind == "date":
            _write_any(ws, r, 1, _iso_date(value), f, f.date)
        else:
            _write_any(ws, r, 1, value, f, f.number(kind))
        if unit:
            ws.write_string(r, 2, unit)
        if note:
            ws.write_string(r, 3, note, f.muted)
        r += 1

    def heading(text: str) -> None:
        nonlocal r
        r += 1
        ws.write_string(r, 0, text, f.heading)
        for c in range(1, 4):
            ws.write_blank(r, c, None, f.heading)
        r += 1

    row("As of", head.get("as_of"), kind="date")
    row("Base currency", ccy or None)

    heading("Receivables")
    total = ageing.get("total") or {}
    row("Outstanding", total.get("outstanding"), ccy, kind="money")
    row("Overdue", total.get("overdue"), ccy, kind="money")
    for label, amount in zip(ageing.get("buckets") or [], total.get("buckets") or [],
                             strict=False):
        shown = label if contract.normalise_header(label) == "not due" else (
            f"{label} days overdue")
        row(f"  {shown}", amount, ccy, kind="money")
    row("Customers with open items", len(ageing.get("customers") or []), kind="int")

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

    heading("Credit decisions")
    decisions = [str(c.get("decision", "")) for c in check.get("customers") or []]
    for name, fmt in (("Hold", f.red), ("Review", f.amber), ("Approve", f.green)):
        ws.write_string(r, 0, name, fmt)
        ws.write_number(r, 1, decisions.count(name), f.int)
        ws.write_string(r, 2, "customers")
        r += 1

    heading("Reminders")
    row("Reminders ready to send", len(remind.get("reminders") or []), "",
        "one per customer and currency; see the Reminders sheet", kind="int")
    row("Not chased", len(remind.get("skipped") or []), "", "customers (per currency) left "
        "out, each with its reason on the Reminders sheet", kind="int")

    heading("Issues")
    row("Problems found in the workbook", len(issues), "", "see the Issues sheet; rows with "
        "a problem were left out, every other row was used", kind="int")


def _ageing_sheet(book: _Book, doc: Mapping[str, Any]) -> None:
    ws = book.sheet("Ageing")
    labels = [str(x) for x in doc.get("buckets") or []]
    customers = doc.get("customers") or []
    nb = len(labels)
    cols = [Col("Customer"), Col("Name"), Col("Outstanding", "money", "sum"),
            Col("Overdue", "money", "sum"),
            *[Col(label, "money", "sum") for label in labels],
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
    _, last = book.table(ws, "Ageing", 0, 0, cols, rows, totals=totals, total_label="Total")
    ws.freeze_panes(1, 2)
    if not nb:
        return
    ccy = str(doc.get("base_currency") or "")
    chart = book.wb.add_chart({"type": "column", "subtype": "stacked"})
    sheet = ws.get_name()
    for k, colour in enumerate(_bucket_colours(nb)):
        c = 4 + k
        chart.add_series({
            "name": [sheet, 0, c],
            "categories": [sheet, last, 0, last, 0],
            "values": [sheet, last, c, last, c],
            "fill": {"color": colour},
            "border": {"color": "#FFFFFF"},
            "gap": 80,
        })
    chart.set_title({"name": f"Receivables by age{f' ({ccy})' if ccy else ''}",
                     "name_font": {"size": 12}})
    chart.set_y_axis({"num_format": "#,##0", "major_gridlines": {"visible": True,
                      "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "right"})
    chart.set_size({"width": 520, "height": 320})
    ws.insert_chart(1, len(cols) + 1, chart, {"x_offset": 10, "y_offset": 0})


def _credit_sheet(book: _Book, customers: list[Mapping[str, Any]]) -> None:
    ws = book.sheet("Credit")
    f = book.f
    cols = [Col("Customer"), Col("Name"), Col("Outstanding", "money"),
            Col("Open Orders", "money"), Col("Exposure", "money"),
            Col("Credit Limit", "money"), Col("Utilisation %", "one"), Col("Score", "int"),
            Col("Decision", width=11), Col("Reasons"), Col("Summary")]
    rows = [[c.get("customer"), c.get("name"), c.get("outstanding"), c.get("open_orders"),
             c.get("exposure"), c.get("credit_limit"), c.get("utilisation"), c.get("score"),
             c.get("decision"), _join(c.get("reasons")), c.get("summary")] for c in customers]
    first, last = book.table(ws, "Credit", 0, 0, cols, rows)
    ws.freeze_panes(1, 2)
    for word, fmt in (("Hold", f.red), ("Review", f.amber), ("Approve", f.green)):
        ws.conditional_format(first, 8, last, 8, {"type": "cell", "criteria": "==",
                                                  "value": f'"{word}"', "format": fmt})


def _scores_sheet(book: _Book, customers: list[Mapping[str, Any]]) -> None:
    ws = book.sheet("Scores")
    cols = [Col("Customer"), Col("Name"), Col("Score", "int"), Col("Grade"),
            Col("Recommended Limit", "money"), Col("Days Beyond Terms", "one"),
            Col("Reasons")]
    rows = [[c.get("customer"), c.get("name"), c.get("score"), c.get("grade"),
             c.get("recommended_limit"), c.get("days_beyond_terms"), _join(c.get("reasons"))]
            for c in customers]
    book.table(ws, "Scores", 0, 0, cols, rows)
    ws.freeze_panes(1, 2)


def _reminders_sheet(book: _Book, doc: Mapping[str, Any]) -> None:
    """Three tables side by side (so filtering one never hides rows of another): the
    reminders, their invoice lines, and the customers not chased with the reason."""
    ws = book.sheet("Reminders")
    f = book.f
    reminders = doc.get("reminders") or []
    skipped = doc.get("skipped") or []
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
    skip_cols = [Col("Customer"), Col("Name"), Col("Currency", width=10), Col("Reason")]
    skip_rows = [[s.get("customer"), s.get("name"), s.get("currency"), s.get("reason")]
                 for s in skipped]

    left = 0
    for title, name, c, r in (
            (f"Reminders to send ({len(rows)})", "Reminders", cols, rows),
            (f"Invoices in the reminders ({len(lines)})", "ReminderInvoices", line_cols,
             lines),
            (f"Customers not chased ({len(skip_rows)})", "NotChased", skip_cols, skip_rows)):
        ws.write_string(0, left, title, f.bold)
        book.table(ws, name, 1, left, c, r)
        left += len(c) + 1
        ws.set_column(left - 1, left - 1, 3)
    ws.freeze_panes(2, 0)


def _issues_sheet(book: _Book, issues: list[Mapping[str, Any]]) -> None:
    ws = book.sheet("Issues")
    cols = [Col("Sheet"), Col("Row", "int"), Col("Column"), Col("Message", width=90)]
    rows = [[i.get("sheet"), i.get("row"), i.get("column"), i.get("message")] for i in issues]
    if not rows:
        rows = [[None, None, None, "No issues"]]
    book.table(ws, "Issues", 0, 0, cols, rows)
    ws.freeze_panes(1, 0)
