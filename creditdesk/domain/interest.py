"""Statutory late-payment interest and fixed compensation, as a credit controller checks them.

Two laws are supported (``LAWS``):

* ``"UK"``: the Late Payment of Commercial Debts (Interest) Act 1998 (as amended 2002/2013).
  Simple interest at 8% over the Bank of England Bank Rate in force on 31 December (debts
  becoming late 1 January-30 June) or 30 June (debts becoming late 1 July-31 December) before
  the half-year in which the debt became late. That rate is fixed for the whole debt. Fixed
  compensation per invoice: £40 under £1,000, £70 from £1,000 to £9,999.99, £100 from £10,000.
* ``"EU"``: the Late Payment Directive 2011/7/EU. The ECB main refinancing operations rate in
  force on 1 January applies to the days of lateness in January-June, the rate in force on
  1 July to the days in July-December, each plus 8 points. When lateness spans half-years each
  half-year's rate applies to its own days (as Germany's §288 BGB applies it); the result lists
  the periods. Fixed compensation of €40 per late invoice (the directive's minimum).

A debt becomes late the day after its due date; days late = payment date (or as-of date) minus
due date. Interest = principal x annual rate x days / 365, also in leap years; under UK law
the daily interest (principal x rate / 365) is rounded to the penny first and then multiplied
by the days, exactly as gov.uk's published worked example does it. A contract rate overrides
the statutory rate; the compensation is still due by law. Nothing is due on credit notes
(principal <= 0) or when days late <= 0.

Otherwise interest is computed exactly (floats, never rounded inside sums) and rounded to
cents, half away from zero, only where it is reported: ``round_money`` / ``round_money_array``.

Both laws are about commercial debts only: the Act covers contracts for goods or services
between businesses (its section 2), the Directive commercial transactions between
undertakings or with public authorities (its article 1), neither a debt owed by a consumer.
``law_for_debtor`` says which law a debtor's debts fall under: none for a customer whose
Debtor Type is Individual, so such a customer owes only the contract's own interest (the
Contract Interest Rate, when it is set) and never the fixed compensation. A customer whose
Debtor Type is Sole Trader (an individual in business: within the Act, and within the
Pre-Action Protocol for Debt Claims too) owes the law's interest and compensation as a
business does: docs/letters.md and docs/interest.md say why.

The reference rates live in ``creditdesk/data/uk_bank_rate.csv`` and
``creditdesk/data/ecb_mro_rate.csv``; see docs/interest.md for their sources. A user never
edits them: newer rates go into the workbook's Rates table (``creditdesk.domain.rates``, which
``creditdesk rates update`` fills from the central bank's file), and every calculation takes
that table as ``rates=``. A result whose reference date is after the table's
``checked_until`` date still uses the last known rate and carries a warning that the table
needs updating.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from importlib import resources

import numpy as np

__all__ = [
    "LAWS",
    "InterestResult",
    "RateTable",
    "compensation_for",
    "contract_interest_columns",
    "interest_columns",
    "law_for_debtor",
    "parse_rate_table",
    "rate_table",
    "reference_rate",
    "round_half_up",
    "round_money",
    "round_money_array",
    "statutory_interest",
]

LAWS = ("UK", "EU")

MARGIN_POINTS = 8.0  # percentage points over the reference rate, both laws
DAYS_IN_YEAR = 365.0  # gov.uk: 365 also in leap years; the EU practice is the same

_CURRENCY = {"UK": "GBP", "EU": "EUR"}
_DATA_FILE = {"UK": "uk_bank_rate.csv", "EU": "ecb_mro_rate.csv"}
_RATE_NAME = {"UK": "Bank of England Bank Rate", "EU": "ECB main refinancing rate"}

# UK fixed sums by the size of the debt (in GBP, rounded to pence): (lower bound, sum).
_UK_BANDS = ((10_000.0, 100.0), (1_000.0, 70.0), (0.0, 40.0))
_EU_COMPENSATION = 40.0

_ONE_DAY = timedelta(days=1)
_CENT = Decimal("0.01")
_WIDE = Context(prec=400)  # enough digits for any float, so quantize never overflows


# --------------------------------------------------------------------------------------------
# Results


Period = tuple[date, date, int, float]  # (first day, last day, days, annual % applied)


@dataclass(frozen=True)
class InterestResult:
    """Interest and compensation on one invoice.

    ``rate`` is the annual % applied (for EU lateness spanning half-years: the rate of the
    first half-year; ``periods`` has each). ``interest`` is exact, in the invoice currency;
    round it with ``round_money`` where it is shown. ``compensation`` is in the law's currency
    (``compensation_currency``). ``reference_date`` is the date whose reference rate was used
    (the first period's for EU), None when a contract rate applies or nothing is due.
    ``periods`` lists (first day, last day, days, annual %) of the days interest ran, empty
    when nothing is due (then ``rate``, ``interest`` and ``compensation`` are 0 and ``days``
    is the days past due, 0 if not late). ``warning`` says the rate table needs updating, for
    the user.
    """

    law: str
    rate: float
    days: int
    interest: float
    compensation: float
    compensation_currency: str
    reference_date: date | None
    warning: str | None = None
    periods: tuple[Period, ...] = ()


# --------------------------------------------------------------------------------------------
# Money rounding


def round_money(x: float) -> float:
    """Round to cents, half away from zero, on the shortest decimal form of ``x``.

    ``round_money(2.675) == 2.68`` (plain ``round`` gives 2.67 because the float is
    2.67499999...). Non-finite values are returned unchanged. Round only at the reporting
    edge, never inside sums.
    """
    x = float(x)
    if not math.isfinite(x):
        return x
    text = repr(x)
    point = text.find(".")
    if "e" not in text and (point < 0 or len(text) - point <= 3):
        return x + 0.0  # already whole cents (the common case for ledger amounts)
    q = Decimal(text).quantize(_CENT, rounding=ROUND_HALF_UP, context=_WIDE)
    return float(q) + 0.0  # + 0.0 turns -0.0 into 0.0


def round_half_up(x: float | None, digits: int = 2) -> float | None:
    """Round to ``digits`` decimals half away from zero, on the shortest decimal form of
    ``x``, as money is rounded (0.25 -> 0.3 at one decimal; Python's ``round`` gives 0.2).
    None, NaN and infinities are returned as they are."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return x
    q = Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP,
                                  context=_WIDE)
    return float(q) + 0.0


_EXACT_LIMIT = 1e12  # below this the vectorised rounding is provably equal to round_money


def round_money_array(x: np.ndarray) -> np.ndarray:
    """``round_money`` on every element, without a Python loop (same results, bit for bit).

    For |x| < 1e12 the cent above is taken exactly when x >= float("k.kk5"), which for the
    shortest decimal form of x is the same test round_money makes; larger values (not money)
    fall back to round_money one by one. NaN stays NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    with np.errstate(invalid="ignore", over="ignore"):
        c = np.floor(a * 100.0)
        cents = (c - 1.0) + (a >= (c - 0.5) / 100.0) + (a >= (c + 0.5) / 100.0)
    out = np.copysign(cents / 100.0, x)
    out = np.where(np.isfinite(x), out, x)
    big = np.isfinite(x) & (a >= _EXACT_LIMIT)
    if big.any():
        out[big] = [round_money(v) for v in x[big]]
    return out + 0.0


# --------------------------------------------------------------------------------------------
# Reference-rate tables


@dataclass(frozen=True)
class RateTable:
    """Every change of a reference rate: ``effective`` (datetime64[D], ascending) and
    ``rates`` (percent), known complete up to ``checked_until``."""

    name: str
    effective: np.ndarray
    rates: np.ndarray
    checked_until: date
    source: str = ""

    @property
    def first_date(self) -> date:
        return _to_date(self.effective[0])

    def rate_on(self, day: date) -> float:
        """The rate in force on ``day`` (the last change on or before it)."""
        i = int(np.searchsorted(self.effective, np.datetime64(day, "D"), side="right")) - 1
        if i < 0:
            raise ValueError(
                f"{self.name} has no rate for {day.isoformat()}: it starts on "
                f"{self.first_date.isoformat()}"
            )
        return float(self.rates[i])

    @property
    def last_rate(self) -> float:
        return float(self.rates[-1])


_LINE = re.compile(r"^#\s*([a-z_]+):\s*(.*?)\s*$")


def parse_rate_table(text: str, name: str) -> RateTable:
    """Read a rate table in the format of ``creditdesk/data/*.csv``.

    ``# key: value`` comment lines give ``source`` and ``checked_until`` (required); other
    ``#`` lines are ignored; then a header ``effective_date,rate_percent`` and one row per
    change, dates ascending. Raises ValueError naming the line at fault.
    """
    meta: dict[str, str] = {}
    days: list[np.datetime64] = []
    rates: list[float] = []
    header_seen = False
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = _LINE.match(line)
            if m and m.group(1) in ("source", "checked_until"):
                meta.setdefault(m.group(1), m.group(2))
            continue
        cells = [c.strip() for c in line.split(",")]
        if not header_seen:
            if [c.casefold() for c in cells] != ["effective_date", "rate_percent"]:
                raise ValueError(f"{name}, line {n}: expected the header "
                                 f"'effective_date,rate_percent', found {line!r}")
            header_seen = True
            continue
        if len(cells) != 2:
            raise ValueError(f"{name}, line {n}: expected 'YYYY-MM-DD,rate', found {line!r}")
        try:
            day = date.fromisoformat(cells[0])
            rate = float(cells[1])
        except ValueError:
            raise ValueError(f"{name}, line {n}: expected 'YYYY-MM-DD,rate', "
                             f"found {line!r}") from None
        if not math.isfinite(rate):
            raise ValueError(f"{name}, line {n}: the rate {cells[1]!r} is not a number")
        d64 = np.datetime64(day, "D")
        if days and d64 <= days[-1]:
            raise ValueError(f"{name}, line {n}: {cells[0]} is not after the previous row's "
                             "date; keep rows in date order, one per change")
        days.append(d64)
        rates.append(rate)
    if not days:
        raise ValueError(f"{name}: no rates")
    if "checked_until" not in meta:
        raise ValueError(f"{name}: missing the '# checked_until: YYYY-MM-DD' line")
    try:
        checked = date.fromisoformat(meta["checked_until"])
    except ValueError:
        raise ValueError(f"{name}: checked_until {meta['checked_until']!r} is not a date "
                         "YYYY-MM-DD") from None
    if np.datetime64(checked, "D") < days[-1]:
        raise ValueError(f"{name}: checked_until {checked.isoformat()} is before the last "
                         f"change {_to_date(days[-1]).isoformat()}")
    return RateTable(name, np.array(days, dtype="datetime64[D]"),
                     np.array(rates, dtype=np.float64), checked, meta.get("source", ""))


_SHIPPED: dict[str, RateTable] = {}


def rate_table(law: str) -> RateTable:
    """The reference-rate table shipped for a law (``creditdesk/domain/data/``), read on
    first use, then cached. Every calculation takes ``rates=`` to use another table (one typed
    into a workbook, or a test's)."""
    law = _check_law(law)
    if law not in _SHIPPED:
        res = resources.files("creditdesk.domain").joinpath("data").joinpath(_DATA_FILE[law])
        text = res.read_text(encoding="utf-8")
        _SHIPPED[law] = parse_rate_table(text, f"creditdesk/data/{_DATA_FILE[law]}")
    return _SHIPPED[law]


def _stale_warning(law: str, table: RateTable, latest_ref: date, count: int = 1) -> str:
    items = "" if count == 1 else f" for {count} items"
    return (
        f"{_RATE_NAME[law]} table ({table.name}) is checked only until "
        f"{table.checked_until.isoformat()}, but late-payment interest{items} needs the rate "
        f"of {latest_ref.isoformat()}: the last known rate {table.last_rate:g}% was used. "
        "Add the rates since then to the workbook's Rates table: creditdesk rates update "
        "FILE --into WORKBOOK reads them from the central bank's published file."
    )


# --------------------------------------------------------------------------------------------
# Reference dates


def _uk_reference_date(late_day: date) -> date:
    """31 December before a late day in January-June, 30 June before one in July-December."""
    if late_day.month <= 6:
        return date(late_day.year - 1, 12, 31)
    return date(late_day.year, 6, 30)


def _half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _half_year_end(day: date) -> date:
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def reference_rate(law: str, day: date, rates: RateTable | None = None
                   ) -> tuple[float, date, str | None]:
    """(reference rate %, the reference date used, warning) for a day of lateness.

    UK: ``day`` is the day the debt became late (due date + 1); the reference date is the
    31 December / 30 June before its half-year. EU: ``day`` is any day of lateness; the
    reference date is 1 January / 1 July of its half-year. The rate is the one in force on the
    reference date, without the 8 points (from ``rates``, default the shipped table). Raises
    ValueError before the table's first date.
    """
    law = _check_law(law)
    day = _as_date(day, "day")
    ref = _uk_reference_date(day) if law == "UK" else _half_year_start(day)
    table = rates or rate_table(law)
    rate = table.rate_on(ref)
    warning = _stale_warning(law, table, ref) if ref > table.checked_until else None
    return rate, ref, warning


# --------------------------------------------------------------------------------------------
# Compensation


def law_for_debtor(law: str, individual: bool) -> str:
    """The late-payment law a debtor's debts fall under: ``law`` (Settings' Late Payment
    Law: "None", "UK" or "EU") for a business or a sole trader (Debtor Type Business or Sole
    Trader), "None" for an ``individual`` (Debtor Type Individual: a consumer), whom neither
    the 1998 Act nor Directive 2011/7/EU is claimed against."""
    if law != "None" and law not in LAWS:
        raise ValueError(f"unknown law {law!r}; expected None, UK or EU")
    return "None" if individual else law


def compensation_for(law: str, amount_in_law_currency: float) -> float:
    """The fixed compensation for one late invoice of this size (in GBP for UK, EUR for EU).

    UK bands are read on the amount rounded to pence: £999.99 -> £40, £1,000 -> £70,
    £9,999.99 -> £70, £10,000 -> £100. EU: €40 whatever the size.
    """
    law = _check_law(law)
    if law == "EU":
        return _EU_COMPENSATION
    pence = round_money(amount_in_law_currency)
    for lower, fixed in _UK_BANDS:
        if pence >= lower:
            return fixed
    return _UK_BANDS[-1][1]


# Same bands on arrays: round_money(x) >= B (B a whole number of pounds) is exactly
# x >= float(B - 0.005), by the monotonicity of shortest-repr rounding.
def _compensation_array(law: str, law_amount: np.ndarray) -> np.ndarray:
    if law == "EU":
        return np.where(np.isnan(law_amount), np.nan, _EU_COMPENSATION)
    out = np.full(law_amount.shape, _UK_BANDS[-1][1])
    out = np.where(law_amount >= _UK_BANDS[1][0] - 0.005, _UK_BANDS[1][1], out)
    out = np.where(law_amount >= _UK_BANDS[0][0] - 0.005, _UK_BANDS[0][1], out)
    return np.where(np.isnan(law_amount), np.nan, out)


# --------------------------------------------------------------------------------------------
# Interest


def _simple(amount, annual_pct, days):
    """Simple interest; one expression for scalars and arrays so both give the same bits."""
    return amount * annual_pct / 100.0 * days / DAYS_IN_YEAR


def _uk_daily(amount, annual_pct, days):
    """gov.uk's published method: the daily interest, rounded to the penny, times the days.

    This is the one rounding before a total, and it is the law's published convention: a
    controller following gov.uk gets the same figure to the penny.
    """
    daily = amount * annual_pct / 100.0 / DAYS_IN_YEAR
    if isinstance(daily, np.ndarray):
        return round_money_array(daily) * days
    return round_money(daily) * days


def _interest_for(law: str):
    return _uk_daily if law == "UK" else _simple


def statutory_interest(
    amount: float,
    due: date,
    paid: date,
    law: str,
    contract_rate: float | None = None,
    amount_in_law_currency: float | None = None,
    rates: RateTable | None = None,
) -> InterestResult:
    """Interest and fixed compensation on one invoice.

    ``amount`` is the principal in the invoice currency; the interest is in that currency.
    ``paid`` is the payment date, or the as-of date while unpaid. ``contract_rate`` (annual %,
    e.g. 10.0) replaces the statutory rate. ``amount_in_law_currency`` is the same principal
    in GBP (UK) / EUR (EU) for the compensation band; it defaults to ``amount``. ``rates``
    is the reference-rate table (default: the shipped one, ``rate_table(law)``).
    Raises ValueError for an unknown law, a non-finite amount or a negative contract rate,
    and for a reference date before the rate table starts.
    """
    law = _check_law(law)
    amount = _finite(amount, "amount")
    due = _as_date(due, "due")
    paid = _as_date(paid, "paid")
    contract = _contract_rate(contract_rate)
    law_amount = amount if amount_in_law_currency is None else _finite(
        amount_in_law_currency, "amount_in_law_currency")
    currency = _CURRENCY[law]

    days = (paid - due).days
    if days <= 0 or amount <= 0:
        return InterestResult(law, 0.0, max(days, 0), 0.0, 0.0, currency, None)

    first = due + _ONE_DAY
    compensation = compensation_for(law, law_amount)
    if contract is not None:
        interest = 0.0 + _interest_for(law)(amount, contract, days)
        return InterestResult(law, contract, days, interest, compensation, currency, None,
                              None, ((first, paid, days, contract),))

    table = rates or rate_table(law)
    periods, refs = _statutory_periods(law, table, first, paid)
    interest = 0.0
    for _, _, n, pct in periods:
        interest += _interest_for(law)(amount, pct, n)
    latest = max(refs)
    warning = _stale_warning(law, table, latest) if latest > table.checked_until else None
    return InterestResult(law, periods[0][3], days, interest, compensation, currency, refs[0],
                          warning, tuple(periods))


def _statutory_periods(law: str, table: RateTable, first: date, paid: date
                       ) -> tuple[list[Period], list[date]]:
    """The periods of lateness from ``first`` to ``paid`` with their rate (reference rate + 8
    points) and the reference dates: UK one period at the rate fixed when the debt became
    late; EU one period per half-year, each at that half-year's rate."""
    if law == "UK":
        ref = _uk_reference_date(first)
        return [(first, paid, (paid - first).days + 1, table.rate_on(ref) + MARGIN_POINTS)], [ref]
    periods: list[Period] = []
    refs: list[date] = []
    start = first
    while start <= paid:
        end = min(_half_year_end(start), paid)
        ref = _half_year_start(start)
        periods.append((start, end, (end - start).days + 1, table.rate_on(ref) + MARGIN_POINTS))
        refs.append(ref)
        start = end + _ONE_DAY
    return periods, refs


def interest_columns(
    amount: np.ndarray,
    due: np.ndarray,
    as_of: np.datetime64,
    law: str,
    contract_rate: float | None = None,
    amount_in_law_currency: np.ndarray | None = None,
    rates: RateTable | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``statutory_interest`` on whole columns of unpaid items, as of one date.

    Returns (interest in each item's currency, compensation in the law's currency, warnings).
    The numbers equal ``statutory_interest(amount[i], due[i], as_of, ...)`` bit for bit.
    Items with a missing due date (NaT) or amount (NaN), or that became late before the rate
    table starts, get NaN and a warning instead of an error; a missing
    ``amount_in_law_currency`` gives NaN compensation only. Rates are looked up with
    ``np.searchsorted``: no Python loop over items (EU loops over half-years only).

    The steps: check the columns; mark the items without a due date or amount; keep those
    late; with a contract rate, one formula; else drop the items older than the rate table,
    add up the statutory interest by law, and warn when the table is out of date.
    """
    law = _check_law(law)
    contract = _contract_rate(contract_rate)
    amount, due, law_amount, as_of = _checked_columns(amount, due, amount_in_law_currency,
                                                      as_of)
    warnings: list[str] = []
    interest = np.zeros(amount.shape)
    compensation = np.zeros(amount.shape)
    days = _days_late(amount, due, as_of, interest, compensation, warnings)
    late = np.flatnonzero((days > 0) & (amount > 0))
    if not len(late):
        return interest, compensation, warnings
    compensation[late] = _compensation_array(law, law_amount[late])
    if contract is not None:
        interest[late] = 0.0 + _interest_for(law)(amount[late], contract, days[late])
        return interest, compensation, warnings

    table = rates or rate_table(law)
    first = due[late] + np.timedelta64(1, "D")
    h_first = _half_year_index(first)
    late, h_first = _drop_too_early(law, table, late, h_first, interest, compensation,
                                    warnings)
    if not len(late):
        return interest, compensation, warnings
    if law == "UK":
        refs = _half_year_starts(h_first) - np.timedelta64(1, "D")
        interest[late] = _uk_daily(amount[late], _lookup(table, refs) + MARGIN_POINTS,
                                   days[late])
        latest = refs
    else:
        interest[late] = _eu_interest(table, amount[late], due[late] + np.timedelta64(1, "D"),
                                      h_first, as_of)
        latest = _half_year_starts(np.full(len(late), _half_year_index(np.array([as_of]))[0]))
    stale = latest > np.datetime64(table.checked_until, "D")
    if stale.any():
        warnings.append(_stale_warning(law, table, _to_date(latest[stale].max()),
                                       int(stale.sum())))
    return interest, compensation, warnings


def contract_interest_columns(amount: np.ndarray, due: np.ndarray, as_of: np.datetime64,
                              rate: float) -> np.ndarray:
    """Simple interest at a contract's annual ``rate`` (%) on unpaid items, from the day after
    the due date to ``as_of``: principal x rate x days / 365 (no statutory law: no fixed
    compensation). Nothing on credit notes or items not yet late; NaN for a missing due
    date or amount."""
    contract = _contract_rate(rate)
    amount, due, _, as_of = _checked_columns(amount, due, None, as_of)
    out = np.zeros(amount.shape)
    missing = np.isnat(due) | ~np.isfinite(amount)
    out[missing] = np.nan
    days = np.zeros(amount.shape, dtype=np.int64)
    days[~missing] = (as_of - due[~missing]).astype(np.int64)
    late = (days > 0) & (amount > 0)
    out[late] = _simple(amount[late], contract, days[late])
    return out + 0.0


def _checked_columns(amount, due, amount_in_law_currency, as_of):
    """The columns as float and day arrays of one shape, and the as-of day; ValueError
    otherwise."""
    amount = np.asarray(amount, dtype=np.float64)
    due = np.asarray(due).astype("datetime64[D]")
    if amount.shape != due.shape:
        raise ValueError(f"amount has shape {amount.shape} but due has shape {due.shape}")
    law_amount = amount if amount_in_law_currency is None else np.asarray(
        amount_in_law_currency, dtype=np.float64)
    if law_amount.shape != amount.shape:
        raise ValueError(f"amount_in_law_currency has shape {law_amount.shape} but amount has "
                         f"shape {amount.shape}")
    as_of = np.datetime64(as_of, "D")
    if np.isnat(as_of):
        raise ValueError("as_of is not a date")
    return amount, due, law_amount, as_of


def _days_late(amount, due, as_of, interest, compensation, warnings) -> np.ndarray:
    """Days past due of each item (0 for one without a due date or amount, which gets NaN
    interest and compensation and one warning)."""
    missing = np.isnat(due) | ~np.isfinite(amount)
    if missing.any():
        interest[missing] = np.nan
        compensation[missing] = np.nan
        warnings.append(f"{int(missing.sum())} item(s) without a due date or amount: no "
                        "late-payment interest computed for them")
    days = np.zeros(amount.shape, dtype=np.int64)
    ok = ~missing
    days[ok] = (as_of - due[ok]).astype(np.int64)
    return days


def _drop_too_early(law, table, late, h_first, interest, compensation, warnings):
    """The late items whose first reference date the table covers (with their half-years);
    the others get NaN interest and compensation and one warning."""
    first_ref = _half_year_starts(h_first)
    if law == "UK":
        first_ref = first_ref - np.timedelta64(1, "D")
    early = first_ref < table.effective[0]
    if not early.any():
        return late, h_first
    warnings.append(
        f"{int(early.sum())} item(s) became late too long ago for the {_RATE_NAME[law]} "
        f"table ({table.name}), which starts on {table.first_date.isoformat()}: no "
        "late-payment interest computed for them")
    interest[late[early]] = np.nan
    compensation[late[early]] = np.nan
    return late[~early], h_first[~early]


def _eu_interest(table, a, first, h_first, as_of) -> np.ndarray:
    """EU interest, half-year by half-year, oldest debts first: after sorting by the half-year
    the debt became late, the items still late in the k-th half-year are a prefix. Each item's
    periods are added in the same order as ``statutory_interest`` adds them."""
    h_last = int(_half_year_index(np.array([as_of]))[0])
    order = np.argsort(h_first, kind="stable")
    a_s, first_s, h_s = a[order], first[order], h_first[order]
    total_s = np.zeros(len(a))
    for k in range(h_last - int(h_s[0]) + 1):
        m = int(np.searchsorted(h_s, h_last - k, side="right"))
        h = h_s[:m] + k
        starts = _half_year_starts(h)
        ends = _half_year_starts(h + 1) - np.timedelta64(1, "D")
        lo = np.maximum(starts, first_s[:m])
        hi = np.minimum(ends, as_of)
        n = (hi - lo).astype(np.int64) + 1
        pct = _lookup(table, starts) + MARGIN_POINTS
        total_s[:m] += _simple(a_s[:m], pct, n)
    total = np.empty(len(a))
    total[order] = total_s
    return total


# --------------------------------------------------------------------------------------------
# Helpers


def _half_year_index(days: np.ndarray) -> np.ndarray:
    """2 * year + (0 for January-June, 1 for July-December), as int64."""
    months = days.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return (months // 12 + 1970) * 2 + (months % 12 >= 6)


def _half_year_starts(h: np.ndarray) -> np.ndarray:
    months = (h // 2 - 1970) * 12 + (h % 2) * 6
    return months.astype("datetime64[M]").astype("datetime64[D]")


def _lookup(table: RateTable, refs: np.ndarray) -> np.ndarray:
    i = np.searchsorted(table.effective, refs, side="right") - 1
    return table.rates[i]


def _check_law(law: str) -> str:
    key = law.strip().upper() if isinstance(law, str) else law
    if key not in LAWS:
        allowed = ", ".join(repr(x) for x in LAWS)
        raise ValueError(f"unknown late payment law {law!r}: allowed values are {allowed}")
    return key


def _as_date(value: object, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64) and not np.isnat(value):
        return _to_date(value)
    raise ValueError(f"{what} must be a date, not {value!r}")


def _to_date(value: np.datetime64) -> date:
    return date.fromisoformat(str(np.datetime64(value, "D")))


def _finite(value: float, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, not {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    return x


def _contract_rate(value: float | None) -> float | None:
    if value is None:
        return None
    x = _finite(value, "contract_rate")
    if x < 0:
        raise ValueError(f"contract_rate must not be negative, not {value!r}")
    return x
