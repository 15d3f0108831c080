"""Statements of account as documents (``creditdesk.analysis.documents.StatementsReport``):
the figures of ``creditdesk.domain.statements``, rounded to cents here, at the edge, with the
customer's name, account and address and the company's header from Settings.

The default period is the as-of date's month: from its first day to the as-of date.
"""

from __future__ import annotations

import datetime as dt

from creditdesk.analysis.documents import (
    AgeingBand,
    Company,
    Statement,
    StatementKind,
    StatementLine,
    StatementsReport,
)
from creditdesk.domain import statements as domain
from creditdesk.domain.interest import round_money
from creditdesk.domain.ledger import Ledger

UNAPPLIED = "Unapplied credits"


def default_start(end: dt.date) -> dt.date:
    """The first day of the statement's month."""
    return end.replace(day=1)


def company(ledger: Ledger) -> Company:
    """The statements' sender from Settings. Phone and Payment Details are read when the
    Settings model has them (they come with issue 11's settings)."""
    s = ledger.settings
    return Company(name=s.company_name, email=s.reply_to or s.sender_email,
                   phone=s.phone, payment_details=s.payment_details,
                   envelope_window=s.envelope_window)


def account_of(ledger: Ledger, i: int) -> str:
    """The customer's account number: Account Number, else its key."""
    return ledger.customers.account_of(i)


def statements_report(ledger: Ledger, start: dt.date | None = None,
                      kind: StatementKind = "activity", customer: str | None = None
                      ) -> StatementsReport:
    """The statements from ``start`` (default: the first of the as-of month) to the
    ledger's as-of date. ``customer``: that customer's only (KeyError: not in Customers)."""
    end = ledger.as_of_date
    start = start or default_start(end)
    only = None if customer is None else [ledger.customer_index[customer]]
    found = domain.statements(ledger, start, kind, only)
    labels = ledger.settings.bucket_labels()
    docs = [_statement(ledger, s, labels) for s in found]
    return StatementsReport(kind=kind, start=start, end=end, company=company(ledger),
                            statements=docs)


def _statement(ledger: Ledger, s: domain.Statement, labels: list[str]) -> Statement:
    cust, inv = ledger.customers, ledger.invoices
    opening = round_money(s.opening)
    lines = [StatementLine(date=ln.date, type=ln.type, reference=str(inv.invoice[ln.item]),
                           amount=round_money(ln.amount), balance=round_money(bal),
                           due_date=ln.due)
             for ln, bal in zip(s.lines, s.balances, strict=True)]
    bands = [AgeingBand(label=lb, amount=round_money(v))
             for lb, v in zip(labels, s.buckets.tolist(), strict=True)]
    bands.append(AgeingBand(label=UNAPPLIED, amount=round_money(s.unapplied)))
    key = str(cust.ids[s.customer])
    return Statement(customer=key, name=str(cust.name[s.customer]) or key,
                     account=account_of(ledger, s.customer),
                     address=list(cust.address_of(s.customer)),
                     currency=ledger.currencies[s.currency], start=s.start, end=s.end,
                     opening_balance=opening, lines=lines,
                     closing_balance=round_money(s.closing), ageing=bands)
