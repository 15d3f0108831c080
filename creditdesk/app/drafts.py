"""Reminders as .eml drafts a person opens in a mail program (Outlook opens ``X-Unsent: 1``
files as drafts): ``creditdesk remind WORKBOOK --drafts DIR`` and the demo.

A draft is what ``send`` would hand the backend (``reminders.outgoing``): From the
workbook's Sender Email (Company Name as the display name), Reply To, To and CC, the subject
and both bodies. Each is named ``CUSTOMER-CURRENCY-levelN.eml``
(``creditdesk.domain.emails.mail_file_name``, as the backend's outbox names sent mail), so a
customer's mail is found by its key whatever characters the key holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from creditdesk.api.models import ReminderIn
from creditdesk.app.reminders import Held, outgoing
from creditdesk.domain.emails import mail_file_name
from creditdesk.domain.settings import Settings


def draft_message(r: ReminderIn, settings: Settings) -> EmailMessage:
    """One reminder as an unsent e-mail. ``EmailMessage`` refuses CR or LF in a header."""
    msg = EmailMessage()
    sender = settings.sender_email or ""
    msg["Subject"] = r.subject
    if sender:
        msg["From"] = formataddr((" ".join(settings.company_name.split()), sender))
    msg["To"] = r.to
    if r.cc:
        msg["Cc"] = ", ".join(r.cc)
    if settings.reply_to:
        msg["Reply-To"] = settings.reply_to
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg["X-Unsent"] = "1"
    msg.set_content(r.text)
    if r.html:
        msg.add_alternative(r.html, subtype="html")
    return msg


@dataclass(frozen=True)
class Drafts:
    """What ``write_drafts`` wrote, and the reminders it could not write (a letter, no
    template), with why."""

    written: list[Path]
    held: list[Held]


def write_drafts(reminders: list[dict], settings: Settings, folder: Path) -> Drafts:
    """Each previewed reminder (``remind_doc()["reminders"]``) that can go by e-mail, as
    ``folder/CUSTOMER-CURRENCY-levelN.eml`` (a draft of the same name is replaced)."""
    folder.mkdir(parents=True, exist_ok=True)
    split = outgoing(reminders)
    written = []
    for r in split.send:
        path = folder / mail_file_name(r.customer, r.currency, r.level)
        path.write_bytes(bytes(draft_message(r, settings)))
        written.append(path)
    return Drafts(written, split.held)
