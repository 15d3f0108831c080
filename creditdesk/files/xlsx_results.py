"""Writing the results workbook: Dashboard, Ageing, Credit, Scores, Reminders, Not chased,
Issues, from the CLI's JSON documents.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from creditdesk.domain import contract
from creditdesk.files.xlsx_book import (
    WIDTH_SAMPLE,
    Book,
    Col,
    Rows,
    close_workbook,
    fitted_width,
    is_number,
    new_workbook,
    target_file,
    write_value,
)
from creditdesk.files.xlsx_bulk import iso_date

KPIS: tuple[tuple[str, str, str, str], ...] = (
    # key, label, unit ("ccy" = base currency), what it means
    ("period_days", "KPI period", "days", "the KPIs below cover this many days up to the "
     "as-of date"),
    ("credit_sales", "Credit sales in the period", "ccy", "invoices dated in the period"),
    ("receivables", "Receivables", "ccy", "outstanding on the as-of date"),
    ("overdue", "Overdue receivables", "ccy", "outstanding and past the due date"),
    ("dso_simple", "DSO (simple)", "days", "receivables / credit sales x period days"),
    ("dso_countback", "DSO (countback)", "days", "months of sales counted back from the "
     "as-of date until they add up to the receivables"),
    ("best_possible_dso", "Best possible DSO", "days", "receivables not yet due / credit "
     "sales x period days"),
    ("average_days_delinquent", "Average days delinquent (ADD)", "days",
     "DSO - best possible DSO"),
    ("cei", "Collection effectiveness index (CEI)", "%", "share of what could be collected "
     "in the period that was collected; 100% is perfect"),
    ("average_days_to_pay", "Average days to pay", "days", "invoice date to settlement, "
     "weighted by amount, for items settled in the period"),
    ("average_days_late", "Average days late", "days", "due date to settlement, weighted by "
     "amount, for items settled in the period"),
    ("percent_overdue", "Overdue share", "%", "overdue receivables / receivables"),
)


def _join(items: Any) -> str:
    if items is None:
        return ""
    if isinstance(items, str):
        return items
    return "; ".join(str(x) for x in items)


def _bucket_colours(n: int) -> list[str]:
    warm = ["#FFD966", "#F4B183", "#ED7D31", "#C55A11", "#C00000", "#7B0000"]
    if n <= 1:
        return ["#70AD47"][:n]
    rest = n - 1
    picks = [warm[round(i * (len(warm) - 1) / max(rest - 1, 1))] for i in range(rest)]
    return ["#70AD47", *picks]


def _money_header(name: str, ccy: str) -> str:
    """A money column's header says the currency: "Outstanding (GBP)"."""
    return f"{name} ({ccy})" if ccy else name


def _is_not_due_label(label: str) -> bool:
    return contract.normalise_header(label) == "not due"


_NOT_DUE_YET = ("nothing due for a reminder yet", "next reminder on")


def _not_due_yet(reason: Any) -> bool:
    """Left out only because nothing is due for a reminder yet: the rule, not an exception."""
    return str(reason or "").strip().casefold().startswith(_NOT_DUE_YET)


def _wrap_width(header: str, rows: Rows, j: int, cap: float) -> float:
    """The width of a wrapped text column: its longest text, up to ``cap``."""
    return fitted_width(header, "text", [r[j] if j < len(r) else None for r in rows[:WIDTH_SAMPLE]],
                  cap=cap)


def _print_setup(ws: Any, header_row: int | None, *, one_page: bool = False) -> None:
    """Landscape, one page wide (``one_page``: one page in all), the header row on every
    page, the sheet name and page number in the footer."""
    ws.set_landscape()
    ws.fit_to_pages(1, 1 if one_page else 0)
    if header_row is not None:
        ws.repeat_rows(header_row)
    ws.set_footer("&L&A&RPage &P of &N")


