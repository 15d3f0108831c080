"""Every results table and the Dashboard, defined once: pure data and functions.

A table's columns (header, kind, number format, total, colour rule, width) are defined here
as module constants (``AGEING``, ``CREDIT``, ``SCORES``, ``REMINDERS``, ...), and a function
of the same name in lower case fills one from a document of
``creditdesk.analysis.documents``: ``ageing(report) -> Table``. The results workbook
(``creditdesk.files.xlsx_results``), the add-in (``creditdesk_addin.results``) and the CLI's
text (``creditdesk.cli.main``) write those tables; none of them names a column itself. The
same goes for the KPI table (``KPIS``: label, unit, what it means; the formulas are in
docs/kpis.md) and the Dashboard's figures (``dashboard``).

Each front end lays the tables out as suits it (where a table starts, what is frozen, how a
row is indented), and may leave a part out (the add-in draws no total row: its tables are
resized in place on every click); what a table says is decided here. No file library is
imported: this runs in xlwings Lite.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from creditdesk.analysis.documents import (
    AgeingReport,
    AuditRow,
    CheckReport,
    HandoffRow,
    IssueRow,
    PlanReport,
    RemindReport,
    Results,
    ScoreReport,
    Skipped,
    StatementsReport,
)
from creditdesk.domain.contract import normalise_header

# ---------------------------------------------------------------------------------------
# Number formats and colours

#: The results' number formats (Excel codes). Dates read the same in every locale (9/11 is
#: 9 November in London, 11 September in New York); negative amounts (credit notes,
#: unapplied cash) are red.
NUMBER_FORMATS: dict[str, str] = {
    "money": "#,##0.00;[Red]-#,##0.00",
    "int": "0",
    "one": "0.0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}

Colour = tuple[str, str]  # (fill, font), as Excel's "Good", "Neutral" and "Bad" styles
RED: Colour = ("#FFC7CE", "#9C0006")
AMBER: Colour = ("#FFEB9C", "#9C5700")
GREEN: Colour = ("#C6EFCE", "#006100")
HEADER_FILL = "#4472C4"  # a table header's colour (Table Style Medium 2)
MUTED = "#595959"  # a note's font colour

DECISION_COLOURS: dict[str, Colour] = {"Hold": RED, "Review": AMBER, "Approve": GREEN}
GRADE_COLOURS: dict[str, Colour] = {"A": GREEN, "B": GREEN, "D": AMBER, "E": RED}
SEND_COLOURS: dict[str, Colour] = {"Yes": GREEN, "No": AMBER}


@dataclass(frozen=True)
class Colours:
    """A column's colour rule: a cell equal to one of ``words`` takes its colours; with
    ``positive``, a cell above zero (at least a cent) takes those."""

    words: Mapping[str, Colour] = field(default_factory=dict)
    positive: Colour | None = None


POSITIVE_FROM = 0.004  # "above zero" for the positive rule: shown as at least 0.01


def bucket_colours(n: int) -> list[str]:
    """The bar colours of the ageing chart: green for the first bucket, then warmer."""
    warm = ["#FFD966", "#F4B183", "#ED7D31", "#C55A11", "#C00000", "#7B0000"]
    if n <= 1:
        return ["#70AD47"][:n]
    rest = n - 1
    picks = [warm[round(i * (len(warm) - 1) / max(rest - 1, 1))] for i in range(rest)]
    return ["#70AD47", *picks]


# ---------------------------------------------------------------------------------------
# Columns and tables

Kind = Literal["text", "label", "money", "int", "one", "date"]
# text: from the ledger (never a formula); label: our own words; money: 2 decimals;
# int: a whole number; one: one decimal; date: a day


@dataclass(frozen=True)
class Column:
    """One column of a results table.

    ``key`` names the document row's field the column shows (``get``, when given, computes
    the value instead). ``in_currency``: an amount in base currency, whose header says the
    currency ("Outstanding (GBP)"). ``total``: the function of the table's total row (sum,
    max). ``width``: characters (None: fitted to the values, up to ``max_width``).
    ``left``: a number aligned left like the text beside it. ``live``: a working column of
    the user's workbook only (the Reminders' Send and Status), not in a results file.
    ``per_bucket``: one such column per ageing bucket, ``header`` its header with the
    bucket's label for ``{label}`` (the Not due bucket: its label)."""

    header: str
    kind: Kind = "text"
    key: str = ""
    get: Callable[[Any], Any] | None = None
    in_currency: bool = False
    total: Literal["sum", "max"] | None = None
    wrap: bool = False
    width: float | None = None
    max_width: float = 60.0
    left: bool = False
    colours: Colours | None = None
    live: bool = False
    per_bucket: bool = False

    def value(self, row: Any) -> Any:
        return self.get(row) if self.get is not None else getattr(row, self.key)


