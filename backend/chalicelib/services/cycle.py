"""The schedules' logic: which tenants are due, and the work items they fan out.

The hourly tick enqueues a ``cycle`` work item for each tenant whose last snapshot has
Automation = Yes, whose local time (Time Zone) is inside its Send Window, on a business day
(not a weekend, not a public holiday of its Country), and whose cycle has not run today. The
cycle is safe to run twice: its batch id is ``auto-<day>`` and every reminder key includes the
day, so a second run sends nothing.

The same tick enqueues a ``statements`` work item for each tenant whose Statement Day has come
(``statements.due``: inside the Send Window, on a business day; with or without Automation),
once a month; its claims make a second run send nothing either.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from zoneinfo import ZoneInfo

from . import keys
from .business_days import business_day
from .messages import dumps
from .ports import Deps, Item, Update
from .tenancy import send_window, tenants

log = logging.getLogger(__name__)


def due(prof: Item, now: dt.datetime) -> dt.date | None:
    """The local day whose cycle should run now, or None."""
    if not prof.get("automation") or not prof.get("snapshot"):
        return None
    try:
        local = now.astimezone(ZoneInfo(prof.get("time_zone") or "UTC"))
        start, end = send_window(prof)
    except Exception:
        return None
    day = local.date()
    if not business_day(day, prof.get("country") or "GB"):
        return None
    if not start <= local.time() < end:
        return None
    if prof.get("last_cycle_day") == day.isoformat():
        return None
    return day


def tick(deps: Deps) -> list[str]:
    """Enqueue today's cycle for every tenant that is due, and the statements of every
    tenant whose Statement Day has come; the tenants enqueued (once each)."""
    from . import statements

    now = deps.clock.now()
    work = []
    for t in tenants(deps):
        day = due(t, now)
        if day is not None:
            work.append(dumps({"kind": "cycle", "tenant": t["gsi1sk"], "day": day.isoformat()}))
        day = statements.due(t, now)
        if day is not None:
            work.append(dumps({"kind": "statements", "tenant": t["gsi1sk"],
                               "day": day.isoformat()}))
    if work:
        deps.queue.send("work", work)
    return list(dict.fromkeys(json.loads(w)["tenant"] for w in work))


def fan_out(deps: Deps, kind: str) -> list[str]:
    """A ``scores`` or ``digest`` work item for every tenant with a snapshot."""
    now = deps.clock.now()
    work = []
    for t in tenants(deps):
        if not t.get("snapshot"):
            continue
        if kind in ("digest", "page_summary") and not t.get("controller_email"):
            continue
        day = now.astimezone(ZoneInfo(t.get("time_zone") or "UTC")).date()
        work.append(dumps({"kind": kind, "tenant": t["gsi1sk"], "day": day.isoformat()}))
    if work:
        deps.queue.send("work", work)
    return [json.loads(w)["tenant"] for w in work]


def handle_work(deps: Deps, body: str) -> str:
    """One work item. Raises on failure (the item comes back; after 3 tries, the DLQ)."""
    from . import batches, scores, sending

    item = json.loads(body)
    kind, tenant = item["kind"], item["tenant"]
    day = dt.date.fromisoformat(item["day"])
    if kind == "compute":
        n = batches.run_compute(deps, tenant, item["batch"], day)
        return f"computed {n} reminders"
    if kind == "cycle":
        n = batches.run_compute(deps, tenant, f"auto-{day:%Y%m%d}", day)
        deps.store.update(Update(keys.tenant_pk(tenant), "PROFILE",
                                 set={"last_cycle_day": day.isoformat()}))
        return f"cycle {day}: {n} reminders"
    if kind == "statements":
        from . import statements

        return statements.send_statements(deps, tenant, day).summary()
    if kind == "scores":
        return f"scored {scores.compute_scores(deps, tenant)}"
    if kind == "digest":
        return f"digest {sending.send_digest(deps, tenant, day)}"
    if kind == "page_summary":  # the UTC day before the schedule ran
        from . import debtor

        return f"page summary {debtor.send_summary(deps, tenant, day - dt.timedelta(days=1))}"
    raise ValueError(f"unknown work item {kind!r}")
