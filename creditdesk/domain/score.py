"""Payment behaviour score per customer, in the spirit of PAYDEX; formulas in docs/score.md.

A = the as-of date. History = invoices with a positive amount, dated and settled on or before
A, except those a credit note settled (cancelled, not paid); a customer with fewer settled
invoices than the Minimum Settled Invoices setting (3) has no score. Amounts are weighted in
base currency.

    d           = settled date - due date for a settled invoice (negative = paid early),
                  weight = its amount; and A - due date for an open invoice already past due
                  (it will be paid at least that late: a censored lateness), weight = its
                  outstanding amount. Open items not yet due do not count.
    base        = PAYDEX(Dw), Dw = the weighted mean of d
    utilisation = -25 x (exposure / limit - Review Utilisation %), 0 at or below it, >= -15
    internal    = clip(base + utilisation, 1, 100)
    external    = 0.25 x (External Rating - internal), where a rating is typed in
    score       = clip(internal + external, 1, 100), kept unrounded

An adjustment smaller than half a point is dropped, so each one that moves the score has a
reason in words. The score is shown rounded half up to a whole point (``whole``); the grade
and the limit are read from that whole number: A >= 80, B >= 70, C >= 50, D >= 30, E below.
Recommended limit = credit sales of the last 6 months / 6 x (terms + 30) / 30 x grade factor,
rounded down to two significant figures; ``limit_reasons`` says it in words. Nothing is
rounded inside a sum, and the score is not rounded for ranking.

Recency weighting, a trend and a dispute penalty were measured on a public sample and made the
ranking worse (docs/score.md section 7), so they are not part of the score; the current
overdue balance is in the base through the open items already past due, so it is not also a
separate penalty.

Pure numpy: no loop over invoices; the only loop over customers writes the reasons.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from creditdesk.domain.ageing import Position, position
from creditdesk.domain.interest import round_money_array
from creditdesk.domain.ledger import Ledger
from creditdesk.domain.templates import money

# PAYDEX anchor points: days beyond terms -> score. Beyond 120 days the score falls linearly
# to 1 at 180 days; before -30 days (30 days early) and after 180 days it stays at 100 / 1.
PAYDEX_DAYS = np.array([-30.0, 0.0, 15.0, 22.0, 30.0, 60.0, 90.0, 120.0, 180.0])
PAYDEX_SCORE = np.array([100.0, 80.0, 70.0, 60.0, 50.0, 40.0, 30.0, 20.0, 1.0])

UTILISATION_POINTS = 25.0  # points off per 100% of the limit above the threshold
UTILISATION_CAP = 15.0
EXTERNAL_WEIGHT = 0.25
MIN_POINTS = 0.5  # smaller adjustments are dropped
LIMIT_MONTHS = 6
GRADE_EDGES = (("A", 80.0), ("B", 70.0), ("C", 50.0), ("D", 30.0))
GRADE_FACTOR = {"A": 1.0, "B": 0.75, "C": 0.5, "D": 0.25, "E": 0.0}
NO_HISTORY = "no settled invoices yet"


@dataclass
class Scores:
    score: np.ndarray  # float per customer, 1-100 unrounded, NaN = no settled history
    grade: np.ndarray  # object: "A".."E", "" when no score
    recommended_limit: np.ndarray  # float base currency, NaN when no score
    days_beyond_terms: np.ndarray  # amount-weighted mean of (settled - due), NaN if no history
    reasons: list[list[str]]  # in words per customer, most important first
    # The score as shown: rounded half up to a whole point; the grade and limit use it.
    whole: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # The working, so every score can be checked by hand (NaN/0 where not applicable).
    base: np.ndarray = field(default_factory=lambda: np.zeros(0))  # PAYDEX(Dw)
    # Dw: days beyond terms over the history and the open items already past due
    weighted_days_beyond_terms: np.ndarray = field(default_factory=lambda: np.zeros(0))
    adjustments: dict[str, np.ndarray] = field(default_factory=dict)  # points, by name
    monthly_sales: np.ndarray = field(default_factory=lambda: np.zeros(0))  # base currency
    # how the recommended limit was reached, in words ("" without a score)
    limit_reasons: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.score)


def paydex(days: np.ndarray | float) -> np.ndarray:
    """Days beyond terms -> 1-100 by linear interpolation through the PAYDEX anchors."""
    return np.interp(days, PAYDEX_DAYS, PAYDEX_SCORE)


def grade_of(score: np.ndarray) -> np.ndarray:
    s = np.asarray(score, dtype=float)
    out = np.full(s.shape, "E", dtype=object)
    for letter, low in reversed(GRADE_EDGES):
        out[s >= low] = letter
    out[np.isnan(s)] = ""
    return out


def round_limit(amount: np.ndarray) -> np.ndarray:
    """Round down to two significant figures, and to whole currency units: 12,345 -> 12,000,
    987 -> 980, 45.6 -> 45. A business convention for a limit, applied last."""
    a = np.asarray(amount, dtype=float)
    out = np.where(np.isnan(a), np.nan, 0.0)
    pos = a >= 1
    exp = np.floor(np.log10(a[pos])) - 1
    unit = np.maximum(10.0 ** exp, 1.0)
    out[pos] = np.floor(a[pos] / unit + 1e-9) * unit
    return out


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier, clamped to the month's end."""
    m = day.year * 12 + day.month - 1 - months
    y, mo = divmod(m, 12)
    last = calendar.monthrange(y, mo + 1)[1]
    return dt.date(y, mo + 1, min(day.day, last))