@dataclass(frozen=True)
class TableSpec:
    """A results table's definition: its Excel table name and its columns."""

    name: str
    columns: tuple[Column, ...]
    total_label: str | None = None  # in the first column of the total row; None: no total row


@dataclass(frozen=True)
class Table:
    """A results table filled from a document: headers final, one row per document row.

    ``totals`` has a value per column for the total row (None for a column without a
    total); None when the table has no total row."""

    name: str
    columns: tuple[Column, ...]
    rows: list[list[Any]]
    totals: list[Any] | None = None
    total_label: str = ""

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def index(self, key: str) -> int:
        """The position of the (first) column showing ``key``."""
        for j, c in enumerate(self.columns):
            if c.key == key:
                return j
        raise KeyError(key)

    def indices(self, key: str) -> list[int]:
        return [j for j, c in enumerate(self.columns) if c.key == key]


def money_header(name: str, currency: str) -> str:
    """A base-currency amount's header says the currency: "Outstanding (GBP)"."""
    return f"{name} ({currency})" if currency else name


def is_not_due(label: str) -> bool:
    return normalise_header(label) == "not due"


def bucket_figure(label: str, by_due_date: bool = True) -> str:
    """An ageing bucket on the Dashboard and its chart: "1-30 days overdue", "Not due"; aged
    by invoice date: "0 days old", "1-30 days old"."""
    if is_not_due(label):
        return label
    return f"{label} days overdue" if by_due_date else f"{label} days old"


def amounts_text(amounts: Mapping[str, float] | None) -> str:
    """Amounts in their own currencies in one cell: "USD 1,250.00; JPY 5,000.00"."""
    return "; ".join(f"{c} {v:,.2f}" for c, v in sorted((amounts or {}).items()))


def join(items: Any) -> str:
    """A list of reasons or addresses in one cell: "a; b"."""
    if items is None:
        return ""
    if isinstance(items, str):
        return items
    return "; ".join(str(x) for x in items)


def _resolve(spec: TableSpec, currency: str, buckets: Sequence[str] = ()) -> list[Column]:
    """The spec's columns with their final headers: the currency said, a column per bucket."""
    out: list[Column] = []
    for c in spec.columns:
        if c.per_bucket:
            for k, label in enumerate(buckets):
                header = label if is_not_due(label) else c.header.format(label=label)
                out.append(dataclasses.replace(
                    c, header=money_header(header, currency if c.in_currency else ""),
                    get=(lambda row, k=k: _nth(row.buckets, k))))
        elif c.in_currency:
            out.append(dataclasses.replace(c, header=money_header(c.header, currency)))
        else:
            out.append(c)
    return out


def _nth(values: Sequence[Any], k: int) -> Any:
    return values[k] if k < len(values) else None


