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
