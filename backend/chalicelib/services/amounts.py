"""Which amounts the backend takes: finite, and under ``MAX_AMOUNT`` in size."""

from __future__ import annotations

import math

MAX_AMOUNT = 1e13  # larger amounts are typing errors, and DynamoDB numbers stop at 1e125


def usable(value: float) -> bool:
    return math.isfinite(value) and abs(value) <= MAX_AMOUNT
