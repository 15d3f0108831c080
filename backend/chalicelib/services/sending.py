"""The send worker's logic: each reminder is sent at most once per key.

For every queued reminder of a message:

1. skip it if its row is already final (a redelivered message); a row failed when its
   message was dead-lettered is queued again (the message was redriven);
2. skip it if the address is suppressed (hard bounce or complaint), or fail it if its
   customer was erased (the tombstone, ``tombstones``: read for each chunk, and again just
   before each SES call, so a send in flight stops before SES);
3. claim its key with a conditional write (``CLAIM#<key>``, only if absent) *before* SES is
   called, ``CHUNK`` reminders at a time (one ``TransactWriteItems``; a key taken already is
   named by the cancellation and the others are claimed again without it); a claim that exists
   already means: sent (message id there: this batch's row is repaired, another batch's is
   skipped as a duplicate, naming the message), possibly sent (no message id: a worker stopped
   between its claim and its record, in this batch or in the batch holding it whose row is in
   review: the reminder goes to **review** and is never resent on its own), or held by
   another batch still at work: the row waits (``queued``, "held by batch X") and the message
   comes back after a backoff (``backoff``); then the reminder is either sent by X (skipped
   here, with X's message id) or, once X released the claim (throttled, refused, quota, time),
   claimed and sent by this batch;
4. send through SES at a pace under the account's rate (read at run start);
5. record the message id on the claim, the reminder's row and the customer's history: one
   BatchWriteItem per chunk (and whatever happens, before the worker returns or raises),
   then read the tombstones again and scrub what was written for a customer erased
   meanwhile. A worker killed before the write (nothing of it runs any more) leaves the
   chunk's claims without a message id: those reminders go to review (at most ``CHUNK``;
   some went out, perhaps not all); a crash after it is repaired on redelivery from the
   claim. Claims not used (throttled, out of time, refused, erased, or not tried yet when an
   error stops the worker) are released before it returns, and it takes no reminder it could
   not send and record before its Lambda times out.

Per reminder that is one SES call and about 1.6 DynamoDB calls: the tombstone read just before
the send (one call: it has to follow the previous send to stop a send after an erasure), and
per chunk of 8 the tombstone read, the claim transaction, the BatchWriteItem of the record and
the tombstone read after it. With a debtor page (``PAGE_URL``) the chunk's links are written in
one BatchWriteItem before its sends, and each link is made current (the customer's
``LINKS#`` pointer) by the same call that checks the tombstone before the send (a
TransactWriteItems with a ConditionCheck); the chunk's first read also reads the pointers. It
was 4.6 calls a reminder with the page (the link's put, the pointer's read and conditional put
after the tombstone read).

A throttled send releases its claim and the message comes back later (a batch item failure);
a spent daily quota stops the run: the rest fail with that reason; SES refusing one message
fails that reminder; an unknown outcome (a timeout after the request left) keeps the claim and
goes to review. On a message's last receive (``SEND_MAX_RECEIVES``) whatever is still queued
fails with the reason (``give_up``) before the dead-letter queue takes it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from creditdesk.api.models import ReminderIn
from creditdesk.domain.emails import mail_file_name

from ..config import SEND_CONCURRENCY
from . import claims, history, keys, links, senders, tombstones
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
HELD_BACKOFF = 5  # seconds before a message waiting for another batch's claim comes back,
# doubled on each receive (at most 15 minutes): 10 receives wait about 50 minutes in all


def backoff(outcome: str, receives: int) -> int:
    """Seconds before a message that must come back ("throttled", "time", "held") does."""
    if outcome == "held":
        return min(HELD_BACKOFF * 2 ** max(receives - 1, 0), 900)
    return THROTTLE_BACKOFF if outcome == "throttled" else 0
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
    come back later ("throttled", "time", or "held": another batch holds a claim)."""
    store = run.deps.store
    msg = json.loads(body)
    tenant, batch_id = msg["tenant"], msg["batch"]
    pk = keys.batch_rows_pk(tenant, batch_id)
    rows = store.get_many([(pk, f"R#{it['key']}") for it in msg["items"]])
    pending = [it for it in msg["items"]
               if _pending(store, rows.get((pk, f"R#{it['key']}")), run.deps.clock)]
    if not pending:
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
                 prof.get("reply_to") or None)
    try:
        result = m.send(pending)
    finally:
        if m.done:
            m.record(m.done)
    return result or ("held" if m.held else "")


def _pending(store: Any, row: Item | None, clock: Any) -> bool:
    """Whether a row is still to be sent: queued (or held by another batch's claim), or
    failed when its message was dead-lettered and has been brought back (it is queued
    again here)."""
    if row is None:
        return False
    if row.get("status") == "queued":
        return True
    if row.get("status") == "failed" and row.get("dead_letter"):
        return store.update(Update(row["pk"], row["sk"], set={
            "status": "queued", "detail": "brought back from the dead-letter queue",
            "updated_at": keys.stamp(clock.now())}, remove=("dead_letter",),
            cond=Cond(equals={"status": "failed", "dead_letter": True}))) is not None
    return False


