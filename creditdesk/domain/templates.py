"""Reminder templates: ``{placeholder}`` text rendered to a plain-text and an HTML body.

Placeholders are matched ignoring case, with spaces or underscores: ``{Customer Name}`` and
``{customer_name}`` are the same. ``{{`` and ``}}`` stand for literal braces. In HTML every
value and every character of the template itself is escaped, so text from a ledger (a
customer called ``<script>``) is shown, never run. An unknown placeholder is reported with the
template's name and left visible in the preview.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

PLACEHOLDERS: dict[str, str] = {
    "company_name": "your company (Settings: Company Name)",
    "customer": "the customer key",
    "customer_name": "the customer's name",
    "currency": "the currency of this reminder",
    "amount": "the total of the invoices listed",
    "interest": "statutory interest claimed (0.00 when none)",
    "compensation": "fixed compensation claimed (0.00 when none)",
    "total": "amount + interest + compensation",
    "invoice_count": "how many invoices are listed",
    "invoice_table": "the invoices as a table",
    "oldest_days_overdue": "days past due of the oldest invoice",
    "level": "the reminder level number",
    "level_name": "the reminder level's name",
    "as_of": "the as-of date",
    "sender_email": "Settings: Sender Email",
    "reply_to": "Settings: Reply To",
    # Left as it is here: the backend puts the link in when it sends (services/sending.py).
    "pay_link": "the link to the customer's own page (filled in by the backend's send)",
}

@dataclass
class Template:
    """One row of the Templates table (or a built-in default): subject and body with
    ``{placeholder}`` text, in one language."""

    name: str
    language: str
    subject: str
    body: str
    row: int | None = None


_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def placeholder_key(text: str) -> str:
    return re.sub(r"[\s_]+", "_", text.strip()).casefold()


def unknown_placeholders(text: str) -> list[str]:
    return [m[0] for m in _TOKEN.finditer(text)
            if m[1] is not None and placeholder_key(m[1]) not in PLACEHOLDERS]


def template_problems(t: Template) -> list[tuple[str, str]]:
    """(column, message) for each unknown placeholder in the subject or the body."""
    out = []
    for column, text in (("Subject", t.subject), ("Body", t.body)):
        for token in dict.fromkeys(unknown_placeholders(text)):
            out.append((column, f"template '{t.name}' ({t.language}): unknown placeholder "
                                f"{token}; known ones: " + ", ".join(PLACEHOLDERS)))
    return out


def _substitute(text: str, values: dict[str, str], escape: bool) -> str:
    def one(m: re.Match) -> str:
        token = m[0]
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        key = placeholder_key(m[1])
        if key not in values:
            return html.escape(token) if escape else token
        return values[key]

    pieces, last = [], 0
    for m in _TOKEN.finditer(text):
        literal = text[last:m.start()]
        pieces.append(html.escape(literal) if escape else literal)
        pieces.append(one(m))
        last = m.end()
    tail = text[last:]
    pieces.append(html.escape(tail) if escape else tail)
    return "".join(pieces)


def money(x: float) -> str:
    return f"{x:,.2f}"


@dataclass(frozen=True)
class Line:
    invoice: str
    invoice_date: str
    due_date: str
    days_overdue: int
    outstanding: float

    @property
    def claimed(self) -> bool:
        """Overdue debts and credit notes make up the amount asked for; an invoice not yet
        due is listed separately, as falling due."""
        return self.outstanding < 0 or self.days_overdue > 0

    @property
    def status(self) -> str:
        if self.outstanding < 0:
            return "credit note"
        d = self.days_overdue
        if d > 0:
            return f"{d} day{'s' if d != 1 else ''} overdue"
        if d == 0:
            return "due today"
        return f"due in {-d} day{'s' if d != -1 else ''}"


_HEAD = ("Invoice", "Date", "Due", "Status")


def _text_table(lines: Sequence[Line], currency: str) -> str:
    head = (*_HEAD, f"Amount {currency}")
    rows = [(ln.invoice, ln.invoice_date, ln.due_date, ln.status, money(ln.outstanding))
            for ln in lines]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]

    def fmt(r):
        return "  ".join(c.ljust(w) if i < 4 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()

    return "\n".join([fmt(head), *map(fmt, rows)])


def _html_table(lines: Sequence[Line], currency: str) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in (*_HEAD, f"Amount {currency}"))
    body = "".join(
        f"<tr><td>{e(ln.invoice)}</td><td>{e(ln.invoice_date)}</td><td>{e(ln.due_date)}</td>"
        f"<td>{e(ln.status)}</td>"
        f'<td style="text-align:right">{e(money(ln.outstanding))}</td></tr>'
        for ln in lines)
    return (f'<table border="1" cellpadding="4" cellspacing="0">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _tables(lines: Sequence[Line], currency: str, claim_all: bool, table) -> str:
    """What is asked for, then (unless everything is) the invoices falling due soon."""
    claimed = [ln for ln in lines if claim_all or ln.claimed]
    soon = [ln for ln in lines if not (claim_all or ln.claimed)]
    out = table(claimed, currency)
    if soon:
        total = money(sum(ln.outstanding for ln in soon))
        note = f"Falling due soon (not included above): {currency} {total}"
        out += ("\n\n" + note + "\n" if table is _text_table
                else f"<p>{html.escape(note)}</p>") + table(soon, currency)
    return out


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(t: Template, values: dict[str, object], lines: Sequence[Line],
           claim_all: bool = False) -> Rendered:
    """``values``: placeholder -> value (numbers are formatted as money). ``claim_all``: a
    courtesy note, where the invoices not yet due are what the message is about."""
    plain = {k: money(v) if isinstance(v, float) else str(v) for k, v in values.items()}
    currency = plain.get("currency", "")
    text_values = dict(plain, invoice_table=_tables(lines, currency, claim_all, _text_table))
    html_values = {k: html.escape(v) for k, v in plain.items()}
    html_values["invoice_table"] = _tables(lines, currency, claim_all, _html_table)
    # A subject is one header line: no line breaks may survive into it.
    subject = " ".join(_substitute(t.subject, plain, escape=False).split())
    text = _substitute(t.body, text_values, escape=False)
    body = _substitute(t.body, html_values, escape=True)
    paragraphs = [p.replace("\n", "<br>\n") for p in re.split(r"\n\s*\n", body.strip())]
    html_body = "".join(f"<p>{p}</p>\n" if "<table" not in p else f"{p}\n" for p in paragraphs)
    return Rendered(subject, text, f"<html><body>\n{html_body}</body></html>")


def pick(templates: Sequence[Template], name: str, language: str) -> Template | None:
    """The template of that name in the customer's language, else English, else any."""
    same = [t for t in templates if t.name.casefold() == name.casefold()]
    for lang in (language.casefold(), "en"):
        for t in same:
            if t.language == lang:
                return t
    return same[0] if same else None


