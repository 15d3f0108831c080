"""Reminder templates: ``{placeholder}`` text rendered to a plain-text and an HTML body.

Placeholders are matched ignoring case, with spaces or underscores: ``{Customer Name}`` and
``{customer_name}`` are the same. ``{{`` and ``}}`` stand for literal braces. In HTML every
value and every character of the template itself is escaped, so text from a ledger (a
customer called ``<script>``) is shown, never run. An unknown placeholder is reported with the
template's name and left visible in the preview.

Money and dates are written in the customer's language with babel (``1.234,56 €``,
``07.12.2026`` in German); the fixed words of the invoice table and the greeting come in
English, German and French (``WORDS``), as do the built-in templates.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

PLACEHOLDERS: dict[str, str] = {
    "company_name": "your company (Settings: Company Name)",
    "customer": "the customer key",
    "customer_name": "the customer's name",
    "contact_name": "Customers: Contact Name (blank when none)",
    "greeting": "Dear <Contact Name>, or the accounts team when there is none",
    "account_number": "Customers: Account Number (blank = the customer key)",
    "currency": "the currency of this reminder",
    "amount": "the total of the invoices listed, with its currency sign",
    "interest": "statutory interest claimed (0.00 when none)",
    "compensation": "fixed compensation claimed (0.00 when none)",
    "total": "amount + interest + compensation",
    "claim": "what is claimed, in words: the amount, and the interest and compensation only "
             "when any are claimed (statutory for a business, contractual for an individual)",
    "invoice_count": "how many invoices are listed",
    "invoice_table": "the invoices as a table (with their Reference)",
    "oldest_days_overdue": "days past due of the oldest invoice",
    "level": "the reminder level number",
    "level_name": "the reminder level's name",
    "as_of": "the as-of date",
    "sender_email": "Settings: Sender Email",
    "reply_to": "Settings: Reply To",
    "payment_details": "Settings: Payment Details (blank when none)",
    "how_to_pay": "'Please pay to:' and the Payment Details (blank when none)",
    "phone": "Settings: Phone (blank when none)",
    "contact_line": "how to reach you: the Phone, or a reply to the e-mail",
    "before_action": "where a letter before action's own section (its terms, how to pay, "
                     "what is enclosed) is printed; blank on other levels",
    # A kept payment plan's mail (docs/plans.md); blank in any other reminder.
    "plan": "the payment plan's id (blank outside a plan)",
    "plan_invoices": "the invoices the plan covers, e.g. INV-1, INV-2 (blank outside a plan)",
    "instalment": "what the plan asks for now: the instalment due, or what is left of every "
                  "missed one, with its currency sign (blank outside a plan)",
    "instalment_number": "which instalment(s) of how many: '2 of 6', '2 and 3 of 6' (blank "
                         "outside a plan)",
    "instalment_date": "the day of that instalment, the first missed one if several "
                       "(blank outside a plan)",
    "plan_total": "the plan's total, with its currency sign (blank outside a plan)",
    "plan_left": "what is left to pay under the plan (blank outside a plan)",
    "plan_schedule": "the instalments not yet paid as a table: number, date, amount left, "
                     "missed or due (blank outside a plan)",
    "plan_default_after": "Settings: Plan Missed Instalments To Default, the missed instalments "
                          "that end the plan (blank outside a plan)",
    # Left as it is here: the backend puts the link in when it sends (services/sending.py).
    "pay_link": "the link to the customer's own page (filled in by the backend's send)",
}

# What {before_action} stands for in a letter before action's text (the Reminders sheet shows
# it); the printed letter puts the section there (creditdesk.analysis.letters).
BEFORE_ACTION_MARK = "[The letter before action's terms, how to pay and what is enclosed]"


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


@lru_cache(maxsize=4096)
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


# -- the customer's language: babel's formats, and the words of the built-in parts ---------

def mail_locale(language: str, country: str = "") -> str:
    """The locale a customer's mail is formatted in: its Language (``de``, ``fr-CH``) with
    the Country setting's region when babel knows the pair (``en`` + GB: ``en_GB``);
    English when babel does not know the language."""
    from babel import Locale, UnknownLocaleError  # here: a cold start that renders nothing

    lang = str(language or "en").strip().replace("-", "_") or "en"
    tries = [lang] if "_" in lang else [f"{lang}_{str(country).strip().upper()}", lang]
    for code in [*tries, "en_GB"]:
        try:
            return str(Locale.parse(code))
        except (UnknownLocaleError, ValueError):
            continue
    return "en_GB"


def _spaces(text: str) -> str:
    """babel's no-break spaces as plain ones: what a reader types and searches for."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def _babel_money(amount: float, currency: str, locale: str) -> str:
    from babel.numbers import format_currency

    try:
        return _spaces(format_currency(amount, currency or "XXX", locale=locale))
    except (ValueError, TypeError):
        return f"{currency} {money(amount)}".strip()


