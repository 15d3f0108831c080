"""The contact history: events stored per customer (and by month, for date ranges), the
promises, disputes and notes recorded through the API, the SES events that feed it, and
suppressed addresses.

An event is an ``EventOut``; its item is keyed ``T#<t>#C#<customer>`` / ``H#<time>#<id>`` and
indexed by month for ``GET /v1/history?from=&to=``. Event ids are derived from what caused
them (the reminder key, the SES message id and recipient), so a redelivered SNS message or a
retried worker writes the same item again instead of a second event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from typing import Any

from creditdesk.api.models import DisputeIn, EventOut, NoteIn, PromiseIn

from . import amounts, keys, tombstones
from .errors import Erased, Invalid
from .ports import Cond, Deps, Item, Put, Update

log = logging.getLogger(__name__)

MAX_RANGE_MONTHS = 37


def event_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def new_event_id() -> str:
    return secrets.token_hex(12)


def event_item(tenant: str, ev: EventOut) -> Item:
    at = keys.stamp(ev.at)
    item: Item = {
        "pk": keys.customer_pk(tenant, ev.customer), "sk": f"H#{at}#{ev.id}",
        "gsi1pk": keys.history_month_pk(tenant, at[:7]), "gsi1sk": f"{at}#{ev.id}",
        "kind": "event", "id": ev.id, "at": at, "customer": ev.customer, "type": ev.type,
        "level": ev.level, "currency": ev.currency, "email": ev.email,
        "message_id": ev.message_id, "amount": ev.amount,
        "date": ev.date.isoformat() if ev.date else None, "invoice": ev.invoice,
        "note": ev.note,
    }
    return item


def event_from_item(item: Item) -> EventOut:
    return EventOut(
        id=item["id"], at=keys.parse_stamp(item["at"]), customer=item["customer"],
        type=item["type"], level=item.get("level"), currency=item.get("currency"),
        email=item.get("email"), message_id=item.get("message_id"),
        amount=item.get("amount"), date=item.get("date"), invoice=item.get("invoice"),
        note=item.get("note") or "")


def add_event(deps: Deps, tenant: str, ev: EventOut) -> EventOut:
    """Record an event a user or a debtor made (a promise, dispute, note, plan request).
    A customer with a tombstone is refused (``Erased``) and nothing is stored: read before
    the write, and again after it (an erasure in between: the event is scrubbed and refused
    the same way)."""
    refused = Erased(f"customer {ev.customer!r} was erased (DELETE /v1/customers): nothing "
                     "more is recorded for it; give the company a new customer key to deal "
                     "with it again", "customer")
    if tombstones.erased(deps, tenant, [ev.customer]):
        raise refused
    item = event_item(tenant, ev)
    deps.store.put(item)
    if tombstones.scrub_written(deps, tenant, [item]):
        raise refused
    return ev


def add_promise(deps: Deps, tenant: str, customer: str, p: PromiseIn) -> EventOut:
    if not amounts.usable(p.amount):
        raise Invalid(f"amount: {p.amount} is not a usable amount", "amount")
    return add_event(deps, tenant, EventOut(
        id=new_event_id(), at=deps.clock.now(), customer=customer, type="promise",
        amount=p.amount, date=p.date, note=p.note))


def add_dispute(deps: Deps, tenant: str, customer: str, d: DisputeIn) -> EventOut:
    return add_event(deps, tenant, EventOut(
        id=new_event_id(), at=deps.clock.now(), customer=customer, type="dispute",
        invoice=d.invoice, note=d.reason))


def add_note(deps: Deps, tenant: str, customer: str, n: NoteIn) -> EventOut:
    return add_event(deps, tenant, EventOut(
        id=new_event_id(), at=deps.clock.now(), customer=customer, type="note",
        note=n.text))


def customer_history(deps: Deps, tenant: str, customer: str, limit: int,
                     after: Item | None) -> tuple[list[EventOut], Item | None]:
    items, last = deps.store.query(keys.customer_pk(tenant, customer), prefix="H#",
                                   after=after, limit=limit)
    return [event_from_item(i) for i in items], last


def _months(start: dt.date, end: dt.date) -> list[str]:
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def history_range(deps: Deps, tenant: str, start: dt.date, end: dt.date, limit: int,
                  token: dict[str, Any] | None) -> tuple[list[EventOut], dict[str, Any] | None]:
    """Events from ``start`` to ``end`` (UTC days, inclusive), oldest first, a page at a
    time. ``token`` is what the previous page returned."""
    months = _months(start, end)
    lo = keys.stamp(dt.datetime.combine(start, dt.time(), dt.UTC))
    hi = keys.stamp(dt.datetime.combine(end, dt.time.max, dt.UTC)) + "~"
    i, after = 0, None
    if token:
        if token.get("m") not in months:
            raise ValueError("token")
        i, after = months.index(token["m"]), token.get("k")
        if after is not None and (not isinstance(after, dict) or after.get("gsi1pk") !=
                                  keys.history_month_pk(tenant, token["m"])):
            raise ValueError("token")
    events: list[EventOut] = []
    while i < len(months):
        items, last = deps.store.query(keys.history_month_pk(tenant, months[i]), start=lo,
                                       end=hi, after=after, limit=limit - len(events),
                                       index=True)
        events.extend(event_from_item(x) for x in items if x.get("kind") == "event")
        if last is not None:
            if len(events) >= limit:
                return events, {"m": months[i], "k": last}
            after = last
            continue
        i, after = i + 1, None
        if len(events) >= limit:
            return events, ({"m": months[i], "k": None} if i < len(months) else None)
    return events, None


def all_events(deps: Deps, tenant: str, start: dt.date, end: dt.date) -> list[EventOut]:
    out: list[EventOut] = []
    token = None
    while True:
        page, token = history_range(deps, tenant, start, end, 1000, token)
        out.extend(page)
        if token is None:
            return out


# -- suppression -----------------------------------------------------------------------------


def suppress(deps: Deps, tenant: str, address: str, reason: str, message_id: str,
             at: str) -> None:
    """Never mail ``address`` again (for this tenant). Only the address's hash is kept, so
    the suppression outlives the erasure of the customer's personal data."""
    deps.store.put({"pk": keys.tenant_pk(tenant), "sk": f"SUPP#{keys.address_hash(address)}",
                    "reason": reason, "at": at, "message_id": message_id})