def write_results(path: str | os.PathLike, docs: Mapping[str, Any], *,
                  source: str | os.PathLike | None = None, source_name: str = "",
                  made: dt.datetime | None = None) -> None:
    """The results workbook from the CLI's JSON documents (keys ageing, check, score,
    remind, issues; any may be missing): Dashboard, Ageing, Credit, Scores, Reminders,
    Not chased, Issues. ``source`` is the input workbook, which is never overwritten;
    ``source_name`` is the input's file name shown on the Dashboard (blank: none), ``made``
    the time the results were made (default: now)."""
    made = (made or dt.datetime.now()).replace(tzinfo=None, microsecond=0)
    with target_file(path, source) as tmp:
        book = Book(new_workbook(tmp), results=True)
        dashboard = book.sheet("Dashboard")
        ageing = docs.get("ageing") or {}
        check = docs.get("check") or {}
        score = docs.get("score") or {}
        remind = docs.get("remind") or {}
        issues = docs.get("issues")
        if issues is None:
            issues = ageing.get("issues") or []
        ccy = next((str(d["base_currency"]) for d in (ageing, check, score, remind)
                    if d.get("base_currency")), "")
        _ageing_sheet(book, ageing, ccy)
        _credit_sheet(book, check, ccy)
        _scores_sheet(book, score, check, ccy)
        _reminders_sheet(book, remind)
        _not_chased_sheet(book, remind.get("skipped") or [])
        _issues_sheet(book, issues)
        _dashboard(book, dashboard, docs, ageing, check, remind, issues,
                   source_name=source_name, made=made)
        dashboard.activate()
        close_workbook(book.wb, path)


DASHBOARD_WIDTHS = (36, 16, 11, 70)  # label, value, unit, note (and the chart)
CHART_ROWS = 15  # the least rows beside the chart: 300 pixels high


