"""Reading the contract tables from a workbook file (.xlsx, .xlsm, .xls) with python-calamine.

For each table of the contract, in this order:

1. an Excel table (ListObject) of that name, matched ignoring case, spaces and underscores
   (``DunningLevels`` and ``Dunning_Levels`` are the Dunning Levels table);
2. else a sheet named like it (same matching), whose first non-empty row holds the headers
   (or, when a report title sits above them, the first of the next rows that holds all the
   table's required headers); fully empty rows and columns around the data are left out;
3. else the table is absent (``build_ledger`` decides whether that is allowed).

Cell values are kept as calamine gives them (numbers as floats, dates as ``datetime.date`` or
``datetime.datetime``, empty cells as ``''``); ``build_ledger`` converts whole columns.
python-calamine is imported inside ``read_workbook`` so that the package imports without it
(xlwings Lite, Pyodide).
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

from creditdesk.domain import contract
from creditdesk.domain.errors import WorkbookError
from creditdesk.domain.issues import Issue
from creditdesk.domain.ledger import RawTable

_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


def table_key(name: object) -> str:
    """'Dunning Levels', 'DunningLevels', 'dunning_levels' -> 'dunninglevels'."""
    return re.sub(r"[\s_]+", "", str(name)).casefold()


def _blank(value: object) -> bool:
    return value is None or value == ""


def read_workbook(path: str | os.PathLike) -> dict[str, RawTable]:
    """The contract tables found in the workbook, keyed by normalised table name.

    Raises ``WorkbookError`` (one line, naming the file) when the file cannot be read.
    """
    import python_calamine as pc

    path = Path(path)
    book = _open(pc, path)
    try:
        tables = _read_tables(pc, book)
        _rows_below_tables(path, book, tables)
        return tables
    except BaseException as exc:  # a damaged part inside an otherwise valid zip
        if not _calamine_failure(exc):
            raise
        raise WorkbookError(f"cannot read '{path}': the workbook is damaged ({_short(exc)})"
                            ) from None
    finally:
        with contextlib.suppress(Exception):
            book.close()


# ---------------------------------------------------------------------------------------
# Opening


def _calamine_failure(exc: BaseException) -> bool:
    """Any ordinary exception, or a pyo3 PanicException (a panic in calamine's Rust code,
    which derives from BaseException); never KeyboardInterrupt or SystemExit."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _password(path: Path) -> WorkbookError:
    return WorkbookError(f"cannot read '{path}': the workbook is password protected; "
                         "save a copy without a password and use that")


def _open(pc: Any, path: Path) -> Any:
    """The calamine workbook, tables loaded where the format has them; else WorkbookError."""
    if not path.exists():
        raise WorkbookError(f"cannot read '{path}': no such file")
    if path.is_dir():
        raise WorkbookError(f"cannot read '{path}': it is a folder, not a workbook file")
    try:
        return _open_path(pc, path)
    except pc.PasswordError:
        raise _password(path) from None
    except BaseException as exc:
        if not _calamine_failure(exc):
            raise
        reason = exc
    # calamine picks the format by extension; the extension may lie (an .xls export that is
    # really .xlsx). Let calamine sniff the bytes instead.
    try:
        with path.open("rb") as f:
            head = f.read(8)
            f.seek(0)
            if head.startswith(_ZIP_MAGIC) or head == _OLE_MAGIC:
                return _open_filelike(pc, f)
    except pc.PasswordError:
        raise _password(path) from None
    except OSError as exc:
        raise WorkbookError(f"cannot read '{path}': {exc.strerror or _short(exc)}") from None
    except BaseException as exc:
        if not _calamine_failure(exc):
            raise
    raise WorkbookError(f"cannot read '{path}': {_why(path, head, reason)}") from None


def _open_path(pc: Any, path: Path) -> Any:
    tables = path.suffix.lower() in (".xlsx", ".xlsm")
    try:
        return pc.CalamineWorkbook.from_path(str(path), load_tables=tables)
    except pc.TablesNotSupported:
        return pc.CalamineWorkbook.from_path(str(path), load_tables=False)


