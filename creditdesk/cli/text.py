"""The text reports of the ``creditdesk`` command, for people (``--json`` is for scripts).

Each report is a table with a header row: fixed columns sized to their values, two spaces
apart, so a long name or a nine-digit amount never runs into its neighbour (a name is cut to
``NAME_WIDTH`` characters, ending in "...", an amount never), then one column of words
(reasons, subjects) wrapped to the terminal's width under itself. The headers are those of
the results tables (``creditdesk.analysis.tables``).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

GAP = "  "
KEY_WIDTH = 24  # a customer key longer than this is cut (keys are rarely half as long)
NAME_WIDTH = 30
ELLIPSIS = "..."


@dataclass(frozen=True)
class Col:
    header: str
    right: bool = False  # numbers
    limit: int | None = None  # longer text is cut, ending in "..."


def fit(text: str, limit: int | None) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    text = " ".join(str(text).split())
    if limit is None or len(text) <= limit:
        return text
    return text[:limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def layout(cols: Sequence[Col], rows: Sequence[Sequence[object]]) -> tuple[str, list[str]]:
    """The header line and one line per row: each column as wide as its widest value."""
    cells = [[fit(str(v), c.limit) for v, c in zip(r, cols, strict=True)] for r in rows]
    widths = [max([len(c.header), *(len(r[j]) for r in cells)]) for j, c in enumerate(cols)]

    def line(values: Sequence[str]) -> str:
        return GAP.join(v.rjust(w) if c.right else v.ljust(w)
                        for v, c, w in zip(values, cols, widths, strict=True)).rstrip()

    return line([c.header for c in cols]), [line(r) for r in cells]


def width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def wrapped(head: str, text: str) -> str:
    """``head`` then ``text``, the text wrapped to the terminal (100 columns when there is
    none) under itself, or below the head when the window is too narrow for that."""
    cols = width()
    if len(head) + len(text) <= cols:
        return head + text
    indent = len(head) if cols - len(head) >= 30 else 4  # too narrow: the text goes below
    lines = textwrap.wrap(text, max(cols - indent, 20), break_on_hyphens=False,
                          break_long_words=False)
    first = head if indent == len(head) else head.rstrip() + "\n" + " " * indent
    return first + ("\n" + " " * indent).join(lines or [""])


def with_words(cols: Sequence[Col], rows: Sequence[Sequence[object]], header: str,
               words: Sequence[str]) -> list[str]:
    """A table whose last column is words: ``header`` over them, each row's wrapped."""
    head, lines = layout(cols, rows)
    pad = max([len(head), *map(len, lines)])
    out = [wrapped(head.ljust(pad) + GAP, header)]
    out += [wrapped(line.ljust(pad) + GAP, text) for line, text in zip(lines, words,
                                                                        strict=True)]
    return out


def money(x: float | None) -> str:
    return "" if x is None else f"{x:,.2f}"


# ---------------------------------------------------------------------------------------
# The reports


def customer_cols() -> list[Col]:
    from creditdesk.analysis import tables

    return [Col(tables.CUSTOMER.header, limit=KEY_WIDTH),
            Col(tables.NAME.header, limit=NAME_WIDTH)]


def ageing(doc) -> list[str]:
    """The ageing table's bucket columns and its outstanding total, in the words of its one
    definition (``creditdesk.analysis.tables``); then the KPIs of the KPI table that are not
    amounts (those are in the table above)."""
    from creditdesk.analysis import tables

    table = tables.fill(tables.AGEING, doc.customers, buckets=doc.buckets,
                        known_totals=doc.total)  # the currency is in the first line
    shown = [*table.indices("buckets"), table.index("unapplied_credits"),
             table.index("outstanding")]
    customer, name = table.index("customer"), table.index("name")
    cols = [*customer_cols(), *(Col(table.columns[j].header, right=True) for j in shown)]
    rows = [[row[customer], row[name], *(money(row[j]) for j in shown)] for row in table.rows]
    rows.append([table.total_label, "", *(money(table.totals[j]) for j in shown)])
    head, lines = layout(cols, rows)
    out = [f"Ageing as of {doc.as_of.isoformat()} in {doc.base_currency}", head, *lines]
    if doc.total.not_converted:
        out.append(f"Not converted (no FX rate into {doc.base_currency}, in no figure above): "
                   + tables.amounts_text(doc.total.not_converted))
    out.append(f"\nKPIs over the last {doc.kpis.period_days} days:")
    for kpi in tables.KPIS:
        if kpi.unit in ("days", "%") and kpi.key != "period_days":
            v = getattr(doc.kpis, kpi.key)
            label = f"{kpi.label}, {kpi.unit}"
            out.append(f"  {label:<42}{'n/a' if v is None else f'{v:,.1f}':>10}")
    return out


