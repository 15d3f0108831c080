"""Batches held until the team's Send Window opens.

A manual send (``creditdesk send``, the add-in's Send) names the workbook's Send Window, Time
Zone and Country (``BatchIn.send_window``). Outside the window, or on a weekend or public
holiday of the Country, the batch is accepted and its reminders stored as queued, but its
send messages are held: written to S3 and indexed by the time the window opens
(``window_opens``). The hourly tick (``release_due``) hands every held part whose time has
come to the send queue, so a batch waits at most until the first tick after the window opens.
Releasing twice is harmless: a reminder key is sent once whatever the queue delivers.

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

from . import keys
from .business_days import business_day
from .ports import Deps

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
            bodies = json.loads(data)
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
