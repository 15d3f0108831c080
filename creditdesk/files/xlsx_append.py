"""Rows added to an Excel table of the user's own workbook, in place, and nothing else changed.

``creditdesk sync`` writes the backend's history into the workbook's History table and its
audit trail into the Audit table with ``append_tables`` (both in one write). The workbook is
the user's: other sheets, values, formulas, formats, names, charts and macros must survive,
so it is not read and written again by a library that knows only part of the format. The
.xlsx (or .xlsm) package is copied member by member, byte for byte, except two: the XML of
the sheet that holds the table (new ``<row>`` elements after the table's last row that holds
a value, and its ``<dimension>``) and the table's own part (its ``ref`` and its
autoFilter's, grown to the new rows).

New cells take the style of the cell above them in the table (else the column's style, else,
for a date, the workbook's short-date style), so dates look like the user's dates. Text is
written as inline strings: a value such as ``=HYPERLINK(...)`` stays text, never a formula.

The write is safe: the workbook is refused while Excel has it open (its ``~$`` owner file lies
beside it); the new package is written to a temporary file in the same folder and moved onto
the workbook with ``os.replace`` (never half a workbook), after the workbook as it was is
copied beside it (``<name>.backup.xlsx``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import posixpath
import re
import secrets
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from creditdesk.domain.contract import normalise_header
from creditdesk.domain.errors import WorkbookError
from creditdesk.files.xlsx_bulk import column_letters

_REL = r'<Relationship\b[^>]*?Id="{id}"[^>]*?Target="([^"]+)"|' \
       r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="{id}"'
_ROW = re.compile(r'<row\b([^>]*?)(?:/>|>(.*?)</row>)', re.S)
_CELL = re.compile(r'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_REF = re.compile(r"^([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)$")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DATE_FORMATS = {14, 15, 16, 17, 22}  # Excel's built-in date formats


@dataclass
class Appended:
    """What ``append_rows`` did."""

    rows: int
    sheet: str = ""
    backup: Path | None = None
    added_columns: list[str] = field(default_factory=list)  # headers the table did not have


def lock_file(path: Path) -> Path | None:
    """Excel's owner file of ``path`` (``~$name``; for a long name, Excel drops the first
    two characters) when one lies beside it: the workbook is open in Excel."""
    for name in (f"~${path.name}", f"~${path.name[2:]}"):
        candidate = path.with_name(name)
        if candidate.exists():
            return candidate
    return None


def refuse_if_open(path: Path) -> None:
    lock = lock_file(path)
    if lock is not None:
        raise WorkbookError(f"'{path}' is open in Excel (its lock file {lock.name} is beside "
                            "it): close it in Excel, then run the command again; nothing was "
                            "written")


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _attr(attrs: str, name: str) -> str | None:
    m = re.search(rf'\b{name}="([^"]*)"', attrs)
    return m[1] if m else None


def _member(base: str, target: str) -> str:
    """A relationship's target as a member name of the package."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels_of(member: str) -> str:
    return posixpath.join(posixpath.dirname(member), "_rels", posixpath.basename(member) +
                          ".rels")


def _target(z: zipfile.ZipFile, member: str, rid: str) -> str | None:
    try:
        rels = z.read(_rels_of(member)).decode("utf-8")
    except KeyError:
        return None
    m = re.search(_REL.format(id=re.escape(rid)), rels)
    return _member(member, m[1] or m[2]) if m else None


@dataclass
class _Table:
    sheet_name: str
    sheet_member: str
    table_member: str
    ref: tuple[int, int, int, int]  # first col, first row, last col, last row (1-based)
    headers: list[str]


