"""Batches held until the team's Send Window opens.

A manual send (``creditdesk send``, the add-in's Send) names the workbook's Send Window, Time
Zone and Country (``BatchIn.send_window``). Outside the window, or on a weekend or public
holiday of the Country, the batch is accepted and its reminders stored as queued, but its
send messages are held: written to S3 and indexed by the time the window opens
(``window_opens``). The hourly tick (``release_due``) hands every held part whose time has
come to the send queue, so a batch waits at most until the first tick after the window opens.
Releasing twice is harmless: a reminder key is sent once whatever the queue delivers.

Erasure: erasing a customer rewrites every held part of the tenant without the customer's
reminders, or deletes the part when nothing is left (``forget``); and the release reads the
tombstones of the customers in a part and leaves out those erased since it was held (their
rows fail, ``tombstones.ERASED``). The send worker checks the tombstone again per reminder,
so an erasure after the release started still stops what is not sent yet.

Storage: ``T#<t>`` | ``HELD#<batch_id>#<part>`` (the S3 key of the bodies, the release time;
gsi1 ``HELD`` / ``<utc release time>#<t>#<batch_id>#<part>``) and
``<t>/held/<batch_id>/<part>.json`` (the send messages' bodies, a JSON list; transient).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from creditdesk.api.models import SendWindowIn

from . import keys, tombstones
from .business_days import business_day
from .messages import dumps
from .ports import Cond, Deps, Item, Update

log = logging.getLogger(__name__)
HELD_INDEX = "HELD"
LOOK_AHEAD_DAYS = 31  # a Country with a month of holidays in a row is not one we know


def window_opens(window: SendWindowIn, now: dt.datetime) -> dt.datetime | None:
    """When the window next opens (an aware time in its zone), or None when it is open now."""
    zone = ZoneInfo(window.time_zone)
    local = now.astimezone(zone)
    for ahead in range(LOOK_AHEAD_DAYS):
        day = local.date() + dt.timedelta(days=ahead)
        if not business_day(day, window.country):
            continue
        start = dt.datetime.combine(day, window.start, zone)
        end = dt.datetime.combine(day, window.end, zone)
        if ahead == 0 and start <= local < end:
            return None
        if start > local:
            return start
    raise ValueError(f"no business day in the next {LOOK_AHEAD_DAYS} days for Country "
                     f"{window.country}")


def _blob(tenant: str, batch_id: str, part: int) -> str:
    return f"{tenant}/held/{batch_id}/{part:05d}.json"


def hold(deps: Deps, tenant: str, batch_id: str, part: int, bodies: Sequence[str],
         until: dt.datetime) -> None:
    """Keep a part's send messages until ``until``."""
    ref = _blob(tenant, batch_id, part)
    deps.store.put_blob(ref, json.dumps(list(bodies)).encode(), transient=True)
    at = keys.stamp(until)
    deps.store.put({"pk": keys.tenant_pk(tenant), "sk": f"HELD#{batch_id}#{part:05d}",
                    "ref": ref, "not_before": at, "gsi1pk": HELD_INDEX,
                    "gsi1sk": f"{at}#{tenant}#{batch_id}#{part:05d}"})


def release_due(deps: Deps) -> int:
    """Hand every held part whose time has come to the send queue; the parts released."""
    now = keys.stamp(deps.clock.now())
    released = 0
    for item in deps.store.query_all(HELD_INDEX, index=True, start="0", end=now + "~"):
        if item.get("not_before", "~") > now:
            continue
        data = deps.store.get_blob(item["ref"])
        if data is not None:
            bodies = _without_erased(deps, json.loads(data))
            if bodies:
                deps.queue.send("send", bodies)
        else:
            log.error("held part %s has no bodies in storage; its reminders stay queued",
                      item["sk"])
        deps.store.delete(item["pk"], item["sk"])
        if data is not None:
            deps.store.delete_blob(item["ref"])
        released += 1
    return released


def _entries(body: str) -> tuple[dict, list[dict]]:
    msg = json.loads(body)
    return msg, msg["items"]


def _rebuild(msg: dict, items: list[dict]) -> str:
    return dumps({**msg, "items": items})


def _customers_of(deps: Deps, msg: dict, items: list[dict]) -> dict[str, str]:
    """Each entry's customer, by reminder key: from the reminder itself, or (an entry whose
    content is in S3) from its row."""
    out = {it["key"]: it["r"].get("customer", "") for it in items if "r" in it}
    refs = [it["key"] for it in items if "r" not in it]
    if refs:
        pk = keys.batch_rows_pk(msg["tenant"], msg["batch"])
        rows = deps.store.get_many([(pk, f"R#{k}") for k in refs])
        out.update({k: str(rows.get((pk, f"R#{k}"), {}).get("customer", "")) for k in refs})
    return out


def _without_erased(deps: Deps, bodies: list[str]) -> list[str]:
    """The bodies without the reminders of customers erased since they were held; those
    reminders' rows fail (``tombstones.ERASED``) and lose the address and subject."""
    out = []
    for body in bodies:
        msg, items = _entries(body)
        who = _customers_of(deps, msg, items)
        gone = tombstones.erased(deps, msg["tenant"], set(who.values()))
        if not gone:
            out.append(body)
            continue
        pk = keys.batch_rows_pk(msg["tenant"], msg["batch"])
        for it in items:
            if who.get(it["key"]) in gone:
                deps.store.update(Update(pk, f"R#{it['key']}", set={
                    "status": "failed", "detail": tombstones.ERASED, "to": "", "subject": "",
                    "erased": True, "updated_at": keys.stamp(deps.clock.now())},
                    cond=Cond(equals={"status": "queued"})))
                if it.get("ref"):
                    deps.store.delete_blob(it["ref"])
        kept = [it for it in items if who.get(it["key"]) not in gone]
        if kept:
            out.append(_rebuild(msg, kept))
    return out


def forget(deps: Deps, tenant: str, customer: str, reminder_keys: set[str]) -> int:
    """Take ``customer``'s reminders (by customer, or by key for those whose content is in
    S3) out of every held part of the tenant: the part is rewritten without them, or deleted
    when nothing is left. Returns the parts changed.

    A part released meanwhile (its index item gone after the rewrite) has its object deleted
    again, so no copy outlives the release; an object whose index item is not written yet (a
    hold under way) is rewritten and kept, for its release."""
    store = deps.store
    index: dict[str, Item] = {it["ref"]: it for it in store.query_all(
        keys.tenant_pk(tenant), prefix="HELD#") if it.get("ref")}
    changed = 0
    for ref in store.list_blobs(f"{tenant}/held/"):
        data = store.get_blob(ref)
        if data is None:
            continue
        bodies = json.loads(data)
        kept = []
        for body in bodies:
            msg, items = _entries(body)
            rest = [it for it in items if it["key"] not in reminder_keys
                    and ("r" not in it or it["r"].get("customer") != customer)]
            if rest:
                kept.append(body if len(rest) == len(items) else _rebuild(msg, rest))
        if kept == bodies:
            continue
        changed += 1
        held = index.get(ref)
        if not kept and held is not None:
            store.delete(held["pk"], held["sk"])  # the index first, as the release does
            store.delete_blob(ref)
            continue
        store.put_blob(ref, json.dumps(kept).encode(), transient=True)
        if held is not None and store.get(held["pk"], held["sk"]) is None:
            store.delete_blob(ref)  # released while it was rewritten
    return changed