def _open_filelike(pc: Any, f: Any) -> Any:
    """The whole file is read into memory here (calamine needs to seek); used only as a
    fallback when the extension does not match the content."""
    import io

    data = io.BytesIO(f.read())
    try:
        return pc.CalamineWorkbook.from_filelike(data, load_tables=True)
    except pc.TablesNotSupported:
        data.seek(0)
        return pc.CalamineWorkbook.from_filelike(data, load_tables=False)


def _why(path: Path, head: bytes, exc: BaseException) -> str:
    if head == _OLE_MAGIC and _encrypted(path):
        return ("the workbook is password protected (encrypted); save a copy without a "
                "password and use that")
    if head.startswith(_ZIP_MAGIC):
        return f"the workbook is damaged or incomplete ({_short(exc)})"
    if not head:
        return "the file is empty"
    return "not an Excel workbook (.xlsx, .xlsm or .xls)"


def _encrypted(path: Path) -> bool:
    """An encrypted .xlsx is an OLE compound file holding an 'EncryptedPackage' stream."""
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                if _ENCRYPTED_MARK in chunk:
                    return True
                if len(chunk) == 1 << 20:
                    f.seek(-len(_ENCRYPTED_MARK), os.SEEK_CUR)
    except OSError:
        return False
    return False


# ---------------------------------------------------------------------------------------
# Reading the tables


def _read_tables(pc: Any, book: Any) -> dict[str, RawTable]:
    try:
        listobjects = {}
        for name in book.table_names or ():
            listobjects.setdefault(table_key(name), name)
    except Exception:  # TablesNotLoaded: a format without Excel tables
        listobjects = {}
    sheets: dict[str, str] = {}
    for meta in book.sheets_metadata:
        if meta.typ == pc.SheetTypeEnum.WorkSheet:
            sheets.setdefault(table_key(meta.name), meta.name)

    out: dict[str, RawTable] = {}
    for spec in contract.TABLES:
        k = table_key(spec.name)
        raw = None
        if k in listobjects:
            raw = _from_listobject(book.get_table_by_name(listobjects[k]), spec.name)
        elif k in sheets:
            raw = table_from_sheet(book.get_sheet_by_name(sheets[k]), spec)
        if raw is not None:
            out[contract.normalise_header(spec.name)] = raw
    return out


def _trim_rows(rows: list[list]) -> list[list]:
    end = len(rows)
    while end and all(_blank(v) for v in rows[end - 1]):
        end -= 1
    return rows if end == len(rows) else rows[:end]


def _columns(rows: list[list], width: int) -> list[list]:
    if not rows:
        return [[] for _ in range(width)]
    cols = [list(c) for c in zip(*rows, strict=False)]
    if len(cols) < width:
        cols += [[""] * len(rows) for _ in range(width - len(cols))]
    return cols[:width]


def _from_listobject(table: Any, name: str) -> RawTable:
    header = ["" if h is None else str(h) for h in table.columns]
    start = table.start
    rows = _trim_rows(table.to_python()) if start is not None else []
    first_row = (start[0] + 1) if start is not None else 2
    raw = RawTable(name, table.sheet, header, _columns(rows, len(header)), first_row)
    raw._span = (table.start, table.end) if start is not None else None  # type: ignore[attr-defined]
    return raw


