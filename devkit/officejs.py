"""Office.js payloads for the tests and the benchmark (development support, not shipped with
the add-in): workbook files as the JSON Excel sends, and a small
stand-in for Excel that applies a script's actions to a payload.

xlwings Lite (and xlwings Server) give Python the workbook as the JSON that Excel's Office.js
client builds (the xlwings Lite add-in's JavaScript, and xlwings Server's ``xlwingsjs``; not
part of the Python package: there, ``xlwings/js/xlwings.js`` is the Google Apps Script client
and ``xlwings/js/xlwings.ts`` the Office Scripts one). What the payload carries is what the
engine (``xlwings/pro/_xlremote.py``) reads:

- ``client`` (``"Office.js"``, which skips the version check), ``version``;
- ``book``: ``name``, ``active_sheet_index``, ``selection``, ``calculation`` (``Automatic``,
  ``Manual`` or ``AutomaticExceptTables``);
- ``names``: the workbook's defined names (book and sheet scope), each with ``refers_to``,
  its ``sheet_index`` and ``address`` when it is a plain range;
- per sheet: ``values`` from A1 to the last cell of the used range (so its size is the used
  range's last row by last column; empty cells ``""``), ``used_range_address`` (``"B2:F40"``;
  ``None`` for an empty sheet), the Excel ``tables`` with their addresses, ``row_count`` (with
  the header and total rows), ``column_count`` and ``columns`` (the header names), ``notes``
  (``{"address": ...}``, with ``notes_supported``), ``pictures``, ``shapes``, ``charts``,
  ``pivot_tables``, ``show_gridlines``, ``visibility``, ``print_area``.

Dates arrive two ways, and the scripts must give the same results on both
(``payload_from_file(..., dates=)``): as ISO text (``2026-06-30T00:00:00.000Z``) where the client
recognises the cell's number format as a date (ExcelApi 1.12 and a built-in date format), or as
the serial number Excel stores (``46203``) with a custom format (``yyyy-mm-dd``) or an older
client.

``payload_from_file`` builds that JSON from a workbook file, so the tests run the scripts
through the real xlwings engine (``xw.Book(json=payload)``) on the same files the CLI tests
read. ``apply_actions`` plays the actions a script queued (``book.json()["actions"]``) back
onto the payload, the way Excel would for the parts the scripts use (values, sheets, tables,
the used range), so a second click can be run on the workbook as the first click left it.

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


EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # serial 0; Excel's 1900 leap-year bug after 60
DATES = ("iso", "serial")


def serial(value: dt.date | dt.datetime) -> float | int:
    """The number Excel stores for a date (1 = 1900-01-01; a whole number for a date)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value.replace(tzinfo=None) - EXCEL_EPOCH
    days = delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    if days < 61:  # Excel counts a 29 February 1900 that never was
        days -= 1
    return int(days) if days == int(days) else round(days, 10)


