"""Writing the results workbook: Dashboard, Ageing, Credit, Scores, Reminders, Reminder
invoices, Not chased, Issues, from the documents of an analysis
(``creditdesk.analysis.documents.Results``).

What each sheet says (columns, headers, number formats, totals, colours, the Dashboard's
figures) is defined once in ``creditdesk.analysis.tables``, which the add-in writes into the
user's workbook too; here is how a results file lays it out: each table an Excel table,
frozen headers, printed landscape one page wide, the ageing chart beside the Dashboard's
receivables.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from creditdesk.analysis import tables
from creditdesk.analysis.documents import Results, StatementsReport
from creditdesk.files.xlsx_book import (
    Book,
    Col,
    close_workbook,
    is_number,
    new_workbook,
    print_setup,
    target_file,
    write_value,
)

REMINDERS_SHEET, REMINDER_INVOICES_SHEET = tables.REMINDER_SHEETS
DASHBOARD_WIDTHS = (36, 16, 11, 70)  # label, value, unit, note (and the chart)
CHART_ROWS = 15  # the least rows beside the chart: 300 pixels high


def write_results(path: str | os.PathLike, results: Results | Mapping[str, Any], *,
                  source: str | os.PathLike | None = None, source_name: str = "",
                  made: dt.datetime | None = None) -> None:
    """The results workbook from an analysis' documents (``Analysis.results()``, or the
    same as the JSON dict of ``Analysis.all_docs()``; any document may be missing):
    Dashboard, Ageing, Credit, Scores, Reminders, Reminder invoices, Not chased, Plan status,
    Audit, Issues.
    ``source`` is the
    input workbook, which is never overwritten; ``source_name`` is the input's file name
    shown on the Dashboard (blank: none), ``made`` the time the results were made (default:
    now)."""
    if not isinstance(results, Results):
        results = Results.model_validate(results)
    made = (made or dt.datetime.now()).replace(tzinfo=None, microsecond=0)
    with target_file(path, source) as tmp:
        book = Book(new_workbook(tmp), results=True)
        dashboard = book.sheet("Dashboard")
        _result_sheets(book, results)
        _Dashboard(book, dashboard).write(tables.dashboard(
            results, source_name=source_name, made=made))
        dashboard.activate()
        close_workbook(book.wb, path)


def write_statements(path: str | os.PathLike, report: StatementsReport, *,
                     source: str | os.PathLike | None = None) -> None:
    """A results workbook with the statements' figures on one Statements sheet (the table
    of ``creditdesk.analysis.tables.STATEMENTS``), a title above it."""
    with target_file(path, source) as tmp:
        book = Book(new_workbook(tmp), results=True)
        ws = book.sheet("Statements")
        kind = "Statements of account" if report.kind == "activity" else "Open items"
        ws.write_string(0, 0, f"{kind} {report.start.isoformat()} to "
                        f"{report.end.isoformat()}: {len(report.statements)} statements",
                        book.f.bold)
        _write_table(book, ws, tables.statements(report), 1, 0)
        ws.freeze_panes(2, 3)
        print_setup(ws, 1)
        close_workbook(book.wb, path)


def _audit_sheet(book: Book, rows) -> None:
    ws = book.sheet(tables.AUDIT_SHEET)
    ws.write_string(0, 0, tables.audit_title(rows), book.f.title)
    _write_table(book, ws, tables.audit(rows), 2, 0)
    ws.freeze_panes(3, 0)
    print_setup(ws, 2)


def _result_sheets(book: Book, r: Results) -> None:
    """Every sheet after the Dashboard; a missing document gives its sheet an empty table."""
    ccy = r.base_currency
    _table_sheet(book, "Ageing", tables.ageing(r.ageing) if r.ageing else
                 tables.fill(tables.AGEING, [], ccy))
    _table_sheet(book, "Credit", tables.credit(r.check) if r.check else
                 tables.fill(tables.CREDIT, [], ccy))
    _table_sheet(book, "Scores", tables.scores(r.score, r.check) if r.score else
                 tables.fill(tables.SCORES, [], ccy))
    if r.remind is not None:
        _reminders_sheet(book, tables.reminders(r.remind), tables.reminder_invoices(r.remind))
        _not_chased_sheet(book, tables.not_chased(r.remind),
                          tables.not_chased_summary(r.remind.skipped))
    else:
        _reminders_sheet(book, tables.fill(tables.file_spec(tables.REMINDERS), []),
                         tables.fill(tables.REMINDER_INVOICES, []))
        _not_chased_sheet(book, tables.fill(tables.NOT_CHASED, []),
                          tables.not_chased_summary([]))
    _plan_sheet(book, r.plans)
    _handoff_sheet(book, r.check, r.base_currency)
    _audit_sheet(book, r.audit)
    _table_sheet(book, "Issues", tables.issues(r.all_issues()), freeze_columns=0)


# ---------------------------------------------------------------------------------------
# The tables


def _cols(table: tables.Table) -> list[Col]:
    """The table's columns as the file writes them."""
    def kind(c: tables.Column) -> str:
        if c.kind in ("text", "label"):
            return "wrap" if c.wrap else "text"
        if c.kind == "int" and c.left:
            return "int_left"
        return c.kind
    return [Col(c.header, kind(c), c.total, c.width, c.max_width) for c in table.columns]


