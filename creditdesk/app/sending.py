"""The checks and words of a manual send, shared by ``creditdesk send`` and the add-in's Send.

- ``stale_as_of``: a workbook whose As Of Date is not today, in the team's Time Zone, is not
  sent: its reminders would state days and amounts of another day ("due in 1 day" about an
  invoice a week overdue). Blank As Of Date means today; the CLI's ``--as-of-ok`` sends one
  anyway.
- ``send_window``: the workbook's Send Window, Time Zone and Country as the API's
  ``SendWindowIn``; the backend holds a batch submitted outside it until it opens (public
  holidays of the Country and weekends are skipped: the backend knows them).
- ``levels``: the preview per level, for people: count, totals per currency and one mail's
  full text.
- ``scheduled``: "scheduled for 09:00 Europe/London on Tue 8 Dec".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from creditdesk.api.models import SendWindowIn
from creditdesk.domain.errors import CreditdeskError
from creditdesk.domain.settings import Settings

Clock = Callable[[], dt.datetime]  # an aware "now"


def system_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class StaleWorkbook(CreditdeskError):
    """The workbook's As Of Date is not today: nothing is sent."""


def today_in(settings: Settings, now: dt.datetime | None = None) -> dt.date:
    """Today in the team's Time Zone."""
    return (now or system_now()).astimezone(ZoneInfo(settings.time_zone)).date()


def stale_as_of(as_of: dt.date, settings: Settings, now: dt.datetime | None = None,
                how_to_override: str = "") -> None:
    """``StaleWorkbook`` when ``as_of`` is not today in the team's Time Zone: it says which
    date the workbook has and how to send anyway (``how_to_override``, e.g. the CLI flag)."""
    today = today_in(settings, now)
    if as_of == today:
        return
    when = "in the past" if as_of < today else "in the future"
    raise StaleWorkbook(
        f"not sent: the workbook is as of {as_of.isoformat()} ({when}), and today is "
        f"{today.isoformat()} in {settings.time_zone}; its reminders would state the days "
        "and amounts of that date. Clear Settings' As Of Date (blank means today) and "
        "preview again" + (f", or {how_to_override}" if how_to_override else "") + ".")


def send_window(settings: Settings) -> SendWindowIn:
    start, end = settings.send_window
    return SendWindowIn(time_zone=settings.time_zone, start=start, end=end,
                        country=settings.country.upper())


def window_text(settings: Settings) -> str:
    start, end = settings.send_window
    return f"{start:%H:%M}-{end:%H:%M} {settings.time_zone}"


def scheduled(when: dt.datetime, time_zone: str) -> str:
    """'scheduled for 09:00 Europe/London on Tue 8 Dec'."""
    local = when.astimezone(ZoneInfo(time_zone))
    return f"scheduled for {local:%H:%M} {time_zone} on {local:%a} {local.day} {local:%b}"


@dataclass
class Level:
    """The reminders of one level in a preview."""

    level: int
    count: int = 0
    totals: dict[str, float] = field(default_factory=dict)  # currency -> total
    sample: Mapping | None = None  # the first reminder of the level, in full

    def totals_text(self) -> str:
        return ", ".join(f"{c} {v:,.2f}" for c, v in sorted(self.totals.items()))


def levels(reminders: Iterable[Mapping]) -> list[Level]:
    """The previewed reminders (``remind_doc()['reminders']``) per level, lowest first."""
    by: dict[int, Level] = {}
    for r in reminders:
        lv = by.setdefault(int(r["level"]), Level(int(r["level"])))
        lv.count += 1
        lv.totals[r["currency"]] = lv.totals.get(r["currency"], 0.0) + float(r["total"])
        if lv.sample is None:
            lv.sample = r
    return [by[k] for k in sorted(by)]