def _sheet_dimensions(path: Path) -> dict[str, int]:
    """Sheet name -> last used row (1-based) as the .xlsx file's own ``<dimension>`` says,
    read from the first bytes of each sheet's XML (cheap: no sheet is parsed)."""
    import zipfile

    out: dict[str, int] = {}
    try:
        with zipfile.ZipFile(path) as z:
            book = z.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            targets = dict(re.findall(r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"',
                                      rels))
            targets.update({a: b for b, a in re.findall(
                r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
            for name, rid in re.findall(r'<sheet\b[^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"',
                                        book):
                target = targets.get(rid, "").lstrip("/")
                member = target if target.startswith("xl/") else "xl/" + target
                with z.open(member) as f:
                    head = f.read(2048).decode("utf-8", "replace")
                m = re.search(r'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"', head)
                if m and m[1]:
                    out[_unescape(name)] = int(m[1])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return {}
    return out


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _rows_below_tables(path: Path, book: Any, tables: dict[str, RawTable]) -> None:
    """Rows pasted directly below an Excel table that did not grow to take them: read as
    part of the table, with one note naming them. Looked for only where the sheet's used
    range reaches below the table (no sheet is parsed otherwise)."""
    spans = {k: t for k, t in tables.items() if getattr(t, "_span", None)}
    if not spans or path.suffix.lower() not in (".xlsx", ".xlsm"):
        return
    dims = _sheet_dimensions(path)
    for t in spans.values():
        (_top, left), (bottom, right) = t._span  # type: ignore[attr-defined]
        if dims.get(t.sheet, 0) <= bottom + 1:
            continue
        try:
            rows = book.get_sheet_by_name(t.sheet).to_python(skip_empty_area=False)
        except Exception:  # a sheet calamine cannot read again: the table stands as read
            continue
        below: list[list] = []
        for row in rows[bottom + 1:]:
            cells = list(row[left:right + 1])
            if all(_blank(v) for v in cells):
                break
            below.append(cells + [""] * (right + 1 - left - len(cells)))
        if not below:
            continue
        n = len(t)
        missing = t.first_row + n - (bottom + 2)  # trimmed blank rows at the table's end
        pad = [[""] * (right + 1 - left)] * max(-missing, 0)
        extra = _columns(pad + below, len(t.header))
        for j, c in enumerate(t.columns):
            c.extend(extra[j])
        first, last = bottom + 2, bottom + 1 + len(below)
        where = f"row {first}" if first == last else f"rows {first}-{last}"
        t.notes.append(Issue(t.sheet, first, None, f"{where} below the {t.name} table are "
                                      "not part of the Excel table (it did not grow when "
                                      "they were pasted); they are read with it: resize the "
                                      "table to include them"))


_TITLE_ROWS = 30  # how far below a report title the header row is looked for


def _header_row(rows: list[list], spec: contract.Table) -> int | None:
    """The first non-empty row; or, when a report title sits above the headers, the first
    row (of the first few) that holds every required header of the table."""
    first = None
    required = {contract.normalise_header(c.header) for c in spec.columns if c.required}
    for i, row in enumerate(rows[:_TITLE_ROWS * 4]):
        if all(_blank(v) for v in row):
            continue
        if first is None:
            first = i
        if required <= {contract.normalise_header(v) for v in row if isinstance(v, str)}:
            return i
        if i - first >= _TITLE_ROWS:
            break
    if first is None:
        first = next((i for i, row in enumerate(rows) if not all(_blank(v) for v in row)),
                     None)
    return first


def table_from_sheet(sheet: Any, spec: contract.Table) -> RawTable:
    """Table ``spec`` from a sheet that holds it without an Excel table (rule 2 above).

    ``sheet`` is a calamine sheet, or anything with its ``name``, ``start`` (the (row, column)
    of the top-left used cell, 0-based; None for an empty sheet) and
    ``to_python(skip_empty_area=True)`` (the used area's rows from ``start``): the add-in
    passes the sheets of the open workbook that way."""
    name = spec.name
    start = sheet.start
    if start is None:  # an empty sheet
        return RawTable(name, sheet.name, [], [], 2)
    rows = sheet.to_python(skip_empty_area=True)  # begins at `start`, left of it is empty
    top = _header_row(rows, spec)
    if top is None:
        return RawTable(name, sheet.name, [], [], start[0] + 2)
    header = list(rows[top])
    data = _trim_rows(rows[top + 1:])
    cols = _columns(data, len(header))
    width = len(header)
    while width and _blank(header[width - 1]) and all(_blank(v) for v in cols[width - 1]):
        width -= 1
    return RawTable(name, sheet.name, [_header(v) for v in header[:width]], cols[:width],
                    start[0] + top + 2)


def _header(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()
