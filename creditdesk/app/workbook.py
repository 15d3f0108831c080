"""What a send or a sync needs from a workbook: its contract tables as the backend's snapshot,
the ledger they make (for the preview, the issues and the settings), and today's reminders
split into those to send and those held.

The tables come from wherever the workbook is: ``Workbook(tables)`` takes them as read (the
add-in reads them from Excel), ``Workbook.read(path)`` from a file (the CLI, the demo; the
file library is imported then, and only then). The ledger is built on first use, so a sync
sends the tables as they are and the backend judges them.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from creditdesk.analysis.report import Analysis
from creditdesk.api.models import SnapshotIn, TableData
from creditdesk.app.reminders import Outgoing, outgoing
from creditdesk.domain.ledger import RawTable, build_ledger


def _cell(value: Any) -> str | float | int | bool | None:
    """A workbook cell as JSON: dates as ISO text, NaN and blanks as None."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    return str(value)


def table_data(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, first_row: int = 2,
               sheet: str | None = None) -> TableData:
    """One workbook table as the API takes it (dates become ISO text, NaN becomes blank)."""
    return TableData(header=["" if h is None else str(h) for h in header],
                     rows=[[_cell(v) for v in row] for row in rows],
                     first_row=first_row, sheet=sheet)


def snapshot(tables: Mapping[str, RawTable]) -> SnapshotIn:
    """The workbook's contract tables as the API's snapshot: as read, row by row (cells as
    JSON, dates as ISO text)."""
    out = {}
    for t in tables.values():
        rows = zip(*t.columns, strict=True) if t.columns else ()
        out[t.name] = table_data(t.header, rows, first_row=t.first_row, sheet=t.sheet)
    return SnapshotIn(tables=out)


@dataclass(eq=False)
class Workbook:
    """A workbook's contract tables (keyed by normalised table name, as ``read_workbook`` and
    the add-in's ``read_tables`` give them) and what sending and syncing take from them."""

    tables: dict[str, RawTable]
    as_of: dt.date | None = None  # None: Settings' As Of Date, else today

    @classmethod
    def read(cls, path: str | os.PathLike, as_of: dt.date | None = None) -> Workbook:
        """The workbook file at ``path`` (``WorkbookError`` when it cannot be read)."""
        from creditdesk.files.xlsx_read import read_workbook

        return cls(read_workbook(path), as_of)

    @cached_property
    def analysis(self) -> Analysis:
        """The ledger the tables make (``WorkbookError`` when a required table is missing)."""
        return Analysis(build_ledger(self.tables, as_of=self.as_of))

    def snapshot(self) -> SnapshotIn:
        return snapshot(self.tables)

    @cached_property
    def preview(self) -> dict:
        """Today's reminders and who is skipped, and why (``Analysis.remind_doc``)."""
        return self.analysis.remind_doc()

    @cached_property
    def outgoing(self) -> Outgoing:
        """The preview's reminders the backend can send, and those held with the reason."""
        return outgoing(self.preview["reminders"])
