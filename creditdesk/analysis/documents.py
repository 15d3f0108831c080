"""The documents an analysis gives: one typed definition of every result.

These models are the ``--json`` contract of the report commands (docs/cli.md, section "JSON
documents", is checked against them by tests/unit/test_docs.py): ``as_json()`` is exactly
what ``creditdesk ageing|check|remind|score WORKBOOK --json`` prints. ``as_data()`` is the
whole document as plain data, which ``model_validate`` reads back: the same, plus what the
JSON contract leaves out (the code of each skip reason). The results workbook, the add-in's
sheets and the CLI's text read the models through their attributes.

Amounts are in base currency (reminders: in their own currency), rounded to cents at the
edge (``creditdesk.analysis.report``), never inside sums. Dates are ``datetime.date`` here
and ISO text (``2026-06-30``) in JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, create_model

from creditdesk.domain.dunning import SkipCode
from creditdesk.domain.kpis import Kpis


class Document(BaseModel):
    """A part of a result: immutable, no fields beyond those declared."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def as_data(self) -> dict[str, Any]:
        """The whole document as plain data (dates as ISO text); ``model_validate`` reads it
        back."""
        return self.model_dump(mode="json")

    def as_json(self) -> dict[str, Any]:
        """The document as the CLI prints it with ``--json`` (docs/cli.md)."""
        return self.model_dump(mode="json", exclude=self._not_in_json())

    def _not_in_json(self) -> Any:
        """The fields the JSON contract leaves out (``model_dump``'s ``exclude``)."""
        return None


class IssueRow(Document):
    """A problem found in the input: sheet, worksheet row as Excel shows it (None: the whole
    table or a setting), column header (None: none) and what is wrong."""

    sheet: str
    row: int | None
    column: str | None
    message: str


class Report(Document):
    """What every report document starts with."""

    as_of: dt.date
    base_currency: str


# -- ageing ----------------------------------------------------------------------------


class AgeingRow(Document):
    """A customer's ageing: the buckets hold its debts (never below zero); credit notes,
    payments on account and overpayments are its unapplied credits (zero or below);
    outstanding = the buckets + the unapplied credits. Amounts in a currency without an FX
    rate are in ``not_converted``, in their own currency, and in no other figure."""

    customer: str
    name: str
    outstanding: float
    overdue: float
    buckets: list[float]  # one amount per label of ``AgeingReport.buckets``
    unapplied_credits: float
    open_items: int
    oldest_days_overdue: int
    not_converted: dict[str, float] = {}  # {currency: amount in it}


class AgeingTotal(Document):
    outstanding: float
    overdue: float
    buckets: list[float]
    unapplied_credits: float
    not_converted: dict[str, float] = {}


# The KPI figures are the fields of ``creditdesk.domain.kpis.Kpis``, defined there once (net
# credit sales: invoices less credit notes dated in the period; gross: invoices only).
KpiFigures = create_model(
    "KpiFigures", __base__=Document, __module__=__name__,
    **{name: (kind, ...) for name, kind in get_type_hints(Kpis).items()})
KpiFigures.__doc__ = ("The KPIs of docs/kpis.md, keyed as in JSON; None where a denominator "
                      "is zero.")


class AgeingReport(Report):
    """``ageing --json``: buckets per customer with open items (largest first), totals, KPIs."""

    buckets: list[str]
    customers: list[AgeingRow]
    total: AgeingTotal
    kpis: KpiFigures
    issues: list[IssueRow]


# -- credit check ----------------------------------------------------------------------


Decision = Literal["Approve", "Review", "Hold"]


class CheckRow(Document):
    customer: str
    name: str
    outstanding: float
    open_orders: float
    exposure: float
    credit_limit: float | None  # None: no limit set
    utilisation: float | None  # % of the limit
    score: float | None
    decision: Decision
    reasons: list[str]
    summary: str  # "HOLD: exposure 118% of limit ...; ..."


