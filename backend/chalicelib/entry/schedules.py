"""Schedules (EventBridge rules run in UTC; each tenant's own time zone is applied in
``cycle``): the hourly ``tick`` (which also releases the manual batches held until their
Send Window opened: ``holding``), ``nightly_scores`` and the ``weekly_digest``. Each only fans
out work items over the work queue."""

from __future__ import annotations

import logging

from chalice import Blueprint, Cron, Rate

from ..bootstrap import current

log = logging.getLogger(__name__)
bp = Blueprint(__name__)


@bp.schedule(Rate(1, unit=Rate.HOURS), description="Creditdesk: start due reminder cycles")
def tick(event):
    from ..services.cycle import tick as run
    from ..services.holding import release_due

    deps = current()
    released = release_due(deps)  # manual batches held until their Send Window opened
    due = run(deps)
    log.info("tick: %d held part(s) released; cycles enqueued for %s", released, due)
    return due


@bp.schedule(Cron(0, 2, "*", "*", "?", "*"), description="Creditdesk: score every ledger")
def nightly_scores(event):
    from ..services.cycle import fan_out

    return fan_out(current(), "scores")


@bp.schedule(Cron(30, 6, "*", "*", "?", "*"),
             description="Creditdesk: yesterday's actions on the debtors' pages")
def page_summary(event):
    from ..services.cycle import fan_out

    return fan_out(current(), "page_summary")


@bp.schedule(Cron(0, 6, "?", "*", "MON", "*"), description="Creditdesk: weekly digest")
def weekly_digest(event):
    from ..services.cycle import fan_out

    return fan_out(current(), "digest")
