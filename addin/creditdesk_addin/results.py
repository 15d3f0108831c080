"""The result sheets in the user's workbook: the tables and the Dashboard defined once in
``creditdesk.analysis.tables`` (the results workbook file has the same), written through the
adapter (``creditdesk_addin.workbook``) as whole Excel tables that later clicks resize in
place.

Laid out for a workbook that stays open: every table starts in A1 (the Dashboard's figures in
A-D under the one-line summary of A2, its chart's data beside them); the tables have no total
row (the Dashboard has the totals); columns are fitted by Excel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from creditdesk.analysis import tables
from creditdesk.analysis.documents import (
    AgeingReport,
    CheckReport,
    HandoffRow,
    IssueRow,
    PlanReport,
    ScoreReport,
    StatementsReport,
)
from creditdesk_addin.workbook import (
    TEXT,
    Col,
    colour_positive,
    colour_words,
    column,
    cosmetic,
    get_sheet,
    write_block,
    write_table,
)

AGEING, CREDIT, DASHBOARD, ISSUES, SCORES = "Ageing", "Credit", "Dashboard", "Issues", "Scores"
STATEMENTS = "Statements"
FORMATS = {**tables.NUMBER_FORMATS, "text": TEXT}  # the number format of each column kind
AUTOFIT_ROWS = 500  # rows Excel looks at to fit a column
CHART = "CreditdeskReceivablesByAge"
CHART_DATA = (3, 6)  # Dashboard!F3: the receivables by age, the chart's data


def write_result_table(sheet: Any, table: tables.Table, top: int, left: int) -> Any:
    """A results table at (top, left) (1-based) with its number formats and colours; returns
    the data-body range (None without rows)."""
    cols = [Col(c.header, c.kind) for c in table.columns]
    body = write_table(sheet, table.name, top, left, cols, table.rows, formats=FORMATS)
    n = len(table.rows)
    for j, c in enumerate(table.columns):
        if c.colours is not None and c.colours.words:
            colour_words(column(sheet, top, left, j, n), c.colours.words)
        if c.colours is not None and c.colours.positive is not None:
            colour_positive(column(sheet, top, left, j, n), c.colours.positive)
    return body


def _freeze_customers(sheet: Any) -> None:
    """The header row and the customer's two columns stay in view."""
    cosmetic("freeze panes", lambda: sheet.freeze_panes.freeze_at(sheet.range((2, 3))))


def _autofit(sheet: Any, table: tables.Table) -> None:
    """Columns fitted to their values, up to the first column of wrapped text (reasons:
    fitting those would make them as wide as the longest)."""
    width = next((j for j, c in enumerate(table.columns) if c.wrap), len(table.columns))
    rows = min(len(table.rows), AUTOFIT_ROWS) + 1
    cosmetic("autofit", lambda: sheet.range((1, 1), (rows, width)).autofit())


def write_ageing(book: Any, report: AgeingReport) -> None:
    sheet = get_sheet(book, AGEING)
    table = tables.ageing(report)
    write_result_table(sheet, table, 1, 1)
    _freeze_customers(sheet)
    _autofit(sheet, table)


def write_credit(book: Any, report: CheckReport) -> None:
    sheet = get_sheet(book, CREDIT)
    table = tables.credit(report)
    write_result_table(sheet, table, 1, 1)
    _freeze_customers(sheet)
    _autofit(sheet, table)


def write_scores(book: Any, report: ScoreReport, check: CheckReport | None) -> None:
    sheet = get_sheet(book, SCORES)
    write_result_table(sheet, tables.scores(report, check), 1, 1)
    _freeze_customers(sheet)


def write_plans(book: Any, report: PlanReport) -> None:
    """The Plan status sheet (each payment plan's state and next instalment), under its
    title; the input is the Plans sheet."""
    sheet = get_sheet(book, tables.PLAN_STATUS_SHEET)
    write_block(sheet, 1, 1, [[tables.plan_status_title(report)]])
    write_result_table(sheet, tables.plan_status(report), 3, 1)


# The Hand-off sheet: the customer to hand off and to whom (typed by the controller, kept by
# Refresh), above the customers the hand-off rule lists.
HANDOFF_CUSTOMER, HANDOFF_TO = (2, 2), (3, 2)  # Hand-off!B2, B3
HANDOFF_TOP = 5  # the table's header row


def write_handoff(book: Any, rows: Sequence[HandoffRow], currency: str) -> Any:
    """The Hand-off sheet (``tables.HANDOFF``) under its title and the two input cells
    (what is typed in them stays); returns the sheet."""
    sheet = get_sheet(book, tables.HANDOFF_SHEET)
    write_block(sheet, 1, 1, [[tables.handoff_title(rows)]])
    write_block(sheet, 2, 1, [["Customer to hand off"], ["To (agency or legal)"]])
    write_result_table(sheet, tables.handoff(rows, currency), HANDOFF_TOP, 1)
    return sheet


