"""The fast path for table bodies: an XlsxWriter worksheet that writes a table's cells as XML
in bulk, with the guard that keeps it to the XlsxWriter versions it was made for.

XlsxWriter spends about 5 microseconds per cell (a cell object on write, XML on close); a
contract workbook of 100,000 invoices has some 500,000 cells with a value. ``sheet_class()``
is an XlsxWriter worksheet class (given to ``add_worksheet`` through its public
``worksheet_class`` argument) that renders a table body's XML once, when it is written, and
emits it in row order on close: a column that holds one kind of value (text, numbers or
dates, and blanks) in one pass over the column, a table with a mixed column row by row; the
XML is the same either way, and the same as XlsxWriter's own. A table is added without
XlsxWriter visiting each of its cells (``add_table``). Text still goes through the shared
string table, in row order, and is written as a string cell (t="s"): never a formula, never
a link.

It relies on internals of XlsxWriter 3.x (``_write_rows`` and the others in ``NEEDS``,
``table_cells``, ``tables``, ``filter_cells``, ``str_table``, a format's
``_get_xf_index``). ``sheet_class()`` checks the version and those names; without them, or
with ``BULK_BODIES = False``, it is None and every cell is written through the public API
instead (same cells, slower). pyproject.toml pins ``xlsxwriter<4`` for this reason.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import re
from collections.abc import Sequence
from itertools import chain, pairwise
from operator import itemgetter
from typing import Any

from creditdesk.domain.errors import WorkbookError

BULK_BODIES = True  # False: every cell through XlsxWriter's public API
MAJOR_VERSION = "3"  # the XlsxWriter line whose internals the fast path uses
NEEDS = ("_write_rows", "_write_row", "_write_empty_row", "_write_cell", "_check_dimensions",
         "_convert_date_time")
_made: list[tuple[type | None, type | None]] = []  # the classes, made on first use

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


def _columns(rows: Rows, width: int) -> list[Sequence[Any]]:
    """The columns of ``rows``, each ``width`` long: short rows end in blanks."""
    if any(len(r) < width for r in rows):
        rows = [[*r, *[None] * (width - len(r))] for r in rows]
    return [list(map(itemgetter(j), rows)) for j in range(width)]


def _number(v: Any) -> str | None:
    """A number cell's value as XlsxWriter writes it (None: not finite, an empty cell)."""
    if v is None:
        return None
    if type(v) is int:
        return str(v)
    x = float(v)
    return f"{x:.16G}" if x - x == 0 else None


def supported() -> bool:
    """True when the installed XlsxWriter is one the fast path was made for."""
    import xlsxwriter
    from xlsxwriter.packager import Packager
    from xlsxwriter.sharedstrings import SharedStrings
    from xlsxwriter.worksheet import Worksheet

    version = str(getattr(xlsxwriter, "__version__", ""))
    return (version.split(".")[0] == MAJOR_VERSION
            and all(hasattr(Worksheet, name) for name in NEEDS)
            and hasattr(xlsxwriter.Workbook, "_get_packager")
            and all(hasattr(Packager, n) for n in ("_write_shared_strings_file", "_filename"))
            and all(hasattr(SharedStrings, n) for n in ("_write_sst_strings", "_write_si",
                                                         "_xml_si_element",
                                                         "_escape_control_characters")))


def _classes() -> tuple[type | None, type | None]:
    """The bulk worksheet and workbook classes (None, None: not supported), made once."""
    if not _made:
        _made.append(_make_classes() if supported() else (None, None))
    return _made[0]


def sheet_class() -> type | None:
    """The bulk worksheet class, or None: switched off, or an XlsxWriter it was not made
    for."""
    return _classes()[0] if BULK_BODIES else None