_PROBE = 1234567.0
_CHECKS = (1234.5, 12.25, 7654321.89, 0.5)  # the shape must write these as babel does
_SHAPE = re.compile(r"1(?P<g>\D?)234(?P=g)567(?:(\D)(0+))?")


@lru_cache(maxsize=512)
def _money_shape(currency: str, locale: str, negative: bool
                 ) -> tuple[str, str, str, str, int] | None:
    """How babel writes an amount in this currency and locale, read off one probe: (before,
    after, group separator, decimal sign, decimals); None when that does not write a few
    other amounts exactly as babel does (en_IN's lakhs, es_ES's ungrouped thousands), so
    babel writes each one."""
    sign = -1 if negative else 1
    probe = _babel_money(sign * _PROBE, currency, locale)
    m = _SHAPE.search(probe)
    if not m:
        return None
    shape = probe[:m.start()], probe[m.end():], m["g"], m[2] or "", len(m[3] or "")
    if any(_shaped(sign * x, shape) != _babel_money(sign * x, currency, locale)
           for x in _CHECKS):
        return None
    return shape


def _shaped(amount: float, shape: tuple[str, str, str, str, int]) -> str:
    before, after, group, decimal, digits = shape
    body = f"{abs(amount):,.{digits}f}".replace(",", "\0").replace(".", decimal)
    return before + body.replace("\0", group) + after


def format_money(amount: float, currency: str, locale: str) -> str:
    """1.234,56 € (de), £1,234.56 (en_GB), 1 234,56 € (fr): babel's format, applied from a
    cached shape (babel itself takes about 0.2 ms an amount; a reminder has a dozen)."""
    shape = _money_shape(currency, locale, amount < 0)
    if shape is None or not math.isfinite(amount):
        return _babel_money(amount, currency, locale)
    return _shaped(amount, shape)


@lru_cache(maxsize=8192)
def format_day(day: dt.date | str, locale: str, length: str = "medium") -> str:
    """07.12.2026 (de), 7 Dec 2026 (en_GB); an ISO text that is not a date stays as it is."""
    from babel.dates import format_date

    try:
        when = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
    except ValueError:
        return str(day)
    return _spaces(format_date(when, length, locale=locale))


@dataclass(frozen=True)
class Words:
    """The fixed words of the invoice table, the greeting and the contact lines."""

    head: tuple[str, str, str, str, str, str]
    credit: str
    today: str
    overdue: tuple[str, str]  # one day, several days ({n})
    due_in: tuple[str, str]
    soon: str
    dear: str
    team: str
    pay: str
    call: str
    reply: str


WORDS: dict[str, Words] = {
    "en": Words(("Invoice", "Reference", "Date", "Due", "Status", "Amount"), "credit note",
                "due today", ("1 day overdue", "{n} days overdue"),
                ("due in 1 day", "due in {n} days"),
                "Falling due soon (not included above): {total}", "Dear {name},",
                "Dear Accounts team at {company},", "Please pay to:",
                "Questions? Call us on {phone} or reply to this e-mail.",
                "Questions? Reply to this e-mail."),
    "de": Words(("Rechnung", "Referenz", "Datum", "Fällig", "Status", "Betrag"), "Gutschrift",
                "heute fällig", ("1 Tag überfällig", "{n} Tage überfällig"),
                ("fällig in 1 Tag", "fällig in {n} Tagen"),
                "Demnächst fällig (oben nicht enthalten): {total}", "Guten Tag {name},",
                "Sehr geehrte Damen und Herren,", "Bitte überweisen Sie auf:",
                "Fragen? Rufen Sie uns an unter {phone} oder antworten Sie auf diese E-Mail.",
                "Fragen? Antworten Sie einfach auf diese E-Mail."),
    "fr": Words(("Facture", "Référence", "Date", "Échéance", "Statut", "Montant"), "avoir",
                "échue aujourd'hui", ("en retard de 1 jour", "en retard de {n} jours"),
                ("échéance dans 1 jour", "échéance dans {n} jours"),
                "À échoir prochainement (non inclus ci-dessus) : {total}", "Bonjour {name},",
                "Madame, Monsieur,", "Merci de régler par virement sur :",
                "Une question ? Appelez-nous au {phone} ou répondez à cet e-mail.",
                "Une question ? Répondez simplement à cet e-mail."),
}