def find_table(z: zipfile.ZipFile, key: str) -> _Table | None:
    """The Excel table whose name, without case, spaces and underscores, is ``key``."""
    from creditdesk.files.xlsx_read import table_key

    book = z.read("xl/workbook.xml").decode("utf-8")
    for attrs in re.findall(r"<sheet\b([^>]*)/?>", book):
        name, rid = _attr(attrs, "name"), _attr(attrs, "r:id")
        sheet = _target(z, "xl/workbook.xml", rid or "")
        if not name or sheet is None or sheet not in z.namelist():
            continue
        xml = z.read(sheet).decode("utf-8")
        for part in re.findall(r'<tablePart\b[^>]*r:id="([^"]+)"', xml):
            member = _target(z, sheet, part)
            if member is None or member not in z.namelist():
                continue
            t = z.read(member).decode("utf-8")
            head = re.search(r"<table\b([^>]*)>", t)
            if head is None or table_key(_attr(head[1], "name") or "") != key:
                continue
            m = _REF.match(_attr(head[1], "ref") or "")
            if m is None:
                raise WorkbookError(f"the table on sheet '{name}' has no usable range")
            headers = [_unescape(h) for h in re.findall(r'<tableColumn\b[^>]*?name="([^"]*)"',
                                                       t)]
            ref = (column_index(m[1]), int(m[2]), column_index(m[3]), int(m[4]))
            return _Table(_unescape(name), sheet, member, ref, headers)
    return None


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


# ---------------------------------------------------------------------------------------
# The sheet's rows


def _row_elements(sheet_data: str) -> dict[int, tuple[str, str, str]]:
    """Row number -> (the element as written, its attributes, its inner XML)."""
    out = {}
    for m in _ROW.finditer(sheet_data):
        r = _attr(m[1], "r")
        if r is None:
            raise WorkbookError("a row of the sheet has no number; open and save the workbook "
                                "in Excel, then run the command again")
        out[int(r)] = (m[0], m[1], m[2] or "")
    return out


def _cells(inner: str) -> list[tuple[int, str, str, str]]:
    """(column, the element as written, attributes, inner XML) of each cell of a row."""
    out = []
    for m in _CELL.finditer(inner):
        ref = _attr(m[1], "r")
        letters = re.match(r"[A-Z]+", ref or "")
        if letters is None:
            raise WorkbookError("a cell of the sheet has no reference; open and save the "
                                "workbook in Excel, then run the command again")
        out.append((column_index(letters[0]), m[0], m[1], m[2] or ""))
    return out


def _holds_value(cell_inner: str) -> bool:
    return bool(re.search(r"<(v|is|f)\b", cell_inner))


def _last_filled(rows: dict[int, tuple[str, str, str]], t: _Table) -> int:
    """The last row of the table with a value in one of its columns (its header row when
    none has)."""
    c0, r0, c1, r1 = t.ref
    last = r0
    for r in range(r0 + 1, r1 + 1):
        if r in rows and any(c0 <= c <= c1 and _holds_value(inner)
                             for c, _, _, inner in _cells(rows[r][2])):
            last = r
    return last


def _check_free(rows: dict[int, tuple[str, str, str]], first: int, last: int,
                t: _Table) -> None:
    for r in range(max(first, t.ref[3] + 1), last + 1):
        if r in rows and any(_holds_value(inner) for _, _, _, inner in _cells(rows[r][2])):
            raise WorkbookError(
                f"sheet '{t.sheet_name}' has something in row {r}, below its table where the "
                "new rows go: move it elsewhere (or the table to a sheet of its own), then "
                "run the command again; nothing was written")


# ---------------------------------------------------------------------------------------
# Styles and cells


def _date_style(z: zipfile.ZipFile) -> str | None:
    """The index of a cell format that shows a date (a built-in one, or the workbook's own
    number format with day, month and year codes), or None."""
    try:
        styles = z.read("xl/styles.xml").decode("utf-8")
    except KeyError:
        return None
    custom = {int(i) for i, code in re.findall(
        r'<numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"', styles)
        if re.search(r"[dD]", code) and re.search(r"[yY]", code) and "h" not in code.lower()}
    xfs = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", styles, re.S)
    for i, attrs in enumerate(re.findall(r"<xf\b([^>]*?)/?>", xfs[1] if xfs else "")):
        fmt = int(_attr(attrs, "numFmtId") or 0)
        if fmt in _DATE_FORMATS or fmt in custom:
            return str(i)
    return None


