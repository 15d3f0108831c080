"""The send worker's logic: each reminder is sent at most once per key.

For every queued reminder of a message:

1. skip it if its row is already final (a redelivered message);
2. skip it if the address is suppressed (hard bounce or complaint);
3. claim its key with a conditional write (``CLAIM#<key>``, only if absent) *before* SES is
   called, ``CHUNK`` reminders at a time (one ``TransactWriteItems``; a key taken already is
   named by the cancellation and the others are claimed again without it); a claim that exists
   already means: sent (message id there: this batch's row is repaired, another batch's is
   skipped as a duplicate) or possibly sent (no message id: a worker stopped between its claim
   and its record: the reminder goes to **review** and is never resent on its own);
4. send through SES at a pace under the account's rate (read at run start);
5. record the message id on the claim, the reminder's row and the customer's history: one
   BatchWriteItem per chunk (and whatever happens, before the worker returns or raises).
   A worker killed before the write (nothing of it runs any more) leaves the chunk's claims
   without a message id: those reminders go to review (at most ``CHUNK``; some went out,
   perhaps not all); a crash after it is repaired on redelivery from the claim. Claims not
   used (throttled, out of time, refused, or not tried yet when an error stops the worker)
   are released before it returns, and it takes no reminder it could not send and record
   before its Lambda times out. (Per reminder that is one SES call and a quarter of a
   DynamoDB call; one conditional write per reminder would double the calls.)

A throttled send releases its claim and the message comes back later (a batch item failure);
a spent daily quota stops the run: the rest fail with that reason; SES refusing one message
fails that reminder; an unknown outcome (a timeout after the request left) keeps the claim and
goes to review.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from creditdesk.api.models import ReminderIn
from creditdesk.domain.emails import mail_file_name

from ..config import SEND_CONCURRENCY
from . import history, keys, senders
from .batches import summary_item
from .errors import SenderNotVerified
from .ports import (
    Cond,
    Deps,
    Item,
    Mail,
    QuotaSpent,
    Rejected,
    Throttled,
    Unknown,
    Update,
)
from .tenancy import profile

log = logging.getLogger(__name__)

# Stop taking new reminders this long (plus one pacing interval) before the Lambda times out:
# longer than one send can take (the SES client's 5 s to connect and 20 s to answer), so a
# claimed reminder is sent or released before the timeout, not stranded in review.
RESERVE_MS = 30_000
THROTTLE_BACKOFF = 30  # seconds before a throttled message comes back
CHUNK = 8  # reminders claimed together, then recorded together (one BatchWriteItem of 3 each)


@dataclass
class Run:
    """One worker invocation: the quota read at its start, the pace, the time left."""

    deps: Deps
    interval: float
    remaining: int
    context: Any = None
    reserve_ms: int = RESERVE_MS
    next_slot: float = 0.0
    stopped: str = ""
    sent: int = 0
    profiles: dict[str, Item] = field(default_factory=dict)

    def out_of_time(self) -> bool:
        get = getattr(self.context, "get_remaining_time_in_millis", None)
        return bool(get) and get() < self.reserve_ms + self.interval * 1000

    def pace(self) -> None:
        clock = self.deps.clock
        now = clock.monotonic()
        if now < self.next_slot:
            clock.sleep(self.next_slot - now)
            now = self.next_slot
        self.next_slot = now + self.interval

    def profile(self, tenant: str) -> Item:
        if tenant not in self.profiles:
            self.profiles[tenant] = profile(self.deps, tenant)
        return self.profiles[tenant]


def start(deps: Deps, context: Any = None, reserve_ms: int = RESERVE_MS) -> Run:
    q = deps.mailer.quota()
    rate = max(q.max_send_rate, 0.1) / SEND_CONCURRENCY
    run = Run(deps, interval=1.0 / rate, remaining=q.remaining, context=context,
              reserve_ms=reserve_ms)
    if q.remaining <= 0:
        run.stopped = (f"not sent: the daily sending quota ({q.max_24h} messages in 24 hours) "
                       "is spent; send again after it resets")
    return run


def sender_of(prof: Item) -> tuple[str, str]:
    """(From address, display name) by ``senders.mail_from``; no address ("") when the
    Sender Email is not the tenant's to send from (the batch was refused for that when it
    was submitted; a workbook synced since may have changed it)."""
    try:
        return senders.mail_from(prof)
    except SenderNotVerified:
        return "", " ".join(str(prof.get("company_name") or "").split())[:100]


def process(run: Run, body: str) -> str:
    """Send a message's reminders. Returns "" when the message is done, else why it must
    come back later ("throttled" or "time")."""
    store = run.deps.store
    msg = json.loads(body)
    tenant, batch_id = msg["tenant"], msg["batch"]
    pk = keys.batch_rows_pk(tenant, batch_id)
    rows = store.get_many([(pk, f"R#{it['key']}") for it in msg["items"]])
    final = {it["key"]: rows.get((pk, f"R#{it['key']}"), {}).get("status")
             for it in msg["items"]}
    pending = [it for it in msg["items"] if final[it["key"]] == "queued"]
    if not pending:
        if msg.get("items"):  # a redelivered message: its summary may be what was lost
            _summarise(run, tenant, batch_id, msg, final)
        return ""
    reminders: dict[str, ReminderIn] = {}
    for it in pending:
        data = it.get("r")
        if data is None:
            raw = store.get_blob(it["ref"])
            data = json.loads(raw)["r"] if raw else None
        if data is not None:
            reminders[it["key"]] = ReminderIn.model_validate(data)
    prof = run.profile(tenant)
    sender, sender_name = sender_of(prof)
    addresses = {a for r in reminders.values() for a in (r.to, *r.cc)}
    m = _Message(run, tenant, batch_id, {k[1][2:]: v for k, v in rows.items()}, reminders,
                 history.suppressed(run.deps, tenant, sorted(addresses)), sender, sender_name,
                 prof.get("reply_to") or None, final)
    try:
        result = m.send(pending)
    finally:
        if m.done:
            store.put_many(m.done)
    _summarise(run, tenant, batch_id, msg, final)
    return result


def _summarise(run: Run, tenant: str, batch_id: str, msg: dict,
               final: dict[str, str | None]) -> None:
    if "m" not in msg:
        return
    counts = Counter(s for s in final.values() if s)
    run.deps.store.put(summary_item(tenant, batch_id, msg["m"], counts, sum(counts.values())))


@dataclass
class _Message:
    """The reminders of one send message, as the worker goes through them."""

    run: Run
    tenant: str
    batch_id: str
    rows: dict[str, Item]  # the reminders' rows as read at the start, by key
    reminders: dict[str, ReminderIn]  # their content, by key (none: it expired)
    blocked: dict[str, Item]  # suppressed addresses
    sender: str
    sender_name: str
    reply_to: str | None
    final: dict[str, str | None]  # each reminder's status as it ends, for the summary
    done: list[Item] = field(default_factory=list)  # claims, rows, events of sent ones

    @property
    def store(self) -> Any:
        return self.run.deps.store

    @property
    def pk(self) -> str:
        return keys.batch_rows_pk(self.tenant, self.batch_id)

    def row(self, key: str, status: str, detail: str = "", only_if_queued: bool = False,
            **extra: Any) -> None:
        after = self.store.update(Update(self.pk, f"R#{key}", set={
            "status": status, "detail": detail[:2000],
            "updated_at": keys.stamp(self.run.deps.clock.now()), **extra},
            cond=Cond(equals={"status": "queued"}) if only_if_queued else None))
        if after is not None:
            self.final[key] = status
        else:  # another worker settled it first: count what it wrote
            self.final[key] = (self.store.get(self.pk, f"R#{key}") or {}).get("status")

    def send(self, pending: list[dict]) -> str:
        """Chunk by chunk: claim a chunk's reminders together, send them one by one, record
        them together. Returns "" when done, else why the message must come back."""
        run = self.run
        for start_at in range(0, len(pending), CHUNK):
            if run.out_of_time():
                return "time"
            ready: list[tuple[str, ReminderIn]] = []
            for it in pending[start_at:start_at + CHUNK]:
                key = it["key"]
                r = self.reminders.get(key)
                if r is None:
                    self.row(key, "failed", "the reminder's content is gone (expired before it "
                             "was sent)")
                elif r.to in self.blocked:
                    b = self.blocked[r.to]
                    self.row(key, "skipped", f"{r.to} is suppressed ({b.get('reason')}, "
                             f"{b.get('at', '')[:10]}); fix the address in Customers")
                elif run.stopped:
                    self.row(key, "failed", run.stopped)
                elif not self.sender:
                    self.row(key, "failed", "not sent: the Sender Email in Settings is not a "
                             "verified sender of this tenant")
                else:
                    ready.append((key, r))
            if ready:
                stop = self._claim_and_send(ready)
                if stop:
                    return stop
            if self.done:
                recorded = list(self.done)
                self.done.clear()  # written once: a failure here is a crash, not a retry
                self.store.put_many(recorded)
        return ""

    def _claim_and_send(self, ready: list[tuple[str, ReminderIn]]) -> str:
        """Claim the chunk's keys in one go, then send what this worker claimed. A claim not
        yet tried when something fails is released on the way out: only a claim whose send
        was attempted (it may have gone) stays, for review."""
        owner = uuid.uuid4().hex
        claimed_at = keys.stamp(self.run.deps.clock.now())
        claims = {key: {"pk": keys.tenant_pk(self.tenant), "sk": f"CLAIM#{key}",
                        "batch": self.batch_id, "owner": owner, "claimed_at": claimed_at,
                        "customer": r.customer, "currency": r.currency, "level": r.level}
                  for key, r in ready}
        won = {c["sk"] for c in self.store.put_absent(list(claims.values()))}
        untried = {key for key, _ in ready if f"CLAIM#{key}" in won}

        def release(key: str) -> None:
            untried.discard(key)
            self.store.delete(keys.tenant_pk(self.tenant), f"CLAIM#{key}",
                              Cond(equals={"owner": owner}))

        try:
            for key, r in ready:
                if key not in untried and self._settle_claimed(key, r):
                    self.final[key] = "sent"
            mine = [(key, r) for key, r in ready if key in untried]
            for i, (key, r) in enumerate(mine):
                stop = self._send_one(key, r, claims[key], untried, release)
                if stop:
                    for later, _ in mine[i:]:
                        if later in untried:
                            release(later)
                    return stop
        except BaseException:  # an error before a send: that claim must not strand it
            for key in sorted(untried):
                with contextlib.suppress(Exception):
                    release(key)
            raise
        return ""

    def _send_one(self, key: str, r: ReminderIn, claim: Item, untried: set[str],
                  release: Any) -> str:
        run = self.run
        if run.stopped:
            release(key)
            self.row(key, "failed", run.stopped)
            return ""
        if run.out_of_time():
            return "time"
        run.pace()
        untried.discard(key)  # from here on, a crash leaves the claim: the send may have gone
        mail = Mail(sender=self.sender, sender_name=self.sender_name, to=r.to,
                    cc=tuple(c for c in r.cc if c not in self.blocked), reply_to=self.reply_to,
                    subject=r.subject, text=r.text, html=r.html,
                    tags=(("tenant", self.tenant), ("key", key)),
                    file_name=mail_file_name(r.customer, r.currency, r.level))
        try:
            message_id = run.deps.mailer.send(mail)
        except Throttled as exc:
            release(key)
            self.store.update(Update(self.pk, f"R#{key}", set={
                "detail": f"throttled, retrying: {exc}"}))
            run.interval *= 1.5
            return "throttled"
        except QuotaSpent as exc:
            release(key)
            run.stopped = (f"not sent: sending stopped ({exc}); send again after the quota "
                           "resets")
            self.row(key, "failed", run.stopped)
            self.store.update(Update(keys.tenant_pk(self.tenant), f"BATCH#{self.batch_id}",
                                     set={"detail": run.stopped}))
            return ""
        except Rejected as exc:
            release(key)
            self.row(key, "failed", f"SES refused it: {exc}")
            return ""
        except Unknown as exc:
            self.row(key, "review", f"the send may or may not have gone out ({exc}); check "
                     "the recipient or SES before sending it again", only_if_queued=True)
            return ""
        run.sent += 1
        run.remaining -= 1
        if run.remaining <= 0 and not run.stopped:
            run.stopped = ("not sent: the daily sending quota is spent; send again after "
                           "it resets")
        now = run.deps.clock.now()
        self.done.append({**claim, "message_id": message_id, "sent_at": keys.stamp(now),
                          "gsi1pk": keys.message_gsi(message_id), "gsi1sk": "CLAIM"})
        self.done.extend(_sent_items(self.rows.get(key), self.tenant, key, r, message_id, now))
        self.final[key] = "sent"
        return ""

    def _settle_claimed(self, key: str, r: ReminderIn) -> bool:
        """Settle a reminder whose key is claimed already; True when it was repaired to
        sent."""
        claim = self.store.get(keys.tenant_pk(self.tenant), f"CLAIM#{key}") or {}
        mid = claim.get("message_id")
        other = claim.get("batch")
        if mid and other == self.batch_id:  # sent, but the row and history were not: repair
            sent_at = keys.parse_stamp(claim["sent_at"])
            self.store.put_many(_sent_items(self.store.get(self.pk, f"R#{key}"), self.tenant,
                                            key, r, mid, sent_at))
            return True
        if mid:
            self.row(key, "skipped", f"already sent in batch {other} "
                     f"({claim.get('sent_at', '')[:10]}, message {mid})", message_id=mid)
        elif other != self.batch_id:
            self.row(key, "skipped", f"the same reminder is in batch {other}; sent at most "
                     "once")
        else:
            self.row(key, "review", "a worker stopped between sending and recording this "
                     f"reminder (claimed {claim.get('claimed_at', '')}); it may have gone out: "
                     "check before sending it again", only_if_queued=True)
        return False


def _sent_items(row: Item | None, tenant: str, key: str, r: ReminderIn, message_id: str,
                sent_at: Any) -> list[Item]:
    """The reminder's row as sent, and its history event (both idempotent to rewrite)."""
    out = []
    if row is not None:
        out.append({**row, "status": "sent", "message_id": message_id, "detail": "",
                    "updated_at": keys.stamp(sent_at)})
    out.append(history.reminder_event_put(tenant, key, sent_at, r.customer, r.level,
                                          r.currency, r.to, message_id, r.amount,
                                          r.subject).item)
    return out