def _wmean(idx: np.ndarray, values: np.ndarray, weights: np.ndarray, n: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean per customer (NaN where the weights sum to 0) and the weight sums."""
    wsum = np.bincount(idx, weights=weights, minlength=n)
    num = np.bincount(idx, weights=weights * values, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(wsum > 0, num / wsum, np.nan), wsum


def _drop_small(points: np.ndarray) -> np.ndarray:
    return np.where(np.abs(points) >= MIN_POINTS, points, 0.0)


def score(ledger: Ledger, pos: Position | None = None) -> Scores:
    """Each customer's payment score, grade and recommended limit, in four steps: the paydex
    base from how late the settled history and the open past-due items were paid; points off
    for using the credit limit beyond the review threshold; the pull of an external rating;
    the recommended limit from recent monthly sales, terms and grade."""
    pos = pos or position(ledger)
    nc = len(ledger.customers)
    amount_base = ledger.invoices.amount_base
    dated = ((ledger.invoices.invoice_date <= ledger.as_of) & (ledger.invoices.amount > 0)
             & ~ledger.invoices.payment)
    n_hist, dbt, wdbt, base = _payment_history(ledger, pos, amount_base, dated, nc)
    has = n_hist >= ledger.settings.minimum_settled_invoices
    base = np.where(has, base, np.nan)
    util_points, utilisation = _utilisation_points(ledger, pos, nc)
    util_points[~has] = 0.0
    internal = np.clip(base + util_points, 1.0, 100.0)
    rating = ledger.customers.external_rating
    has_rating = ~np.isnan(rating) & has
    external = _drop_small(np.where(
        has_rating, EXTERNAL_WEIGHT * (np.nan_to_num(rating) - np.nan_to_num(internal)), 0.0))
    final = np.where(has, np.clip(internal + external, 1.0, 100.0), np.nan)
    whole = np.floor(final + 0.5)  # half up; NaN stays NaN
    grade = grade_of(whole)
    monthly, recommended, raw = _recommended_limit(ledger, amount_base, dated, whole, has, nc)

    adjustments = {"utilisation": util_points, "external rating": external}
    reasons = _reasons(has, dbt, wdbt, base, adjustments, utilisation, rating)
    minimum = ledger.settings.minimum_settled_invoices
    for i in np.flatnonzero(~has & (n_hist > 0)).tolist():
        n = int(n_hist[i])
        reasons[i] = [f"{n} settled invoice{'s' if n != 1 else ''}; a score needs at least "
                      f"{minimum} (Minimum Settled Invoices)"]
    limits = _limit_reasons(ledger, has, monthly, grade, raw, recommended)
    return Scores(final, grade, recommended, np.where(has, dbt, np.nan), reasons, whole=whole,
                  base=base, weighted_days_beyond_terms=np.where(has, wdbt, np.nan),
                  adjustments=adjustments, monthly_sales=np.where(has, monthly, np.nan),
                  limit_reasons=limits)


def _payment_history(ledger, pos, amount_base, dated, nc):
    """(the number of settled invoices, days beyond terms of the settled items, the same
    weighted with the open items already past due, paid at least this late (censored), the
    paydex base). An invoice a credit note settled was not paid: it is not history."""
    inv = ledger.invoices
    settled = inv.settled_date
    hist = np.flatnonzero(dated & ~np.isnat(settled) & (settled <= ledger.as_of)
                          & ~settled_by_credit(ledger))
    hc = inv.customer[hist]
    hw = amount_base[hist]
    days = (settled[hist] - inv.due_date[hist]).astype(np.int64).astype(float)
    count = np.bincount(hc, minlength=nc)
    has = count > 0
    dbt, _ = _wmean(hc, days, hw, nc)
    pending = (pos.outstanding_base > 0) & (pos.days_overdue > 0)
    wdbt, _ = _wmean(np.concatenate([hc, pos.customer[pending]]),
                     np.concatenate([days, pos.days_overdue[pending].astype(float)]),
                     np.concatenate([hw, pos.outstanding_base[pending]]), nc)
    base = np.where(has, paydex(np.nan_to_num(wdbt)), np.nan)
    return count, dbt, wdbt, base


def settled_by_credit(ledger: Ledger) -> np.ndarray:
    """Per invoice: settled by a credit note, not by a payment. A credit note of the same
    customer settles an invoice when its Reference is the invoice's number, or when it is for
    exactly the invoice's amount, in its currency, dated on the invoice's Settled Date."""
    inv = ledger.invoices
    out = np.zeros(len(inv), dtype=bool)
    credit = np.flatnonzero((inv.amount < 0) & ~inv.payment)
    if not len(credit):
        return out
    cents_all = np.rint(np.abs(inv.amount) * 100).astype(np.int64)
    day_all, settled_all = inv.invoice_date.astype(np.int64), inv.settled_date.astype(np.int64)
    # the settled invoices that can match: a credit note names their number, or has their
    # amount and is dated on their Settled Date (whole columns first, exact tests after)
    refs = {r for r in inv.reference[credit].tolist() if r}
    settled_idx = np.flatnonzero((inv.amount > 0) & ~np.isnat(inv.settled_date))
    named = np.fromiter((n in refs for n in inv.invoice[settled_idx].tolist()), dtype=bool,
                        count=len(settled_idx))
    same = (np.isin(cents_all[settled_idx], cents_all[credit])
            & np.isin(settled_all[settled_idx], day_all[credit]))
    maybe = settled_idx[named | same]
    if not len(maybe):
        return out

    def cols(rows: np.ndarray) -> zip:
        return zip(inv.customer[rows].tolist(), inv.reference[rows].tolist(),
                   inv.invoice[rows].tolist(), inv.currency[rows].tolist(),
                   cents_all[rows].tolist(), day_all[rows].tolist(),
                   settled_all[rows].tolist(), strict=True)

    by_ref, by_amount = set(), set()
    for cust, ref, _, ccy, cents, day, _ in cols(credit):
        if ref:
            by_ref.add((cust, ref))
        by_amount.add((cust, ccy, cents, day))
    out[maybe] = [(cust, number) in by_ref or (cust, ccy, cents, settled) in by_amount
                  for cust, _, number, ccy, cents, _, settled in cols(maybe)]
    return out


def _utilisation_points(ledger, pos, nc):
    """(points off for exposure beyond the review threshold of the credit limit, the
    utilisation itself: NaN where no limit is set)."""
    cus = ledger.customers
    net = np.bincount(pos.customer, weights=pos.outstanding_base, minlength=nc)
    exposure = np.maximum(net, 0.0) + cus.open_orders
    limit = cus.credit_limit
    has_limit = limit > 0  # NaN (no limit set) compares False; a 0 limit is the credit check's
    with np.errstate(invalid="ignore", divide="ignore"):
        utilisation = np.where(has_limit, exposure / limit, np.nan)
    threshold = ledger.settings.review_utilisation_pct / 100.0
    over = np.where(has_limit, np.maximum(np.nan_to_num(utilisation) - threshold, 0.0), 0.0)
    return _drop_small(-np.minimum(UTILISATION_POINTS * over, UTILISATION_CAP)), utilisation


def _recommended_limit(ledger, amount_base, dated, whole, has, nc):
    """(monthly sales over the last LIMIT_MONTHS, the recommended limit: monthly sales times
    (terms + 30) / 30 times the grade's factor, rounded; the same before rounding)."""
    inv = ledger.invoices
    start = np.datetime64(months_before(ledger.as_of_date, LIMIT_MONTHS), "D")
    window = dated & (inv.invoice_date > start)
    monthly = np.bincount(inv.customer[window], weights=amount_base[window],
                          minlength=nc) / LIMIT_MONTHS
    s = np.nan_to_num(whole)
    factor = np.select([s >= low for _, low in GRADE_EDGES],
                       [GRADE_FACTOR[g] for g, _ in GRADE_EDGES], GRADE_FACTOR["E"])
    raw_limit = monthly * (ledger.customers.terms + 30.0) / 30.0 * factor
    return (monthly, np.where(has, round_limit(np.where(has, raw_limit, 0.0)), np.nan),
            raw_limit)


def _limit_reasons(ledger, has, monthly, grade, raw, recommended) -> list[str]:
    """How each recommended limit was reached, in words (what docs/score.md section 5
    computes): "monthly sales 3,000.00 (18,000.00 over 6 months) x (30 + 30) / 30 days x 1.0
    for grade A = 6,000.00"."""
    terms = ledger.customers.terms
    shown = round_money_array(np.nan_to_num(raw))
    out = []
    for i in range(len(has)):
        if not has[i]:
            out.append("")
            continue
        g = grade[i]
        text = (f"monthly sales {money(monthly[i])} ({money(monthly[i] * LIMIT_MONTHS)} over "
                f"{LIMIT_MONTHS} months) x ({int(terms[i])} + 30) / 30 days x "
                f"{GRADE_FACTOR[g]} for grade {g} = {money(shown[i])}")
        if recommended[i] != shown[i]:
            text += f", rounded down to {money(recommended[i])}"
        out.append(text)
    return out


# ---------------------------------------------------------------------------------------
# Reasons in words


def _whole(x: float) -> int:
    """Half away from zero, as people round by hand."""
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)


def _days_text(d: float) -> str:
    n = _whole(d)
    if n == 0:
        return "on terms"
    unit = "day" if abs(n) == 1 else "days"
    return f"{n} {unit} beyond terms" if n > 0 else f"{-n} {unit} early"


def _versus(d: float, other: float) -> str:
    """``d`` in words, shortened to the bare number when ``other`` is said the same way:
    "20 days beyond terms ... against 8 before"."""
    a, b = _whole(d), _whole(other)
    if a != 0 and b != 0 and (a > 0) == (b > 0):
        return str(abs(a))
    return _days_text(d)


def _reasons(has, dbt, wdbt, base, adj, utilisation, rating) -> list[list[str]]:
    names = list(adj)
    cols = [adj[k].tolist() for k in names]
    has_l, dbt_l, wdbt_l, base_l = has.tolist(), dbt.tolist(), wdbt.tolist(), base.tolist()
    util_l, rating_l = utilisation.tolist(), rating.tolist()
    out: list[list[str]] = []
    for i in range(len(has_l)):
        if not has_l[i]:
            out.append([NO_HISTORY])
            continue
        text = f"pays on average {_days_text(dbt_l[i])}"
        if _whole(wdbt_l[i]) != _whole(dbt_l[i]):
            text += (f" ({_versus(wdbt_l[i], dbt_l[i])} counting the open invoices already "
                     "past due)")
        items: list[tuple[float, str]] = [(abs(base_l[i] - 80.0), text)]
        for k, values in zip(names, cols, strict=True):
            p = values[i]
            if p == 0:
                continue
            if k == "utilisation":
                items.append((abs(p), "exposure (outstanding + open orders) is "
                              f"{_whole(100 * util_l[i])}% of the credit limit"))
            else:
                items.append((abs(p), f"external rating {rating_l[i]:g} blended in at "
                              f"{_whole(100 * EXTERNAL_WEIGHT)}% weight"))
        items.sort(key=lambda t: -t[0])  # stable: the base reason first on a tie
        out.append([t for _, t in items])
    return out
