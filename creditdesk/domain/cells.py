"""Column-wise conversion of raw cell values into typed numpy arrays, with per-row errors.

Raw values come from a workbook file (python-calamine), from xlwings (desktop or Lite) or
from JSON: numbers, text, booleans, dates, datetimes, Excel serial numbers, ISO text, None.
Each converter takes a whole column and returns ``(array, errors)``; ``errors`` maps the
position of each unusable value to a message a finance user understands. A blank cell is not
an error here: it becomes the missing value (NaN, NaT, '' or False) and the caller decides
whether the column may be blank.

Text is read as a finance user writes it (in a workbook or an accounting system's export):
numbers with currency symbols or codes (``£1,250.00``, ``$2,350.50``, ``EUR 12``), thousands
separators, parenthesised, trailing-minus and ``CR`` negatives; dates as ISO text, with month
names (``03 Nov 2026``, ``November 3, 2026``) or as numbers (``03/11/2026``), where day-month
or month-day is decided per column from the data (``decide_date_order``), never guessed
silently; payment terms as ``30``, ``Net 30`` or ``30 days``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

NAT = np.datetime64("NaT", "D")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (with Excel's 1900 leap-year bug)
_MIN_DATE = dt.date(1900, 1, 1)
_MAX_DATE = dt.date(2199, 12, 31)
FIRST_DATE, LAST_DATE = _MIN_DATE, _MAX_DATE  # the dates a workbook may hold (and the CLI takes)
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
# Currency codes and symbols a number may carry (the code list: the currencies controllers
# meet most; three capital letters alone are not taken, 'NOV 3' is not 3).
CURRENCY_CODES = frozenset((
    "GBP", "EUR", "USD", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF",
    "RON", "BGN", "ISK", "JPY", "CNY", "HKD", "SGD", "INR", "ZAR", "AED", "SAR", "ILS", "TRY",
    "MXN", "BRL", "ARS", "CLP", "COP", "KRW", "TWD", "THB", "MYR", "IDR", "PHP", "VND", "NGN",
    "KES", "EGP"))
CURRENCY_SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD", "¥": "JPY", "₹": "INR", "₩": "KRW",
                    "₽": "RUB", "₺": "TRY", "₪": "ILS", "US$": "USD", "A$": "AUD",
                    "AU$": "AUD", "C$": "CAD", "CA$": "CAD", "NZ$": "NZD", "HK$": "HKD",
                    "S$": "SGD", "R$": "BRL"}
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f']+")
_DIGITS = re.compile(r"^\d+$")
_PLAIN = re.compile(r"^\s*(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*$")

Errors = dict[int, str]

TRUE_WORDS = frozenset({"yes", "y", "true", "x", "1", "ja", "oui", "si", "sí"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "", "nein", "non"})


# Text that a spreadsheet could take for a formula (OWASP ASVS 1.2.10), and its quote prefix.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTED = (*FORMULA_START, "'")


def neutralise(value: Any) -> Any:
    """Text that Excel could read as a formula gets a leading ``'`` (OWASP ASVS 1.2.10); so
    does text that starts with ``'`` itself, which Excel would otherwise take as its quote
    prefix and drop. Anything else is returned unchanged. For outside text written into a
    cell (the add-in) or a CSV file (the hand-off pack)."""
    if isinstance(value, str) and value.startswith(_QUOTED):
        return "'" + value
    return value


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


def _strip_currency(text: str) -> str | None:
    """``text`` without one leading or trailing currency symbol or code; None when it has
    none."""
    for m in (re.match(r"^(?:[A-Z]{1,2}\$|[£€$¥₹₩₽₺₪]|[A-Z]{3}(?![A-Za-z]))", text),
              re.search(r"(?<![A-Za-z])(?:[A-Z]{1,2}\$|[£€$¥₹₩₽₺₪]|[A-Z]{3})$", text)):
        if m is None:
            continue
        token = m.group(0)
        if len(token) == 3 and token.isalpha() and token not in CURRENCY_CODES:
            continue
        return (text[m.end():] if m.start() == 0 else text[:m.start()]).strip()
    return None


def _digits(text: str, decimal: str | None, thousands: str | None) -> float | None:
    """The number written with digits and separators, or None. ``decimal=None`` reads
    both conventions where the text tells which it is: ``1,234.50`` and ``1.234,50``;
    ``1,250`` is one thousand two hundred and fifty (as Excel in English reads it), ``12,50``
    (not a group of three) twelve and a half."""
    if decimal is not None:
        sep = thousands if thousands is not None else ("," if decimal == "." else ".")
        whole, _, frac = text.partition(decimal)
        if sep and sep in whole:
            if not re.fullmatch(r"\d{1,3}(" + re.escape(sep) + r"\d{3})+", whole):
                return None
            whole = whole.replace(sep, "")
        body = whole + ("." + frac if frac else "")
    elif "," in text and "." in text:
        dec = "," if text.rfind(",") > text.rfind(".") else "."
        sep = "." if dec == "," else ","
        whole, _, frac = text.rpartition(dec)
        grouped = re.fullmatch(r"\d{1,3}(" + re.escape(sep) + r"\d{3})*", whole)
        if not grouped or not _DIGITS.match(frac):
            return None
        body = whole.replace(sep, "") + "." + frac
    elif "," in text:
        if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
            body = text.replace(",", "")
        elif text.count(",") == 1 and re.fullmatch(r"\d*,\d+", text):
            body = text.replace(",", ".")
        else:
            return None
    elif text.count(".") > 1:
        if not re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
            return None
        body = text.replace(".", "")
    else:
        body = text
    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", body):
        return None
    return float(body)


def parse_number(value: object, decimal: str | None = None,
                 thousands: str | None = None) -> float | str:
    """A float, or the reason ``value`` is not one. Text may carry a currency symbol or code
    (``£1,250.00``, ``EUR 12``, ``12.00 USD``), a sign, parentheses, a trailing minus or
    ``CR`` (negative) / ``DR``; ``decimal``/``thousands`` fix the separators (an export's
    mapping), else both conventions are read where the text is unambiguous."""
    if isinstance(value, bool):
        return f"{value} is not a number"
    if isinstance(value, int | float | np.integer | np.floating):
        f = float(value)
        return f if math.isfinite(f) else f"{value} is not a number"
    if isinstance(value, str):
        if (decimal is None or decimal == ".") and thousands in (None, ",") and \
                (m := _PLAIN.match(value)):  # the common case, fast: -1,234.50
            f = float(m[1].replace(",", "") if "," in m[1] else m[1])
            return f
        text = value.strip().replace("\u2212", "-")
        text = _SPACES.sub("", text)  # spaces and apostrophes only ever group thousands
        negative = False
        for _ in range(4):  # peel signs, brackets, currency and CR/DR in any order
            before = text
            if text.startswith("(") and text.endswith(")"):
                negative, text = not negative, text[1:-1].strip()
            elif text[:1] in "+-" and len(text) > 1:
                negative, text = negative ^ (text[0] == "-"), text[1:].strip()
            elif text.endswith("-") and len(text) > 1:
                negative, text = not negative, text[:-1].strip()
            elif text[-2:].upper() in ("CR", "DR") and len(text) > 2 and \
                    not text[-3].isalpha():
                negative, text = negative ^ (text[-2:].upper() == "CR"), text[:-2].strip()
            else:
                stripped = _strip_currency(text)
                if stripped is not None and stripped:
                    text = stripped
            if text == before:
                break
        f = _digits(text, decimal, thousands) if text else None
        if f is None or not math.isfinite(f):
            return f"text '{_shown(value)}' is not a number"
        return -f if negative else f
    if isinstance(value, dt.date):
        return f"date {value} is not a number"
    return f"'{_shown(value)}' is not a number"


_parse_number = parse_number


def currency_of(value: object) -> str | None:
    """The currency a text amount names (``£1.00`` -> GBP, ``EUR 12`` -> EUR), else None."""
    if not isinstance(value, str):
        return None
    text = _SPACES.sub("", value.strip()).strip("()-+")
    for m in (re.match(r"^(?:[A-Z]{1,2}\$|[£€$¥₹₩₽₺₪]|[A-Z]{3})", text),
              re.search(r"(?:[A-Z]{1,2}\$|[£€$¥₹₩₽₺₪]|[A-Z]{3})$", text)):
        if m:
            token = m.group(0)
            if token in CURRENCY_CODES:
                return token
            if token in CURRENCY_SYMBOLS:
                return CURRENCY_SYMBOLS[token]
    return None


# A cell ``plain_numbers`` reads: blank, or a number as ``_PLAIN`` reads it, written with
# ASCII digits, spaces and tabs only (everything else goes cell by cell). Whether ``_PLAIN``
# takes a text depends only on where its digits are, so the column's distinct shapes (every
# digit written 9) are checked, not its cells.
_PLAIN_SHAPE = re.compile(r"[ \t]*(?:-?(?:9{1,3}(?:,999)+|9+)(?:\.9+)?[ \t]*)?")
_NOT_PLAIN = re.compile(r"[^0-9,.\n \t-]")
_DIGITS_AS_9 = str.maketrans("012345678", "999999999")


def plain_numbers(values: Sequence[object], decimal: str | None = None,
                  thousands: str | None = None) -> np.ndarray | None:
    """A column of text read at once: floats (blank -> NaN) when every cell is text that is
    blank or a plain number (``-1,234.50``, ``12``, as exports write their amounts), each as
    ``parse_number`` reads it; else None (``to_number`` then reads the column cell by cell)."""
    if len(values) == 0 or decimal not in (None, ".") or thousands not in (None, ","):
        return None
    try:
        joined = "\n".join(values)
    except TypeError:  # not all text
        return None
    if joined.count("\n") != len(values) - 1 or _NOT_PLAIN.search(joined) or not all(
            map(_PLAIN_SHAPE.fullmatch, set(joined.translate(_DIGITS_AS_9).split("\n")))):
        return None
    parts = (joined.replace(",", "") if "," in joined else joined).split("\n")
    try:
        return np.fromiter(map(float, parts), np.float64, len(parts))
    except ValueError:  # blank cells
        return np.array([float(p) if p.strip() else np.nan for p in parts], dtype=np.float64)


def to_number(values: Sequence[object], decimal: str | None = None,
              thousands: str | None = None) -> tuple[np.ndarray, Errors]:
    """Floats; blank -> NaN. Fast paths for a column that is all numbers already and for one
    of text that is all plain numbers (``plain_numbers``); text as ``parse_number`` reads
    it."""
    plain = plain_numbers(values, decimal, thousands)
    if plain is not None:
        return plain, {}
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
        parsed = parse_number(v, decimal, thousands)
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


_MONTHS = {m: i for i, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for m in names}
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.I)
_TIME = re.compile(r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]\.?m\.?)?"
                   r"(?:\s*(?:z|utc|gmt|[a-z]{2,4})?\s*[+-]?\d{0,2}:?\d{0,2})?)$", re.I)
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s./-]*([a-z]{3,9})\.?,?[\s./-]*"
                        r"(\d{4}|\d{2})$", re.I)
_MONTH_DAY = re.compile(r"^([a-z]{3,9})\.?[\s./-]*(\d{1,2})(?:st|nd|rd|th)?,?[\s./-]+"
                        r"(\d{4}|\d{2})$", re.I)
_NUMERIC_DATE = re.compile(r"^(\d{1,4})([/.-])(\d{1,2})\2(\d{4}|\d{2})$")
DATE_ORDERS = {"DMY": "day/month/year", "MDY": "month/day/year", "YMD": "year/month/day"}


def _year(text: str) -> int:
    y = int(text)
    return y if len(text) == 4 else (2000 + y if y < 70 else 1900 + y)


def _numeric_parts(text: str) -> tuple[int, int, int, str] | None:
    """(first, second, year, separator) of a date written with numbers only, day/month
    order unknown; None if it is not one (or it starts with the year)."""
    m = _NUMERIC_DATE.match(text)
    if not m or len(m[1]) > 2:
        return None
    return int(m[1]), int(m[3]), _year(m[4]), m[2]


def _clean_date_text(text: str) -> str:
    text = _WEEKDAY.sub("", text.strip())
    return _TIME.sub("", text).strip() if ":" in text else text


def _text_date(text: str, order: str | None) -> dt.date | str:
    """A date from text, or the reason it is not one."""
    shown = _shown(text)
    t = _clean_date_text(text)
    try:
        if m := _ISO_DATE.match(t) or re.match(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$", t):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if (m := _DAY_MONTH.match(t)) and m[2].lower() in _MONTHS:
            return dt.date(_year(m[3]), _MONTHS[m[2].lower()], int(m[1]))
        if (m := _MONTH_DAY.match(t)) and m[1].lower() in _MONTHS:
            return dt.date(_year(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    except ValueError:
        return f"'{shown}' is an impossible date"
    parts = _numeric_parts(t)
    if parts is None:
        return f"'{shown}' is not a date (use an Excel date or YYYY-MM-DD)"
    a, b, year, _ = parts
    if order is None:
        if a > 12 >= b or a == b:
            order = "DMY"
        elif b > 12 >= a:
            order = "MDY"
        elif a <= 12 and b <= 12:
            return (f"'{shown}' could be day/month or month/day; set Date Order in Settings "
                    "(DMY or MDY)")
    day, month = (a, b) if order == "DMY" else (b, a)
    try:
        return dt.date(year, month, day)
    except ValueError:
        if order in ("DMY", "MDY") and 1 <= day <= 12 < month <= 31:
            return f"'{shown}' is not a date in {DATE_ORDERS[order]} order"
        return f"'{shown}' is an impossible date"


def date_or_reason(value: object, order: str | None = None) -> dt.date | str | None:
    """A date, None for blank, or the reason the value is not a date. ``order`` ('DMY' or
    'MDY') reads dates written with numbers only (``03/11/2026``); without it only those
    that cannot be read two ways are taken."""
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
        if _DIGITS.match(text) and len(text) == 5:  # a serial number stored as text
            return date_or_reason(float(text))
        parsed = _text_date(text, order)
        if isinstance(parsed, str):
            return parsed
        d = parsed
    elif hasattr(value, "to_pydatetime"):  # pandas.Timestamp from xlwings DataFrames
        d = value.to_pydatetime().date()
    else:
        return f"'{_shown(value)}' is not a date"
    if not (_MIN_DATE <= d <= _MAX_DATE):
        return f"{d.isoformat()} is an impossible date"
    return d


@dataclass(frozen=True)
class DateOrder:
    """How a column's dates written with numbers only are read: ``order`` ('DMY', 'MDY' or
    None when the column has none, or cannot tell and has no default), and ``note``: why, when
    the data alone did not decide (a user should see it)."""

    order: str | None
    note: str | None = None


def decide_date_order(values: Sequence[object], default: str | None = None,
                      why: str = "") -> DateOrder:
    """Day-month or month-day for one column, from its own values: a day above 12 decides
    (25/11/2026 is day first). A column whose every such date reads both ways takes
    ``default`` (an export format's known order, or the Date Order setting), and says so
    with ``why``; a column that mixes both takes the order of most and its other dates are
    refused by ``to_date``."""
    dmy = mdy = 0
    sample_dmy = sample_mdy = sample_both = None
    seen: set[str] = set()
    for v in values:
        if not isinstance(v, str) or v in seen:
            continue
        seen.add(v)
        parts = _numeric_parts(_clean_date_text(v))
        if parts is None:
            continue
        a, b = parts[0], parts[1]
        if a > 12 >= b:
            dmy += 1
            sample_dmy = sample_dmy or v.strip()
        elif b > 12 >= a:
            mdy += 1
            sample_mdy = sample_mdy or v.strip()
        elif a != b and a <= 12 and b <= 12:
            sample_both = sample_both or v.strip()
    if dmy and mdy:
        order = "DMY" if dmy > mdy or (dmy == mdy and default != "MDY") else "MDY"
        return DateOrder(order, f"the column mixes day-first dates ({sample_dmy}) and "
                         f"month-first dates ({sample_mdy}); read as {DATE_ORDERS[order]}, "
                         "the order of most of them; the others are refused")
    if dmy or mdy:
        return DateOrder("DMY" if dmy else "MDY")
    if sample_both is None:
        return DateOrder(default)
    if default is None:
        return DateOrder(None, f"dates such as {sample_both} could be day/month or "
                         "month/day and nothing says which; set Date Order (DMY or MDY)")
    return DateOrder(default, f"dates such as {sample_both} could be day/month or month/day; "
                     f"read as {DATE_ORDERS[default]}" + (f" ({why})" if why else ""))


_NAT_INT = np.iinfo(np.int64).min  # NaT's bit pattern in datetime64
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def to_date(values: Sequence[object], order: str | None = None) -> tuple[np.ndarray, Errors]:
    """datetime64[D]; blank -> NaT. Each distinct value is parsed once. ``order`` as for
    ``date_or_reason`` (``decide_date_order`` finds it for a column)."""
    days = np.empty(len(values), dtype=np.int64)
    errors: Errors = {}
    cache: dict[object, int | str] = {}
    for i, v in enumerate(values):
        key = ("bool", v) if isinstance(v, bool) else v  # True == 1 must not share a slot
        try:
            parsed = cache[key]
        except (KeyError, TypeError):
            d = date_or_reason(v, order)
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


_TERMS_ZERO = re.compile(r"^(?:due\s+(?:on|upon)\s+receipt|on\s+receipt|cod|c\.o\.d\.?|"
                         r"cash(?:\s+on\s+delivery)?|immediate(?:ly)?|due\s+now)$", re.I)
_TERMS_DAYS = re.compile(r"^(?:(?:\d+(?:\.\d+)?\s*%\s*\d+\s*,?\s*)?net\s*(\d+)(?:\s*days?)?|"
                         r"(?:due\s+(?:in\s+)?)?(\d+)\s*(?:days?|d)(?:\s+(?:net|after"
                         r"(?:\s+(?:the\s+)?invoice(?:\s+date)?)?|from\s+invoice(?:\s+date)?))?)$",
                         re.I)


def parse_terms(value: object) -> int | str | None:
    """Payment terms as whole days (``30``, ``Net 30``, ``30 days``, ``2% 10 Net 30``,
    ``Due on receipt`` = 0); None for blank; else the reason."""
    if is_blank(value):
        return None
    if isinstance(value, str):
        text = " ".join(value.split())
        if _TERMS_ZERO.match(text):
            return 0
        m = _TERMS_DAYS.match(text)
        if m:
            return int(m[1] or m[2])
        parsed = parse_number(text)
        if isinstance(parsed, str):
            return f"'{_shown(value)}' is not a number of days (e.g. 30, Net 30, 30 days)"
    else:
        parsed = parse_number(value)
        if isinstance(parsed, str):
            return parsed
    if not float(parsed).is_integer():
        return f"{parsed:g} is not a whole number"
    return int(parsed)


def to_terms(values: Sequence[object]) -> tuple[np.ndarray, Errors]:
    """Whole days of payment terms as floats (NaN = blank), read as ``parse_terms``."""
    out = np.full(len(values), np.nan)
    errors: Errors = {}
    for i, v in enumerate(values):
        parsed = parse_terms(v)
        if isinstance(parsed, str):
            errors[i] = parsed
        elif parsed is not None:
            out[i] = parsed
    return out, errors


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