def fill(spec: TableSpec, items: Sequence[Any], currency: str = "", *,
         buckets: Sequence[str] = (), known_totals: Any = None) -> Table:
    """``spec`` filled with one row per item. With a total row, a column's total is the
    document's own figure where ``known_totals`` has one (same key; a bucket: its position),
    else the sum (or the largest) of the column."""
    columns = _resolve(spec, currency, buckets)
    rows = [[c.value(item) for c in columns] for item in items]
    totals = None
    if spec.total_label is not None:
        totals = []
        k = 0
        for j, c in enumerate(columns):
            values = [r[j] for r in rows if _is_number(r[j])]
            if not c.total:
                totals.append(None)
            elif c.per_bucket and known_totals is not None:
                totals.append(_nth(known_totals.buckets, k))
                k += 1
            elif known_totals is not None and c.key and hasattr(known_totals, c.key):
                totals.append(getattr(known_totals, c.key))
            elif c.total == "max":
                totals.append(max(values, default=0))
            else:
                totals.append(sum(values))
    return Table(spec.name, tuple(columns), rows, totals, spec.total_label or "")


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# -- the columns ----------------------------------------------------------------------

CUSTOMER = Column("Customer", key="customer")
NAME = Column("Name", key="name")
CURRENCY = Column("Currency", "label", key="currency", width=10)
REASONS = Column("Reasons", key="reasons", get=lambda r: join(r.reasons), wrap=True)

AGEING = TableSpec("Ageing", (
    CUSTOMER, NAME,
    Column("Outstanding", "money", key="outstanding", in_currency=True, total="sum"),
    Column("Overdue", "money", key="overdue", in_currency=True, total="sum"),
    # buckets past the first edge in amber, the oldest in red (set by ``ageing``)
    Column("{label} days", "money", key="buckets", in_currency=True, total="sum",
           per_bucket=True),  # "1-30 days (GBP)"; the Not due bucket: "Not due (GBP)"
    # credit notes, payments on account, overpayments: apart, so no bucket is ever negative
    Column("Unapplied Credits", "money", key="unapplied_credits", in_currency=True,
           total="sum"),
    # amounts without an FX rate, in their own currency, in no other column (their total
    # is the Dashboard's "Not converted")
    Column("Not Converted", "label", key="not_converted",
           get=lambda r: amounts_text(r.not_converted)),
    Column("Open Items", "int", key="open_items", total="sum"),
    Column("Oldest Days Overdue", "int", key="oldest_days_overdue", total="max"),
), total_label="Total")

# The decision and its reasons; the document's summary repeats them, so it is left out.
CREDIT = TableSpec("Credit", (
    CUSTOMER, NAME,
    Column("Outstanding", "money", key="outstanding", in_currency=True),
    Column("Open Orders", "money", key="open_orders", in_currency=True),
    Column("Exposure", "money", key="exposure", in_currency=True),
    Column("Credit Limit", "money", key="credit_limit", in_currency=True),
    Column("Utilisation %", "one", key="utilisation"),
    Column("Score", "int", key="score"),
    Column("Decision", "label", key="decision", width=12,
           colours=Colours(words=DECISION_COLOURS)),
    REASONS,
))

# The current credit limit (from the credit check) next to the recommended one.
SCORES = TableSpec("Scores", (
    CUSTOMER, NAME,
    Column("Score", "int", key="score"),
    Column("Grade", "label", key="grade", colours=Colours(words=GRADE_COLOURS)),
    Column("Credit Limit", "money", key="credit_limit", in_currency=True),
    Column("Recommended Limit", "money", key="recommended_limit", in_currency=True),
    Column("Limit Basis", key="limit_reason", wrap=True, max_width=70),
    Column("Days Beyond Terms", "one", key="days_beyond_terms"),
    dataclasses.replace(REASONS, max_width=80),
))