_SIGN = "\n\nKind regards,\nCredit Control\n{company_name}"

DEFAULT_TEMPLATES: list[Template] = [
    Template(
        "courtesy", "en",
        "{company_name}: invoices due",
        "Dear {customer_name},\n\nA friendly note about the invoices below, which are due "
        "now or fall due shortly. If payment is already on its way, thank you.\n\n"
        "{invoice_table}\n\nTotal: {currency} {amount}" + _SIGN,
    ),
    Template(
        "first_reminder", "en",
        "Reminder: {currency} {amount} overdue - {company_name}",
        "Dear {customer_name},\n\nOur records show the invoices below as unpaid after their "
        "due date. Please arrange payment of {currency} {amount}, or let us know if anything "
        "is holding it up.\n\n{invoice_table}" + _SIGN,
    ),
    Template(
        "second_reminder", "en",
        "Second reminder: {currency} {amount} overdue - {company_name}",
        "Dear {customer_name},\n\nWe wrote to you about the invoices below and have not yet "
        "received payment. The oldest is {oldest_days_overdue} days past due. Please pay "
        "{currency} {amount} within 7 days or contact us to agree a date.\n\n{invoice_table}"
        + _SIGN,
    ),
    Template(
        "final_demand", "en",
        "Final demand: {currency} {total} - {company_name}",
        "Dear {customer_name},\n\nDespite our reminders the invoices below remain unpaid. "
        "We now claim {currency} {amount}, statutory interest of {currency} {interest} and "
        "fixed compensation of {currency} {compensation}: {currency} {total} in all.\n\n"
        "{invoice_table}\n\nUnless we receive payment within 7 days we may pass the debt to a "
        "collection agency without further notice." + _SIGN,
    ),
]