class HandoffRow(Document):
    """A customer the hand-off rule lists (Settings' Hand-off Days and Hand-off Minimum,
    after the final dunning level was sent; docs/handoff.md). Amounts in base currency."""

    customer: str
    name: str
    overdue: float
    oldest_days_overdue: int
    oldest_invoice: str
    open_items: int
    final_level: str
    final_sent: dt.date


class CheckReport(Report):
    """``check --json``: customers with open items, a limit or open orders; Hold first. And
    the customers the hand-off rule lists (``handoff``), most overdue first."""

    customers: list[CheckRow]
    handoff: list[HandoffRow] = []
    issues: list[IssueRow]


class OrderCheck(Document):
    """``check --customer C --order A --json``: the decision for one proposed order."""

    customer: str
    order_amount: float
    exposure: float
    decision: Decision
    reasons: list[str]
    summary: str
    issues: list[IssueRow] = []


# -- score -----------------------------------------------------------------------------


class ScoreRow(Document):
    customer: str
    name: str
    score: float | None  # 1-100; None without settled history
    grade: str
    recommended_limit: float | None
    limit_reason: str  # how the recommended limit was reached ("" without a score)
    days_beyond_terms: float | None
    reasons: list[str]


class ScoreReport(Report):
    """``score --json``: every customer, best score first."""

    customers: list[ScoreRow]
    issues: list[IssueRow]


# -- reminders -------------------------------------------------------------------------


class ReminderLine(Document):
    invoice: str
    reference: str = ""
    invoice_date: dt.date
    due_date: dt.date
    days_overdue: int
    status: str
    outstanding: float
    interest: float
    compensation: float


class Reminder(Document):
    """One consolidated message: a customer, a currency, its level, its invoices. Amounts
    in the reminder's own currency."""

    customer: str
    name: str
    currency: str
    level: int
    level_name: str
    channel: str
    template: str
    language: str
    to: str
    cc: str
    subject: str
    text: str
    html: str
    invoices: list[ReminderLine]
    amount: float  # what is asked for: the overdue items net of credit notes
    interest: float
    compensation: float
    total: float


class Skipped(Document):
    """A customer (in one currency) left out of today's reminders, and why: in words
    (``reason``) and as a code (``code``; not in ``--json``, whose contract has the words)."""

    customer: str
    name: str
    currency: str
    reason: str
    code: SkipCode

    @property
    def not_due_yet(self) -> bool:
        """Left out only because nothing is due for a reminder yet: the rule, not an
        exception."""
        return self.code.not_due_yet


class RemindReport(Report):
    """``remind --json``: today's reminders and the customers skipped, each with why."""

    reminders: list[Reminder]
    skipped: list[Skipped]
    issues: list[IssueRow]

    def _not_in_json(self) -> Any:
        return {"skipped": {"__all__": {"code"}}}


# -- plans -----------------------------------------------------------------------------


class PlanRow(Document):
    """A payment plan on the as-of date: the status typed in the Plans table and the one
    computed (an Active plan becomes Completed or Defaulted), instalments paid and missed,
    the next instalment (None: all paid) and what is left of it (plan currency)."""

    plan: str
    customer: str
    name: str
    currency: str
    typed_status: str
    status: str
    frequency: str
    start: dt.date
    instalments: int
    paid_instalments: int
    missed: int
    total: float
    paid: float
    outstanding: float  # what the covered invoices still owe
    next_date: dt.date | None
    next_amount: float
    invoices: list[str]


class PlanReport(Report):
    """``plan list --json``: every usable row of the Plans table, in table order."""

    plans: list[PlanRow]
    issues: list[IssueRow]


# -- interest --------------------------------------------------------------------------


class InterestReport(Document):
    """``interest --json``: statutory interest and fixed compensation on one debt."""

    law: str
    amount: float
    due: dt.date
    paid: dt.date
    rate: float  # annual % applied
    days: int
    interest: float
    compensation: float
    compensation_currency: str
    reference_date: dt.date | None
    warnings: list[str]


# -- statements of account -------------------------------------------------------------


class StatementLine(Document):
    """A transaction of a statement: a debt positive, a payment or credit negative;
    ``balance`` is the running balance after it. ``due_date``: invoices and credit notes."""

    date: dt.date
    type: str  # Invoice, Credit note, Payment, Credit applied
    reference: str  # the invoice, credit note or payment's number
    amount: float
    balance: float
    due_date: dt.date | None = None