def check(doc) -> list[str]:
    from creditdesk.analysis import tables

    cols = [*customer_cols(), Col(tables.money_header("Exposure", doc.base_currency),
                                  right=True)]
    rows = [[r.customer, r.name, money(r.exposure)] for r in doc.customers]
    return [f"Credit checks as of {doc.as_of.isoformat()} in {doc.base_currency}",
            *with_words(cols, rows, "Decision: reasons", [r.summary for r in doc.customers])]


def score(doc) -> list[str]:
    from creditdesk.analysis import tables

    cols = [*customer_cols(), Col("Score", right=True), Col("Grade"),
            Col(tables.money_header("Recommended Limit", doc.base_currency), right=True)]
    rows = [[r.customer, r.name, "-" if r.score is None else f"{r.score:.0f}", r.grade or "-",
             money(r.recommended_limit)] for r in doc.customers]
    return [f"Payment scores as of {doc.as_of.isoformat()}",
            *with_words(cols, rows, "Reasons", ["; ".join(r.reasons) for r in doc.customers])]


def remind(doc) -> list[str]:
    """The reminders and the skipped customers; ``doc`` is the remind document, as a model
    or as its JSON dict."""
    from creditdesk.analysis.documents import RemindReport

    if not isinstance(doc, RemindReport):
        doc = RemindReport.model_validate(doc)
    out = [f"Reminders as of {doc.as_of.isoformat()}: {len(doc.reminders)} to send, "
           f"{len(doc.skipped)} skipped"]
    key = Col("Customer", limit=KEY_WIDTH)
    if doc.reminders:
        cols = [key, Col("Level"), Col("Currency"), Col("Total", right=True)]
        rows = [[r.customer, f"L{r.level}", r.currency, money(r.total)] for r in doc.reminders]
        out += with_words(cols, rows, "To, subject",
                          [f"{r.to}  {r.subject}" for r in doc.reminders])
    if doc.skipped:
        out.append("Skipped:")
        rows = [[k.customer, k.currency] for k in doc.skipped]
        out += with_words([key, Col("Currency")], rows, "Reason",
                          [k.reason for k in doc.skipped])
    return out


def plans(doc) -> list[str]:
    """Each payment plan's state and next instalment (the plan list document)."""
    from creditdesk.analysis import tables
    from creditdesk.analysis.documents import PlanReport

    if not isinstance(doc, PlanReport):
        doc = PlanReport.model_validate(doc)
    out = [f"{tables.plan_status_title(doc)}, as of {doc.as_of.isoformat()}"]
    if doc.plans:
        cols = [Col("Plan", limit=KEY_WIDTH), Col("Customer", limit=KEY_WIDTH),
                Col("Typed"), Col("Status"), Col("Paid", right=True),
                Col("Missed", right=True), Col("Next"), Col("Next amount", right=True),
                Col("Outstanding", right=True)]
        rows = [[p.plan, p.customer, p.typed_status, p.status,
                 f"{p.paid_instalments}/{p.instalments}", p.missed,
                 p.next_date.isoformat() if p.next_date else "-",
                 f"{money(p.next_amount)} {p.currency}", money(p.outstanding)]
                for p in doc.plans]
        head, lines = layout(cols, rows)
        out += [head, *lines]
    mine = [i for i in doc.issues if i.sheet == "Plans"]  # the other sheets': the reports'
    return out + (issues(mine) if mine else [])


def issues(rows: list) -> list[str]:
    from creditdesk.analysis.documents import IssueRow

    if not rows:
        return ["No issues in the workbook."]
    out = [f"{len(rows)} issue(s) in the workbook (only a bad key leaves a row out):"]
    for i in rows[:20]:
        i = i if isinstance(i, IssueRow) else IssueRow.model_validate(i)
        where = i.sheet + (f" row {i.row}" if i.row is not None else "")
        where += f", column {i.column}" if i.column else ""
        out.append(wrapped("  ", f"{where}: {i.message}"))
    if len(rows) > 20:
        out.append(f"  ... and {len(rows) - 20} more (use --json or -o for all)")
    return out