# Amounts in each reminder's own currency. Send, Status, Message Id, Detail and Key are the
# user's workbook's: untick Send, the statuses of the send come back, Key ties a row to the
# reminder previewed.
REMINDERS = TableSpec("Reminders", (
    Column("Send", "label", key="send", live=True, colours=Colours(words=SEND_COLOURS)),
    CUSTOMER, NAME, CURRENCY,
    Column("Level", "int", key="level"),
    Column("Level Name", key="level_name"),
    Column("Channel", "label", key="channel"),
    Column("To", key="to"),
    Column("CC", key="cc", get=lambda m: join(m.cc)),
    Column("Subject", key="subject"),
    Column("Invoices", "int", key="invoice_count", get=lambda m: len(m.invoices)),
    Column("Amount", "money", key="amount"),
    Column("Interest", "money", key="interest"),
    Column("Compensation", "money", key="compensation"),
    Column("Total", "money", key="total"),
    Column("Status", "label", key="status", live=True),
    Column("Message Id", key="message_id", live=True),
    Column("Detail", key="detail", live=True),
    Column("Key", "label", key="key", live=True),
))

REMINDER_INVOICES = TableSpec("ReminderInvoices", (
    Column("Customer", key="customer", get=lambda p: p[0].customer),
    Column("Currency", "label", key="currency", get=lambda p: p[0].currency, width=10),
    Column("Level", "int", key="level", get=lambda p: p[0].level),
    Column("Invoice", key="invoice", get=lambda p: p[1].invoice),
    Column("Reference", key="reference", get=lambda p: p[1].reference),  # as in the mail
    Column("Invoice Date", "date", key="invoice_date", get=lambda p: p[1].invoice_date),
    Column("Due Date", "date", key="due_date", get=lambda p: p[1].due_date),
    Column("Days Overdue", "int", key="days_overdue", get=lambda p: p[1].days_overdue),
    Column("Outstanding", "money", key="outstanding", get=lambda p: p[1].outstanding),
    Column("Interest", "money", key="interest", get=lambda p: p[1].interest),
    Column("Compensation", "money", key="compensation", get=lambda p: p[1].compensation),
))

EXCEPTION, NOT_DUE_YET = "Exception", "Not due yet"
NOT_CHASED = TableSpec("NotChased", (
    CUSTOMER, NAME, CURRENCY,
    Column("Kind", "label", key="kind",
           get=lambda s: NOT_DUE_YET if s.not_due_yet else EXCEPTION, width=14),
    Column("Reason", key="reason", wrap=True, max_width=100),
))

ISSUES = TableSpec("Issues", (
    Column("Sheet", key="sheet"),
    Column("Row", "int", key="row", width=8, left=True),
    Column("Column", key="column"),
    Column("Message", key="message", wrap=True, width=90),
))
NO_ISSUES = "No issues"

# Each payment plan on the as-of date (its own sheet: the input sheet is "Plans"). Amounts
# in the plan's currency.
PLAN_STATUS_SHEET = "Plan status"
STATUS_COLOURS: dict[str, Colour] = {"Defaulted": RED, "Active": GREEN, "Completed": GREEN,
                                     "Proposed": AMBER}
PLAN_STATUS = TableSpec("PlanStatus", (
    Column("Plan", key="plan"),
    CUSTOMER, NAME, CURRENCY,
    Column("Status (typed)", "label", key="typed_status"),
    Column("Status", "label", key="status", colours=Colours(words=STATUS_COLOURS)),
    Column("Frequency", "label", key="frequency"),
    Column("Start Date", "date", key="start"),
    Column("Instalments", "int", key="instalments"),
    Column("Paid", "int", key="paid_instalments"),
    Column("Missed", "int", key="missed"),
    Column("Total", "money", key="total"),
    Column("Paid Amount", "money", key="paid"),
    Column("Outstanding", "money", key="outstanding"),
    Column("Next Instalment", "date", key="next_date"),
    Column("Next Amount", "money", key="next_amount"),
    Column("Invoices", key="invoices", get=lambda p: join(p.invoices), wrap=True),
))


def plan_status(report: PlanReport | None) -> Table:
    return fill(PLAN_STATUS, report.plans if report is not None else [])


def plan_status_title(report: PlanReport | None) -> str:
    plans = report.plans if report is not None else []
    kept = sum(p.status == "Active" for p in plans)
    defaulted = sum(p.status == "Defaulted" for p in plans)
    return (f"Payment plans: {len(plans)}, {kept} kept (chased on their instalments), "
            f"{defaulted} defaulted (chased as usual)")


