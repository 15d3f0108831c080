"""Office.js payloads for the tests and the benchmark (development support, not shipped with
the add-in): workbook files as the JSON Excel sends, and a small
stand-in for Excel that applies a script's actions to a payload.

xlwings Lite (and xlwings Server) give Python the workbook as the JSON that Excel's Office.js
client sends (``xlwings/js/xlwings.ts`` builds it): ``client``, ``version``, ``book``,
``names`` and per sheet its ``values`` from A1 to the last used cell (empty cells as ``""``,
date-formatted numbers as ISO text such as ``2026-06-30T00:00:00.000Z``), its Excel tables with
their range addresses, pictures, charts and so on. ``payload_from_file`` builds that JSON from
a workbook file, so the tests can run the scripts through the real xlwings engine
(``xw.Book(json=payload)``) on the same files the CLI tests read.

``apply_actions`` plays the actions a script queued (``book.json()["actions"]``) back onto
the payload, the way Excel would for the parts the scripts use (values, sheets, tables), so a
second click can be run on the workbook as the first click left it.

Reading files needs openpyxl (or python-calamine); both are imported only when called, so the
add-in imports without them.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any

XLWINGS_VERSION = "0.37.8"
_EMPTY_SHEET: dict[str, Any] = {"pictures": [], "shapes": [], "charts": [], "notes": [],
                                "pivot_tables": [], "show_gridlines": True,
                                "visibility": "Visible", "print_area": None}


def _iso(value: dt.date | dt.datetime) -> str:
    """As Office.js' ``new Date(...).toISOString()`` writes a date-formatted cell."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _json_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return _iso(value)
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # JSON has one number type: 1000.0 arrives as 1000
    return value


def col_letters(col: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def parse_address(address: str) -> tuple[int, int, int, int]:
    """'$A$1:$C$3' -> (1, 1, 3, 3): first row, first column, last row, last column."""
    address = address.split("!")[-1]
    parts = [_CELL.fullmatch(p) for p in address.split(":")]
    if not all(parts):
        raise ValueError(f"not an A1 address: {address!r}")
    (c1, r1), (c2, r2) = parts[0].groups(), parts[-1].groups()
    return int(r1), col_number(c1), int(r2), col_number(c2)


def address(r1: int, c1: int, r2: int, c2: int) -> str:
    return f"{col_letters(c1)}{r1}:{col_letters(c2)}{r2}"


def table_entry(name: str, r1: int, c1: int, r2: int, c2: int, *, totals: bool = False,
                style: str = "TableStyleMedium2") -> dict[str, Any]:
    last_body = r2 - 1 if totals else r2
    return {
        "name": name,
        "range_address": address(r1, c1, r2, c2),
        "header_row_range_address": address(r1, c1, r1, c2),
        "data_body_range_address": address(r1 + 1, c1, last_body, c2),
        "total_row_range_address": address(r2, c1, r2, c2) if totals else None,
        "show_headers": True,
        "show_totals": totals,
        "table_style": style,
        "show_autofilter": True,
        "show_table_style_first_column": False,
        "show_table_style_last_column": False,
        "show_table_style_row_stripes": True,
        "show_table_style_column_stripes": False,
    }


def empty_payload(name: str = "Book1.xlsx") -> dict[str, Any]:
    return {"client": "Office.js", "version": XLWINGS_VERSION,
            "book": {"name": name, "active_sheet_index": 0, "selection": "A1"},
            "names": [], "sheets": []}


def sheet_entry(name: str, values: list[list], tables: list[dict] | None = None
                ) -> dict[str, Any]:
    return {"name": name, "values": values or [[]], "tables": tables or [],
            **copy.deepcopy(_EMPTY_SHEET)}


def payload_from_file(path: str | Path, reader: str = "openpyxl") -> dict[str, Any]:
    """The Office.js payload of a workbook file: every sheet's values from A1 (dates as ISO
    text where the cell is date-formatted), its Excel tables with their addresses.

    ``reader="openpyxl"`` reads the number formats (faithful for small test files);
    ``"calamine"`` is some 10x faster for large files (python-calamine gives date-formatted
    cells as dates, which is the same thing)."""
    path = Path(path)
    payload = empty_payload(path.name)
    sheets = _openpyxl_sheets(path) if reader == "openpyxl" else _calamine_sheets(path)
    payload["sheets"] = sheets
    return payload


def _openpyxl_sheets(path: Path) -> list[dict]:
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True)
    out = []
    for ws in wb.worksheets:
        values = [[_json_cell(c.value) for c in row] for row in ws.iter_rows()]
        if values == [[""]]:
            values = [[]]
        tables = []
        for t in ws.tables.values():
            r1, c1, r2, c2 = parse_address(t.ref)
            tables.append(table_entry(t.displayName, r1, c1, r2, c2,
                                      totals=bool(t.totalsRowCount)))
        out.append(sheet_entry(ws.title, values, tables))
    return out