def _language_key(language: str) -> str:
    """``de-AT`` -> ``de``."""
    return str(language).casefold().replace("_", "-").split("-")[0]


def words(language: str) -> Words:
    """The words in ``language`` (``de-AT``: German), else English."""
    return WORDS.get(_language_key(language), WORDS["en"])


@dataclass(frozen=True)
class Line:
    invoice: str
    invoice_date: str
    due_date: str
    days_overdue: int
    outstanding: float
    reference: str = ""

    @property
    def claimed(self) -> bool:
        """Overdue debts and credit notes make up the amount asked for; an invoice not yet
        due is listed separately, as falling due."""
        return self.outstanding < 0 or self.days_overdue > 0

    @property
    def status(self) -> str:
        return self.status_in(WORDS["en"])

    def status_in(self, w: Words) -> str:
        if self.outstanding < 0:
            return w.credit
        d = self.days_overdue
        if d == 0:
            return w.today
        one, many = w.overdue if d > 0 else w.due_in
        return one if abs(d) == 1 else many.format(n=abs(d))


@dataclass(frozen=True)
class _Style:
    """How one reminder's table reads: its words, locale and currency."""

    words: Words
    locale: str
    currency: str

    def cells(self, ln: Line) -> tuple[str, ...]:
        return (ln.invoice, ln.reference, format_day(ln.invoice_date, self.locale),
                format_day(ln.due_date, self.locale), ln.status_in(self.words),
                format_money(ln.outstanding, self.currency, self.locale))


def _text_table(rows: list[tuple[str, ...]], style: _Style) -> str:
    head = style.words.head
    show = [i for i in range(6) if i != 1 or any(r[1] for r in rows)]  # no empty Reference
    widths = {i: max(len(r[i]) for r in [head, *rows]) for i in show}

    def fmt(r):
        return "  ".join(r[i].rjust(widths[i]) if i == 5 else r[i].ljust(widths[i])
                         for i in show).rstrip()

    return "\n".join([fmt(head), *map(fmt, rows)])


