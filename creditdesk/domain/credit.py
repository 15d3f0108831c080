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
from functools import cached_property

import numpy as np

from creditdesk.domain.ageing import Ageing, Position, ageing, position
from creditdesk.domain.cells import date_or_none
from creditdesk.domain.ledger import Ledger
from creditdesk.domain.templates import money

HOLD, REVIEW, APPROVE = "Hold", "Review", "Approve"


@dataclass
class CreditCheck:
    """Decisions as columns; the reasons in words are built per customer when asked for."""

    ledger: Ledger
    exposure: np.ndarray
    credit_limit: np.ndarray  # NaN = none set
    utilisation: np.ndarray  # percent, NaN without a limit
    decision: np.ndarray  # object: Approve / Review / Hold
    broken_promise: np.ndarray  # bool per customer
    over_limit: np.ndarray
    n_late: np.ndarray  # undisputed invoices over Hold Days Overdue
    n_aging: np.ndarray  # undisputed invoices over the first bucket edge
    n_disputed: np.ndarray
    disputed_amount: np.ndarray
    oldest: np.ndarray
    scores: np.ndarray | None

    def reasons_for(self, i: int) -> list[str]:
        s, c = self.ledger.settings, self.ledger.customers
        base, hold_days, first_edge = s.base_currency, s.hold_days_overdue, s.bucket_edges[0]
        exposure, limit, util = float(self.exposure[i]), float(self.credit_limit[i]), \
            float(self.utilisation[i])
        has_limit = not np.isnan(limit)
        r: list[str] = []
        if self.over_limit[i]:
            r.append(f"exposure {util:.0f}% of limit ({money(exposure)} of {money(limit)} "
                     f"{base})" if limit > 0 else
                     f"exposure {money(exposure)} {base} against a limit of 0")
        if self.n_late[i]:
            r.append(f"{_plural(int(self.n_late[i]), 'invoice')} over {hold_days} days past "
                     f"due (oldest {int(self.oldest[i])} days)")
        if self.broken_promise[i]:
            amount = c.promise_amount[i]
            what = f"{money(amount)} " if not np.isnan(amount) else ""
            r.append(f"promise to pay {what}by {date_or_none(c.promise_date[i])} broken")
        if self.decision[i] != HOLD:
            if has_limit and util >= s.review_utilisation_pct:
                r.append(f"utilisation {util:.0f}% of limit, at or above the "
                         f"{s.review_utilisation_pct:g}% review threshold")
            if not has_limit:
                r.append("no credit limit set")
            if self.n_aging[i]:
                r.append(f"{_plural(int(self.n_aging[i]), 'invoice')} over {first_edge} days "
                         f"past due (oldest {int(self.oldest[i])} days)")
        if self.scores is not None and self.scores[i] < s.review_score:
            r.append(f"payment score {self.scores[i]:.0f} below {s.review_score:g}")
        if self.n_disputed[i]:
            r.append(f"{_plural(int(self.n_disputed[i]), 'invoice')} disputed "
                     f"({money(self.disputed_amount[i])} {base})")
        if not r:
            share = (f"exposure {util:.0f}% of limit" if exposure > 0 and limit > 0
                     else f"exposure {money(exposure)} {base}")
            r.append(f"{share}; nothing over {first_edge} days past due")
        return r

    @cached_property
    def reasons(self) -> list[list[str]]:
        return [self.reasons_for(i) for i in range(len(self.decision))]

    def summary(self, i: int) -> str:
        return f"{self.decision[i].upper()}: " + "; ".join(self.reasons_for(i))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def broken_promises(ledger: Ledger, pos: Position) -> np.ndarray:
    """A promise is broken when its date has passed and an invoice that was due by that date
    is still open. Kept promises are cleared by the user (or by Sync)."""
    c = ledger.customers
    promise = c.promise_date[pos.customer]
    unpaid = (pos.outstanding > 0) & (pos.due <= promise)
    n = np.bincount(pos.customer[unpaid], minlength=len(c))
    passed = ~np.isnat(c.promise_date) & (c.promise_date < ledger.as_of)
    return passed & (n > 0)


def credit_check(ledger: Ledger, pos: Position | None = None, age: Ageing | None = None,
                 scores: np.ndarray | None = None,
                 order_amount: np.ndarray | None = None) -> CreditCheck:
    """``order_amount``: a proposed order per customer (base currency) added to exposure."""
    pos = pos or position(ledger)
    age = age or ageing(ledger, pos)
    c, s = ledger.customers, ledger.settings
    nc = len(c)
    exposure = age.outstanding + c.open_orders
    if order_amount is not None:
        exposure = exposure + order_amount
    limit = c.credit_limit
    has_limit = ~np.isnan(limit)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(has_limit & (limit > 0), exposure / limit * 100.0, np.nan)
    over = has_limit & (exposure > limit) & (exposure > 0)

    disputed = ledger.invoices.disputed[pos.idx]
    chased = (pos.outstanding > 0) & ~disputed
    cust = pos.customer
    late = chased & (pos.days_overdue > s.hold_days_overdue)
    n_late = np.bincount(cust[late], minlength=nc)
    aging = chased & (pos.days_overdue > s.bucket_edges[0])
    n_aging = np.bincount(cust[aging], minlength=nc)
    dis = (pos.outstanding > 0) & disputed
    n_disputed = np.bincount(cust[dis], minlength=nc)
    disputed_amt = np.bincount(cust[dis], weights=pos.outstanding_base[dis], minlength=nc)
    broken = broken_promises(ledger, pos)
    poor = np.zeros(nc, dtype=bool) if scores is None else (scores < s.review_score)

    hold = over | (n_late > 0) | broken
    review = ~hold & ((has_limit & (util >= s.review_utilisation_pct)) | ~has_limit | poor
                      | (n_aging > 0) | (n_disputed > 0))
    decision = np.where(hold, HOLD, np.where(review, REVIEW, APPROVE)).astype(object)
    return CreditCheck(ledger, exposure, limit, util, decision, broken, over, n_late, n_aging,
                       n_disputed, disputed_amt, age.oldest_days_overdue, scores)


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
    return result.decision[i], result.reasons_for(i), float(result.exposure[i])
