"""The options the ``creditdesk`` commands share (argparse types)."""

from __future__ import annotations

import argparse
import datetime as dt


def date_option(text: str) -> dt.date:
    """A date option: YYYY-MM-DD, within the dates a workbook may hold (1900 to 2199)."""
    from creditdesk.domain.cells import FIRST_DATE, LAST_DATE

    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise argparse.ArgumentTypeError(
            f"{text} is outside the dates Creditdesk works with ({FIRST_DATE.isoformat()} to "
            f"{LAST_DATE.isoformat()})")
    return day