def _html_table(rows: list[tuple[str, ...]], style: _Style) -> str:
    e = html.escape
    show = [i for i in range(6) if i != 1 or any(r[1] for r in rows)]

    def cell(tag: str, r: tuple[str, ...], i: int) -> str:
        align = ' style="text-align:right;white-space:nowrap"' if i == 5 else ""
        return f"<{tag}{align}>{e(r[i])}</{tag}>"

    head = "".join(cell("th", style.words.head, i) for i in show)
    body = "".join("<tr>" + "".join(cell("td", r, i) for i in show) + "</tr>" for r in rows)
    return (f'<table border="1" cellpadding="4" cellspacing="0">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _tables(lines: Sequence[Line], style: _Style, claim_all: bool) -> tuple[str, str]:
    """The invoice table as text and as HTML: what is asked for, then (unless everything
    is) the invoices falling due soon. Each line's cells are formatted once."""
    claimed = [style.cells(ln) for ln in lines if claim_all or ln.claimed]
    soon = [style.cells(ln) for ln in lines if not (claim_all or ln.claimed)]
    text, markup = _text_table(claimed, style), _html_table(claimed, style)
    if soon:
        total = sum(ln.outstanding for ln in lines if not (claim_all or ln.claimed))
        note = style.words.soon.format(total=format_money(total, style.currency, style.locale))
        text += "\n\n" + note + "\n" + _text_table(soon, style)
        markup += f"<p>{html.escape(note)}</p>" + _html_table(soon, style)
    return text, markup


@dataclass(frozen=True)
class Instalment:
    """One instalment of a plan not yet paid in full."""

    number: int  # 1 = the first of the plan
    day: dt.date
    left: float  # what is left of it
    paid: float  # what was paid of it already
    missed: bool  # its day has passed


@dataclass(frozen=True)
class PlanMail:
    """The kept payment plan a reminder is about: what its plan placeholders say."""

    plan: str
    count: int  # instalments in all
    asked: tuple[int, ...]  # the numbers of the instalments asked for now
    day: dt.date  # the day of the first of them
    amount: float  # asked for now, in the reminder's currency
    total: float
    left: float
    invoices: tuple[str, ...]
    remaining: tuple[Instalment, ...]
    default_after: int


@dataclass(frozen=True)
class PlanWords:
    """The words of a plan's mail that are not the template's."""

    of: str  # "{k} of {n}"
    also: str  # the last ' and ' of a list
    head: tuple[str, str, str, str]
    missed: str
    due: str
    part: str  # "{state}, {paid} paid"


PLAN_WORDS: dict[str, PlanWords] = {
    "en": PlanWords("{k} of {n}", " and ", ("Instalment", "Date", "Amount", "Status"),
                    "missed", "due", "{state}, {paid} paid"),
    "de": PlanWords("{k} von {n}", " und ", ("Rate", "Datum", "Betrag", "Status"),
                    "versäumt", "fällig", "{state}, {paid} bezahlt"),
    "fr": PlanWords("{k} sur {n}", " et ", ("Échéance", "Date", "Montant", "Statut"),
                    "manquée", "à payer", "{state}, {paid} réglés"),
}

PLAN_COURTESY, PLAN_MISSED = "plan_courtesy", "plan_missed"  # the plan mails' templates
PLAN_KEYS = ("plan", "plan_invoices", "instalment", "instalment_number", "instalment_date",
             "plan_total", "plan_left", "plan_schedule", "plan_default_after")


def _plan_texts(plan: PlanMail | None, style: _Style, language: str
                ) -> tuple[dict[str, str], str]:
    """The plan placeholders' text (``plan_schedule`` as text) and the schedule as HTML;
    every one blank outside a plan."""
    if plan is None:
        return dict.fromkeys(PLAN_KEYS, ""), ""
    pw = PLAN_WORDS.get(language, PLAN_WORDS["en"])
    cash = lambda x: format_money(x, style.currency, style.locale)  # noqa: E731
    asked = [str(k) for k in plan.asked]
    numbers = asked[0] if len(asked) == 1 else ", ".join(asked[:-1]) + pw.also + asked[-1]
    rows = []
    for ins in plan.remaining:
        state = pw.missed if ins.missed else pw.due
        if ins.paid > 0.005:
            state = pw.part.format(state=state, paid=cash(ins.paid))
        rows.append((str(ins.number), format_day(ins.day, style.locale), cash(ins.left), state))
    text = _grid_text([pw.head, *rows], right=2)
    markup = _grid_html(pw.head, rows, right=2)
    return {"plan": plan.plan, "plan_invoices": ", ".join(plan.invoices),
            "instalment": cash(plan.amount),
            "instalment_number": pw.of.format(k=numbers, n=plan.count),
            "instalment_date": format_day(plan.day, style.locale, "long"),
            "plan_total": cash(plan.total), "plan_left": cash(plan.left),
            "plan_schedule": text, "plan_default_after": str(plan.default_after)}, markup


def _grid_text(rows: list[tuple[str, ...]], right: int) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.rjust(w) if i == right else c.ljust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
                     for r in rows)


def _grid_html(head: tuple[str, ...], rows: list[tuple[str, ...]], right: int) -> str:
    e = html.escape

    def cell(tag: str, r: tuple[str, ...], i: int) -> str:
        align = ' style="text-align:right;white-space:nowrap"' if i == right else ""
        return f"<{tag}{align}>{e(r[i])}</{tag}>"

    top = "".join(cell("th", head, i) for i in range(len(head)))
    body = "".join("<tr>" + "".join(cell("td", r, i) for i in range(len(r))) + "</tr>"
                   for r in rows)
    return (f'<table border="1" cellpadding="4" cellspacing="0">'
            f"<thead><tr>{top}</tr></thead><tbody>{body}</tbody></table>")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


# "{currency} {amount}" in a template written before amounts carried their sign.
_LEGACY_MONEY = re.compile(
    r"\{\s*currency\s*\}\s*(\{\s*(?:amount|interest|compensation|total)\s*\})", re.I)


def _plain_values(values: dict[str, object], w: Words, locale: str, language: str
                  ) -> dict[str, str]:
    """Every placeholder's text: money and dates in the locale, and the parts built from
    the settings (greeting, how to pay, contact line)."""
    currency = str(values.get("currency", ""))
    plain = {k: (format_money(v, currency, locale) if isinstance(v, float)
                 else format_day(v, locale, "long") if isinstance(v, dt.date)
                 else "" if v is None else str(v)) for k, v in values.items()}
    contact = " ".join(plain.get("contact_name", "").split())
    company = plain.get("customer_name") or plain.get("customer", "")
    plain.setdefault("greeting", w.dear.format(name=contact) if contact
                     else w.team.format(company=company))
    details = plain.get("payment_details", "").strip()
    plain.setdefault("how_to_pay", f"{w.pay}\n{details}" if details else "")
    phone = plain.get("phone", "").strip()
    plain.setdefault("contact_line", w.call.format(phone=phone) if phone else w.reply)
    plain.setdefault("claim", _claim(plain, values, language))
    return plain