def _dashboard(book: Book, ws: Any, docs: Mapping[str, Any], ageing: Mapping[str, Any],
               check: Mapping[str, Any], remind: Mapping[str, Any], issues: list, *,
               source_name: str, made: dt.datetime) -> None:
    """Labels in A, figures right-aligned in B, their unit in C, what they mean in D. The
    receivables and credit decisions have no notes: the ageing chart stands in D beside
    them, at the top of the first sheet."""
    f = book.f
    head = ageing or check or docs.get("score") or remind or {}
    ccy = str(head.get("base_currency") or "")
    as_of = iso_date(head.get("as_of"))
    for c, width in enumerate(DASHBOARD_WIDTHS):
        ws.set_column(c, c, width)
    _print_setup(ws, None, one_page=True)
    ws.write_string(0, 0, "Creditdesk results", f.title)
    r = 2

    def info(label: str, value: Any) -> None:
        """The heading block: values left-aligned, as text reads."""
        nonlocal r
        ws.write_string(r, 0, label)
        if isinstance(value, dt.datetime):
            ws.write_datetime(r, 1, value, f.datetime_left)
        elif isinstance(value, dt.date) and value.year >= 1900:
            ws.write_datetime(r, 1, value, f.date_left)
        elif value is not None and value != "":
            ws.write_string(r, 1, str(value))
        r += 1

    def row(label: str, value: Any, unit: str = "", note: str = "", kind: str = "any",
            label_fmt: Any = None, quiet: bool = False) -> None:
        """A figure: right-aligned in B, its unit in C, a note in D (``quiet``: none)."""
        nonlocal r
        ws.write_string(r, 0, label, label_fmt)
        if value is None or value == "":
            ws.write_string(r, 1, "n/a", f.right)
            note = note or ("" if quiet else "not enough data")
        elif is_number(value):
            write_value(ws, r, 1, value, f, f.number(kind))
        else:
            ws.write_string(r, 1, str(value), f.right)
        if unit:
            ws.write_string(r, 2, unit, f.unit)
        if note and not quiet:
            ws.write_string(r, 3, note, f.muted)
        r += 1

    def heading(text: str, last_col: int = 3) -> None:
        nonlocal r
        r += 1
        ws.write_string(r, 0, text, f.heading)
        for c in range(1, last_col + 1):
            ws.write_blank(r, c, None, f.heading)
        r += 1

    info("As of", as_of if as_of not in (None, "") else "n/a")
    info("Base currency", ccy or "n/a")
    info("Source workbook", source_name)
    info("Results made", made)

    labels = [str(x) for x in ageing.get("buckets") or []]
    chart = bool(labels)
    beside = 2 if chart else 3  # headings stop short of the chart
    chart_top = r + 1
    heading("Receivables", beside)
    total = ageing.get("total") or {}
    row("Outstanding", total.get("outstanding"), ccy, kind="money", quiet=chart)
    row("Overdue", total.get("overdue"), ccy, kind="money", quiet=chart)
    amounts = list(total.get("buckets") or [])
    first_bucket = r
    for k, label in enumerate(labels):
        shown = label if _is_not_due_label(label) else f"{label} days overdue"
        row(shown, amounts[k] if k < len(amounts) else None, ccy, kind="money",
            label_fmt=f.indent, quiet=chart)
    last_bucket = r - 1
    row("Customers with open items", len(ageing.get("customers") or []), "customers",
        kind="int", quiet=chart)

    heading("Credit decisions", beside)
    decisions = [str(c.get("decision", "")) for c in check.get("customers") or []]
    for name, fmt in (("Hold", f.red), ("Review", f.amber), ("Approve", f.green)):
        ws.write_string(r, 0, name, fmt)
        ws.write_number(r, 1, decisions.count(name), f.int)
        ws.write_string(r, 2, "customers", f.unit)
        r += 1
    if chart:
        r = max(r, chart_top + CHART_ROWS)
        title = "Receivables by age"
        if isinstance(as_of, dt.date):
            title += f" on {as_of.isoformat()}"
        elif as_of:
            title += f" on {as_of}"
        if ccy:
            title += f" ({ccy})"
        _bucket_chart(book, ws, chart_top, r - chart_top, first_bucket, last_bucket, title)

    kpis = ageing.get("kpis") or {}
    if kpis:
        heading("Key figures")
        known = {k for k, *_ in KPIS}
        for key, label, unit, note in KPIS:
            if key not in kpis:
                continue
            kind = "money" if unit == "ccy" else ("int" if key == "period_days" else "one")
            row(label, kpis[key], ccy if unit == "ccy" else unit, note, kind)
        for key, value in kpis.items():
            if key not in known:
                row(key.replace("_", " ").capitalize(), value, kind="one")

    heading("Reminders")
    skipped = remind.get("skipped") or []
    waiting = sum(_not_due_yet(s.get("reason")) for s in skipped)
    row("Reminders ready to send", len(remind.get("reminders") or []), "",
        "one per customer and currency; see the Reminders sheet", kind="int")
    row("Not chased", len(skipped), "", f"see the Not chased sheet: {len(skipped) - waiting} "
        f"to check, {waiting} simply not due yet", kind="int")

    heading("Issues")
    row("Problems found in the workbook", len(issues), "", "see the Issues sheet; rows with "
        "a problem were left out, every other row was used", kind="int")


def _bucket_chart(book: Book, ws: Any, top: int, rows: int, first: int, last: int,
                  title: str) -> None:
    """One column per ageing bucket, from the Dashboard's own figures (labels in A, amounts
    in B, rows ``first`` to ``last``): plain numbers, so every viewer draws it. Placed in
    column D from row ``top``, ``rows`` rows high."""
    chart = book.wb.add_chart({"type": "column"})
    sheet = ws.get_name()
    colours = _bucket_colours(last - first + 1)
    chart.add_series({
        "name": "Receivables",
        "categories": [sheet, first, 0, last, 0],
        "values": [sheet, first, 1, last, 1],
        "points": [{"fill": {"color": c}, "border": {"color": c}} for c in colours],
        "gap": 60,
        "data_labels": {"value": True, "num_format": "#,##0", "font": {"size": 8}},
    })
    chart.set_title({"name": title, "name_font": {"size": 11}})
    chart.set_x_axis({"num_font": {"size": 8}})
    chart.set_y_axis({"num_format": "#,##0", "num_font": {"size": 8},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"none": True})
    width = int(DASHBOARD_WIDTHS[3] * 7 + 0.5) + 5  # the column in pixels, as Excel
    chart.set_size({"width": width - 20, "height": rows * 20 - 8})
    ws.insert_chart(top, 3, chart, {"x_offset": 12, "y_offset": 4})