def suppressed(deps: Deps, tenant: str, addresses: list[str]) -> dict[str, Item]:
    """The suppressed ones among ``addresses``: address -> its suppression item."""
    wanted = {a: (keys.tenant_pk(tenant), f"SUPP#{keys.address_hash(a)}")
              for a in addresses if a}
    found = deps.store.get_many(list(wanted.values()))
    return {a: found[k] for a, k in wanted.items() if k in found}


# -- SES events through SNS ------------------------------------------------------------------


def _when(text: str | None, fallback: dt.datetime) -> dt.datetime:
    if not text:
        return fallback
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return fallback
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class NotYet(Exception):
    """An SES event for a message nothing here knows yet (neither its message id nor its
    tags lead to a send claim): raised so that it is delivered again (SNS retries a Lambda
    that fails; the local stack's subscription redelivers a few times), not dropped."""


def _tag(mail: dict, name: str) -> str:
    values = (mail.get("tags") or {}).get(name) or []
    return str(values[0]) if isinstance(values, list) and values else ""


def _claim_of(deps: Deps, message_id: str, mail: dict) -> Item | None:
    """The send claim of an SES message: by its stored message id or, when the worker has not
    stored it yet (or stopped before it could: a reminder in review), by the message's tags
    (tenant and reminder key, which only the send worker sets). Such a claim gets the
    message id now, so later events find it."""
    claims, _ = deps.store.query(keys.message_gsi(message_id), index=True, limit=5)
    claim = next((c for c in claims if c.get("sk", "").startswith("CLAIM#")), None)
    tenant, key = _tag(mail, "tenant"), _tag(mail, "key")
    if claim is not None or not tenant or not key:
        return claim
    claim = deps.store.get(keys.tenant_pk(tenant), f"CLAIM#{key}")
    if claim is None or claim.get("message_id") not in (None, message_id):
        return None
    if not claim.get("message_id"):
        sent_at = keys.stamp(_when(mail.get("timestamp"), deps.clock.now()))
        deps.store.update(Update(claim["pk"], claim["sk"], set={
            "message_id": message_id, "sent_at": sent_at,
            "gsi1pk": keys.message_gsi(message_id), "gsi1sk": "CLAIM"},
            cond=Cond(exists=True, missing=("message_id",))))
        claim = {**claim, "message_id": message_id, "sent_at": sent_at}
    return claim