def render(t: Template, values: dict[str, object], lines: Sequence[Line],
           claim_all: bool = False, locale: str = "en_GB",
           plan: PlanMail | None = None) -> Rendered:
    """``values``: placeholder -> value (floats are money in the reminder's currency, dates
    are dates, both formatted in ``locale``; the words are those of the template's
    language). ``claim_all``: a courtesy note, where the invoices not yet due are what the
    message is about. ``plan``: the kept payment plan the reminder is about, for the plan
    placeholders (blank without one)."""
    w = words(t.language)
    plain = _plain_values(values, w, locale, _language_key(t.language))
    style = _Style(w, locale, plain.get("currency", ""))
    text_table, html_table = _tables(lines, style, claim_all)
    plan_plain, schedule_html = _plan_texts(plan, style, _language_key(t.language))
    plain.update(plan_plain)
    text_values = dict(plain, invoice_table=text_table)
    html_values = {k: html.escape(v) for k, v in plain.items()}
    html_values["invoice_table"] = html_table
    html_values["plan_schedule"] = schedule_html
    subject_t, body_t = (_LEGACY_MONEY.sub(r"\1", x) for x in (t.subject, t.body))
    # A subject is one header line: no line breaks may survive into it.
    subject = " ".join(_substitute(subject_t, plain, escape=False).split())
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", _substitute(body_t, text_values,
                                                                 escape=False)).strip()
    body = _substitute(body_t, html_values, escape=True)
    paragraphs = [p.replace("\n", "<br>\n") for p in re.split(r"\n\s*\n", body.strip())
                  if p.strip()]
    html_body = "".join(f"<p>{p}</p>\n" if "<table" not in p else f"{p}\n" for p in paragraphs)
    return Rendered(subject, text, f"<html><body>\n{html_body}</body></html>")


def pick(templates: Sequence[Template], name: str, language: str) -> Template | None:
    """The template of that name in the customer's language (``de-AT``: else ``de``), else
    English, else any."""
    same = [t for t in templates if t.name.casefold() == name.casefold()]
    lang = language.casefold().replace("_", "-")
    for want in (lang, lang.split("-")[0], "en"):
        for t in same:
            if t.language == want:
                return t
    return same[0] if same else None


# Every level: the greeting, the account number, the invoices with their Reference, how to
# pay, what to do if already paid, and how to reach you.
# {claim}: the final demand names statutory interest and fixed compensation only when they are
# claimed (a business under the Late Payment Act or the EU directive); an Individual is charged
# at most the contract's interest (docs/letters.md), and nothing more when there is none.
_CLAIM = {
    "en": ("{amount}, statutory interest of {interest} and fixed compensation of "
           "{compensation}: {total} in all", "{amount} and interest of {interest}: {total} in all",
           "{amount}"),
    "de": ("{amount}, gesetzliche Verzugszinsen von {interest} und eine Pauschale von "
           "{compensation}: insgesamt {total}", "{amount} und Zinsen von {interest}: insgesamt "
           "{total}", "{amount}"),
    "fr": ("{amount}, des intérêts de retard de {interest} et l'indemnité forfaitaire de "
           "{compensation} : {total} au total", "{amount} et des intérêts de {interest} : "
           "{total} au total", "{amount}"),
}


def _claim(plain: dict[str, str], values: dict[str, object], language: str) -> str:
    statutory, contractual, plain_amount = _CLAIM.get(language, _CLAIM["en"])
    interest, compensation = values.get("interest"), values.get("compensation")
    form = (statutory if isinstance(compensation, float) and compensation > 0
            else contractual if isinstance(interest, float) and interest > 0
            else plain_amount)
    return form.format(**{k: plain.get(k, "") for k in
                          ("amount", "interest", "compensation", "total")})


