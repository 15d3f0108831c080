"""Printed letters (issue 12, item 3): today's reminders whose level's Channel is Letter, as
documents (``creditdesk.analysis.documents.LettersReport``) with the customer's postal
address and, for each invoice that carries interest or compensation, a sentence saying how
it was computed.

The final level may be a letter before action (issue 12, item 4; docs/letters.md): its
``before_action`` follows the customer's Debtor Type. An Individual's follows the Pre-Action
Protocol for Debt Claims (the amount, whether interest or other charges continue, how to
pay, the up-to-date statement of account, the Information Sheet, Reply Form and Financial
Statement named as enclosed, 30 days to reply, a page of what to do); a business's follows
the Practice Direction on Pre-Action Conduct and Protocols (Business Reply Days to reply).
"""

from __future__ import annotations

import datetime as dt

from creditdesk.analysis.documents import (
    BeforeAction,
    Letter,
    LettersReport,
    Reminder,
    ReminderLine,
    Statement,
)
from creditdesk.analysis.report import Analysis
from creditdesk.analysis.statements import account_of, company, statements_report
from creditdesk.domain.dunning import PROTOCOL_REPLY_DAYS, REPLY_FORM_DAYS
from creditdesk.domain.interest import law_for_debtor, statutory_interest
from creditdesk.domain.ledger import DunningLevel, Ledger

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
    individual = ledger.customers.is_individual(i)
    letter = Letter(
        customer=m.customer, name=m.name or m.customer, account=account,
        address=list(ledger.customers.address_of(i)), currency=m.currency, level=m.level,
        level_name=m.level_name,
        reference=f"{account}-L{m.level}-{ledger.as_of_date:%Y%m%d}",
        subject=m.subject, text=m.text, invoices=m.invoices, amount=m.amount,
        interest=m.interest, compensation=m.compensation, total=m.total,
        computation=[c for ln in m.invoices
                     if (c := computation(ledger, ln, m.currency, individual))])
    level = level_of(ledger, m.level)
    if level is not None and level.letter_before_action:
        letter = letter.model_copy(
            update={"before_action": before_action(ledger, letter, level, individual)})
    return letter


def level_of(ledger: Ledger, number: int) -> DunningLevel | None:
    return next((lv for lv in ledger.levels if lv.level == number), None)


def computation(ledger: Ledger, ln: ReminderLine, currency: str, individual: bool = False
                ) -> str:
    """How an invoice's interest and compensation were reached, in a sentence ("" when it
    carries neither). An individual's debts fall under no late-payment law: only the contract
    rate."""
    if not ln.interest and not ln.compensation:
        return ""
    s = ledger.settings
    law, contract = law_for_debtor(s.late_payment_law, individual), s.contract_interest_rate
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



# -- the letter before action (docs/letters.md) -----------------------------------------

PROTOCOL = "the Pre-Action Protocol for Debt Claims"
PROTOCOL_URL = ("https://www.justice.gov.uk/courts/procedure-rules/civil/protocol/"
                "pre-action-protocol-for-debt-claims")
PRACTICE_DIRECTION = "the Practice Direction on Pre-Action Conduct and Protocols"
PRACTICE_DIRECTION_URL = ("https://www.justice.gov.uk/courts/procedure-rules/civil/rules/"
                          "pd_pre-action_conduct")
INFORMATION_SHEET = "Information Sheet (Pre-Action Protocol for Debt Claims, Annex 1)"
REPLY_FORM = "Reply Form (Pre-Action Protocol for Debt Claims, Annex 1)"
FINANCIAL_STATEMENT = ("Financial Statement (a form for your income and outgoings, as the "
                       "Pre-Action Protocol for Debt Claims asks)")


def _money(x: float, currency: str) -> str:
    return f"{currency} {x:,.2f}"


def interest_sentence(ledger: Ledger, level: DunningLevel, individual: bool) -> str:
    """Whether interest or other charges continue on the debt (the Protocol's paragraph 3.1
    asks the letter to say so), as the rules of this workbook and debtor have it."""
    s = ledger.settings
    law = law_for_debtor(s.late_payment_law, individual)
    rate = s.contract_interest_rate
    if not level.add_interest or (law == "None" and rate is None):
        return "No interest or other charges are being added to the debt."
    if law == "None":
        return (f"Interest continues to be added at the contract rate of {rate:g}% a year, "
                "simple, on the unpaid amount of each invoice until it is paid; no other "
                "charges are added.")
    what = f"the contract rate of {rate:g}% a year" if rate is not None else (
        "the statutory rate (the reference rate plus 8 points) shown for each invoice")
    return (f"Interest under {LAWS[law]} continues to run at {what}, simple, on the unpaid "
            "amount of each invoice until it is paid; the fixed compensation shown is "
            "claimed once for each invoice and does not grow.")


