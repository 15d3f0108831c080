"""Reading and writing in parts, for xlwings Lite in Excel on the web.

Excel on the web caps each Office.js request and response at 5 MB. A script that takes an
``xw.Book`` gets the values of every sheet its ``include=`` names in one read, so a Refresh
stops being possible past some 34,000 invoice rows (dates as ISO text; about 59,000 as serial
numbers; ``bench/lite_payload.py``): Excel refuses the read before Python runs. So the
generated ``main.py`` declares its scripts with ``xw.BookAsync`` (xlwings Lite's async API:
the book arrives with its structure only) and runs them through ``run``:

1. ``load_in_parts``: the included sheets' values are read from A1 to the end of each used
   range with ``await range.get_value()``, some rows at a time, each read kept under
   ``PART_BYTES`` (the next part's rows are sized from the last part's size), and given to the
   book as if Excel had sent them at once; the scripts then read the tables as they always do.
2. the script runs, unchanged (the same function as on desktop Excel), queuing its writes;
3. ``flush_in_parts``: the queued actions are sent with ``await book.flush()`` in batches
   under ``PART_BYTES``; a block of values larger than that is split into row blocks.

Nothing here runs on desktop Excel, where there is no such limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

OFFICE_JS_LIMIT = 5_000_000  # Excel on the web: each Office.js request and response
PART_BYTES = 2_000_000  # what one read or one flush aims at: well under the limit
FIRST_PART_CELLS = 50_000  # the first read of a sheet (about 0.75 MB of a typical ledger)
_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def _size(obj: Any) -> int:
    """Bytes as JSON, as JavaScript writes it (no spaces)."""
    return len(json.dumps(obj, separators=(",", ":"), default=str).encode())


def _last_cell(address: str) -> tuple[int, int]:
    """'B2:F40' -> (40, 6): the last row and column (1-based)."""
    letters, row = _CELL.fullmatch(address.split("!")[-1].split(":")[-1]).groups()
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(row), col


def _mark_loaded(sheet: Any) -> None:
    """Tell the engine this sheet's values are there (as ``await sheet.load(values=True)``
    would, which reads them in one request): xlwings 0.37.8's own marker (pinned)."""
    from xlwings.pro._xlremote import _mark_sheet_values_loaded, get_range_api

    _mark_sheet_values_loaded(sheet.api)
    get_range_api.cache_clear()


async def load_in_parts(book: Any, sheets: list[str] | None, part_bytes: int | None = None,
                        progress: Callable[[str], None] | None = None) -> list[int]:
    """Read the values of ``sheets`` (None: every sheet, as a script without ``include=``
    gets them) in parts (see the module); returns each read's size."""
    part_bytes = part_bytes or PART_BYTES
    wanted = None if sheets is None else {name.casefold() for name in sheets}
    sizes: list[int] = []
    for sheet in book.sheets:
        if wanted is not None and sheet.name.casefold() not in wanted:  # include= left it
            sheet.api.update(values=[[]], tables=[], used_range_address=None)
            _mark_loaded(sheet)
            continue
        if "used_range_address" in sheet.api:
            address = sheet.api["used_range_address"]
        else:  # a client that does not send it: ask Excel
            used = await sheet.get_used_range()
            address = used.address if used is not None else None
        if not address:
            sheet.api["values"] = [[]]
            _mark_loaded(sheet)
            continue
        last_row, last_col = _last_cell(address)
        rows_per_part = max(1, FIRST_PART_CELLS // last_col)
        values: list[list] = []
        top = 1
        while top <= last_row:
            bottom = min(last_row, top + rows_per_part - 1)
            part = await sheet.range((top, 1), (bottom, last_col)).options(
                "raw", ndim=2).get_value()
            part = [list(r) for r in (part or [])]
            size = _size(part)
            sizes.append(size)
            values.extend(part)
            if progress is not None and last_row > rows_per_part:
                progress(f"read {sheet.name} rows {top:,}-{bottom:,} of {last_row:,}")
            top = bottom + 1
            per_row = max(1.0, size / max(1, len(part)))
            rows_per_part = max(1, int(part_bytes / per_row))
        sheet.api["values"] = [["" if v is None else v for v in r] for r in values] or [[]]
        _mark_loaded(sheet)
    return sizes


def _split(action: dict, part_bytes: int) -> list[dict]:
    """A setValues larger than ``part_bytes`` as setValues of row blocks."""
    values = action.get("values")
    if action.get("func") != "setValues" or not values or _size(action) <= part_bytes:
        return [action]
    out: list[dict] = []
    block: list[list] = []
    size = 0
    start = action["start_row"]
    part_bytes = max(1, part_bytes - _size({**action, "values": []}) - 2)  # the rest of it
    for row in values:
        row_size = _size(row) + 1
        if block and size + row_size > part_bytes:
            out.append({**action, "values": block, "start_row": start,
                        "row_count": len(block)})
            start += len(block)
            block, size = [], 0
        block.append(row)
        size += row_size
    if block:
        out.append({**action, "values": block, "start_row": start, "row_count": len(block)})
    return out


def batches(actions: list[dict], part_bytes: int | None = None) -> list[list[dict]]:
    """The actions in order, in batches of at most ``part_bytes`` as JSON."""
    part_bytes = part_bytes or PART_BYTES
    out: list[list[dict]] = []
    batch: list[dict] = []
    size = 0
    for action in actions:
        for a in _split(action, part_bytes):
            n = _size(a) + 1
            if batch and size + n > part_bytes:
                out.append(batch)
                batch, size = [], 0
            batch.append(a)
            size += n
    if batch:
        out.append(batch)
    return out


async def flush_in_parts(book: Any, part_bytes: int | None = None) -> list[int]:
    """Send the queued actions in batches (see the module); returns each batch's size."""
    pending = list(book.json()["actions"])
    book.json()["actions"].clear()
    sizes = []
    for batch in batches(pending, part_bytes or PART_BYTES):
        book.json()["actions"].extend(batch)  # flush() sends and replaces this list
        sizes.append(_size({"actions": batch}))
        await book.flush()
    return sizes


async def run(book: Any, script: Callable[[Any], str], sheets: list[str] | None) -> str:
    """A script as xlwings Lite runs it on a book of structure only (``xw.BookAsync``)."""
    from creditdesk_addin.workbook import Progress

    progress = Progress(book, "reading")
    await load_in_parts(book, sheets, progress=lambda m: progress(m))
    summary = script(book)
    await flush_in_parts(book)
    return summary
