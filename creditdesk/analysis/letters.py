"""Printed letters (issue 12, item 3): today's reminders whose level's Channel is Letter, as
documents (``creditdesk.analysis.documents.LettersReport``) with the customer's postal
address and, for each invoice that carries interest or compensation, a sentence saying how
it was computed.

The final level may be a letter before action (issue 12, item 4; docs/letters.md): its
``before_action`` follows the customer's Debtor Type. An Individual's or Sole Trader's
follows the Pre-Action Protocol for Debt Claims (the amount, whether interest or other
charges continue, how to pay, the up-to-date statement of account with the interest and
compensation claimed as its lines, the Information Sheet, Reply Form and Financial
Statement named as enclosed, 30 days to reply, a page of what to do); a business's follows
the Practice Direction on Pre-Action Conduct and Protocols (Business Reply Days to reply).
The late-payment law's interest and compensation are claimed of a Business or Sole Trader,
never of an Individual (a consumer). The section goes where the template's {before_action}
stands, else before its last paragraph (``split_at_before_action``).
"""

from __future__ import annotations

import datetime as dt

from creditdesk.analysis.documents import (
    BeforeAction,
    Charge,
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
from creditdesk.domain.templates import BEFORE_ACTION_MARK

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
    consumer = ledger.customers.is_consumer(i)  # no late-payment law
    letter = Letter(
        customer=m.customer, name=m.name or m.customer, account=account,
        address=list(ledger.customers.address_of(i)), currency=m.currency, level=m.level,
        level_name=m.level_name,
        reference=f"{account}-L{m.level}-{ledger.as_of_date:%Y%m%d}",
        subject=m.subject, text=m.text, invoices=m.invoices, amount=m.amount,
        interest=m.interest, compensation=m.compensation, total=m.total,
        computation=[c for ln in m.invoices
                     if (c := computation(ledger, ln, m.currency, consumer))])
    level = level_of(ledger, m.level)
    if level is not None and level.letter_before_action:
        text, closing = split_at_before_action(m.text)
        letter = letter.model_copy(update={
            "before_action": before_action(ledger, letter, level, i), "text": text,
            "closing": closing})
    return letter


def split_at_before_action(text: str) -> tuple[str, str]:
    """A letter before action's text, before and after its own section: at the line
    {before_action} left (``BEFORE_ACTION_MARK``), else before the last paragraph (a
    template of the user's without the placeholder: its sign-off)."""
    lines = text.splitlines()
    at = next((k for k, x in enumerate(lines) if x.strip() == BEFORE_ACTION_MARK), None)
    if at is not None:
        return "\n".join(lines[:at]).strip(), "\n".join(lines[at + 1:]).strip()
    text = text.replace(BEFORE_ACTION_MARK, "")  # (within a line: dropped)
    head, sep, last = text.strip().rpartition("\n\n")
    return (head.strip(), last.strip()) if sep else (text.strip(), "")


def level_of(ledger: Ledger, number: int) -> DunningLevel | None:
    return next((lv for lv in ledger.levels if lv.level == number), None)


def computation(ledger: Ledger, ln: ReminderLine, currency: str, consumer: bool = False
                ) -> str:
    """How an invoice's interest and compensation were reached, in a sentence ("" when it
    carries neither). A consumer's debts (Debtor Type Individual) fall under no late-payment
    law: only the contract rate."""
    if not ln.interest and not ln.compensation:
        return ""
    interest, compensation = how_computed(ledger, ln, currency, consumer)
    return f"{ln.invoice}: {interest}" + (f"; {compensation}" if ln.compensation else "") + "."


def how_computed(ledger: Ledger, ln: ReminderLine, currency: str, consumer: bool = False
                 ) -> tuple[str, str]:
    """How the invoice's interest was reached, and its fixed compensation ("" under no
    law), each a phrase with its figure."""
    s = ledger.settings
    law, contract = law_for_debtor(s.late_payment_law, consumer), s.contract_interest_rate
    day = ledger.as_of_date
    if law == "None":
        return (f"interest at the contract rate of {contract:g}% a year on {currency} "
                f"{ln.outstanding:,.2f} for {ln.days_overdue} days past the due date "
                f"{ln.due_date} to {day}: {currency} {ln.interest:,.2f}", "")
    try:
        r = statutory_interest(ln.outstanding, ln.due_date, day, law, contract,
                               rates=ledger.rates.get(law))
    except ValueError:
        rate = "the statutory rate"
    else:
        rate = f"{r.rate:g}% a year" + ("" if contract is not None else
                                        " (the reference rate plus 8 points)")
    return (f"statutory interest under {LAWS[law]} at {rate}, simple, on {currency} "
            f"{ln.outstanding:,.2f} for {ln.days_overdue} days from the due date "
            f"{ln.due_date} to {day}: {currency} {ln.interest:,.2f}",
            "fixed compensation for the cost of recovery, set by the law by the size of the "
            f"debt: {currency} {ln.compensation:,.2f}")


def charges(ledger: Ledger, letter: Letter, consumer: bool) -> list[Charge]:
    """The interest and compensation the letter claims, per invoice, as lines of the
    statement it encloses, each with how it was computed."""
    day, out = ledger.as_of_date, []
    for ln in letter.invoices:
        if not ln.interest and not ln.compensation:
            continue
        interest, compensation = how_computed(ledger, ln, letter.currency, consumer)
        if ln.interest:
            out.append(Charge(date=day, type="Interest", reference=ln.invoice,
                              amount=ln.interest, how=interest[0].upper() + interest[1:]))
        if ln.compensation:
            out.append(Charge(date=day, type="Compensation", reference=ln.invoice,
                              amount=ln.compensation,
                              how=compensation[0].upper() + compensation[1:]))
    return out



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


def interest_sentence(ledger: Ledger, level: DunningLevel, consumer: bool) -> str:
    """Whether interest or other charges continue on the debt (the Protocol's paragraph 3.1
    asks the letter to say so), as the rules of this workbook and debtor have it."""
    s = ledger.settings
    law = law_for_debtor(s.late_payment_law, consumer)
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


def before_action(ledger: Ledger, letter: Letter, level: DunningLevel, i: int
                  ) -> BeforeAction:
    """The letter before action's content for customer ``i`` by its Debtor Type
    (docs/letters.md): the Protocol's for an Individual or Sole Trader, else the Practice
    Direction's; the late-payment law's interest and compensation except for an Individual."""
    c = ledger.customers
    individual, consumer = c.is_individual(i), c.is_consumer(i)
    day: dt.date = ledger.as_of_date
    days = PROTOCOL_REPLY_DAYS if individual else ledger.settings.business_reply_days
    by = day + dt.timedelta(days=days)
    ccy, total = letter.currency, _money(letter.total, letter.currency)
    interest = interest_sentence(ledger, level, consumer)
    to = reply_address(ledger)
    where = ", ".join(to)
    pay = ("You can pay using the details under \"How to pay\" below, quoting "
           f"{letter.reference}." if ledger.settings.payment_details else
           f"Please contact us at {where} to pay, quoting {letter.reference}.")
    if individual:
        claimed = (f": {_money(letter.amount, ccy)} of unpaid invoices, "
                   f"{_money(letter.interest, ccy)} of interest and "
                   f"{_money(letter.compensation, ccy)} of fixed compensation"
                   if letter.compensation else
                   f": {_money(letter.amount, ccy)} of unpaid invoices and "
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
        added = charges(ledger, letter, consumer)
        balance = statement.closing_balance if statement is not None else letter.amount
        return BeforeAction(debtor_type=c.debtor_type(i), rules=PROTOCOL,
                            source=PROTOCOL_URL, reply_days=days, reply_by=by,
                            interest=interest, paragraphs=paragraphs, enclosures=enclosures,
                            steps=steps, reply_address=to, statement=statement,
                            charges=added, not_claimed=round(balance - letter.amount, 2),
                            claimed=letter.total)
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
    return BeforeAction(debtor_type=c.debtor_type(i), rules=PRACTICE_DIRECTION,
                        source=PRACTICE_DIRECTION_URL, reply_days=days, reply_by=by,
                        interest=interest, paragraphs=paragraphs, enclosures=[], steps=[],
                        reply_address=to)