# The customers the hand-off rule lists (Hand-off Days, Hand-off Minimum, after the final
# level; docs/handoff.md), from the check document; amounts in base currency.
HANDOFF_SHEET = "Hand-off"
HANDOFF = TableSpec("Handoff", (
    CUSTOMER, NAME,
    Column("Overdue", "money", key="overdue", in_currency=True, total="sum"),
    Column("Oldest Days Overdue", "int", key="oldest_days_overdue", total="max"),
    Column("Oldest Invoice", key="oldest_invoice"),
    Column("Open Items", "int", key="open_items", total="sum"),
    Column("Final Level", key="final_level"),
    Column("Final Level Sent", "date", key="final_sent"),
), total_label="Total")


def handoff(rows: Sequence[HandoffRow] | None, currency: str = "") -> Table:
    return fill(HANDOFF, list(rows or []), currency)


def handoff_title(rows: Sequence[HandoffRow] | None) -> str:
    return (f"Due for hand-off to an agency or solicitor: {len(rows or [])} customer(s) "
            "(Settings' Hand-off Days and Hand-off Minimum, after the final level was sent); "
            "the Hand-off button or creditdesk handoff makes the pack")


# The add-in's source of its ageing chart: the Dashboard's buckets.
RECEIVABLES_BY_AGE = TableSpec("ReceivablesByAge", (
    Column("Age", "label", key="label"),
    Column("Amount", "money", key="value", in_currency=True),
))


# One row per statement line, between the statement's opening and closing balance rows;
# amounts in each statement's own currency.
STATEMENTS = TableSpec("Statements", (
    Column("Customer", key="customer", get=lambda p: p[0].customer),
    Column("Name", key="name", get=lambda p: p[0].name),
    Column("Currency", "label", key="currency", get=lambda p: p[0].currency, width=10),
    Column("Date", "date", key="date", get=lambda p: p[1].date),
    Column("Type", "label", key="type", get=lambda p: p[1].type, width=16),
    Column("Reference", key="reference", get=lambda p: p[1].reference),
    Column("Due Date", "date", key="due_date", get=lambda p: p[1].due_date),
    Column("Amount", "money", key="amount", get=lambda p: p[1].amount),
    Column("Balance", "money", key="balance", get=lambda p: p[1].balance),
))
OPENING, CLOSING = "Opening balance", "Closing balance"


@dataclass(frozen=True)
class _Balance:
    """A statement's opening or closing balance as a row of the Statements table."""

    date: dt.date
    type: str
    balance: float
    reference: str = ""
    due_date: dt.date | None = None
    amount: float | None = None


def statements(report: StatementsReport) -> Table:
    """Every statement's lines, each statement from its opening balance (activity) to its
    closing balance."""
    rows: list[tuple[Any, Any]] = []
    for s in report.statements:
        if report.kind == "activity":
            rows.append((s, _Balance(s.start, OPENING, s.opening_balance)))
        rows.extend((s, ln) for ln in s.lines)
        rows.append((s, _Balance(s.end, CLOSING, s.closing_balance)))
    return fill(STATEMENTS, rows)


# -- filled from the documents --------------------------------------------------------


def ageing(report: AgeingReport) -> Table:
    """Buckets per customer with their totals; buckets past the first edge in amber, the
    oldest in red."""
    table = fill(AGEING, report.customers, report.base_currency, buckets=report.buckets,
                 known_totals=report.total)
    columns = list(table.columns)
    buckets = table.indices("buckets")
    for k, j in enumerate(buckets):
        if k >= 2:
            colour = RED if k == len(buckets) - 1 else AMBER
            columns[j] = dataclasses.replace(columns[j], colours=Colours(positive=colour))
    return dataclasses.replace(table, columns=tuple(columns))


def credit(report: CheckReport) -> Table:
    return fill(CREDIT, report.customers, report.base_currency)


