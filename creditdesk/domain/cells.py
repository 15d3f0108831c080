"""Column-wise conversion of raw cell values into typed numpy arrays, with per-row errors.

Raw values come from a workbook file (python-calamine), from xlwings (desktop or Lite) or
from JSON: numbers, text, booleans, dates, datetimes, Excel serial numbers, ISO text, None.
Each converter takes a whole column and returns ``(array, errors)``; ``errors`` maps the
position of each unusable value to a message a finance user understands. A blank cell is not
an error here: it becomes the missing value (NaN, NaT, '' or False) and the caller decides
whether the column may be blank.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Sequence

import numpy as np

NAT = np.datetime64("NaT", "D")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (with Excel's 1900 leap-year bug)
_MIN_DATE = dt.date(1900, 1, 1)
_MAX_DATE = dt.date(2199, 12, 31)
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")

Errors = dict[int, str]

TRUE_WORDS = frozenset({"yes", "y", "true", "x", "1", "ja", "oui", "si", "sí"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "", "nein", "non"})


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    return False


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def to_text(values: Sequence[object]) -> np.ndarray:
    """Text as text; a whole number typed in a text column (invoice 1001.0) loses its '.0'."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        if v is None:
            out[i] = ""
        elif isinstance(v, str):
            out[i] = v.strip()
        elif isinstance(v, float):
            out[i] = "" if math.isnan(v) else (str(int(v)) if v.is_integer() else repr(v))
        elif isinstance(v, dt.datetime):
            out[i] = v.date().isoformat() if v.time() == dt.time() else v.isoformat()
        elif isinstance(v, dt.date):
            out[i] = v.isoformat()
        else:
            out[i] = str(v).strip()
    return out


def _parse_number(value: object) -> float | str:
    """A float, or the reason it is not one."""
    if isinstance(value, bool):
        return f"{value} is not a number"
    if isinstance(value, int | float | np.integer | np.floating):
        f = float(value)
        return f if math.isfinite(f) else f"{value} is not a number"
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        negative = text.startswith("(") and text.endswith(")")
        if negative:
            text = text[1:-1]
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        try:
            f = float(text)
        except ValueError:
            return f"text '{_shown(value)}' is not a number"
        if not math.isfinite(f):
            return f"text '{_shown(value)}' is not a number"
        return -f if negative else f
    if isinstance(value, dt.date):
        return f"date {value} is not a number"
    return f"'{_shown(value)}' is not a number"


def to_number(values: Sequence[object]) -> tuple[np.ndarray, Errors]:
    """Floats; blank -> NaN. Fast path for a column that is all numbers already."""
    try:
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim == 1 and not any(isinstance(v, bool) for v in values[:1]):
            bad = ~np.isfinite(arr) & ~np.isnan(arr)
            if not bad.any():
                return arr, {}
    except (TypeError, ValueError):
        pass
    out = np.full(len(values), np.nan)
    errors: Errors = {}
    for i, v in enumerate(values):
        if is_blank(v):
            continue
        parsed = _parse_number(v)
        if isinstance(parsed, str):
            errors[i] = parsed
        else:
            out[i] = parsed
    return out, errors


def to_integer(values: Sequence[object]) -> tuple[np.ndarray, Errors]:
    """Whole numbers as floats (NaN = blank), so blanks survive."""
    arr, errors = to_number(values)
    frac = np.isfinite(arr) & (arr != np.round(arr))
    for i in np.flatnonzero(frac):
        errors[int(i)] = f"{arr[i]:g} is not a whole number"
        arr[i] = np.nan
    return arr, errors


def date_or_reason(value: object) -> dt.date | str | None:
    """A date, None for blank, or the reason the value is not a date."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        d = value.date()
    elif isinstance(value, dt.date):
        d = value
    elif isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        d = value.astype("datetime64[D]").item()
    elif isinstance(value, bool):
        return f"{value} is not a date"
    elif isinstance(value, int | float | np.integer | np.floating):
        serial = float(value)
        if not math.isfinite(serial):
            return f"{value} is not a date"
        if serial < 1 or serial > 2958465:
            return f"{value:g} is not an Excel date"
        if serial == 60:
            return "60 is 29 February 1900, a date that never existed (an Excel quirk)"
        # Excel counts 1900 as a leap year: serials before 60 are one day later than the epoch
        d = EXCEL_EPOCH + dt.timedelta(days=int(serial) + (1 if serial < 60 else 0))
    elif isinstance(value, str):
        text = value.strip()
        m = _ISO_DATE.match(text)
        if not m:
            return f"'{_shown(text)}' is not a date (use an Excel date or YYYY-MM-DD)"
        try:
            d = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return f"'{_shown(text)}' is an impossible date"
    elif hasattr(value, "to_pydatetime"):  # pandas.Timestamp from xlwings DataFrames
        d = value.to_pydatetime().date()
    else:
        return f"'{_shown(value)}' is not a date"
    if not (_MIN_DATE <= d <= _MAX_DATE):
        return f"{d.isoformat()} is an impossible date"
    return d


_NAT_INT = np.iinfo(np.int64).min  # NaT's bit pattern in datetime64
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def to_date(values: Sequence[object]) -> tuple[np.ndarray, Errors]:
    """datetime64[D]; blank -> NaT. Each distinct value is parsed once."""
    days = np.empty(len(values), dtype=np.int64)
    errors: Errors = {}
    cache: dict[object, int | str] = {}
    for i, v in enumerate(values):
        key = ("bool", v) if isinstance(v, bool) else v  # True == 1 must not share a slot
        try:
            parsed = cache[key]
        except (KeyError, TypeError):
            d = date_or_reason(v)
            parsed = _NAT_INT if d is None else d if isinstance(d, str) else \
                d.toordinal() - _EPOCH_ORDINAL
            with contextlib.suppress(TypeError):
                cache[key] = parsed
        if isinstance(parsed, str):
            errors[i] = parsed
            days[i] = _NAT_INT
        else:
            days[i] = parsed
    return days.view("datetime64[D]"), errors


def to_bool(values: Sequence[object]) -> tuple[np.ndarray, Errors]:
    """Yes/No, True/False, Y/N, 1/0, x; blank -> False."""
    out = np.zeros(len(values), dtype=bool)
    errors: Errors = {}
    for i, v in enumerate(values):
        if v is None or v is False:
            continue
        if v is True:
            out[i] = True
            continue
        if isinstance(v, int | float) and not isinstance(v, bool):
            if isinstance(v, float) and math.isnan(v):
                continue
            if v in (0, 1):
                out[i] = bool(v)
                continue
        word = str(v).strip().casefold()
        if word in TRUE_WORDS:
            out[i] = True
        elif word not in FALSE_WORDS:
            errors[i] = f"'{_shown(v)}' is not Yes or No"
    return out, errors


def date_or_none(value: np.datetime64) -> dt.date | None:
    return None if np.isnat(value) else value.astype("datetime64[D]").item()