def workbook_class() -> type:
    """XlsxWriter's ``Workbook``, or where the fast path applies, one that writes its shared
    strings in one pass (``_SharedText``)."""
    import xlsxwriter

    return (_classes()[1] if BULK_BODIES else None) or xlsxwriter.Workbook


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
        self.strings = sheet.str_table
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

    def body(self, first_row: int, rows: Rows) -> list[str]:
        """The cells of each row (XML), made column by column where every column holds one
        kind of value (text, numbers or dates, and blanks); else row by row. Either way the
        same XML, with text given its shared-string index in row order."""
        cols = _columns(rows, len(self.prefix))
        plans = [self._plan(j, col) for j, col in enumerate(cols)]
        if None in plans:
            return [self.row(first_row + i, values) for i, values in enumerate(rows)]
        nums = [str(n) for n in range(first_row + 1, first_row + 1 + len(rows))]
        index = self._shared(cols, [j for j, plan in enumerate(plans) if plan == "text"])
        frags = []
        for j, (plan, col) in enumerate(zip(plans, cols, strict=True)):
            p, a = self.prefix[j], self.attr[j]
            if plan == "text":
                frags.append([f'{p}{n}"{a} t="s"><v>{i}</v></c>' if i is not None else ""
                              for i, n in zip(index[j], nums, strict=True)])
            elif plan == "float":
                frags.append([f'{p}{n}"{a}><v>{x:.16G}</v></c>' if x - x == 0 else ""
                              for x, n in zip(map(float, col), nums, strict=True)])
            elif plan == "number":
                frags.append([f'{p}{n}"{a}><v>{x}</v></c>' if x is not None else ""
                              for x, n in zip(map(_number, col), nums, strict=True)])
            elif plan == "date":
                xml = {d: self._date(d, a) for d in set(col) if d is not None}
                frags.append([p + n + xml[d] if d is not None else ""
                              for d, n in zip(col, nums, strict=True)])
        if len(frags) == 1:
            return frags[0]
        return list(map("".join, zip(*frags, strict=True))) if frags else [""] * len(rows)

    def _plan(self, j: int, col: Sequence[Any]) -> str | None:
        """How column ``j`` is written as a whole: empty, text, float (no blanks), number or
        date; None when it mixes kinds (or holds dates before 1900, written as text), so rows
        go one by one."""
        types = set(map(type, col))
        blanks = type(None) in types
        types.discard(type(None))
        if not types:
            return "empty"
        if types == {str}:
            return "text" if self.plain_text[j] else None
        if not blanks and all(issubclass(t, float) for t in types):
            return "float"  # (numpy's float64 too)
        if all(issubclass(t, numbers.Real) and not issubclass(t, bool) for t in types):
            return "number"
        if types <= {dt.date, dt.datetime} and all(
                d.year >= 1900 for d in set(col) if d is not None):
            return "date"
        return None

    def _shared(self, cols: Sequence[Sequence[Any]], texts: Sequence[int]
                ) -> dict[int, list[int | None]]:
        """The shared-string index of each cell of the text columns ``texts`` (None: an
        empty cell), taken in row order as a cell-by-cell write takes them."""
        if not texts:
            return {}
        cells = chain.from_iterable(zip(*(cols[j] for j in texts), strict=True))
        table = self.strings
        known = getattr(table, "string_table", None)
        if isinstance(known, dict) and getattr(table, "unique_count", None) == len(known) \
                and isinstance(getattr(table, "count", None), int):
            # _get_shared_string_index, inline: a new string's index is the table's size
            flat = [known.setdefault(v[:32767], len(known)) if v else None for v in cells]
            table.count += len(flat) - flat.count(None)
            table.unique_count = len(known)
        else:
            sst = self.sst
            flat = [sst(v[:32767]) if v else None for v in cells]
        return {j: flat[k::len(texts)] for k, j in enumerate(texts)}

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
        self._bulk_blocks: list[tuple[int, int, list[str]]] = []  # row, column, rows' XML
        self._table_ranges: list[tuple[int, int, int, int]] = []

    def add_table(self, first_row: int, first_col: int, last_row: int, last_col: int,
                  options: dict | None = None) -> int:
        """XlsxWriter visits every cell of a new table, to note it in a dict that detects
        overlapping tables (some 0.3 s for a table of 1,000,000 cells); compare rectangles
        instead, and let it visit only the header and one row (``_short_table``)."""
        cells = getattr(self, "table_cells", None)
        if not isinstance(cells, dict):
            return super().add_table(first_row, first_col, last_row, last_col, options)
        for r0, c0, r1, c1 in self._table_ranges:
            if first_row <= r1 and r0 <= last_row and first_col <= c1 and c0 <= last_col:
                raise WorkbookError("two tables overlap on one worksheet")
        self.table_cells = _NoCells()
        try:
            result = self._short_table(first_row, first_col, last_row, last_col, options)
            if result is None:
                result = super().add_table(first_row, first_col, last_row, last_col, options)
        finally:
            self.table_cells = cells
        if result == 0:
            self._table_ranges.append((first_row, first_col, last_row, last_col))
        return result

    def _short_table(self, first_row: int, first_col: int, last_row: int, last_col: int,
                     options: dict | None) -> int | None:
        """A table without a total row, column formulas or data, added by XlsxWriter as a
        header and one row, then given its whole range; None where that does not apply
        (or this XlsxWriter stores a table otherwise): the caller adds it as it is."""
        from xlsxwriter.utility import xl_range

        opts = options or {}
        short_last = first_row + 1
        if (last_row <= short_last or opts.get("total_row") or "data" in opts
                or opts.get("header_row", True) is not True
                or any(c and c.get("formula") for c in opts.get("columns", []))):
            return None
        short = xl_range(first_row, first_col, short_last, last_col)
        result = super().add_table(first_row, first_col, short_last, last_col, dict(opts))
        table = self.tables[-1] if result == 0 and self.tables else {}
        if result != 0 or table.get("range") != short or table.get("a_range") != short:
            if result == 0:
                self.tables.pop()
            return result if result != 0 else None
        whole = xl_range(first_row, first_col, last_row, last_col)
        table["range"] = table["a_range"] = whole
        if table.get("autofilter"):
            table["autofilter"] = whole
        for col in range(first_col, last_col + 1):
            if self.filter_cells.get((first_row, col)) == ("table", short):
                self.filter_cells[(first_row, col)] = ("table", whole)
        return 0

    def write_body(self, first_row: int, first_col: int, kinds: Sequence[str],
                   rows: Rows, fmts: Sequence[Any], date_fmt: Any,
                   datetime_fmt: Any) -> None:
        """Table body cells: ``rows`` row-major, ``kinds`` as for
        ``xlsx_book.cell_writer``, ``fmts`` the cell format of each column."""
        if not rows:
            return
        self._check_fits(first_row, first_col, len(rows), len(kinds))
        xml = _CellXml(self, first_col, kinds, fmts, date_fmt, datetime_fmt)
        self._bulk_blocks.append((first_row, first_col, xml.body(first_row, rows)))

    def _check_fits(self, first_row: int, first_col: int, n: int, width: int) -> None:
        last_row = first_row + n - 1
        for r, c in ((first_row, first_col), (last_row, first_col + width - 1)):
            if self._check_dimensions(r, c):
                raise WorkbookError(f"a table of {n:,} rows does not fit on one "
                                    "worksheet (1,048,576 rows at most)")

    def _bulk_cells(self) -> tuple[dict[int, str], dict[int, int],
                                   dict[int, list[tuple[int, str]]]]:
        """The bulk cells of each row: the XML of one table's cells and its first column
        (most rows), or for a row several tables share, their (column, XML) pieces."""
        one: dict[int, str] = {}
        col_of: dict[int, int] = {}
        several: dict[int, list[tuple[int, str]]] = {}
        blocks = sorted(self._bulk_blocks, key=lambda b: b[0])
        if all(a[0] + len(a[2]) <= b[0] for a, b in pairwise(blocks)):
            for r0, c0, xmls in blocks:  # no row in two tables: whole blocks at once
                one.update(zip(range(r0, r0 + len(xmls)), xmls, strict=True))
                col_of.update(dict.fromkeys(range(r0, r0 + len(xmls)), c0))
            return one, col_of, several
        for r0, c0, xmls in blocks:
            for r, x in enumerate(xmls, r0):
                if x:
                    several.setdefault(r, []).append((c0, x))
        return one, col_of, several

    def _write_rows(self) -> None:
        """The rows on close: XlsxWriter's own cells and the bulk rows, in order."""
        if not self._bulk_blocks:
            super()._write_rows()
            return
        table, info = self.table, self.row_info
        one, col_of, several = self._bulk_cells()
        # a row of bulk cells only, without a height or format of its own, is <row r="n">
        # and its cells, as _write_row writes it; such rows are written together
        plain = (self.default_row_height == self.original_row_height
                 and self.excel_version != 2010)
        pending: list[str] = []
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row_num)
            xml = one.get(row_num)
            if xml and plain and not cells and row_num not in info:
                pending.append(f'<row r="{row_num + 1}">{xml}</row>')
                continue
            segments = several.get(row_num) or ([(col_of[row_num], xml)] if xml else None)
            if not cells and not segments and row_num not in info and \
                    row_num not in self.comments:
                continue
            if pending:
                self.fh.write("".join(pending))
                pending.clear()
            self._write_any_row(row_num, cells, segments)
        self.fh.write("".join(pending))

    def _write_any_row(self, row_num: int, cells: dict | None,
                       segments: list[tuple[int, str]] | None) -> None:
        """A row as XlsxWriter writes it, its own cells and bulk cells in column order."""
        info = self.row_info.get(row_num)
        if not cells and not segments:
            self._write_empty_row(row_num, None, info)
            return
        self._write_row(row_num, None, info)
        items: list[tuple[int, Any]] = sorted(
            [*(cells or {}).items(), *(segments or ())], key=lambda item: item[0])
        for col_num, item in items:
            if isinstance(item, str):
                self.fh.write(item)
            else:
                self._write_cell(row_num, col_num, item)
        self._xml_end_tag("row")