class _Scored:
    """A score row with the customer's current credit limit beside it."""

    __slots__ = ("credit_limit", "row")

    def __init__(self, row: Any, credit_limit: float | None):
        self.row, self.credit_limit = row, credit_limit

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "row"), name)


def scores(report: ScoreReport, check: CheckReport | None) -> Table:
    """The scores, with the current credit limit from the credit check's document (the one
    that carries it; None without one)."""
    limits = {c.customer: c.credit_limit for c in check.customers} if check else {}
    return fill(SCORES, [_Scored(r, limits.get(r.customer)) for r in report.customers],
                report.base_currency)


def file_spec(spec: TableSpec) -> TableSpec:
    """The table as a results file has it: without the user's working columns."""
    return dataclasses.replace(spec, columns=tuple(c for c in spec.columns if not c.live))


def reminders(report: RemindReport, keys: Sequence[str] | None = None) -> Table:
    """Today's reminders. ``keys`` (one per reminder): the user's workbook's table, with its
    working columns (Send = Yes, no status yet, the key); without: a results file's."""
    spec = REMINDERS
    if keys is None:
        return fill(file_spec(spec), report.reminders)
    fresh = [{"send": "Yes", "key": k} for k in keys]
    columns = _resolve(spec, "")
    rows = [[new.get(c.key) if c.live else c.value(m) for c in columns]
            for m, new in zip(report.reminders, fresh, strict=True)]
    return Table(spec.name, tuple(columns), rows)


def reminder_invoices(report: RemindReport) -> Table:
    return fill(REMINDER_INVOICES, [(m, ln) for m in report.reminders for ln in m.invoices])


def not_chased(report: RemindReport) -> Table:
    """The customers left out of the reminders: those left out for a reason someone should
    look at first (Exception), then those with simply nothing due yet (Not due yet)."""
    skipped = report.skipped
    ordered = ([s for s in skipped if not s.not_due_yet] + [s for s in skipped if s.not_due_yet])
    return fill(NOT_CHASED, ordered)


# The workbook's Audit table on the results' Audit sheet: the changes Sync brought back, and
# which raise of a credit limit the Credit sheet reviews (docs/workbook.md#audit).
AUDIT_SHEET = "Audit"
AUDIT = TableSpec("AuditTrail", (
    Column("Date (UTC)", key="date", width=20),
    Column("Key", key="key"),
    Column("Subject", key="subject"),
    Column("Field", key="field"),
    Column("Old", key="old", wrap=True, max_width=50),
    Column("New", key="new", wrap=True, max_width=50),
    Column("Flag", "label", key="flag", width=10, colours=Colours(words={"Review": AMBER})),
))


def audit(rows: Sequence[AuditRow] | None) -> Table:
    return fill(AUDIT, list(rows or []))


def audit_title(rows: Sequence[AuditRow] | None) -> str:
    rows = list(rows or [])
    flagged = sum(r.flag == "Review" for r in rows)
    return (f"Audit trail: {len(rows)} change(s) from the workbook's Audit table (filled by "
            f"Sync); {flagged} credit limit raise(s) for review")


def issues(rows: Sequence[IssueRow | Mapping[str, Any]]) -> Table:
    """The problems found; one row saying "No issues" when there are none."""
    table = fill(ISSUES, [r if isinstance(r, IssueRow) else IssueRow.model_validate(r)
                          for r in rows])
    if not table.rows:
        only = [None] * len(table.columns)
        only[table.index("message")] = NO_ISSUES
        table.rows.append(only)
    return table


def receivables_by_age(board: Dashboard) -> Table:
    """The Dashboard's buckets as a table (the add-in's chart is drawn from it)."""
    return fill(RECEIVABLES_BY_AGE, board.plotted, board.currency)


# The sheets of the reminders, the invoices in them and the customers not chased: one table
# each (in the results workbook and in the add-in's workbook alike), so filtering one never
# hides rows of another.
REMINDER_SHEETS = ("Reminders", "Reminder invoices")
NOT_CHASED_SHEET = "Not chased"


