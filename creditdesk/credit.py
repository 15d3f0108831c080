"""Credit checks: exposure against limit, a decision per customer, and the reasons in words.

Exposure = outstanding (base currency, net of credit notes) + open orders (+ a proposed order).
Hold when: exposure is over the credit limit; an undisputed invoice is more than
``Hold Days Overdue`` days past due; a promise to pay was broken.
Review when (and not Hold): utilisation at or above ``Review Utilisation %``; no credit limit
set; the payment score is below ``Review Score``; an invoice is more than the first bucket
edge (30 days) past due; an invoice is disputed.
Approve otherwise. Every decision carries its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ageing import Ageing, Position, ageing, position
from .columns import date_or_none
from .ledger import Ledger
from .templates import money

HOLD, REVIEW, APPROVE = "Hold", "Review", "Approve"


@dataclass
class CreditCheck:
    exposure: np.ndarray
    credit_limit: np.ndarray  # NaN = none set
    utilisation: np.ndarray  # percent, NaN without a limit
    decision: np.ndarray  # object: Approve / Review / Hold
    reasons: list[list[str]]
    broken_promise: np.ndarray  # bool per customer

    def summary(self, i: int) -> str:
        return f"{self.decision[i].upper()}: " + "; ".join(self.reasons[i])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def broken_promises(ledger: Ledger, pos: Position) -> np.ndarray:
    """A promise is broken when its date has passed and an invoice that was due by that date
    is still open. Kept promises are cleared by the user (or by Sync)."""
    c = ledger.customers
    inv = ledger.invoices
    promise = c.promise_date[inv.customer] if len(c) else np.array([], dtype="datetime64[D]")
    unpaid = pos.open & (pos.outstanding > 0) & (inv.due_date <= promise)
    n = np.bincount(inv.customer[unpaid], minlength=len(c))
    passed = ~np.isnat(c.promise_date) & (c.promise_date < ledger.as_of)
    return passed & (n > 0)


def credit_check(ledger: Ledger, pos: Position | None = None, age: Ageing | None = None,
                 scores: np.ndarray | None = None,
                 order_amount: np.ndarray | None = None) -> CreditCheck:
    """``order_amount``: a proposed order per customer (base currency) added to exposure."""
    pos = pos or position(ledger)
    age = age or ageing(ledger, pos)
    c, inv, s = ledger.customers, ledger.invoices, ledger.settings
    nc = len(c)
    base = s.base_currency
    exposure = age.outstanding + c.open_orders
    if order_amount is not None:
        exposure = exposure + order_amount
    limit = c.credit_limit
    has_limit = ~np.isnan(limit)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(has_limit & (limit > 0), exposure / limit * 100.0, np.nan)
    over = has_limit & (exposure > limit) & (exposure > 0)

    chaseable = pos.open & (pos.outstanding > 0)
    hold_days = s.hold_days_overdue
    first_edge = s.bucket_edges[0]
    late = chaseable & ~inv.disputed & (pos.days_overdue > hold_days)
    n_late = np.bincount(inv.customer[late], minlength=nc)
    oldest = age.oldest_days_overdue
    aging = chaseable & ~inv.disputed & (pos.days_overdue > first_edge)
    n_aging = np.bincount(inv.customer[aging], minlength=nc)
    disputed = chaseable & inv.disputed
    n_disputed = np.bincount(inv.customer[disputed], minlength=nc)
    disputed_amt = np.bincount(inv.customer[disputed], weights=pos.outstanding_base[disputed],
                               minlength=nc)
    broken = broken_promises(ledger, pos)
    poor = np.zeros(nc, dtype=bool) if scores is None else (scores < s.review_score)

    hold = over | (n_late > 0) | broken
    review = ~hold & ((has_limit & (util >= s.review_utilisation_pct)) | ~has_limit | poor
                      | (n_aging > 0) | (n_disputed > 0))
    decision = np.where(hold, HOLD, np.where(review, REVIEW, APPROVE)).astype(object)

    reasons: list[list[str]] = []
    for i in np.arange(nc):
        r: list[str] = []
        if over[i]:
            r.append(f"exposure {util[i]:.0f}% of limit ({money(exposure[i])} of "
                     f"{money(limit[i])} {base})" if limit[i] > 0 else
                     f"exposure {money(exposure[i])} {base} against a limit of 0")
        if n_late[i]:
            r.append(f"{_plural(int(n_late[i]), 'invoice')} over {hold_days} days past due "
                     f"(oldest {int(oldest[i])} days)")
        if broken[i]:
            amount = c.promise_amount[i]
            what = f"{money(amount)} " if not np.isnan(amount) else ""
            r.append(f"promise to pay {what}by {date_or_none(c.promise_date[i])} broken")
        if not hold[i]:
            if has_limit[i] and util[i] >= s.review_utilisation_pct:
                r.append(f"utilisation {util[i]:.0f}% of limit, at or above the "
                         f"{s.review_utilisation_pct:g}% review threshold")
            if not has_limit[i]:
                r.append("no credit limit set")
            if n_aging[i]:
                r.append(f"{_plural(int(n_aging[i]), 'invoice')} over {first_edge} days past "
                         f"due (oldest {int(oldest[i])} days)")
        if poor[i]:
            r.append(f"payment score {scores[i]:.0f} below {s.review_score:g}")
        if n_disputed[i]:
            r.append(f"{_plural(int(n_disputed[i]), 'invoice')} disputed "
                     f"({money(disputed_amt[i])} {base})")
        if not r:
            share = (f"exposure {util[i]:.0f}% of limit" if exposure[i] > 0 and limit[i] > 0
                     else f"exposure {money(exposure[i])} {base}")
            r.append(f"{share}; nothing over {first_edge} days past due")
        reasons.append(r)
    return CreditCheck(exposure, limit, util, decision, reasons, broken)


def check_order(ledger: Ledger, customer: str, amount: float,
                scores: np.ndarray | None = None) -> tuple[str, list[str], float]:
    """Decision, reasons and exposure for one customer if an order of ``amount`` (base
    currency) were accepted. Raises KeyError for an unknown customer."""
    idx = np.flatnonzero(ledger.customers.ids == customer)
    if not len(idx):
        raise KeyError(customer)
    i = int(idx[0])
    order = np.zeros(len(ledger.customers))
    order[i] = amount
    result = credit_check(ledger, scores=scores, order_amount=order)
    return result.decision[i], result.reasons[i], float(result.exposure[i])