# A shared string XlsxWriter writes as <si><t>text</t></si>: no character it escapes, no
# control character, no "_xHHHH_", no space at either end (xml:space="preserve")
_SPECIAL_TEXT = re.compile(r'_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f"&<>\n\ufffe\uffff]|^\s|\s$')


class _SharedText:
    """What the workbook's shared strings part adds to XlsxWriter's ``SharedStrings``: the
    strings written in one piece, those that need escaping through its own ``_write_si``.

    XlsxWriter writes a string that starts with "<r>" and ends with "</r>" as it stands, as
    the XML of a rich string (``write_rich_string`` stores them so): a customer named so in
    an export would put its own XML into the file, making it unreadable or shifting every
    later string onto the wrong cells. Creditdesk writes no rich strings, so such a string is
    text here, escaped like any other."""

    def _write_sst_strings(self) -> None:
        special = _SPECIAL_TEXT.search
        self.fh.write("".join([f"<si><t>{s}</t></si>" if not special(s) else self._si(s)
                               for s in self.string_table.string_array]))

    def _si(self, text: str) -> str:
        fh, self.fh = self.fh, io.StringIO()
        try:
            if text.startswith("<r>") and text.endswith("</r>"):  # no space at its ends
                self._xml_si_element(self._escape_control_characters(text))
            else:
                self._write_si(text)
            return self.fh.getvalue()
        finally:
            self.fh = fh


def _make_classes() -> tuple[type, type]:
    """The bulk worksheet and workbook classes, made on first use: XlsxWriter is imported
    only then (the package imports without it)."""
    import xlsxwriter
    from xlsxwriter.packager import Packager
    from xlsxwriter.sharedstrings import SharedStrings
    from xlsxwriter.worksheet import Worksheet

    strings = type("BulkSharedStrings", (_SharedText, SharedStrings), {})

    def _write_shared_strings_file(self: Any) -> None:  # as Packager's, with ``strings``
        sst = strings()
        sst.string_table = self.workbook.str_table
        if not self.workbook.str_table.count:
            return
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()

    packager = type("BulkPackager", (Packager,),
                    {"_write_shared_strings_file": _write_shared_strings_file})
    book = type("BulkWorkbook", (xlsxwriter.Workbook,),
                {"_get_packager": lambda self: packager()})
    return type("BulkSheet", (_BulkRows, Worksheet), {}), book
