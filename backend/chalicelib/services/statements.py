"""Statements of account by mail, once a month (docs/statements.md, "By mail").

The workbook's **Statement Day** (Settings: a day of the month from 1 to 28, or ``first
business day``; blank = none) comes to the backend with the snapshot. On that day, moved to
the next business day when it falls on a weekend or a public holiday of the Country, the
hourly tick (``due``) enqueues a ``statements`` work item once the tenant's Send Window has
opened; a tick that finds the day passed in the same month (the window was closed, the
setting was synced later) enqueues it then. The work item (``send_statements``) mails every
customer with a debit balance at the end of last month one statement per currency: the
open-items statement (``creditdesk.analysis.statements``, the same figures as ``creditdesk
statements --kind open-items``) as a PDF attachment (``creditdesk.documents.pdf``), a short
text in the customer's Language (en, de, fr; others in English) naming the balance, and the
link to the debtor's page when the stage has one (``PAGE_URL``).

The rules are the reminders': From the Sender Email (when it is a verified sender of the
tenant), Reply To, the suppression list, no mail to an erased customer (nor to one marked
Do Not Chase: no automatic mail at all), SES tags (tenant and
key), and exactly once per tenant, customer, currency and period: the claim
``CLAIM#stmt-<YYYY-MM>-<customer>-<currency>`` (``claims``) is taken before SES is called,
so a second run sends nothing. A statement that could not be made (logged) is skipped and
the run is not marked done: the next tick runs it again, and sends only what is missing.
Each statement sent is a ``statement`` event in the history
(Sync brings it into the workbook's History).
"""

from __future__ import annotations

import datetime as dt
import html as _html
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from creditdesk.api.models import EventOut

from . import claims, history, keys, links, tombstones
from .business_days import next_business_day
from .ports import Attachment, Deps, Item, Mail, QuotaSpent, Rejected, Throttled, Unknown, Update
from .tenancy import profile, send_window

log = logging.getLogger(__name__)

FIRST_BUSINESS_DAY = "first business day"
KIND = "open-items"
BATCH = "stmt-{period}"  # the claims' batch, and the debtor-page links' batch

TEXT = {
    "en": {
        "subject": "Statement of account {month} from {company}",
        "greeting": "Dear {name},",
        "body": "please find attached your statement of account at {end}. The balance is "
                "{balance}.",
        "link": "See your account, promise a payment or tell us about a problem: {url}",
        "close": "Kind regards,",
    },
    "de": {
        "subject": "Kontoauszug {month} von {company}",
        "greeting": "Guten Tag {name},",
        "body": "anbei erhalten Sie Ihren Kontoauszug zum {end}. Der offene Saldo beträgt "
                "{balance}.",
        "link": "Ihr Konto, eine Zahlungszusage oder eine Rückfrage: {url}",
        "close": "Mit freundlichen Grüßen",
    },
    "fr": {
        "subject": "Relevé de compte {month} de {company}",
        "greeting": "Bonjour {name},",
        "body": "veuillez trouver ci-joint votre relevé de compte au {end}. Le solde est de "
                "{balance}.",
        "link": "Consultez votre compte, promettez un paiement ou signalez un problème : {url}",
        "close": "Cordialement,",
    },
}


def period_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The month before ``day``'s: (its first day, its last day)."""
    end = day.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def run_day(setting: object, year: int, month: int, country: str) -> dt.date | None:
    """The day of ``month`` the statements go out: the Statement Day (or the 1st for the
    first business day), moved to the next business day; None when the setting is blank."""
    if setting in (None, ""):
        return None
    day = 1 if setting == FIRST_BUSINESS_DAY else int(setting)  # type: ignore[call-overload]
    return next_business_day(dt.date(year, month, day), country)