def _write_table(book: Book, ws: Any, table: tables.Table, top: int, left: int) -> None:
    """A results table as an Excel table at (top, left), with its total row and its colours."""
    f = book.f
    totals = None
    if table.totals is not None:
        totals = {j: v for j, v in enumerate(table.totals) if v is not None}
    first, last = book.table(ws, table.name, top, left, _cols(table), table.rows,
                             totals=totals, total_label=table.total_label or None)
    last_data = last - 1 if totals is not None else last
    for j, c in enumerate(table.columns):
        if c.colours is None:
            continue
        for word, colour in c.colours.words.items():
            ws.conditional_format(first, left + j, last_data, left + j, {
                "type": "cell", "criteria": "==", "value": f'"{word}"',
                "format": f.colours[colour]})
        if c.colours.positive is not None:
            ws.conditional_format(first, left + j, last_data, left + j, {
                "type": "cell", "criteria": ">", "value": tables.POSITIVE_FROM,
                "format": f.colours[c.colours.positive]})


def _table_sheet(book: Book, name: str, table: tables.Table, *, freeze_columns: int = 2
                 ) -> None:
    """A sheet holding one table from A1: its header row frozen, and the customer columns."""
    ws = book.sheet(name)
    _write_table(book, ws, table, 0, 0)
    ws.freeze_panes(1, freeze_columns)
    print_setup(ws, 0)


def _reminders_sheet(book: Book, reminders: tables.Table, lines: tables.Table) -> None:
    """The reminders and their invoice lines, each table on its own sheet under its title
    (``REMINDERS_SHEET``, ``REMINDER_INVOICES_SHEET``). Side by side, Excel's filter of one
    table would hide whole worksheet rows, and so rows of the other; on their own sheets
    each filters, sorts, freezes and prints with its own header. Amounts are in each
    reminder's own currency."""
    for sheet, title, table in (
            (REMINDERS_SHEET, tables.reminders_title(len(reminders.rows)), reminders),
            (REMINDER_INVOICES_SHEET, tables.reminder_invoices_title(len(lines.rows)), lines)):
        ws = book.sheet(sheet)
        ws.write_string(0, 0, title, book.f.bold)
        _write_table(book, ws, table, 1, 0)
        ws.freeze_panes(2, 0)
        print_setup(ws, 1)


def _plan_sheet(book: Book, report) -> None:
    """Each payment plan's state and next instalment, under a title."""
    ws = book.sheet(tables.PLAN_STATUS_SHEET)
    ws.write_string(0, 0, tables.plan_status_title(report), book.f.title)
    _write_table(book, ws, tables.plan_status(report), 2, 0)
    ws.freeze_panes(3, 1)
    print_setup(ws, 2)


def _handoff_sheet(book: Book, check, currency: str) -> None:
    """The customers the hand-off rule lists, under a title."""
    rows = check.handoff if check is not None else []
    ws = book.sheet(tables.HANDOFF_SHEET)
    ws.write_string(0, 0, tables.handoff_title(rows), book.f.title)
    _write_table(book, ws, tables.handoff(rows, currency), 2, 0)
    ws.freeze_panes(3, 1)
    print_setup(ws, 2)


def _not_chased_sheet(book: Book, table: tables.Table, summary: str) -> None:
    """The customers (per currency) left out of the reminders, under a title and a line
    saying how many are exceptions and how many simply not due yet."""
    ws = book.sheet(tables.NOT_CHASED_SHEET)
    ws.write_string(0, 0, tables.not_chased_title(len(table.rows)), book.f.title)
    ws.write_string(1, 0, summary)
    _write_table(book, ws, table, 3, 0)
    ws.freeze_panes(4, 0)
    print_setup(ws, 3)


# ---------------------------------------------------------------------------------------
# The Dashboard