def reminders_title(n: int, live: bool = False) -> str:
    title = f"Reminders to send ({n}), amounts in the reminder's currency"
    return title + (": untick Send to hold one back" if live else "")


def reminder_invoices_title(n: int) -> str:
    return f"Invoices in the reminders ({n})"


def not_chased_title(n: int) -> str:
    return f"Customers not chased ({n})"


def not_chased_summary(skipped: Sequence[Skipped]) -> str:
    """How many of the customers not chased are exceptions, how many simply not due yet."""
    if not skipped:
        return "Every customer with something due gets a reminder."
    waiting = sum(s.not_due_yet for s in skipped)
    return (f"{len(skipped) - waiting} left out for a reason to check (listed first); "
            f"{waiting} simply not due for a reminder yet (listed last).")


# ---------------------------------------------------------------------------------------
# KPIs


@dataclass(frozen=True)
class Kpi:
    """A KPI as it is shown: its key in the documents, label, unit ("ccy": the base
    currency), and what it means in a line (the formulas: docs/kpis.md)."""

    key: str
    label: str
    unit: str
    note: str

    @property
    def kind(self) -> Kind:
        if self.unit == "ccy":
            return "money"
        return "int" if self.key == "period_days" else "one"


KPIS: tuple[Kpi, ...] = (
    Kpi("period_days", "KPI period", "days", "the KPIs below cover this many days up to the "
        "as-of date"),
    Kpi("credit_sales", "Credit sales in the period", "ccy", "invoices less credit notes dated "
        "in the period (net); DSO, best possible DSO and CEI use it"),
    Kpi("gross_credit_sales", "Gross credit sales", "ccy", "invoices dated in the period, "
        "before credit notes"),
    Kpi("receivables", "Receivables", "ccy", "outstanding on the as-of date"),
    Kpi("overdue", "Overdue receivables", "ccy", "debts outstanding and past the due date "
        "(unapplied credits apart)"),
    Kpi("dso_simple", "DSO (simple)", "days", "receivables / credit sales x period days"),
    Kpi("dso_countback", "DSO (countback)", "days", "months of sales counted back from the "
        "as-of date until they add up to the receivables"),
    Kpi("best_possible_dso", "Best possible DSO", "days", "debts not yet due / credit "
        "sales x period days"),
    Kpi("average_days_delinquent", "Average days delinquent (ADD)", "days",
        "DSO - best possible DSO"),
    Kpi("cei", "Collection effectiveness index (CEI)", "%", "share of what could be "
        "collected in the period that was collected; 100% is perfect"),
    Kpi("average_days_to_pay", "Average days to pay", "days", "invoice date to settlement, "
        "weighted by amount, for items settled in the period"),
    Kpi("average_days_late", "Average days late", "days", "due date to settlement, weighted "
        "by amount, for items settled in the period"),
    Kpi("percent_overdue", "Overdue share", "%", "overdue debts / all debts outstanding "
        "(unapplied credits apart), 0-100"),
)


# ---------------------------------------------------------------------------------------
# The Dashboard

DASHBOARD_TITLE = "Creditdesk results"
NOT_ENOUGH_DATA = "not enough data"


@dataclass(frozen=True)
class Figure:
    """One line of the Dashboard: a label, a figure (None: n/a), its unit, what it means.

    ``indent``: a part of the figure above (the buckets of the receivables); ``colour``: the
    label's colours (the decisions); ``plotted``: a bar of the ageing chart."""

    label: str
    value: Any
    unit: str = ""
    note: str = ""
    kind: Kind | Literal["any"] = "any"
    indent: bool = False
    colour: Colour | None = None
    plotted: bool = False

    @property
    def shown_note(self) -> str:
        """The note; for a figure there is no value for, that there is not enough data."""
        return self.note or (NOT_ENOUGH_DATA if self.value in (None, "") else "")