def due(prof: Item, now: dt.datetime) -> dt.date | None:
    """The local day whose statements should go out now, or None: on or after this month's
    run day, a business day, inside the Send Window, not yet done for last month."""
    if not prof.get("snapshot"):
        return None
    try:
        local = now.astimezone(ZoneInfo(prof.get("time_zone") or "UTC"))
        start, end = send_window(prof)
        country = prof.get("country") or "GB"
        first = run_day(prof.get("statement_day"), local.year, local.month, country)
    except Exception:
        return None
    day = local.date()
    if first is None or day < first or first.month != day.month:
        return None
    if next_business_day(day, country) != day or not start <= local.time() < end:
        return None
    if prof.get("last_statement_period") == f"{period_of(day)[0]:%Y-%m}":
        return None
    return day


@dataclass
class Outcome:
    period: str
    sent: list[str] = field(default_factory=list)  # keys
    skipped: list[str] = field(default_factory=list)  # "key: why"
    stopped: str = ""
    again: bool = False  # a statement could not be made: the next tick runs again

    def summary(self) -> str:
        text = f"statements {self.period}: {len(self.sent)} sent, {len(self.skipped)} skipped"
        return f"{text}; stopped: {self.stopped}" if self.stopped else text


def statement_key(period: str, customer: str, currency: str) -> str:
    return f"stmt-{period}-{customer}-{currency}"


def mail_text(language: str, country: str, company: str, name: str, currency: str,
              balance: float, start: dt.date, end: dt.date, url: str) -> tuple[str, str, str]:
    """(subject, text, html) of a statement's mail, in ``language`` (en, de, fr; else en)."""
    from babel.dates import format_date
    from babel.numbers import format_currency

    from creditdesk.domain.templates import mail_locale

    lang = str(language or "en").casefold().replace("_", "-").split("-")[0]
    t = TEXT.get(lang, TEXT["en"])
    loc = mail_locale(lang if lang in TEXT else "en", country)
    values = {"company": company, "name": name, "url": url,
              "month": format_date(start, "MMMM y", locale=loc),
              "end": format_date(end, "long", locale=loc),
              "balance": format_currency(balance, currency, locale=loc)}
    subject = " ".join(t["subject"].format(**values).split())[:200]
    paragraphs = [t["greeting"].format(**values), t["body"].format(**values)]
    if url:
        paragraphs.append(t["link"].format(**values))
    paragraphs.append(f"{t['close']}\n{company}")
    text = "\n\n".join(paragraphs) + "\n"
    esc = [_html.escape(p).replace("\n", "<br>") for p in paragraphs]
    if url:
        anchor = f'<a href="{_html.escape(url)}">{_html.escape(url)}</a>'
        esc[2] = esc[2].replace(_html.escape(url), anchor)
    body = "".join(f"<p>{p}</p>" for p in esc)
    return subject, text, f"<html><body style=\"font-family:sans-serif\">{body}</body></html>"


