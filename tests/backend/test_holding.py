"""When a manual batch may go: ``services.holding.window_opens`` on the team's Send Window,
Time Zone and Country (weekends and public holidays skipped)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chalicelib.services.holding import window_opens
from creditdesk.api.models import SendWindowIn

LONDON = ZoneInfo("Europe/London")
NINE_TO_FIVE = SendWindowIn(time_zone="Europe/London", start=dt.time(9), end=dt.time(17),
                            country="GB")


def at(*args: int, zone=LONDON) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(("now", "opens"), [
    (at(2026, 12, 7, 10, 0), None),  # Monday, inside
    (at(2026, 12, 7, 9, 0), None),  # the first minute is inside
    (at(2026, 12, 7, 17, 0), at(2026, 12, 8, 9, 0)),  # the end is outside
    (at(2026, 12, 7, 7, 30), at(2026, 12, 7, 9, 0)),  # before it opens today
    (at(2026, 12, 11, 18, 31), at(2026, 12, 14, 9, 0)),  # Friday evening: Monday
    (at(2026, 12, 24, 17, 30), at(2026, 12, 29, 9, 0)),  # Christmas, weekend, Boxing Day
    (at(2026, 3, 27, 18, 0), at(2026, 3, 30, 9, 0)),  # over the clocks going forward
])
def test_the_window_opens(now, opens):
    assert window_opens(NINE_TO_FIVE, now.astimezone(dt.UTC)) == opens


def test_the_window_is_the_teams_own_time_zone():
    tokyo = NINE_TO_FIVE.model_copy(update={"time_zone": "Asia/Tokyo", "country": "JP"})
    # 01:00 UTC on Monday 7 Dec is 10:00 in Tokyo: open there, closed in London
    now = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)
    assert window_opens(tokyo, now) is None
    assert window_opens(NINE_TO_FIVE, now) == at(2026, 12, 7, 9, 0)