def give_up(deps: Deps, body: str, receives: int, why: str) -> int:
    """A message's last receive failed (SQS moves it to the dead-letter queue next): its
    reminders still queued fail, with the reason, marked ``dead_letter`` so that a redrive
    (``creditdesk backend redrive``) sends them. Returns how many."""
    msg = json.loads(body)
    pk = keys.batch_rows_pk(msg["tenant"], msg["batch"])
    rows = deps.store.get_many([(pk, f"R#{it['key']}") for it in msg["items"]])
    n = 0
    for row in rows.values():
        if row.get("status") != "queued":
            continue
        reason = row.get("detail") or why
        detail = (f"not sent: {reason}; gave up after {receives} receives, the message is in "
                  "the dead-letter queue: `creditdesk backend redrive` sends it again")
        if deps.store.update(Update(pk, row["sk"], set={
                "status": "failed", "detail": detail[:2000], "dead_letter": True,
                "updated_at": keys.stamp(deps.clock.now())},
                cond=Cond(equals={"status": "queued"}))) is not None:
            n += 1
    return n


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
    done: list[Item] = field(default_factory=list)  # claims, rows, events of sent ones
    held: bool = False  # some reminder waits for another batch's claim

    @property
    def store(self) -> Any:
        return self.run.deps.store

    @property
    def pk(self) -> str:
        return keys.batch_rows_pk(self.tenant, self.batch_id)

    def row(self, key: str, status: str, detail: str = "", only_if_queued: bool = False,
            **extra: Any) -> None:
        self.store.update(Update(self.pk, f"R#{key}", set={
            "status": status, "detail": detail[:2000],
            "updated_at": keys.stamp(self.run.deps.clock.now()), **extra},
            remove=("held_by",),
            cond=Cond(equals={"status": "queued"}) if only_if_queued else None))

    def erased(self, key: str) -> None:
        """Not sent: the customer was erased. The row loses the address and subject here too
        (the erasure may have swept before this row was visible to it)."""
        self.row(key, "failed", tombstones.ERASED, only_if_queued=True, to="", subject="",
                 erased=True)
        ref = (self.rows.get(key) or {}).get("content_ref")
        if ref:
            self.store.delete_blob(ref)

    def hold(self, key: str, by: str, detail: str) -> None:
        """The row waits (still queued): the message comes back and settles it later."""
        self.store.update(Update(self.pk, f"R#{key}", set={
            "detail": detail, "held_by": by,
            "updated_at": keys.stamp(self.run.deps.clock.now())},
            cond=Cond(equals={"status": "queued"})))
        self.held = True

    def record(self, items: list[Item]) -> None:
        """Write what was sent; then scrub it at once if its customer was erased meanwhile."""
        self.store.put_many(items)
        tombstones.scrub_written(self.run.deps, self.tenant, items)

    def send(self, pending: list[dict]) -> str:
        """Chunk by chunk: claim a chunk's reminders together, send them one by one, record
        them together. Returns "" when done, else why the message must come back."""
        run = self.run
        for start_at in range(0, len(pending), CHUNK):
            if run.out_of_time():
                return "time"
            ready: list[tuple[str, ReminderIn]] = []
            chunk = pending[start_at:start_at + CHUNK]
            customers = {self.reminders[it["key"]].customer for it in chunk
                         if it["key"] in self.reminders}
            # with a debtor page: the tombstones and the customers' current links in one read
            page = (links.read_chunk(run.deps, self.tenant, self.batch_id, customers)
                    if run.deps.config.page_url else None)
            gone = page.gone if page else tombstones.erased(run.deps, self.tenant, customers)
            for it in chunk:
                key = it["key"]
                r = self.reminders.get(key)
                if r is not None and r.customer in gone:
                    self.erased(key)
                elif r is None:
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
                stop = self._claim_and_send(ready, page)
                if stop:
                    return stop
            if self.done:
                recorded = list(self.done)
                self.done.clear()  # written once: a failure here is a crash, not a retry
                self.record(recorded)
        return ""

    def _claim_and_send(self, ready: list[tuple[str, ReminderIn]],
                        page: links.Chunk | None = None) -> str:
        """Claim the chunk's keys in one go, then send what this worker claimed (with a
        debtor page: their links written first, in one go). A claim not yet tried when
        something fails is released on the way out: only a claim whose send was attempted
        (it may have gone) stays, for review."""
        owner = uuid.uuid4().hex
        claimed_at = keys.stamp(self.run.deps.clock.now())
        taken = {key: claims.claim_item(self.tenant, key, self.batch_id, owner, claimed_at,
                                        customer=r.customer, currency=r.currency,
                                        level=r.level)
                 for key, r in ready}
        won = {c["sk"] for c in self.store.put_absent(list(taken.values()))}
        untried = {key for key, _ in ready if f"CLAIM#{key}" in won}

        def release(key: str) -> None:
            untried.discard(key)
            self.store.delete(keys.tenant_pk(self.tenant), f"CLAIM#{key}",
                              Cond(equals={"owner": owner}))

        try:
            for key, r in ready:
                if key not in untried:
                    self._settle_claimed(key, r)
            mine = [(key, r) for key, r in ready if key in untried]
            if page is not None and mine:
                links.prepare(self.run.deps, page, [(key, r.customer) for key, r in mine],
                              links.link_days(self.run.profile(self.tenant)))
            for i, (key, r) in enumerate(mine):
                stop = self._send_one(key, r, taken[key], untried, release, page)
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
                  release: Any, page: links.Chunk | None = None) -> str:
        run = self.run
        if run.stopped:
            release(key)
            self.row(key, "failed", run.stopped)
            return ""
        if run.out_of_time():
            return "time"
        run.pace()
        # erased while in flight? Read just before SES; with a debtor page, the link is made
        # current in the same call, on condition that the tombstone is absent
        token = links.activate(run.deps, page, key) if page is not None else None
        if (token is None if page is not None
                else tombstones.erased(run.deps, self.tenant, [r.customer])):
            release(key)
            self.erased(key)
            return ""
        untried.discard(key)  # from here on, a crash leaves the claim: the send may have gone
        text, html = with_link(run, r, token)
        mail = Mail(sender=self.sender, sender_name=self.sender_name, to=r.to,
                    cc=tuple(c for c in r.cc if c not in self.blocked), reply_to=self.reply_to,
                    subject=r.subject, text=text, html=html,
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
        return ""

    def _settle_claimed(self, key: str, r: ReminderIn) -> None:
        """Settle a reminder whose key another worker claimed: sent (this batch's row is
        repaired, another batch's skipped as a duplicate with its message id), possibly sent
        (review), or held by another batch that may still release it (the row waits)."""
        claim = self.store.get(keys.tenant_pk(self.tenant), f"CLAIM#{key}")
        if claim is None:  # released since: claimed again when the message comes back
            self.hold(key, "", "its claim was released by the batch that held it; it is "
                      "sent by this batch next")
            return
        mid = claim.get("message_id")
        other = claim.get("batch")
        if mid and other == self.batch_id:  # sent, but the row and history were not: repair
            sent_at = keys.parse_stamp(claim["sent_at"])
            self.record(_sent_items(self.store.get(self.pk, f"R#{key}"), self.tenant, key, r,
                                    mid, sent_at))
        elif mid:
            self.row(key, "skipped", f"already sent in batch {other} "
                     f"({claim.get('sent_at', '')[:10]}, message {mid})", message_id=mid)
        elif other == self.batch_id:
            self.row(key, "review", "a worker stopped between sending and recording this "
                     f"reminder (claimed {claim.get('claimed_at', '')}); it may have gone out: "
                     "check before sending it again", only_if_queued=True)
        elif (self.store.get(keys.batch_rows_pk(self.tenant, str(other)), f"R#{key}") or {}
              ).get("status") == "review":
            self.row(key, "review", f"batch {other} may have sent it (a worker stopped between "
                     "sending and recording it): check before sending it again",
                     only_if_queued=True)
        else:
            self.hold(key, str(other), f"held by batch {other}: settled when it settles (sent "
                      "by it, or by this batch once it releases the claim)")


LINK_LINE = "See your account, promise a payment or tell us about a problem: {url}"


def with_link(run: Run, r: ReminderIn, token: str | None) -> tuple[str, str]:
    """The reminder's text and HTML with the link ``token`` to the customer's own page, where
    the template has ``{pay_link}``, else as a last line; unchanged when no ``PAGE_URL`` is
    set (no token)."""
    base = run.deps.config.page_url
    if not base or not token:
        return r.text, r.html
    import html as _html

    url = f"{base}/p/{token}"
    text = (r.text.replace("{pay_link}", url) if "{pay_link}" in r.text
            else f"{r.text.rstrip()}\n\n{LINK_LINE.format(url=url)}\n")
    if not r.html:
        return text, r.html
    anchor = f'<a href="{_html.escape(url)}">{_html.escape(url)}</a>'
    if "{pay_link}" in r.html:
        return text, r.html.replace("{pay_link}", anchor)
    line = f"<p>{_html.escape(LINK_LINE).replace('{url}', anchor)}</p>"
    at = r.html.lower().rfind("</body>")
    return text, (r.html[:at] + line + r.html[at:] if at >= 0 else r.html + line)


def _sent_items(row: Item | None, tenant: str, key: str, r: ReminderIn, message_id: str,
                sent_at: Any) -> list[Item]:
    """The reminder's row as sent, and its history event (both idempotent to rewrite)."""
    out = []
    if row is not None:
        row = {k: v for k, v in row.items() if k not in ("held_by", "dead_letter")}
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
    owner = claims.claim(deps, tenant, key, "digest")
    if owner is None:
        return "already sent"
    doc = ledgers.digest_doc(deps, tenant, day)
    subject, text, html = ledgers.digest_text(doc)
    sender, name = sender_of(prof)
    try:
        mid = deps.mailer.send(Mail(sender=sender, sender_name=name or "Creditdesk", to=to,
                                    subject=subject, text=text, html=html,
                                    tags=(("tenant", tenant), ("key", key))))
    except (Throttled, QuotaSpent, Rejected):
        claims.release(deps, tenant, key, owner)
        raise
    claims.sent(deps, tenant, key, mid)
    return mid