def _calamine_sheets(path: Path) -> list[dict]:
    import python_calamine as pc

    book = pc.CalamineWorkbook.from_path(str(path), load_tables=True)
    tables: dict[str, list[dict]] = {}
    for name in book.table_names or ():
        t = book.get_table_by_name(name)
        if t.start is None:
            continue
        (r0, c0), (r1, c1) = t.start, t.end
        tables.setdefault(t.sheet, []).append(
            table_entry(name, r0, c0 + 1, r1 + 1, c1 + 1))  # start is the first data row
    out = []
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        values = [[_json_cell(v) for v in row] for row in rows]
        out.append(sheet_entry(name, values or [[]], tables.get(name, [])))
    return out


# ---------------------------------------------------------------------------------------
# Excel, as far as the scripts need it


def _grid(sheet: dict) -> list[list]:
    values = sheet.get("values") or [[]]
    if values == [[]]:
        values = []
    return values


def _excel_value(value: Any) -> Any:
    """What Excel keeps of a value written to a cell, as Office.js reads it back."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:]  # the quote prefix makes the rest text; it is not part of it
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return value + "T00:00:00.000Z"  # typed-in ISO date: a date-formatted cell
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _set(sheet: dict, r0: int, c0: int, values: list[list]) -> None:
    grid = _grid(sheet)
    height = max(len(grid), r0 + len(values))
    width = max([len(r) for r in grid] + [c0 + max((len(v) for v in values), default=0)])
    grid = [list(r) + [""] * (width - len(r)) for r in grid]
    grid += [[""] * width for _ in range(height - len(grid))]
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            grid[r0 + i][c0 + j] = _excel_value(v)
    sheet["values"] = grid or [[]]


def _clear(sheet: dict, r0: int, c0: int, nrows: int, ncols: int) -> None:
    grid = _grid(sheet)
    for i in range(r0, min(r0 + nrows, len(grid))):
        for j in range(c0, min(c0 + ncols, len(grid[i]))):
            grid[i][j] = ""
    sheet["values"] = grid or [[]]


def apply_actions(payload: dict[str, Any], actions: list[dict]) -> dict[str, Any]:
    """A new payload: ``payload`` after Excel ran ``actions`` (values, sheets, tables; the
    formatting actions change nothing a script reads back)."""
    p = copy.deepcopy(payload)
    sheets = p["sheets"]
    for a in actions:
        f, pos = a["func"], a.get("sheet_position")
        s = sheets[pos] if isinstance(pos, int) and 0 <= pos < len(sheets) else None
        if f == "addSheet":
            ix, name = a["args"]
            sheets.insert(ix, sheet_entry(name, [[]]))
        elif f == "setValues" and s is not None:
            _set(s, a["start_row"], a["start_column"], a["values"])
        elif f in ("rangeClearContents", "rangeClear") and s is not None:
            _clear(s, a["start_row"], a["start_column"], a["row_count"], a["column_count"])
        elif f in ("sheetClear", "sheetClearContents") and s is not None:
            s["values"] = [[]]
        elif f == "addTable" and s is not None:
            addr, _headers, style, name = a["args"]
            r1, c1, r2, c2 = parse_address(addr)
            s["tables"].append(table_entry(name, r1, c1, r2, c2, style=style or ""))
        elif f == "resizeTable" and s is not None:
            index, addr = a["args"]
            old = s["tables"][index]
            r1, c1, r2, c2 = parse_address(addr)
            s["tables"][index] = {**old, **table_entry(old["name"], r1, c1, r2, c2,
                                                       style=old.get("table_style", ""))}
        elif f == "addChart" and s is not None:
            name, kind, _sheet, _source, left, top, width, height = a["args"][:8]
            s.setdefault("charts", []).append({"name": name, "chart_type": kind, "left": left,
                                               "top": top, "width": width, "height": height})
        elif f == "deleteChart" and s is not None:
            s["charts"].pop(a["args"][0])
        elif f == "setSheetName" and s is not None:
            s["name"] = a["args"][0]
        elif f == "sheetDelete" and s is not None:
            sheets.pop(pos)
    return p
