"""Business days: not a weekend, not a public holiday of the Country (the ``holidays``
library). The daily cycle (``cycle``) and the batches held until the Send Window opens
(``holding``) both ask it."""

from __future__ import annotations

import datetime as dt
import functools
import logging

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[dt.date]:
    import holidays

    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except (NotImplementedError, KeyError):
        log.warning("no public holidays known for country %r; only weekends are skipped",
                    country)
        return frozenset()


def business_day(day: dt.date, country: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(country.upper(), day.year)


def next_business_day(day: dt.date, country: str, look_ahead: int = 31) -> dt.date:
    """``day`` when it is a business day, else the first business day after it."""
    for ahead in range(look_ahead):
        candidate = day + dt.timedelta(days=ahead)
        if business_day(candidate, country):
            return candidate
    raise ValueError(f"no business day in the {look_ahead} days from {day} for Country "
                     f"{country}")