def reply_address(ledger: Ledger) -> list[str]:
    """Where the debtor replies: the company, its postal address (Settings' Company
    Address), its e-mail (Reply To, else Sender Email) and phone."""
    s = ledger.settings
    lines = [s.company_name]
    if s.company_address:
        lines += [x for x in s.company_address.splitlines() if x.strip()]
    if email := (s.reply_to or s.sender_email):
        lines.append(f"E-mail: {email}")
    if s.phone:
        lines.append(f"Phone: {s.phone}")
    return lines


def _statement(ledger: Ledger, customer: str, currency: str) -> Statement | None:
    """The customer's up-to-date statement of account in the letter's currency: its open
    items on the letter's date."""
    report = statements_report(ledger, kind="open-items", customer=customer)
    return next((x for x in report.statements if x.currency == currency), None)


def before_action(ledger: Ledger, letter: Letter, level: DunningLevel, individual: bool
                  ) -> BeforeAction:
    """The letter before action's content for this debtor (docs/letters.md)."""
    day: dt.date = ledger.as_of_date
    days = PROTOCOL_REPLY_DAYS if individual else ledger.settings.business_reply_days
    by = day + dt.timedelta(days=days)
    ccy, total = letter.currency, _money(letter.total, letter.currency)
    interest = interest_sentence(ledger, level, individual)
    to = reply_address(ledger)
    where = ", ".join(to)
    pay = ("You can pay using the details under \"How to pay\" below, quoting "
           f"{letter.reference}." if ledger.settings.payment_details else
           f"Please contact us at {where} to pay, quoting {letter.reference}.")
    if individual:
        claimed = (f": {_money(letter.amount, ccy)} of unpaid invoices and "
                   f"{_money(letter.interest, ccy)} of interest" if letter.interest else "")
        paragraphs = [
            f"We are writing to you under {PROTOCOL}. The amount of the debt is {total}"
            f"{claimed}, on your account {letter.account}. The invoices are listed above and "
            "on the enclosed up-to-date statement of account.",
            interest,
            "The debt is for the goods or services invoiced to you under our terms of trade. "
            "If it arises from a written agreement, you may ask us for a copy of it.",
            pay,
            f"Please reply within {days} days of the date of this letter, that is by "
            f"{by.isoformat()}, using the enclosed Reply Form, and send it to: {where}. If you "
            "do not reply by then, we may start court proceedings against you.",
            "Please read the enclosed Information Sheet. If you tell us on the Reply Form that "
            "you are getting debt advice, we will not start court proceedings less than "
            f"{REPLY_FORM_DAYS} days after we receive your completed Reply Form.",
        ]
        enclosures = [f"Statement of account of {day.isoformat()} (account {letter.account}, "
                      f"{ccy}): the pages after this letter", INFORMATION_SHEET, REPLY_FORM,
                      FINANCIAL_STATEMENT]
        steps = [
            "Read the enclosed Information Sheet: it explains this letter and your options, "
            "and lists free, independent debt advice.",
            f"Fill in the enclosed Reply Form and send it to us by {by.isoformat()}, at the "
            "address below.",
            f"If you agree that you owe the debt, pay {total} (see \"How to pay\" in the "
            f"letter), quoting {letter.reference}, or tell us on the Reply Form how you "
            "propose to pay.",
            "If you need time to pay, fill in the enclosed Financial Statement and send it "
            "with the Reply Form, so that we can consider what you can afford.",
            "If you do not agree that you owe the debt, or need documents to decide, say so "
            "on the Reply Form; you may ask us for copies of documents about the debt.",
            "If you are getting debt advice, say so on the Reply Form: we will not start "
            f"court proceedings less than {REPLY_FORM_DAYS} days after we receive it.",
            f"If you do not reply by {by.isoformat()}, we may start court proceedings "
            "against you.",
        ]
        statement = _statement(ledger, letter.customer, ccy)
        return BeforeAction(debtor_type="Individual", rules=PROTOCOL, source=PROTOCOL_URL,
                            reply_days=days, reply_by=by, interest=interest,
                            paragraphs=paragraphs, enclosures=enclosures, steps=steps,
                            reply_address=to, statement=statement)
    paragraphs = [
        f"We are writing to you under {PRACTICE_DIRECTION}. Our claim is for {total}, the "
        f"unpaid invoices listed above for goods or services supplied to you on account "
        f"{letter.account}" + (", with the interest and compensation computed below."
                               if letter.interest or letter.compensation else "."),
        interest,
        pay,
        f"Please pay, or reply to us in writing, within {days} days of the date of this "
        f"letter, that is by {by.isoformat()}, at: {where}. If you dispute the debt, tell us "
        "why, with copies of the documents you rely on.",
        "We are willing to discuss the matter, and to consider a form of alternative dispute "
        "resolution, before any proceedings.",
        f"If we receive neither payment nor a reply by {by.isoformat()}, we may start court "
        "proceedings without further notice.",
    ]
    return BeforeAction(debtor_type="Business", rules=PRACTICE_DIRECTION,
                        source=PRACTICE_DIRECTION_URL, reply_days=days, reply_by=by,
                        interest=interest, paragraphs=paragraphs, enclosures=[], steps=[],
                        reply_address=to)
