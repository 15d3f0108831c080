"""Carrying a workbook's own sheets into a workbook Creditdesk writes (``import --into``).

The output is written anew with XlsxWriter (``xlsx_contract``), so every sheet that holds no
contract table (a Notes sheet, a pivot table's source, the user's own formulas, the add-in's
Dashboard) is read here and written again after the contract tables:

- the contract tables' column widths, where the user set them (by header);
- every cell's value, and each formula as a formula (its last computed value cached, so a
  viewer that does not calculate shows it), its number format, the column widths and hidden
  columns, the sheet's hidden state, the Excel tables on it (name, range, headers) and the
  workbook's defined names;
- what XlsxWriter cannot write from another file is named in ``Carry.lost``: the VBA project
  (macros), charts, pictures and shapes, pivot tables (their cells come as values), slicers,
  cell comments, links to other workbooks, and fonts, fills, borders, merged cells, data
  validation and conditional formats.

Values come from python-calamine (the cached results), formulas and number formats from
openpyxl in read-only mode (only the carried sheets are parsed), widths from each sheet's
``<cols>``; all three are imported inside the functions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from creditdesk.domain.errors import WorkbookError
from creditdesk.domain.ledger import RawTable

CREDITDESK_SHEETS = {"read me"}  # written anew by Creditdesk itself: not carried


@dataclass
class Cell:
    row: int  # 0-based
    col: int
    value: Any  # the value, or a formula's cached result
    formula: str | None = None  # "=SUM(A1:A3)"; an array formula as "{=...}"
    array_ref: str | None = None  # an array formula's range ("C1:C3")
    number_format: str | None = None  # None: General


@dataclass
class CarriedTable:
    name: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    headers: list[str]


@dataclass
class CarriedSheet:
    name: str
    cells: list[Cell] = field(default_factory=list)
    # column ranges (first, last: 0-based) with their width (None: the default) and hidden
    columns: list[tuple[int, int, float | None, bool]] = field(default_factory=list)
    hidden: bool = False
    tables: list[CarriedTable] = field(default_factory=list)


@dataclass
class Carry:
    """The sheets to carry, the workbook's defined names and what cannot be carried."""

    sheets: list[CarriedSheet] = field(default_factory=list)
    names: list[tuple[str, str]] = field(default_factory=list)  # (name or Sheet!name, =ref)
    # the contract tables' column widths as the user set them: table -> header -> width
    table_widths: dict[str, dict[str, float]] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    has_vba: bool = False

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]