_SIGN = {
    "en": "{how_to_pay}\n\n{contact_line}\n\nKind regards,\nCredit Control\n{company_name}",
    "de": "{how_to_pay}\n\n{contact_line}\n\nMit freundlichen Grüßen\nForderungsmanagement\n"
          "{company_name}",
    "fr": "{how_to_pay}\n\n{contact_line}\n\nCordialement,\nService recouvrement\n"
          "{company_name}",
}
_PAID = {
    "en": "If you have already paid, thank you: please disregard this message, or reply with "
          "the date and amount of your payment so that we can match it.",
    "de": "Falls Sie bereits bezahlt haben, danken wir Ihnen: Betrachten Sie diese Nachricht "
          "dann als gegenstandslos, oder nennen Sie uns Datum und Betrag Ihrer Zahlung, damit "
          "wir sie zuordnen können.",
    "fr": "Si vous avez déjà réglé, merci : ne tenez pas compte de ce message, ou indiquez-nous "
          "la date et le montant de votre paiement afin que nous puissions le rapprocher.",
}
_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "courtesy": (
            "{company_name}: invoices due - account {account_number}",
            "A friendly note about the invoices below on your account {account_number}, which "
            "are due now or fall due shortly.\n\n{invoice_table}\n\nTotal: {amount}"),
        "first_reminder": (
            "Reminder: {amount} overdue - account {account_number} - {company_name}",
            "Our records show the invoices below on your account {account_number} as unpaid "
            "after their due date. Please arrange payment of {amount}, or let us know if "
            "anything is holding it up.\n\n{invoice_table}"),
        "second_reminder": (
            "Second reminder: {amount} overdue - account {account_number} - {company_name}",
            "We wrote to you about the invoices below on your account {account_number} and "
            "have not yet received payment. The oldest is {oldest_days_overdue} days past due. "
            "Please pay {amount} within 7 days or contact us to agree a date.\n\n"
            "{invoice_table}"),
        "final_demand": (
            "Final demand: {total} - account {account_number} - {company_name}",
            "Despite our reminders the overdue invoices below on your account "
            "{account_number} remain unpaid. We now claim {claim}.\n\n"
            "{invoice_table}\n\nUnless we receive payment within 7 days we may pass the debt "
            "to a collection agency without further notice."),
        # the final level as a letter before action (England and Wales; docs/letters.md):
        # the period to reply and what to do follow in the letter, by the Debtor Type
        "letter_before_action": (
            "Letter before action: {total} - account {account_number} - {company_name}",
            "Despite our reminders the invoices below on your account {account_number} remain "
            "unpaid. We claim {total} in all.\n\n{invoice_table}\n\nThis is a letter "
            "before action: unless the matter is settled we may start court proceedings to "
            "recover the debt. How long you have to reply, and what to do, is set out below."),
        # a kept payment plan's courtesy note and missed-instalment reminder (docs/plans.md)
        "plan_courtesy": (
            "Payment plan {plan}: instalment {instalment_number}, {instalment} due "
            "{instalment_date} - account {account_number} - {company_name}",
            "A friendly note about your payment plan {plan} on account {account_number}: "
            "instalment {instalment_number}, {instalment}, falls due on {instalment_date}."
            "\n\nThe plan covers invoices {plan_invoices}; those still owing are listed "
            "below with what each owes:\n\n{invoice_table}\n\nThe plan's total is "
            "{plan_total}; {plan_left} is left to pay. The instalments still to pay:\n\n"
            "{plan_schedule}\n\n"
            "Total: {amount}"),
        "plan_missed": (
            "Missed instalment: {instalment} - payment plan {plan} - account "
            "{account_number} - {company_name}",
            "Instalment {instalment_number} of your payment plan {plan} on account "
            "{account_number}, {instalment}, was due on {instalment_date} and we have not "
            "received it. Please pay it now, or let "
            "us know if anything is holding it up, so that the plan can continue.\n\n"
            "The plan covers invoices {plan_invoices}; those still owing are listed "
            "below with what each owes:\n\n{invoice_table}\n\nThe plan's total is "
            "{plan_total}; {plan_left} is left to pay. The instalments still to pay:\n\n"
            "{plan_schedule}\n\n"
            "If {plan_default_after} instalments are missed, the plan ends: everything left "
            "on the invoices falls due at once, from their original due dates, and may carry "
            "interest from those dates; our usual reminders then resume.\n\n"
            "Due now: {amount}"),
    },
    "de": {
        "courtesy": (
            "{company_name}: fällige Rechnungen - Kundennummer {account_number}",
            "ein freundlicher Hinweis auf die folgenden Rechnungen zu Ihrer Kundennummer "
            "{account_number}, die jetzt oder in Kürze fällig werden.\n\n{invoice_table}\n\n"
            "Summe: {amount}"),
        "first_reminder": (
            "Zahlungserinnerung: {amount} überfällig - Kundennummer {account_number} - "
            "{company_name}",
            "laut unserer Buchhaltung sind die folgenden Rechnungen zu Ihrer Kundennummer "
            "{account_number} nach ihrem Fälligkeitsdatum noch offen. Bitte überweisen Sie "
            "{amount} oder teilen Sie uns mit, falls etwas die Zahlung aufhält.\n\n"
            "{invoice_table}"),
        "second_reminder": (
            "Zweite Mahnung: {amount} überfällig - Kundennummer {account_number} - "
            "{company_name}",
            "wir hatten Sie bereits an die folgenden Rechnungen zu Ihrer Kundennummer "
            "{account_number} erinnert und noch keine Zahlung erhalten. Die älteste ist seit "
            "{oldest_days_overdue} Tagen fällig. Bitte zahlen Sie {amount} innerhalb von 7 "
            "Tagen oder vereinbaren Sie mit uns einen Termin.\n\n{invoice_table}"),
        "final_demand": (
            "Letzte Mahnung: {total} - Kundennummer {account_number} - {company_name}",
            "trotz unserer Erinnerungen sind die folgenden überfälligen Rechnungen zu Ihrer "
            "Kundennummer {account_number} weiterhin offen. Wir fordern nun {claim}.\n\n"
            "{invoice_table}\n\nGeht die Zahlung nicht innerhalb von 7 "
            "Tagen ein, können wir die Forderung ohne weitere Ankündigung an ein "
            "Inkassounternehmen übergeben."),
        "letter_before_action": (
            "Letzte Aufforderung vor Klageerhebung: {total} - Kundennummer {account_number} - "
            "{company_name}",
            "trotz unserer Erinnerungen sind die folgenden Rechnungen zu Ihrer Kundennummer "
            "{account_number} weiterhin offen. Wir fordern insgesamt {total}.\n\n"
            "{invoice_table}\n\nDies ist unsere letzte Aufforderung vor einer Klage: "
            "Wird die Sache nicht geregelt, können wir die Forderung gerichtlich geltend "
            "machen. Bis wann Sie antworten können und was zu tun ist, steht unten."),
        "plan_courtesy": (
            "Ratenplan {plan}: Rate {instalment_number}, {instalment} fällig am "
            "{instalment_date} - Kundennummer {account_number} - {company_name}",
            "ein freundlicher Hinweis zu Ihrem Ratenplan {plan} für die Kundennummer "
            "{account_number}: Die Rate {instalment_number} über {instalment} ist am "
            "{instalment_date} fällig.\n\nDer Ratenplan umfasst die Rechnungen "
            "{plan_invoices}; die noch offenen stehen unten mit ihrem offenen Betrag:"
            "\n\n{invoice_table}\n\nDer Ratenplan beläuft sich auf insgesamt {plan_total}; "
            "offen sind noch "
            "{plan_left}. Die noch zu zahlenden Raten:\n\n{plan_schedule}\n\n"
            "Summe: {amount}"),
        "plan_missed": (
            "Versäumte Rate: {instalment} - Ratenplan {plan} - Kundennummer "
            "{account_number} - {company_name}",
            "die Rate {instalment_number} Ihres Ratenplans {plan} zur Kundennummer "
            "{account_number} über {instalment} war am "
            "{instalment_date} fällig und ist bei uns noch nicht eingegangen. Bitte "
            "überweisen Sie sie jetzt oder teilen Sie uns mit, falls etwas die Zahlung "
            "aufhält, damit der Ratenplan weiterlaufen kann.\n\nDer Ratenplan umfasst die "
            "Rechnungen {plan_invoices}; die noch offenen stehen unten mit ihrem offenen "
            "Betrag:\n\n{invoice_table}\n\nDer Ratenplan beläuft sich auf insgesamt {plan_total}; "
            "offen sind noch {plan_left}. Die noch zu zahlenden Raten:\n\n{plan_schedule}"
            "\n\nWerden {plan_default_after} Raten versäumt, endet der Ratenplan: Alles, "
            "was auf den Rechnungen noch offen ist, wird sofort fällig, gerechnet ab ihren "
            "ursprünglichen Fälligkeitsdaten, und kann ab dann Zinsen tragen; danach mahnen "
            "wir wieder wie gewohnt.\n\nJetzt fällig: {amount}"),
    },
    "fr": {
        "courtesy": (
            "{company_name} : factures à échéance - compte {account_number}",
            "Un petit rappel concernant les factures ci-dessous de votre compte "
            "{account_number}, échues ou à échoir prochainement.\n\n{invoice_table}\n\n"
            "Total : {amount}"),
        "first_reminder": (
            "Rappel : {amount} en retard - compte {account_number} - {company_name}",
            "Sauf erreur de notre part, les factures ci-dessous de votre compte "
            "{account_number} restent impayées après leur échéance. Merci de régler {amount}, "
            "ou de nous indiquer ce qui retarde le paiement.\n\n{invoice_table}"),
        "second_reminder": (
            "Deuxième rappel : {amount} en retard - compte {account_number} - {company_name}",
            "Nous vous avons déjà écrit au sujet des factures ci-dessous de votre compte "
            "{account_number} et n'avons pas reçu votre paiement. La plus ancienne est échue "
            "depuis {oldest_days_overdue} jours. Merci de régler {amount} sous 7 jours ou de "
            "nous contacter pour convenir d'une date.\n\n{invoice_table}"),
        "final_demand": (
            "Mise en demeure : {total} - compte {account_number} - {company_name}",
            "Malgré nos rappels, les factures échues ci-dessous de votre compte "
            "{account_number} restent impayées. Nous vous réclamons {claim}.\n\n"
            "{invoice_table}\n\nSans paiement sous 7 jours, nous pourrons confier "
            "le recouvrement de cette créance à une société spécialisée sans autre préavis."),
        "letter_before_action": (
            "Mise en demeure avant action en justice : {total} - compte {account_number} - "
            "{company_name}",
            "Malgré nos rappels, les factures ci-dessous de votre compte {account_number} "
            "restent impayées. Nous vous réclamons {total} au total.\n\n{invoice_table}\n\n"
            "Ceci est une mise en demeure avant action en justice : faute de règlement, nous "
            "pourrons saisir le tribunal. Le délai de réponse et la marche à suivre figurent "
            "ci-dessous."),
        "plan_courtesy": (
            "Échéancier {plan} : échéance {instalment_number}, {instalment} le "
            "{instalment_date} - compte {account_number} - {company_name}",
            "Un petit rappel concernant votre échéancier {plan} du compte {account_number} : "
            "l'échéance {instalment_number}, de {instalment}, est à régler le "
            "{instalment_date}.\n\nL'échéancier couvre les factures {plan_invoices} ; "
            "celles qui restent dues figurent ci-dessous avec leur solde :\n\n{invoice_table}\n\n"
            "L'échéancier s'élève à {plan_total} au total ; il reste {plan_left} à régler. "
            "Les échéances restantes :\n\n{plan_schedule}\n\nTotal : {amount}"),
        "plan_missed": (
            "Échéance impayée : {instalment} - échéancier {plan} - compte {account_number} - "
            "{company_name}",
            "L'échéance {instalment_number} de votre échéancier {plan} du compte "
            "{account_number}, de {instalment}, "
            "était à régler le {instalment_date} et nous ne l'avons pas reçue. Merci de la "
            "régler dès maintenant, ou de nous indiquer ce qui retarde le paiement, afin que "
            "l'échéancier se poursuive.\n\nL'échéancier couvre les factures "
            "{plan_invoices} ; celles qui restent dues figurent ci-dessous avec leur solde :\n\n"
            "{invoice_table}\n\nL'échéancier s'élève à {plan_total} au total ; il reste "
            "{plan_left} à régler. Les échéances restantes :\n\n{plan_schedule}\n\n"
            "Si {plan_default_after} échéances sont impayées, l'échéancier prend fin : tout "
            "ce qui reste dû sur les factures devient exigible immédiatement, à compter de "
            "leurs échéances d'origine, et peut porter intérêts depuis ces dates ; nos "
            "relances habituelles reprennent alors.\n\nÀ régler maintenant : {amount}"),
    },
}

# A letter before action's own section (with the payment details) comes before the sign-off.
_SIGN_BEFORE_ACTION = {lang: "{before_action}\n\n" + sign.replace("{how_to_pay}\n\n", "")
                       for lang, sign in _SIGN.items()}


def _default_body(lang: str, name: str, body: str) -> str:
    sign = (_SIGN_BEFORE_ACTION if name == "letter_before_action" else _SIGN)[lang]
    return "{greeting}\n\n" + body + "\n\n" + _PAID[lang] + "\n\n" + sign


DEFAULT_TEMPLATES: list[Template] = [
    Template(name, lang, subject, _default_body(lang, name, body))
    for lang, texts in _TEXTS.items() for name, (subject, body) in texts.items()]
