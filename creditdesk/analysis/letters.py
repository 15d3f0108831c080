"""Printed letters (issue 12, item 3): today's reminders whose level's Channel is Letter, as
documents (``creditdesk.analysis.documents.LettersReport``) with the customer's postal
address and, for each invoice that carries interest or compensation, a sentence saying how
it was computed.
"""

from __future__ import annotations

from creditdesk.analysis.documents import Letter, LettersReport, Reminder, ReminderLine
from creditdesk.analysis.report import Analysis
from creditdesk.analysis.statements import account_of, company
from creditdesk.domain.interest import statutory_interest
from creditdesk.domain.ledger import Ledger

LETTER = "letter"
LAWS = {"UK": "the Late Payment of Commercial Debts (Interest) Act 1998",
        "EU": "the Late Payment Directive 2011/7/EU"}


def is_letter(reminder: Reminder) -> bool:
    return reminder.channel.strip().casefold() == LETTER


def letters_report(analysis: Analysis) -> LettersReport:
    """Today's letters (the remind report's reminders on the Letter channel)."""
    ledger = analysis.ledger
    found = [_letter(ledger, m) for m in analysis.remind_report().reminders if is_letter(m)]
    return LettersReport(date=ledger.as_of_date, company=company(ledger), letters=found)


def _letter(ledger: Ledger, m: Reminder) -> Letter:
    i = ledger.customer_index[m.customer]
    account = account_of(ledger, i)
    return Letter(
        customer=m.customer, name=m.name or m.customer, account=account,
        address=list(ledger.customers.address_of(i)), currency=m.currency, level=m.level,
        level_name=m.level_name,
        reference=f"{account}-L{m.level}-{ledger.as_of_date:%Y%m%d}",
        subject=m.subject, text=m.text, invoices=m.invoices, amount=m.amount,
        interest=m.interest, compensation=m.compensation, total=m.total,
        computation=[c for ln in m.invoices if (c := computation(ledger, ln, m.currency))])


def computation(ledger: Ledger, ln: ReminderLine, currency: str) -> str:
    """How an invoice's interest and compensation were reached, in a sentence ("" when it
    carries neither)."""
    if not ln.interest and not ln.compensation:
        return ""
    s = ledger.settings
    law, contract = s.late_payment_law, s.contract_interest_rate
    day = ledger.as_of_date
    if law == "None":
        return (f"{ln.invoice}: interest at the contract rate of {contract:g}% a year on "
                f"{currency} {ln.outstanding:,.2f} for {ln.days_overdue} days past the due "
                f"date {ln.due_date} to {day}: {currency} {ln.interest:,.2f}.")
    try:
        r = statutory_interest(ln.outstanding, ln.due_date, day, law, contract,
                               rates=ledger.rates.get(law))
    except ValueError:
        rate = "the statutory rate"
    else:
        rate = f"{r.rate:g}% a year" + ("" if contract is not None else
                                        " (the reference rate plus 8 points)")
    text = (f"{ln.invoice}: statutory interest under {LAWS[law]} at {rate}, simple, on "
            f"{currency} {ln.outstanding:,.2f} for {ln.days_overdue} days from the due date "
            f"{ln.due_date} to {day}: {currency} {ln.interest:,.2f}")
    if ln.compensation:
        text += (f"; fixed compensation for the cost of recovery, set by the law by the "
                 f"size of the debt: {currency} {ln.compensation:,.2f}")
    return text + "."