class AgeingBand(Document):
    label: str  # a bucket of the workbook's (Settings' Bucket Edges), or Unapplied credits
    amount: float


class Statement(Document):
    """A statement of account of one customer in one currency (amounts in that currency):
    opening_balance + the lines = closing_balance = the ageing's outstanding on ``end``;
    ``ageing``: the closing balance in the workbook's buckets, then the unapplied credits."""

    customer: str
    name: str
    account: str  # the customer's account number (its key where none is given)
    address: list[str]
    currency: str
    start: dt.date
    end: dt.date
    opening_balance: float
    lines: list[StatementLine]
    closing_balance: float
    ageing: list[AgeingBand]

    @property
    def amount_due(self) -> float:
        return max(self.closing_balance, 0.0)


class Company(Document):
    """Who the statements are from (Settings); None: not set, and not shown."""

    name: str
    email: str | None = None
    phone: str | None = None
    payment_details: str | None = None
    envelope_window: Literal["UK DL", "DIN 5008"] = "UK DL"  # where the address is printed


StatementKind = Literal["activity", "open-items"]


class StatementsReport(Document):
    """``statements --json``: one statement per customer and currency."""

    kind: StatementKind
    start: dt.date
    end: dt.date
    company: Company
    statements: list[Statement]


# -- letters ---------------------------------------------------------------------------


class Charge(Document):
    """Interest or compensation added to the debt, as a line of the statement a letter before
    action encloses: on the letter's date, for one invoice, with how it was computed."""

    date: dt.date
    type: Literal["Interest", "Compensation"]
    reference: str  # the invoice
    amount: float
    how: str  # how it was computed, in a sentence


class BeforeAction(Document):
    """What a letter before action adds (docs/letters.md), by the Debtor Type: the rules it
    follows, the period to reply and its last day, whether interest or other charges
    continue, what is enclosed, what the debtor should do, and where to reply. Under the
    Pre-Action Protocol (an Individual or Sole Trader) the letter encloses the up-to-date
    statement of account (``statement``: its open items on the letter's date, then
    ``charges``, the interest and compensation the letter claims, and ``not_claimed``, what
    of the balance the letter does not claim, to a total of ``claimed``: the letter's total),
    printed as pages of the same PDF."""

    debtor_type: Literal["Business", "Individual", "Sole Trader"]
    rules: str  # the Pre-Action Protocol for Debt Claims, or the Practice Direction
    source: str  # where the rules are published
    reply_days: int
    reply_by: dt.date
    interest: str  # whether interest or other charges continue, in a sentence
    paragraphs: list[str]  # the letter's before-action text
    enclosures: list[str]  # the titles of what is enclosed (none for a business)
    steps: list[str]  # what the debtor should do (an Individual's page; none for a business)
    reply_address: list[str]  # where to reply: the company's name, address, e-mail
    statement: Statement | None = None
    charges: list[Charge] = []  # the interest and compensation claimed, per invoice
    not_claimed: float = 0.0  # of the statement's balance: items the letter does not claim
    claimed: float = 0.0  # the letter's total: the balance - not_claimed + the charges


class Letter(Document):
    """A reminder whose level's Channel is Letter, as a printed letter: the reminder's text,
    its invoices, and how its interest and compensation were computed (``computation``:
    one sentence per invoice that carries either; empty when none does)."""

    customer: str
    name: str
    account: str
    address: list[str]
    currency: str
    level: int
    level_name: str
    reference: str  # what the customer quotes: ACCOUNT-L{level}-YYYYMMDD
    subject: str
    text: str
    invoices: list[ReminderLine]
    amount: float
    interest: float
    compensation: float
    total: float
    computation: list[str]
    before_action: BeforeAction | None = None  # the final level as a letter before action
    # a letter before action's text after its own section (the template's sign-off; ``text``
    # is what comes before it): where {before_action} stands, else the last paragraph
    closing: str = ""


