"""Previewed reminders on their way to the backend: which can go, as what, under which batch.

A preview (``Analysis.remind_doc()``) holds every reminder due today. The backend sends
e-mail only, so a reminder whose level's channel is not Email (a letter) or whose template
could not be rendered is held, with the reason; the others become the API's ``ReminderIn``
(CC addresses split as the workbook lists them; an address with a line break is refused, never
split). Any other reason the contract refuses a reminder (a bad address, a subject over two
lines) holds it too, with the field at fault.

Two keys, two questions:

- ``preview_key`` answers "is this still the message the controller saw?": customer,
  currency, level, addressee, invoices, total and subject. The add-in writes it next to each
  previewed row and sends a ticked row only while the ledger still gives the same key.
- ``ReminderIn.key`` (the API contract) answers "was this reminder sent already?": tenant,
  customer, currency, level, invoices and day. The backend sends a key once, whichever
  batch, client or click asks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from creditdesk.api.models import ReminderIn
from creditdesk.domain.emails import split_addresses


def new_batch_id(day: dt.date | None = None) -> str:
    """A batch id a person can read: ``cd-YYYYMMDD-`` and 12 hex digits (48 random bits),
    the day being the preview's as-of date (today when none is given)."""
    day = day or dt.date.today()
    return f"cd-{day:%Y%m%d}-{secrets.token_hex(6)}"


def preview_key(reminder: dict) -> str:
    """What a previewed reminder is: the same key at send time means the same message."""
    raw = "\x1f".join([reminder["customer"], reminder["currency"], str(reminder["level"]),
                       reminder["to"],
                       ",".join(sorted(i["invoice"] for i in reminder["invoices"])),
                       f"{reminder['total']:.2f}", reminder["subject"]])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


class Unsendable(ValueError):
    """A previewed reminder the backend cannot send; the message says why, for the user."""


@dataclass(frozen=True)
class Held:
    """A previewed reminder not handed to the backend, and why."""

    customer: str
    currency: str
    level: int
    reason: str


@dataclass(frozen=True)
class Outgoing:
    """A preview split for the backend: ``send`` (in preview order) and ``held``."""

    send: list[ReminderIn]
    held: list[Held]


def reminder_in(reminder: dict) -> ReminderIn:
    """A previewed reminder as the backend takes it; ``Unsendable`` when it cannot go."""
    if reminder["channel"] != "Email":
        raise Unsendable(f"channel is {reminder['channel']}: not sent by e-mail")
    if not reminder["subject"] or not reminder["text"]:
        raise Unsendable(f"no template '{reminder['template']}' to render")
    cc = reminder["cc"]
    try:
        return ReminderIn(
            customer=reminder["customer"], currency=reminder["currency"],
            level=reminder["level"], to=reminder["to"],
            cc=list(cc) if isinstance(cc, list) else split_addresses(cc or ""),
            subject=reminder["subject"], text=reminder["text"], html=reminder["html"],
            invoices=[i["invoice"] for i in reminder["invoices"]], amount=reminder["amount"],
            interest=reminder["interest"], compensation=reminder["compensation"])
    except ValidationError as exc:
        e = exc.errors()[0]
        raise Unsendable(f"{'.'.join(map(str, e['loc']))}: {e['msg']}") from None


def outgoing(reminders: Iterable[dict]) -> Outgoing:
    """The previewed reminders the backend can send by e-mail, and the others with why."""
    send: list[ReminderIn] = []
    held: list[Held] = []
    for r in reminders:
        try:
            send.append(reminder_in(r))
        except Unsendable as exc:
            held.append(Held(r["customer"], r["currency"], r["level"], str(exc)))
    return Outgoing(send, held)