def record_ses_event(deps: Deps, raw: str) -> list[str]:
    """Record one SES event (an SNS message body) in the history of the customer the message
    was sent to. The tenant comes from the send claim (``_claim_of``). Hard bounces and
    complaints always suppress the address: with no claim (a message of the tenant's that
    is no reminder), by the tenant of its tags; an erased customer gets no event. An event
    nothing leads to yet raises ``NotYet``. Returns what it did."""
    try:
        msg = json.loads(raw)
    except ValueError:
        log.warning("SES event is not JSON; ignored")
        return ["ignored: not JSON"]
    if not isinstance(msg, dict):
        return ["ignored: not an object"]
    kind = str(msg.get("eventType") or msg.get("notificationType") or "")
    mail = msg.get("mail") or {}
    message_id = str(mail.get("messageId") or "")
    if kind not in ("Delivery", "Bounce", "Complaint") or not message_id:
        return [f"ignored: {kind or 'unknown'} event"]
    claim = _claim_of(deps, message_id, mail)
    if claim is None:
        tenant = _tag(mail, "tenant")
        if not tenant or deps.store.get(keys.tenant_pk(tenant), "PROFILE") is None:
            log.warning("SES %s for unknown message %s; to be retried", kind, message_id)
            raise NotYet(f"SES {kind} for unknown message {message_id}")
        claim = {"pk": keys.tenant_pk(tenant)}  # no customer: suppression only
    tenant = claim["pk"].removeprefix("T#")
    customer = claim.get("customer") or ""
    if customer and tombstones.erased(deps, tenant, [customer]):
        customer = ""  # erased: the suppression stays (a hash), no event is written
    return _apply_ses_event(deps, tenant, customer, claim, message_id, kind, msg)


def _apply_ses_event(deps: Deps, tenant: str, customer: str, claim: Item, message_id: str,
                     kind: str, msg: dict) -> list[str]:
    now = deps.clock.now()
    done: list[str] = []

    def event(type_: str, email: str, at: dt.datetime, note: str) -> None:
        if customer:
            item = event_item(tenant, EventOut(
                id=event_id(message_id, type_, email.casefold()), at=at, customer=customer,
                type=type_, level=claim.get("level"), currency=claim.get("currency"),
                email=email, message_id=message_id, note=note[:2000]))
            deps.store.put(item)
            tombstones.scrub_written(deps, tenant, [item])  # erased meanwhile: scrubbed
        done.append(f"{type_} {email}" if customer else f"{type_} (no history)")

    if kind == "Delivery":
        d = msg.get("delivery") or {}
        at = _when(d.get("timestamp"), now)
        event("delivery", ", ".join(map(str, d.get("recipients") or [])), at,
              str(d.get("smtpResponse") or ""))
    elif kind == "Bounce":
        b = msg.get("bounce") or {}
        at = _when(b.get("timestamp"), now)
        hard = b.get("bounceType") == "Permanent"
        for r in b.get("bouncedRecipients") or []:
            email = str(r.get("emailAddress") or "")
            if not email:
                continue
            why = f"{b.get('bounceType')}/{b.get('bounceSubType')}: " + str(
                r.get("diagnosticCode") or r.get("status") or "")
            if hard:
                suppress(deps, tenant, email, f"hard bounce ({why})", message_id,
                         keys.stamp(at))
                event("bounce", email, at, why)
            else:  # a soft bounce does not stop reminders; it is only noted
                event("note", email, at, f"soft bounce {why}")
    else:
        c = msg.get("complaint") or {}
        at = _when(c.get("timestamp"), now)
        for r in c.get("complainedRecipients") or []:
            email = str(r.get("emailAddress") or "")
            if email:
                suppress(deps, tenant, email, "complaint", message_id, keys.stamp(at))
                event("complaint", email, at, str(c.get("complaintFeedbackType") or ""))
    return done


def reminder_event_put(tenant: str, key: str, sent_at: dt.datetime, customer: str,
                       level: int, currency: str, email: str, message_id: str,
                       amount: float, subject: str) -> Put:
    ev = EventOut(id=key, at=sent_at, customer=customer, type="reminder", level=level,
                  currency=currency, email=email, message_id=message_id, amount=amount,
                  note=subject)
    return Put(event_item(tenant, ev))