class LettersReport(Document):
    """``letters --json``: today's letters, one per customer and currency."""

    date: dt.date
    company: Company
    letters: list[Letter]


# -- the hand-off pack ----------------------------------------------------------------


class Debtor(Document):
    """Who the pack is about, from Customers."""

    customer: str
    name: str
    contact_name: str
    account: str
    address: list[str]
    email: str
    cc: str
    phone: str


class ContactEvent(Document):
    """One contact with the debtor: a row of the workbook's History table or an event of the
    backend (``source``). ``deliveries``: for a sent mail, the delivery, bounce and
    complaint events with its message id ("delivery 2026-06-01", ...)."""

    date: dt.date
    type: str  # Reminder, Delivery, Bounce, Complaint, Promise, Dispute, Note, Plan, Hand-off
    channel: str  # Email, Letter or "" (recorded, not sent)
    level: int | None = None
    currency: str = ""
    email: str = ""
    message_id: str = ""
    note: str = ""
    event_id: str = ""
    source: Literal["workbook", "backend"] = "workbook"
    deliveries: list[str] = []


class OpenItem(Document):
    """An open item on the as-of date (its own currency)."""

    invoice: str
    type: str  # Invoice, Credit note, Payment
    invoice_date: dt.date
    due_date: dt.date
    currency: str
    amount: float
    outstanding: float
    days_overdue: int
    disputed: bool
    reference: str


class ClaimLine(Document):
    """An overdue invoice's claim: principal, interest and compensation (its currency),
    rounded to cents; ``rate``: annual %, None when no interest is claimed."""

    invoice: str
    currency: str
    principal: float
    due_date: dt.date
    days: int
    rate: float | None
    interest: float
    compensation: float
    law: str  # UK, EU, Contract or None


class CurrencyTotal(Document):
    """A currency's figures of the pack."""

    currency: str
    outstanding: float  # the open items, credits netted
    overdue: float  # undisputed overdue debts
    interest: float
    compensation: float
    claim: float  # overdue + interest + compensation


class HandoffPack(Document):
    """``handoff --json``: what the zip for an agency or solicitor holds (docs/handoff.md)."""

    as_of: dt.date
    to: Literal["agency", "legal"]
    status: str  # the Collection Status set: With agency or Legal
    company: Company
    debtor: Debtor
    open_items: list[OpenItem]
    claims: list[ClaimLine]
    totals: list[CurrencyTotal]
    oldest: OpenItem | None
    history: list[ContactEvent]
    history_source: str  # where the contact history came from, in words
    statements_from: dt.date  # the activity statements' first day
    files: list[str] = []  # the zip's members, once written


# -- all of them -----------------------------------------------------------------------


class AuditRow(Document):
    """A row of the workbook's Audit table (the audit trail Sync writes); ``flag`` is Review
    on the customer's latest Credit Limit change when it is a raise the credit check flags
    (Limit Raise Review), else blank."""

    date: str
    key: str
    subject: str
    field: str
    old: str
    new: str
    flag: str = ""


class Results(Document):
    """Everything the results workbook shows; any part may be missing."""

    ageing: AgeingReport | None = None
    check: CheckReport | None = None
    score: ScoreReport | None = None
    remind: RemindReport | None = None
    issues: list[IssueRow] | None = None  # every issue, reminders' included
    plans: PlanReport | None = None
    audit: list[AuditRow] | None = None  # the workbook's Audit table

    @property
    def base_currency(self) -> str:
        return next((d.base_currency for d in (self.ageing, self.check, self.score,
                                               self.remind) if d is not None), "")

    @property
    def as_of(self) -> dt.date | None:
        return next((d.as_of for d in (self.ageing, self.check, self.score, self.remind)
                     if d is not None), None)

    def all_issues(self) -> list[IssueRow]:
        """The issues to list: ``issues``, else the ageing document's."""
        if self.issues is not None:
            return self.issues
        return self.ageing.issues if self.ageing is not None else []


REPORTS: dict[str, type[Report]] = {"ageing": AgeingReport, "check": CheckReport,
                                    "score": ScoreReport, "remind": RemindReport}