def write_statements(book: Any, report: StatementsReport) -> None:
    """The Statements sheet: every statement's lines between its opening and closing
    balances (``tables.STATEMENTS``, as the CLI's statements.xlsx)."""
    sheet = get_sheet(book, STATEMENTS)
    write_result_table(sheet, tables.statements(report), 1, 1)
    _freeze_customers(sheet)


def write_issues(book: Any, issues: Sequence[IssueRow | Mapping[str, Any]]) -> None:
    """The Issues sheet: sheet, row, column and message of each problem ("No issues")."""
    sheet = get_sheet(book, ISSUES)
    table = tables.issues(issues)
    write_result_table(sheet, table, 1, 1)
    for j, c in enumerate(table.columns):
        if c.wrap and c.width:
            cosmetic("column width", lambda j=j, w=c.width:
                     setattr(sheet.range((1, 1 + j)), "column_width", w))


# ---------------------------------------------------------------------------------------
# The Dashboard


def write_dashboard(book: Any, board: tables.Dashboard) -> None:
    """The Dashboard as one block of cells (labels in A, figures in B, units in C, notes in
    D; Dashboard!A2, the summary of the last click, is left to the scripts), and the
    receivables by age as a table with a column chart of it beside."""
    sheet = get_sheet(book, DASHBOARD)
    rows, formats, colours = _dashboard_rows(board)
    # clear what an earlier, longer dashboard left below (column A-D), then write
    cosmetic("clear", lambda: sheet.range((3, 1), (len(rows) + 40, 4)).clear_contents())
    write_block(sheet, 1, 1, [rows[0]])
    write_block(sheet, 3, 1, rows[2:])
    for (first, last), fmt in formats:
        cosmetic("number format", lambda a=first, b=last, fmt=fmt:
                 setattr(sheet.range((a, 2), (b, 2)), "number_format", fmt))
    for (first, last), words in colours:
        colour_words(sheet.range((first, 1), (last, 1)), words)
    by_age = tables.receivables_by_age(board)
    write_result_table(sheet, by_age, *CHART_DATA)
    cosmetic("chart", lambda: _chart(sheet, len(by_age.rows), board.chart_title))
    cosmetic("autofit", lambda: sheet.range((3, 1), (len(rows), 7)).autofit())


def _dashboard_rows(board: tables.Dashboard
                    ) -> tuple[list[list], list[tuple[tuple[int, int], str]],
                               list[tuple[tuple[int, int], dict[str, tables.Colour]]]]:
    """The Dashboard's cells from row 1 (row 2 is the summary's); the number formats of
    column B and the colours of column A's labels, each by runs of rows (1-based)."""
    rows: list[list] = [[board.title, None, None, None], [None], [None]]
    kinds: list[str | None] = [None, None, None]
    coloured: list[tuple[int, str, tables.Colour]] = []
    for label, value in board.info:
        rows.append([label, value])
        kinds.append("date" if isinstance(value, dt.date) else None)
    for section in board.sections:
        rows += [[None], [section.heading]]
        kinds += [None, None]
        for f in section.figures:
            rows.append([f"  {f.label}" if f.indent else f.label,
                         "n/a" if f.value is None else f.value, f.unit, f.shown_note])
            kinds.append(f.kind if f.value is not None and f.kind != "any" else None)
            if f.colour is not None:
                coloured.append((len(rows), f.label, f.colour))
    formats = [(run, tables.NUMBER_FORMATS[k]) for run, k in _runs(kinds)]
    colours: list[tuple[tuple[int, int], dict[str, tables.Colour]]] = []
    for r, label, colour in coloured:
        if colours and colours[-1][0][1] == r - 1:
            (first, _), words = colours[-1]
            colours[-1] = ((first, r), {**words, label: colour})
        else:
            colours.append(((r, r), {label: colour}))
    return rows, formats, colours


def _runs(values: Sequence[Any]) -> list[tuple[tuple[int, int], Any]]:
    """Runs of equal values that are not None: ((first row, last row), value), 1-based."""
    out: list[tuple[tuple[int, int], Any]] = []
    for i, v in enumerate(values, start=1):
        if v is None:
            continue
        if out and out[-1][1] == v and out[-1][0][1] == i - 1:
            out[-1] = ((out[-1][0][0], i), v)
        else:
            out.append(((i, i), v))
    return out


def _chart(sheet: Any, n: int, title: str) -> None:
    """The chart of receivables by age: made on the first run, its data updated after (so a
    controller's changes to its look stay)."""
    top, left = CHART_DATA
    source = sheet.range((top, left), (top + n, left + 1))
    chart = next((c for c in sheet.charts if c.name == CHART), None)
    if chart is None:
        chart = sheet.charts.add(width=420, height=260, chart_type="column_clustered",
                                 source=source, name=CHART, anchor=sheet.range((top, 9)))
    else:
        chart.set_source_data(source)
    chart.title = title