def has_vba(path: str | os.PathLike) -> bool:
    """The file is a macro workbook (.xlsm, .xlsb) or holds a VBA project."""
    p = Path(path)
    if p.suffix.lower() in (".xlsm", ".xlsb"):
        return True
    try:
        with zipfile.ZipFile(p) as z:
            return any(n.lower().endswith("vbaproject.bin") for n in z.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def overwrites_macros(output: str | os.PathLike, into: str | os.PathLike | None
                      ) -> str | None:
    """Why ``output`` must be a new file, or None: it exists and ``into`` or it holds a VBA
    project (the rewrite cannot carry macros, so no macro workbook is written over, whatever
    --force says)."""
    if not Path(output).exists():
        return None
    macros = output if has_vba(output) else into if into is not None and has_vba(into) \
        else None
    if macros is None:
        return None
    return (f"{macros} holds macros (a VBA project) that the output cannot carry; -o must "
            f"name a new file, not the existing {output} (--force does not apply)")


def read_carry(path: str | os.PathLike, tables: Mapping[str, RawTable]) -> Carry:
    """The sheets of ``path`` other than those holding its contract ``tables`` (as
    ``xlsx_read.read_workbook`` read them) and Creditdesk's own Read me, ready to write
    again; the tables' column widths; what cannot be carried, named."""
    path = Path(path)
    skip = {t.sheet.casefold() for t in tables.values()} | CREDITDESK_SHEETS
    if path.suffix.lower() not in (".xlsx", ".xlsm"):  # .xls, .ods: values only
        return _values_only(path, skip, Carry(has_vba=has_vba(path)),
                            "cell formats and formulas (an .xls or .ods file: values only)")
    try:
        return _read_xlsx(path, tables, skip)
    except Exception as exc:  # a part openpyxl cannot parse: the values still come along
        why = " ".join(str(exc).split())[:120] or type(exc).__name__
        return _values_only(path, skip, Carry(has_vba=has_vba(path)),
                            f"cell formats and formulas (they could not be read: {why})")


def _read_xlsx(path: Path, tables: Mapping[str, RawTable], skip: set[str]) -> Carry:
    carry = Carry(has_vba=has_vba(path))
    members = _sheet_members(path)
    names = [n for n in members if n.casefold() not in skip]
    _read_sheets(path, names, members, carry)
    carry.table_widths = _table_widths(path, tables, members)
    carry.lost = _lost(path, [members[n] for n in names], carry.has_vba)
    carry.lost += [f"the {t.name} table's place on sheet '{t.sheet}' (it moves to a sheet "
                   f"'{t.name}': formulas naming '{t.sheet}' need pointing at it)"
                   for t in tables.values() if t.sheet.casefold() != t.name.casefold()]
    contract_sheets = [n for n in members if n.casefold() in skip - CREDITDESK_SHEETS]
    with_formulas = _with_formulas(path, [(n, members[n]) for n in contract_sheets])
    if with_formulas:
        carry.lost.append("the formulas in the contract tables (their values are kept): "
                          + ", ".join(with_formulas))
    return carry


# ---------------------------------------------------------------------------------------
# Reading


def _sheet_members(path: Path) -> dict[str, str]:
    """Sheet name -> its XML part in the zip, in the workbook's order."""
    import html

    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets = {}
    for rel in re.findall(r"<Relationship\b[^>]*>", rels):
        rid, target = re.search(r'\bId="([^"]+)"', rel), re.search(r'\bTarget="([^"]+)"', rel)
        if rid and target:
            t = target[1].lstrip("/")
            targets[rid[1]] = t if t.startswith("xl/") else "xl/" + t
    out = {}
    for sheet in re.findall(r"<sheet\b[^>]*>", book):
        name, rid = re.search(r'\bname="([^"]+)"', sheet), re.search(r'\br:id="([^"]+)"', sheet)
        if name and rid and rid[1] in targets and "worksheets/" in targets[rid[1]]:
            out[html.unescape(name[1])] = targets[rid[1]]
    return out


def _values(path: Path) -> Any:
    import python_calamine as pc

    try:
        return pc.CalamineWorkbook.from_path(
            str(path), load_tables=path.suffix.lower() in (".xlsx", ".xlsm"))
    except Exception as exc:
        raise WorkbookError(f"cannot read '{path}': {' '.join(str(exc).split())[:120]}"
                            ) from None


def _values_only(path: Path, skip: set[str], carry: Carry, lost: str) -> Carry:
    """The other sheets' values only (``lost``: what that leaves out, and why)."""
    import python_calamine as pc

    book = _values(path)
    with contextlib.closing(book):
        for meta in book.sheets_metadata:
            if meta.name.casefold() in skip or meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            rows = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            sheet = CarriedSheet(meta.name)
            sheet.cells = [Cell(r, c, v) for r, row in enumerate(rows)
                           for c, v in enumerate(row) if v not in ("", None)]
            carry.sheets.append(sheet)
    carry.lost = [lost]
    return carry


def _read_sheets(path: Path, names: list[str], members: dict[str, str], carry: Carry) -> None:
    import openpyxl

    if not names:
        return
    values = _values(path)
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        tables = _tables(values, set(names))
        with zipfile.ZipFile(path) as z:
            for name in names:
                sheet = CarriedSheet(name, tables=tables.get(name, []))
                cached = values.get_sheet_by_name(name).to_python(skip_empty_area=False)
                sheet.cells = _cells(wb[name], cached)
                sheet.hidden = wb[name].sheet_state != "visible"
                _columns(z.read(members[name]), sheet)
                carry.sheets.append(sheet)
        carry.names = _defined_names(wb)
    finally:
        wb.close()
        with contextlib.suppress(Exception):
            values.close()


def _cells(ws: Any, cached: list[list]) -> list[Cell]:
    """The sheet's cells; the cells an array formula spans other than its first are left
    to the formula."""
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.worksheet.formula import ArrayFormula

    out = []
    spans: list[tuple[int, int, int, int]] = []
    for row in ws.iter_rows():
        for c in row:
            v = getattr(c, "value", None)
            if v is None or not hasattr(c, "row"):
                continue
            r, col = c.row - 1, c.column - 1
            if any(r0 <= r <= r1 and c0 <= col <= c1 for r0, c0, r1, c1 in spans):
                continue
            if isinstance(v, ArrayFormula) and v.ref:
                c0, r0, c1, r1 = range_boundaries(v.ref)
                spans.append((r0 - 1, c0 - 1, r1 - 1, c1 - 1))  # this cell comes first
            value = cached[r][col] if r < len(cached) and col < len(cached[r]) else v
            fmt = c.number_format if c.number_format != "General" else None
            if isinstance(v, ArrayFormula):
                out.append(Cell(r, col, value, "{" + (v.text or "") + "}", v.ref, fmt))
            elif c.data_type == "f" and isinstance(v, str):
                out.append(Cell(r, col, value, v, None, fmt))
            else:
                out.append(Cell(r, col, v, None, None, fmt))
    return out


def _columns(xml: bytes, sheet: CarriedSheet) -> None:
    """Widths and hidden columns from the sheet's ``<cols>`` (before its cells)."""
    head = xml[:xml.find(b"<sheetData")].decode("utf-8", "replace")
    for col in re.findall(r"<col\b[^>]*>", head):
        lo, hi = re.search(r'\bmin="(\d+)"', col), re.search(r'\bmax="(\d+)"', col)
        if not lo or not hi:
            continue
        width = re.search(r'\bwidth="([\d.]+)"', col)
        custom = width is not None and re.search(r'\bcustomWidth="(1|true)"', col)
        hidden = re.search(r'\bhidden="(1|true)"', col) is not None
        if custom or hidden:
            sheet.columns.append((int(lo[1]) - 1, min(int(hi[1]), 16384) - 1,
                                  float(width[1]) if custom else None, hidden))


def _width_at(sheet: CarriedSheet, j: int) -> float | None:
    return next((w for lo, hi, w, _ in sheet.columns if lo <= j <= hi), None)


_PADDING = 5 / 7  # what Excel adds to a width in characters (5 pixels of 7 a digit)


def _table_widths(path: Path, tables: Mapping[str, RawTable], members: dict[str, str]
                  ) -> dict[str, dict[str, float]]:
    """Each contract table's columns that have a width of their own, by header, in the
    characters ``xlsx_contract.write_workbook`` takes (the file's width less its padding):
    read from the table's header row and its sheet's ``<cols>``."""
    import openpyxl

    out: dict[str, dict[str, float]] = {}
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        with zipfile.ZipFile(path) as z:
            for t in tables.values():
                if t.sheet not in members or t.first_row < 2:
                    continue
                sheet = CarriedSheet(t.sheet)
                _columns(z.read(members[t.sheet]), sheet)
                if not any(w for _, _, w, _ in sheet.columns):
                    continue
                row = next(wb[t.sheet].iter_rows(min_row=t.first_row - 1,
                                                 max_row=t.first_row - 1), ())
                wanted = {str(h).strip().casefold() for h in t.header}
                widths = {str(c.value).strip(): max(w - _PADDING, 1) for c in row
                          if getattr(c, "value", None) is not None
                          and str(c.value).strip().casefold() in wanted
                          and (w := _width_at(sheet, c.column - 1)) is not None}
                if widths:
                    out[t.name] = widths
    finally:
        wb.close()
    return out


def _tables(values: Any, sheets: set[str]) -> dict[str, list[CarriedTable]]:
    """The Excel tables on the carried sheets (calamine knows their ranges and headers)."""
    out: dict[str, list[CarriedTable]] = {}
    try:
        for name in values.table_names or ():
            t = values.get_table_by_name(name)
            if t.sheet not in sheets or t.start is None:
                continue
            out.setdefault(t.sheet, []).append(CarriedTable(
                name, t.start[0] - 1, t.start[1], t.end[0], t.end[1],
                ["" if h is None else str(h) for h in t.columns]))
    except Exception:  # no tables loaded (an older calamine, or none in the file)
        return out
    return out


def _defined_names(wb: Any) -> list[tuple[str, str]]:
    out = []
    with contextlib.suppress(Exception):
        for name, dn in wb.defined_names.items():
            if not name.startswith("_xlnm.") and dn.attr_text:
                out.append((name, "=" + dn.attr_text.lstrip("=")))
    return out


def _with_formulas(path: Path, sheets: list[tuple[str, str]]) -> list[str]:
    """The sheets among ``sheets`` (name, part) that hold a formula."""
    out = []
    with zipfile.ZipFile(path) as z:
        for name, member in sheets:
            with z.open(member) as f:
                tail = b""
                while chunk := f.read(1 << 20):
                    if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                        out.append(name)
                        break
                    tail = chunk[-3:]
    return out


_LOST = (("xl/charts/chart", "chart(s)"), ("xl/pivottables/", "pivot table(s) (their cells "
         "are carried as values)"), ("xl/slicers/", "slicer(s)"),
         ("xl/externallinks/", "link(s) to other workbooks"),
         ("xl/media/", "picture(s)"))


def _lost(path: Path, carried: list[str], vba: bool) -> list[str]:
    """What the rewrite cannot carry, counted from the file's parts."""
    with zipfile.ZipFile(path) as z:
        parts = [n.lower() for n in z.namelist()]
        xml = b"".join(z.read(m) for m in carried)
    out = ["the VBA project (macros)"] if vba else []
    for prefix, what in _LOST:
        n = sum(1 for p in parts if p.startswith(prefix) and not p.endswith(".rels"))
        if n:
            out.append(f"{n} {what}")
    if any(p.startswith(("xl/comments", "xl/threadedcomments")) for p in parts):
        out.append("cell comments and notes")
    drawings = any(p.startswith("xl/drawings/drawing") for p in parts)
    if drawings and not any(p.startswith(("xl/charts/", "xl/media/")) for p in parts):
        out.append("shapes and text boxes")
    for tag, what in ((b"<mergeCell ", "merged cells"), (b"<dataValidation ",
                                                          "data validation"),
                      (b"<conditionalFormatting", "conditional formats"),
                      (b"<hyperlink ", "hyperlinks")):
        if tag in xml:
            out.append(what)
    return out


# ---------------------------------------------------------------------------------------
# Writing


def write_carried(book: Any, carry: Carry) -> None:
    """The carried sheets onto ``book`` (an ``xlsx_book.Book``), after its own sheets."""
    formats: dict[str | None, Any] = {}

    def fmt(number_format: str | None, is_date: bool) -> Any:
        key = number_format or ("14" if is_date else None)
        if key is None:
            return None
        if key not in formats:
            formats[key] = book.wb.add_format({"num_format": 14 if key == "14" else key})
        return formats[key]

    for sheet in carry.sheets:
        ws = book.sheet(sheet.name)
        for lo, hi, width, hidden in sheet.columns:
            if width is not None:  # the file's width includes the cell padding: in pixels
                ws.set_column_pixels(lo, hi, round(width * 7), None, {"hidden": hidden})
            else:
                ws.set_column(lo, hi, None, None, {"hidden": hidden})
        headers = set()  # a table's header cells are its column names, written with it
        for t in sheet.tables:
            _table(book, ws, t)
            headers |= {(t.first_row, j) for j in range(t.first_col, t.last_col + 1)}
        for c in sheet.cells:
            if (c.row, c.col) not in headers:
                _cell(ws, c, fmt(c.number_format, isinstance(c.value, dt.date | dt.time)))
        if sheet.hidden:
            ws.hide()
    for name, ref in carry.names:
        with contextlib.suppress(Exception):
            book.wb.define_name(name, ref)


def _table(book: Any, ws: Any, t: CarriedTable) -> None:
    from creditdesk.files.xlsx_book import TABLE_STYLE

    name = book.unique_table_name(t.name)
    width = t.last_col - t.first_col + 1
    headers = (t.headers + [f"Column{j + 1}" for j in range(len(t.headers), width)])[:width]
    ws.add_table(t.first_row, t.first_col, max(t.last_row, t.first_row + 1), t.last_col,
                 {"name": name, "style": TABLE_STYLE,
                  "columns": [{"header": h} for h in headers]})


def _cell(ws: Any, c: Cell, fmt: Any) -> None:
    v = c.value
    if c.formula is not None:
        finite = not isinstance(v, float) or math.isfinite(v)
        cached = v if isinstance(v, int | float | str | bool) and finite else 0
        if c.array_ref:
            ws.write_array_formula(c.array_ref, c.formula, fmt, cached)
        else:
            ws.write_formula(c.row, c.col, c.formula, fmt, cached)
    elif isinstance(v, str):
        ws.write_string(c.row, c.col, v, fmt)
    elif isinstance(v, bool):
        ws.write_boolean(c.row, c.col, v, fmt)
    elif isinstance(v, int | float):
        if math.isfinite(v):
            ws.write_number(c.row, c.col, v, fmt)
    elif isinstance(v, dt.datetime | dt.date | dt.time):
        ws.write_datetime(c.row, c.col, v, fmt)
    elif isinstance(v, dt.timedelta):
        ws.write_number(c.row, c.col, v.total_seconds() / 86400, fmt)
    else:
        ws.write_string(c.row, c.col, str(v), fmt)