def _column_styles(xml: str, rows: dict[int, tuple[str, str, str]], t: _Table,
                   above: int) -> dict[int, str]:
    """Column -> the style a new cell takes: the cell above's, else the column's."""
    out: dict[int, str] = {}
    for attrs in re.findall(r"<col\b([^>]*?)/?>", xml):
        style, lo, hi = _attr(attrs, "style"), _attr(attrs, "min"), _attr(attrs, "max")
        if style and lo and hi:
            for c in range(max(int(lo), t.ref[0]), min(int(hi), t.ref[2]) + 1):
                out[c] = style
    if above > t.ref[1] and above in rows:
        for c, _, attrs, _ in _cells(rows[above][2]):
            style = _attr(attrs, "s")
            if style and t.ref[0] <= c <= t.ref[2]:
                out[c] = style
    return out


def _serial(day: dt.date, date1904: bool) -> int:
    return (day - (dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30))).days


def _cell(ref: str, value: Any, style: str | None, date_style: str | None,
          date1904: bool) -> str | None:
    """One cell's XML, or None for a blank."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        s = style or date_style
        if s is None:  # no date format in the workbook: readable text
            return _cell(ref, value.isoformat(), style, None, date1904)
        return f'<c r="{ref}" s="{s}"><v>{_serial(value, date1904)}</v></c>'
    st = f' s="{style}"' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{st} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        return f'<c r="{ref}"{st}><v>{value!r}</v></c>'
    text = _NOT_XML.sub("\ufffd", str(value))
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{st} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _row_xml(r: int, cells: list[tuple[int, str]], old: tuple[str, str, str] | None,
             t: _Table) -> str:
    """Row ``r`` with the new cells; a blank row already there keeps its attributes and
    the (empty) cells it has outside the table."""
    attrs = f' r="{r}"'
    kept: list[tuple[int, str]] = []
    if old is not None:
        attrs = re.sub(r'\s+spans="[^"]*"', "", old[1])
        kept = [(c, x) for c, x, _, _ in _cells(old[2]) if not t.ref[0] <= c <= t.ref[2]]
    body = "".join(x for _, x in sorted(kept + cells))
    return f"<row{attrs}>{body}</row>"


# ---------------------------------------------------------------------------------------
# Appending


def _missing(t: _Table, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The headers with a value in ``rows`` that the table does not have, in their order."""
    have = {normalise_header(h) for h in t.headers}
    out: dict[str, str] = {}
    for r in rows:
        for k, v in r.items():
            if normalise_header(k) not in have and v not in (None, ""):
                out.setdefault(normalise_header(k), k)
    return list(out.values())


def _widen(rows: dict[int, tuple[str, str, str]], t: _Table, headers: list[str],
           last: int) -> _Table:
    """The table with ``headers`` added on its right, their header cells written into
    ``rows``; refused when the columns they take hold anything."""
    c0, r0, c1, r1 = t.ref
    new = range(c1 + 1, c1 + len(headers) + 1)
    for r in range(r0, max(r1, last) + 1):
        if r in rows and any(c in new and _holds_value(inner)
                             for c, _, _, inner in _cells(rows[r][2])):
            raise WorkbookError(
                f"the table on sheet '{t.sheet_name}' needs the column(s) "
                f"{', '.join(headers)} on its right, and row {r} has something there: move it, "
                "or add the column(s) to the table yourself, then run the command again")
    old = rows.get(r0, (f'<row r="{r0}"></row>', f' r="{r0}"', ""))
    style = next((_attr(a, "s") for c, _, a, _ in _cells(old[2]) if c == c1), None)
    cells = [(c, x) for c, x, _, _ in _cells(old[2]) if c not in new]
    cells += [(c, _cell(f"{column_letters(c - 1)}{r0}", h, style, None, False) or "")
              for c, h in zip(new, headers, strict=True)]
    attrs = re.sub(r'\s+spans="[^"]*"', "", old[1])
    rows[r0] = (f"<row{attrs}>{''.join(x for _, x in sorted(cells))}</row>", attrs, "")
    return _Table(t.sheet_name, t.sheet_member, t.table_member,
                  (c0, r0, c1 + len(headers), r1), [*t.headers, *headers])