def _ageing_sheet(book: Book, doc: Mapping[str, Any], ccy: str) -> None:
    ws = book.sheet("Ageing")
    labels = [str(x) for x in doc.get("buckets") or []]
    customers = doc.get("customers") or []
    nb = len(labels)
    cols = [Col("Customer"), Col("Name"),
            Col(_money_header("Outstanding", ccy), "money", "sum"),
            Col(_money_header("Overdue", ccy), "money", "sum"),
            *[Col(_money_header(label if _is_not_due_label(label) else f"{label} days", ccy),
                  "money", "sum") for label in labels],
            Col("Open Items", "int", "sum"), Col("Oldest Days Overdue", "int", "max")]
    rows = [[c.get("customer"), c.get("name"), c.get("outstanding"), c.get("overdue"),
             *(list(c.get("buckets") or []) + [None] * nb)[:nb], c.get("open_items"),
             c.get("oldest_days_overdue")] for c in customers]
    total = doc.get("total") or {}
    tb = list(total.get("buckets") or [])
    totals: dict[int, Any] = {2: total.get("outstanding", 0), 3: total.get("overdue", 0)}
    for k in range(nb):
        totals[4 + k] = tb[k] if k < len(tb) else 0
    totals[4 + nb] = sum(x for x in (c.get("open_items") for c in customers) if is_number(x))
    totals[5 + nb] = max((x for x in (c.get("oldest_days_overdue") for c in customers)
                          if is_number(x)), default=0)
    book.table(ws, "Ageing", 0, 0, cols, rows, totals=totals, total_label="Total")
    ws.freeze_panes(1, 2)
    _print_setup(ws, 0)


def _credit_sheet(book: Book, doc: Mapping[str, Any], ccy: str) -> None:
    """Decision and its reasons (the documents' summary repeats them, so it is left out)."""
    ws = book.sheet("Credit")
    f = book.f
    customers = doc.get("customers") or []
    cols = [Col("Customer"), Col("Name"), Col(_money_header("Outstanding", ccy), "money"),
            Col(_money_header("Open Orders", ccy), "money"),
            Col(_money_header("Exposure", ccy), "money"),
            Col(_money_header("Credit Limit", ccy), "money"), Col("Utilisation %", "one"),
            Col("Score", "int"), Col("Decision", width=12), Col("Reasons", "wrap")]
    rows = [[c.get("customer"), c.get("name"), c.get("outstanding"), c.get("open_orders"),
             c.get("exposure"), c.get("credit_limit"), c.get("utilisation"), c.get("score"),
             c.get("decision"), _join(c.get("reasons"))] for c in customers]
    first, last = book.table(ws, "Credit", 0, 0, cols, rows)
    ws.freeze_panes(1, 2)
    _print_setup(ws, 0)
    for word, fmt in (("Hold", f.red), ("Review", f.amber), ("Approve", f.green)):
        ws.conditional_format(first, 8, last, 8, {"type": "cell", "criteria": "==",
                                                  "value": f'"{word}"', "format": fmt})


def _scores_sheet(book: Book, doc: Mapping[str, Any], check: Mapping[str, Any],
                  ccy: str) -> None:
    """The scores, with the current credit limit (from the credit check's document, the one
    that carries it) next to the recommended one."""
    ws = book.sheet("Scores")
    limits = {c.get("customer"): c.get("credit_limit") for c in check.get("customers") or []}
    cols = [Col("Customer"), Col("Name"), Col("Score", "int"), Col("Grade"),
            Col(_money_header("Credit Limit", ccy), "money"),
            Col(_money_header("Recommended Limit", ccy), "money"),
            Col("Days Beyond Terms", "one")]
    rows = [[c.get("customer"), c.get("name"), c.get("score"), c.get("grade"),
             limits.get(c.get("customer")), c.get("recommended_limit"),
             c.get("days_beyond_terms"), _join(c.get("reasons"))]
            for c in doc.get("customers") or []]
    cols.append(Col("Reasons", "wrap", width=_wrap_width("Reasons", rows, len(cols), 80)))
    book.table(ws, "Scores", 0, 0, cols, rows)
    ws.freeze_panes(1, 2)
    _print_setup(ws, 0)