def send_digest(deps: Deps, tenant: str, day: Any) -> str:
    """The weekly digest to the Controller Email, once per ISO week (the same claim)."""
    from . import ledgers

    prof = profile(deps, tenant)
    to = prof.get("controller_email")
    if not to or not prof.get("snapshot"):
        return "no controller e-mail or no snapshot"
    year, week, _ = day.isocalendar()
    key = f"digest-{year}-W{week:02d}"
    claim_pk, claim_sk = keys.tenant_pk(tenant), f"CLAIM#{key}"
    owner = uuid.uuid4().hex
    if not deps.store.put({"pk": claim_pk, "sk": claim_sk, "batch": "digest", "owner": owner,
                           "claimed_at": keys.stamp(deps.clock.now())}, Cond(absent=True)):
        return "already sent"
    doc = ledgers.digest_doc(deps, tenant, day)
    subject, text, html = ledgers.digest_text(doc)
    sender, name = sender_of(prof)
    try:
        mid = deps.mailer.send(Mail(sender=sender, sender_name=name or "Creditdesk", to=to,
                                    subject=subject, text=text, html=html,
                                    tags=(("tenant", tenant), ("key", key))))
    except (Throttled, QuotaSpent, Rejected):
        deps.store.delete(claim_pk, claim_sk, Cond(equals={"owner": owner}))
        raise
    deps.store.update(Update(claim_pk, claim_sk, set={
        "message_id": mid, "sent_at": keys.stamp(deps.clock.now()),
        "gsi1pk": keys.message_gsi(mid), "gsi1sk": "CLAIM"}))
    return mid