def _new_sheet_xml(z: zipfile.ZipFile, t: _Table, rows: Sequence[Mapping[str, Any]],
                   xml: str | None = None) -> tuple[str, _Table]:
    """The sheet's XML (``xml``: as already changed for another table on it) with the rows
    added (and the columns the table lacked), and the table as it is then."""
    if xml is None:
        xml = z.read(t.sheet_member).decode("utf-8")
    data = re.search(r"<sheetData\b[^>]*?(?:/>|>(.*?)</sheetData>)", xml, re.S)
    if data is None:
        raise WorkbookError(f"sheet '{t.sheet_name}' has no cells part; open and save the "
                            "workbook in Excel, then run the command again")
    existing = _row_elements(data[1] or "")
    above = _last_filled(existing, t)
    first, last = above + 1, above + len(rows)
    _check_free(existing, first, last, t)
    missing = _missing(t, rows)
    if missing:
        t = _widen(existing, t, missing, last)
    cols = {normalise_header(h): t.ref[0] + j for j, h in enumerate(t.headers)}
    styles = _column_styles(xml, existing, t, above)
    date_style = _date_style(z)
    date1904 = bool(re.search(r'date1904="(1|true)"', z.read("xl/workbook.xml").decode()))
    for i, values in enumerate(rows):
        r = first + i
        cells = []
        for k, v in values.items():
            c = cols.get(normalise_header(k))
            x = None if c is None else _cell(f"{column_letters(c - 1)}{r}", v,
                                             styles.get(c), date_style, date1904)
            if x is not None:
                cells.append((c, x))
        existing[r] = (_row_xml(r, cells, existing.get(r), t), "", "")
    body = "".join(existing[r][0] for r in sorted(existing))
    xml = xml[:data.start()] + f"<sheetData>{body}</sheetData>" + xml[data.end():]
    c0, r0, c1, r1 = t.ref
    t = _Table(t.sheet_name, t.sheet_member, t.table_member, (c0, r0, c1, max(last, r1)),
               t.headers)
    return _grow_dimension(xml, t.ref[3], c1), t


def _grow_dimension(xml: str, last_row: int, last_col: int) -> str:
    m = re.search(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"', xml)
    if m is None:
        return xml
    c1 = max(column_index(m[3] or m[1]), last_col)
    r1 = max(int(m[4] or m[2]), last_row)
    ref = f'<dimension ref="{m[1]}{m[2]}:{column_letters(c1 - 1)}{r1}"'
    return xml[:m.start()] + ref + xml[m.end():]


def _new_table_xml(z: zipfile.ZipFile, t: _Table, before: _Table) -> str:
    """The table's part with its new range and the columns added."""
    xml = z.read(t.table_member).decode("utf-8")
    c0, r0, c1, r1 = t.ref
    ref = f"{column_letters(c0 - 1)}{r0}:{column_letters(c1 - 1)}{r1}"
    xml = re.sub(r'(<(?:table|autoFilter)\b[^>]*?\bref=")[^"]*(")', rf"\g<1>{ref}\g<2>", xml)
    added = t.headers[len(before.headers):]
    if added:
        ids = [int(i) for i in re.findall(r'<tableColumn\b[^>]*?\bid="(\d+)"', xml)]
        new = "".join(f'<tableColumn id="{max(ids, default=0) + 1 + j}" '
                      f'name="{escape(h, {chr(34): "&quot;"})}"/>'
                      for j, h in enumerate(added))
        xml = xml.replace("</tableColumns>", new + "</tableColumns>", 1)
        xml = re.sub(r'(<tableColumns\b[^>]*?\bcount=")\d+(")',
                     rf"\g<1>{len(t.headers)}\g<2>", xml)
    return xml


def _write_package(path: Path, replaced: dict[str, str]) -> Path:
    """A copy of the package at ``path`` with members replaced, beside it (temporary)."""
    tmp = path.with_name(f".~{path.stem[:40]}.{secrets.token_hex(4)}{path.suffix}")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "x") as out:
        for info in src.infolist():
            data = replaced[info.filename].encode("utf-8") if info.filename in replaced \
                else src.read(info.filename)
            out.writestr(info, data, compress_type=info.compress_type)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    return tmp