class _Dashboard:
    """The Dashboard sheet, written top down: labels in A, figures right-aligned in B, their
    unit in C, what they mean in D. The receivables and credit decisions have no notes: the
    ageing chart stands in D beside them, at the top of the first sheet."""

    def __init__(self, book: Book, ws: Any):
        self.book, self.ws, self.f = book, ws, book.f
        self.r = 0  # the next row
        self.plotted: list[int] = []  # rows of the chart's figures

    def write(self, board: tables.Dashboard) -> None:
        self.setup()
        self.title(board.title)
        self.info(board.info)
        chart = bool(board.plotted)
        beside = [s for s in board.sections if s.key in ("receivables", "decisions")]
        chart_top = self.r + 1
        for section in beside:
            self.section(section, beside_chart=chart)
        if chart:
            self.r = max(self.r, chart_top + CHART_ROWS)
            self.chart(board, chart_top, self.r - chart_top)
        for section in board.sections:
            if section.key not in ("receivables", "decisions"):
                self.section(section)

    def setup(self) -> None:
        for c, width in enumerate(DASHBOARD_WIDTHS):
            self.ws.set_column(c, c, width)
        print_setup(self.ws, None, one_page=True)

    def title(self, text: str) -> None:
        self.ws.write_string(0, 0, text, self.f.title)
        self.r = 2

    def info(self, rows: tuple[tuple[str, Any], ...]) -> None:
        """The heading block: values left-aligned, as text reads."""
        ws, f = self.ws, self.f
        for label, value in rows:
            ws.write_string(self.r, 0, label)
            if isinstance(value, dt.datetime):
                ws.write_datetime(self.r, 1, value, f.datetime_left)
            elif isinstance(value, dt.date) and value.year >= 1900:
                ws.write_datetime(self.r, 1, value, f.date_left)
            elif value is not None and value != "":
                ws.write_string(self.r, 1, str(value))
            self.r += 1

    def section(self, section: tables.Section, *, beside_chart: bool = False) -> None:
        """A heading, then its figures; beside the chart the heading stops short of it and
        the figures go without notes."""
        self.heading(section.heading, 2 if beside_chart else 3)
        for figure in section.figures:
            self.figure(figure, quiet=beside_chart)

    def heading(self, text: str, last_col: int) -> None:
        self.r += 1
        self.ws.write_string(self.r, 0, text, self.f.heading)
        for c in range(1, last_col + 1):
            self.ws.write_blank(self.r, c, None, self.f.heading)
        self.r += 1

    def figure(self, fig: tables.Figure, *, quiet: bool = False) -> None:
        """A figure: right-aligned in B ("n/a" without one), its unit in C, a note in D
        (``quiet``: none)."""
        ws, f, r = self.ws, self.f, self.r
        label_fmt = (f.colours[fig.colour] if fig.colour is not None
                     else f.indent if fig.indent else None)
        ws.write_string(r, 0, fig.label, label_fmt)
        if fig.value is None or fig.value == "":
            ws.write_string(r, 1, "n/a", f.right)
        elif is_number(fig.value):
            write_value(ws, r, 1, fig.value, f, f.number(fig.kind))
        else:
            ws.write_string(r, 1, str(fig.value), f.right)
        if fig.unit:
            ws.write_string(r, 2, fig.unit, f.unit)
        if fig.shown_note and not quiet:
            ws.write_string(r, 3, fig.shown_note, f.muted)
        if fig.plotted:
            self.plotted.append(r)
        self.r += 1

    def chart(self, board: tables.Dashboard, top: int, rows: int) -> None:
        """One column per ageing bucket, from the Dashboard's own figures (labels in A,
        amounts in B): plain numbers, so every viewer draws it. Placed in column D from row
        ``top``, ``rows`` rows high."""
        first, last = self.plotted[0], self.plotted[-1]
        chart = self.book.wb.add_chart({"type": "column"})
        sheet = self.ws.get_name()
        colours = tables.bucket_colours(last - first + 1)
        chart.add_series({
            "name": "Receivables",
            "categories": [sheet, first, 0, last, 0],
            "values": [sheet, first, 1, last, 1],
            "points": [{"fill": {"color": c}, "border": {"color": c}} for c in colours],
            "gap": 60,
            "data_labels": {"value": True, "num_format": "#,##0", "font": {"size": 8}},
        })
        chart.set_title({"name": board.chart_title, "name_font": {"size": 11}})
        chart.set_x_axis({"num_font": {"size": 8}})
        chart.set_y_axis({"num_format": "#,##0", "num_font": {"size": 8},
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_legend({"none": True})
        width = int(DASHBOARD_WIDTHS[3] * 7 + 0.5) + 5  # the column in pixels, as Excel
        chart.set_size({"width": width - 20, "height": rows * 20 - 8})
        self.ws.insert_chart(top, 3, chart, {"x_offset": 12, "y_offset": 4})