def _iso(value: dt.date | dt.datetime) -> str:
    """As Office.js' ``new Date(...).toISOString()`` writes a date-formatted cell."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _json_cell(value: Any, dates: str = "iso") -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return _iso(value) if dates == "iso" else serial(value)
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
                style: str = "TableStyleMedium2", columns: list[str] | None = None
                ) -> dict[str, Any]:
    last_body = r2 - 1 if totals else r2
    width = c2 - c1 + 1
    names = [str(h) for h in (columns or [])][:width]
    names += [f"Column{j + 1}" for j in range(len(names), width)]
    return {
        "name": name,
        "range_address": address(r1, c1, r2, c2),
        "row_count": r2 - r1 + 1,  # with the header row (and the total row)
        "column_count": width,
        "columns": names,
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


_CALCULATION = {"auto": "Automatic", "manual": "Manual", "autoNoTable": "AutomaticExceptTables"}


def empty_payload(name: str = "Book1.xlsx", calculation: str = "Automatic") -> dict[str, Any]:
    return {"client": "Office.js", "version": XLWINGS_VERSION,
            "book": {"name": name, "active_sheet_index": 0, "selection": "A1",
                     "calculation": calculation},
            "names": [], "sheets": []}


def sheet_entry(name: str, values: list[list], tables: list[dict] | None = None,
                used_range_address: str | bool | None = True) -> dict[str, Any]:
    """A sheet of the payload; ``used_range_address=True`` derives it from ``values``."""
    entry = {"name": name, "values": values or [[]], "tables": tables or [],
             **copy.deepcopy(_EMPTY_SHEET), "notes_supported": True}
    entry["used_range_address"] = (_used_address(entry["values"])
                                   if used_range_address is True else used_range_address)
    return entry


def _used_address(values: list[list]) -> str | None:
    """The smallest range holding every non-empty cell (None: an empty sheet)."""
    rows = [i for i, r in enumerate(values) if any(v != "" for v in r)]
    if not rows:
        return None
    cols = [j for r in values for j, v in enumerate(r) if v != ""]
    return address(rows[0] + 1, min(cols) + 1, rows[-1] + 1, max(cols) + 1)


def payload_from_file(path: str | Path, reader: str = "openpyxl", dates: str = "iso"
                      ) -> dict[str, Any]:
    """The Office.js payload of a workbook file (see the module's docstring): every sheet's
    values from A1 to the end of its used range, its Excel tables, notes and used range, the
    workbook's names and calculation mode. ``dates="iso"``: date-formatted cells as ISO text;
    ``"serial"``: as Excel's serial numbers.

    ``reader="openpyxl"`` reads the number formats, names and notes (faithful for small test
    files); ``"calamine"`` is some 10x faster for large files (python-calamine gives
    date-formatted cells as dates, which is the same thing; no names or notes)."""
    if dates not in DATES:
        raise ValueError(f"dates must be one of {DATES}")
    path = Path(path)
    if reader == "openpyxl":
        import openpyxl

        wb = openpyxl.load_workbook(path, data_only=True)
        mode = getattr(getattr(wb, "calculation", None), "calcMode", None) or "auto"
        payload = empty_payload(path.name, _CALCULATION.get(mode, "Automatic"))
        payload["sheets"] = _openpyxl_sheets(wb, dates)
        payload["names"] = _openpyxl_names(wb, payload["sheets"])
    else:
        payload = empty_payload(path.name)
        payload["sheets"] = _calamine_sheets(path, dates)
    return payload


def _openpyxl_sheets(wb: Any, dates: str) -> list[dict]:
    out = []
    for ws in wb.worksheets:
        # from A1, as the client reads A1 to the used range's last cell
        values = [[_json_cell(c.value, dates) for c in row]
                  for row in ws.iter_rows(min_row=1, min_col=1, max_row=ws.max_row,
                                          max_col=ws.max_column)]
        if values == [[""]]:
            values = [[]]
        tables = []
        for t in ws.tables.values():
            r1, c1, r2, c2 = parse_address(t.ref)
            header = values[r1 - 1][c1 - 1:c2] if r1 <= len(values) else []
            tables.append(table_entry(t.displayName, r1, c1, r2, c2,
                                      totals=bool(t.totalsRowCount), columns=header))
        entry = sheet_entry(ws.title, values, tables)
        entry["notes"] = [{"address": c.coordinate, "content": c.comment.text}
                          for row in ws.iter_rows() for c in row if c.comment is not None]
        out.append(entry)
    return out


def _openpyxl_names(wb: Any, sheets: list[dict]) -> list[dict]:
    """The defined names as the client lists them: book scope, then each sheet's."""
    index = {s["name"]: i for i, s in enumerate(sheets)}

    def entry(dn: Any, scope: str | None) -> dict[str, Any]:
        refers_to = "=" + str(dn.attr_text)
        sheet_index, where = None, None
        dests = list(dn.destinations) if dn.type == "RANGE" else []
        if len(dests) == 1 and dests[0][0] in index:
            sheet_index, where = index[dests[0][0]], dests[0][1].replace("$", "")
        return {"name": dn.name, "sheet_index": sheet_index, "address": where,
                "scope_sheet_name": scope,
                "scope_sheet_index": index.get(scope) if scope else None,
                "book_scope": scope is None, "refers_to": refers_to}

    names = [entry(dn, None) for dn in wb.defined_names.values()
             if not dn.name.startswith("_xlnm.")]
    for ws in wb.worksheets:
        names += [entry(dn, ws.title) for dn in ws.defined_names.values()
                  if not dn.name.startswith("_xlnm.")]
    return names


def _calamine_sheets(path: Path, dates: str) -> list[dict]:
    import python_calamine as pc

    book = pc.CalamineWorkbook.from_path(str(path), load_tables=True)
    tables: dict[str, list[tuple]] = {}
    for name in book.table_names or ():
        t = book.get_table_by_name(name)
        if t.start is None:
            continue
        (r0, c0), (r1, c1) = t.start, t.end
        # start is the first data row: the header row is above it
        tables.setdefault(t.sheet, []).append((name, r0, c0 + 1, r1 + 1, c1 + 1,
                                               list(t.columns or [])))
    out = []
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        values = [[_json_cell(v, dates) for v in row] for row in rows]
        entries = [table_entry(n, r1, c1, r2, c2, columns=cols)
                   for n, r1, c1, r2, c2, cols in tables.get(name, [])]
        out.append(sheet_entry(name, values or [[]], entries))
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
    sheet["used_range_address"] = _used_address(sheet["values"])


def _clear(sheet: dict, r0: int, c0: int, nrows: int, ncols: int) -> None:
    grid = _grid(sheet)
    for i in range(r0, min(r0 + nrows, len(grid))):
        for j in range(c0, min(c0 + ncols, len(grid[i]))):
            grid[i][j] = ""
    sheet["values"] = grid or [[]]
    sheet["used_range_address"] = _used_address(sheet["values"])


def _header(sheet: dict, r1: int, c1: int, c2: int) -> list[str]:
    grid = _grid(sheet)
    row = grid[r1 - 1] if r1 - 1 < len(grid) else []
    return [str(v) for v in row[c1 - 1:c2]]


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
            s["used_range_address"] = None
        elif f == "addTable" and s is not None:
            addr, _headers, style, name = a["args"]
            r1, c1, r2, c2 = parse_address(addr)
            s["tables"].append(table_entry(name, r1, c1, r2, c2, style=style or "",
                                           columns=_header(s, r1, c1, c2)))
        elif f == "resizeTable" and s is not None:
            index, addr = a["args"]
            old = s["tables"][index]
            r1, c1, r2, c2 = parse_address(addr)
            s["tables"][index] = {**old, **table_entry(old["name"], r1, c1, r2, c2,
                                                       style=old.get("table_style", ""),
                                                       columns=_header(s, r1, c1, c2))}
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