def _reminders_sheet(book: Book, doc: Mapping[str, Any]) -> None:
    """Two tables side by side (so filtering one never hides rows of the other): the
    reminders and their invoice lines. Amounts are in each reminder's own currency."""
    ws = book.sheet("Reminders")
    f = book.f
    reminders = doc.get("reminders") or []
    cols = [Col("Customer"), Col("Name"), Col("Currency", width=10), Col("Level", "int"),
            Col("Level Name"), Col("Channel"), Col("To"), Col("CC"), Col("Subject"),
            Col("Invoices", "int"), Col("Amount", "money"), Col("Interest", "money"),
            Col("Compensation", "money"), Col("Total", "money")]
    rows = [[m.get("customer"), m.get("name"), m.get("currency"), m.get("level"),
             m.get("level_name"), m.get("channel"), _join(m.get("to")), _join(m.get("cc")),
             m.get("subject"), len(m.get("invoices") or []), m.get("amount"),
             m.get("interest"), m.get("compensation"), m.get("total")] for m in reminders]
    line_cols = [Col("Customer"), Col("Currency", width=10), Col("Level", "int"),
                 Col("Invoice"), Col("Invoice Date", "date"), Col("Due Date", "date"),
                 Col("Days Overdue", "int"), Col("Outstanding", "money"),
                 Col("Interest", "money"), Col("Compensation", "money")]
    lines = [[m.get("customer"), m.get("currency"), m.get("level"), ln.get("invoice"),
              ln.get("invoice_date"), ln.get("due_date"), ln.get("days_overdue"),
              ln.get("outstanding"), ln.get("interest"), ln.get("compensation")]
             for m in reminders for ln in m.get("invoices") or []]

    left = 0
    for title, name, c, r in (
            (f"Reminders to send ({len(rows)}), amounts in the reminder's currency",
             "Reminders", cols, rows),
            (f"Invoices in the reminders ({len(lines)})", "ReminderInvoices", line_cols,
             lines)):
        ws.write_string(0, left, title, f.bold)
        book.table(ws, name, 1, left, c, r)
        left += len(c) + 1
        ws.set_column(left - 1, left - 1, 3)
    ws.freeze_panes(2, 0)
    _print_setup(ws, 1)


def _not_chased_sheet(book: Book, skipped: list[Mapping[str, Any]]) -> None:
    """The customers (per currency) left out of the reminders: those left out for a reason
    someone should look at first, then those with simply nothing due yet."""
    ws = book.sheet("Not chased")
    f = book.f
    waiting = [s for s in skipped if _not_due_yet(s.get("reason"))]
    others = [s for s in skipped if not _not_due_yet(s.get("reason"))]
    ws.write_string(0, 0, f"Customers not chased ({len(skipped)})", f.title)
    if not skipped:
        summary = "Every customer with something due gets a reminder."
    else:
        summary = (f"{len(others)} left out for a reason to check (listed first); "
                   f"{len(waiting)} simply not due for a reminder yet (listed last).")
    ws.write_string(1, 0, summary)
    rows = [[s.get("customer"), s.get("name"), s.get("currency"), kind, s.get("reason")]
            for kind, group in (("Exception", others), ("Not due yet", waiting))
            for s in group]
    cols = [Col("Customer"), Col("Name"), Col("Currency", width=10), Col("Kind", width=14),
            Col("Reason", "wrap", width=_wrap_width("Reason", rows, 4, 100))]
    book.table(ws, "NotChased", 3, 0, cols, rows)
    ws.freeze_panes(4, 0)
    _print_setup(ws, 3)


def _issues_sheet(book: Book, issues: list[Mapping[str, Any]]) -> None:
    ws = book.sheet("Issues")
    cols = [Col("Sheet"), Col("Row", "int_left", width=8), Col("Column"),
            Col("Message", "wrap", width=90)]
    rows = [[i.get("sheet"), i.get("row"), i.get("column"), i.get("message")] for i in issues]
    if not rows:
        rows = [[None, None, None, "No issues"]]
    book.table(ws, "Issues", 0, 0, cols, rows)
    ws.freeze_panes(1, 0)
    _print_setup(ws, 0)