@dataclass(frozen=True)
class Section:
    """A block of figures under a heading. ``key``: receivables, decisions, kpis,
    reminders, issues (a front end may lay a block out its own way: the results workbook's
    chart stands beside the receivables and the decisions)."""

    key: str
    heading: str
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Dashboard:
    title: str
    info: tuple[tuple[str, Any], ...]  # the heading block: (label, value)
    sections: tuple[Section, ...]
    currency: str
    chart_title: str  # the ageing chart's

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    @property
    def plotted(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures if f.plotted]


def dashboard(results: Results, *, source_name: str | None = None,
              made: dt.datetime | None = None) -> Dashboard:
    """The Dashboard's figures: receivables by age, credit decisions, the KPIs, the
    reminders (when the remind document is there) and the issues. ``source_name`` and
    ``made`` (the input's file name, the time the results were made) are shown when given."""
    ccy = results.base_currency
    as_of = results.as_of
    info: list[tuple[str, Any]] = [("As of", as_of if as_of is not None else "n/a"),
                                   ("Base currency", ccy or "n/a")]
    if source_name is not None:
        info.append(("Source workbook", source_name))
    if made is not None:
        info.append(("Results made", made))
    sections = [_receivables(results.ageing, ccy), _decisions(results.check)]
    if results.ageing is not None:
        sections.append(_key_figures(results.ageing, ccy))
    if results.remind is not None:
        sections.append(_reminders(results.remind))
    sections.append(Section("issues", "Issues", (Figure(
        "Problems found in the workbook", len(results.all_issues()), kind="int",
        note="see the Issues sheet: each says what was done; only a row with a bad key was "
             "left out, every other row was used"),)))
    title = "Receivables by age"
    if as_of is not None:
        title += f" on {as_of.isoformat()}"
    if ccy:
        title += f" ({ccy})"
    return Dashboard(DASHBOARD_TITLE, tuple(info), tuple(sections), ccy, title)


def _receivables(report: AgeingReport | None, ccy: str) -> Section:
    total = report.total if report is not None else None
    labels = report.buckets if report is not None else []
    amounts = total.buckets if total is not None else []
    by_due = not labels or is_not_due(labels[0])
    foreign = amounts_text(total.not_converted) if total is not None else ""
    return Section("receivables", "Receivables", (
        Figure("Outstanding", total.outstanding if total else None, ccy, kind="money"),
        Figure("Overdue", total.overdue if total else None, ccy, kind="money"),
        *(Figure(bucket_figure(label, by_due), _nth(amounts, k), ccy, kind="money",
                 indent=True, plotted=True) for k, label in enumerate(labels)),
        Figure("Unapplied credits", total.unapplied_credits if total else None, ccy,
               note="credit notes, payments on account and overpayments", kind="money",
               indent=True),
        *((Figure("Not converted", foreign, kind="any",
                  note=f"no FX rate into {ccy}: in no figure above"),) if foreign else ()),
        Figure("Customers with open items", len(report.customers) if report else 0,
               "customers", kind="int"),
    ))


def _decisions(report: CheckReport | None) -> Section:
    decisions = [c.decision for c in report.customers] if report is not None else []
    return Section("decisions", "Credit decisions", tuple(
        Figure(word, decisions.count(word), "customers", kind="int", colour=colour)
        for word, colour in DECISION_COLOURS.items()))


def _key_figures(report: AgeingReport, ccy: str) -> Section:
    return Section("kpis", "Key figures", tuple(
        Figure(k.label, getattr(report.kpis, k.key), ccy if k.unit == "ccy" else k.unit,
               k.note, k.kind) for k in KPIS))


def _reminders(report: RemindReport) -> Section:
    skipped = report.skipped
    waiting = sum(s.not_due_yet for s in skipped)
    return Section("reminders", "Reminders", (
        Figure("Reminders ready to send", len(report.reminders), kind="int",
               note="one per customer and currency; see the Reminders sheet"),
        Figure("Not chased", len(skipped), kind="int",
               note=f"see the Not chased sheet: {len(skipped) - waiting} to check, {waiting} "
                    "simply not due yet"),
    ))