def send_statements(deps: Deps, tenant: str, day: dt.date) -> Outcome:
    """Mail last month's statements of ``tenant`` (see the module's docstring)."""
    from creditdesk.analysis.statements import statements_report
    from creditdesk.documents.pdf import quiet_fonts, safe_name, statement_pdf

    from .ledgers import ledger_with_history
    from .sending import sender_of, start

    start_day, end = period_of(day)
    period = f"{start_day:%Y-%m}"
    out = Outcome(period)
    prof = profile(deps, tenant)
    sender, sender_name = sender_of(prof)
    if not sender:
        out.stopped = "the Sender Email in Settings is not a verified sender of this tenant"
        return out
    ledger, prof = ledger_with_history(deps, tenant, day, as_of=end)
    report = statements_report(ledger, start=start_day, kind=KIND)
    due_ones = [s for s in report.statements if s.closing_balance >= 0.005]
    index = {str(c): i for i, c in enumerate(ledger.customers.ids.tolist())}
    cust = ledger.customers
    addresses = {str(cust.email[index[s.customer]] or "") for s in due_ones}
    blocked = history.suppressed(deps, tenant, sorted(a for a in addresses if a))
    gone = tombstones.erased(deps, tenant, {s.customer for s in due_ones})
    country = str(prof.get("country") or "GB")
    company = report.company.name
    run = start(deps)
    batch = BATCH.format(period=period)
    for s in due_ones:
        key = statement_key(period, s.customer, s.currency)
        i = index[s.customer]
        to = str(cust.email[i] or "")
        if s.customer in gone:
            out.skipped.append(f"{key}: the customer was erased")
            continue
        if not to:
            out.skipped.append(f"{key}: no e-mail address in Customers")
            continue
        if bool(cust.do_not_chase[i]):
            out.skipped.append(f"{key}: Do Not Chase")
            continue
        if to in blocked:
            out.skipped.append(f"{key}: {to} is suppressed ({blocked[to].get('reason')})")
            continue
        if run.stopped:
            out.stopped = run.stopped
            break
        owner = claims.claim(deps, tenant, key, batch, customer=s.customer,
                             currency=s.currency)
        if owner is None:
            out.skipped.append(f"{key}: already sent")
            continue
        try:
            run.pace()
            if tombstones.erased(deps, tenant, [s.customer]):  # erased while this ran
                claims.release(deps, tenant, key, owner)
                out.skipped.append(f"{key}: the customer was erased")
                continue
            url = ""
            if deps.config.page_url:
                token = links.issue(deps, tenant, s.customer, batch, links.link_days(prof))
                url = f"{deps.config.page_url}/p/{token}"
            subject, text, html = mail_text(
                str(cust.language[i] or "en"), country, company, s.name, s.currency,
                s.closing_balance, start_day, end, url)
            with quiet_fonts():
                pdf = statement_pdf(s, report.company, KIND)
            file_name = f"{safe_name(s.customer)}-{safe_name(s.currency)}-statement-{period}"
            cc = tuple(c for c in _cc(cust.cc[i]) if c not in blocked)
            mail = Mail(sender=sender, sender_name=sender_name, to=to, cc=cc,
                        reply_to=prof.get("reply_to") or None, subject=subject, text=text,
                        html=html, tags=(("tenant", tenant), ("key", key)),
                        file_name=f"{file_name}.eml",
                        attachments=(Attachment(f"{file_name}.pdf", "application/pdf", pdf),))
        except Exception as exc:  # this statement could not be made: the others still go
            claims.release(deps, tenant, key, owner)
            log.exception("statement %s of tenant %s could not be made", key, tenant)
            out.skipped.append(f"{key}: could not be made ({type(exc).__name__})")
            out.again = True
            continue
        except BaseException:
            claims.release(deps, tenant, key, owner)
            raise
        try:
            message_id = deps.mailer.send(mail)
        except Throttled:
            claims.release(deps, tenant, key, owner)
            raise  # the work item comes back later; what was sent stays sent
        except QuotaSpent as exc:
            claims.release(deps, tenant, key, owner)
            out.stopped = f"the daily sending quota is spent ({exc})"
            break
        except Rejected as exc:
            claims.release(deps, tenant, key, owner)
            out.skipped.append(f"{key}: SES refused it: {exc}")
            continue
        except Unknown as exc:  # it may have gone: the claim stays, it is not sent again
            out.skipped.append(f"{key}: the send may or may not have gone out ({exc})")
            continue
        now = deps.clock.now()
        claims.sent(deps, tenant, key, message_id, now)
        item = history.event_item(tenant, EventOut(
            id=key, at=now, customer=s.customer, type="statement", currency=s.currency,
            email=to, message_id=message_id, amount=s.closing_balance, note=subject))
        deps.store.put(item)
        tombstones.scrub_written(deps, tenant, [item])
        out.sent.append(key)
        run.remaining -= 1
        if run.remaining <= 0:
            run.stopped = "the daily sending quota is spent"
    if not out.stopped and not out.again:  # else the next tick runs it again (claims: no twice)
        deps.store.update(Update(keys.tenant_pk(tenant), "PROFILE",
                                 set={"last_statement_period": period}))
    log.info("tenant %s: %s", tenant, out.summary())
    return out


def _cc(value: object) -> list[str]:
    from creditdesk.domain.emails import split_addresses

    if isinstance(value, list | tuple):
        return [str(v) for v in value if v]
    return split_addresses(str(value or "")) if value else []