def backup_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.backup{path.suffix}")


def _writable_table(z: zipfile.ZipFile, path: Path, table: str) -> _Table:
    from creditdesk.files.xlsx_read import table_key

    t = find_table(z, table_key(table))
    if t is None:
        raise WorkbookError(f"'{path}' has no Excel table named {table}: make the {table} "
                            f"range a table (Insert > Table) named {table}, or copy the sheet "
                            "from 'creditdesk new'")
    if re.search(r'totalsRowCount="[1-9]', z.read(t.table_member).decode("utf-8")):
        raise WorkbookError(f"the {table} table on sheet '{t.sheet_name}' has a totals row: "
                            "turn it off (Table Design > Total Row), then run the command "
                            "again")
    return t


@contextlib.contextmanager
def _package(path: Path):
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise WorkbookError(f"cannot write into '{path}': only .xlsx and .xlsm workbooks are "
                            "written back (save it as .xlsx in Excel)")
    refuse_if_open(path)
    try:
        with zipfile.ZipFile(path) as z:
            yield z
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise WorkbookError(f"cannot write into '{path}': it is not a workbook Creditdesk "
                            f"can change ({exc})") from None
    except OSError as exc:
        raise WorkbookError(f"cannot read '{path}': {exc.strerror or exc}") from None


def has_table(path: str | os.PathLike, table: str) -> bool:
    """The workbook at ``path`` holds an Excel table named ``table`` (rows can be appended
    to it; else ``xlsx_update.update_tables`` adds it)."""
    from creditdesk.files.xlsx_read import table_key

    with _package(Path(path)) as z:
        return find_table(z, table_key(table)) is not None


def check_writable(path: str | os.PathLike, table: str) -> None:
    """``WorkbookError`` now, before any work, when ``append_rows`` could not write into
    the workbook (open in Excel, not .xlsx, no such table, a totals row)."""
    with _package(Path(path)) as z:
        _writable_table(z, Path(path), table)


def append_rows(path: str | os.PathLike, table: str, rows: Sequence[Mapping[str, Any]],
                *, backup: bool = True) -> Appended:
    """Add ``rows`` (header -> value) below the last filled row of the Excel table named
    ``table`` in the workbook at ``path``, in place (see the module's docstring).
    ``backup=False``: no ``.backup`` copy (the caller made one of the workbook as it was)."""
    return append_tables(path, {table: rows}, backup=backup)[table]


def append_tables(path: str | os.PathLike, rows: Mapping[str, Sequence[Mapping[str, Any]]],
                  *, backup: bool = True) -> dict[str, Appended]:
    """``append_rows`` for several tables at once (``{table: rows}``): one new package, one
    backup (unless ``backup=False``), one move onto the workbook, so either every table has
    its rows or none has."""
    path = Path(path)
    replaced: dict[str, str] = {}
    done: dict[str, Appended] = {}
    with _package(path) as z:
        found = {name: _writable_table(z, path, name) for name in rows}
        for name, t in found.items():
            if not rows[name]:
                done[name] = Appended(0, t.sheet_name)
                continue
            sheet_xml, grown = _new_sheet_xml(z, t, rows[name], replaced.get(t.sheet_member))
            replaced[t.sheet_member] = sheet_xml
            replaced[t.table_member] = _new_table_xml(z, grown, t)
            done[name] = Appended(len(rows[name]), t.sheet_name, None,
                                  grown.headers[len(t.headers):])
    if not replaced:
        return done
    tmp = _write_package(path, replaced)
    try:
        saved = backup_path(path) if backup else None
        if saved is not None:
            shutil.copy2(path, saved)
        refuse_if_open(path)  # opened while we worked
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except PermissionError:
        raise WorkbookError(f"cannot write '{path}': permission denied (is it open in "
                            "Excel?)") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    for a in done.values():
        if a.rows:
            a.backup = saved
    return done
