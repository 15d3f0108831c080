"""Credit checks: exposure against limit, a decision per customer, and the reasons in words.

Exposure = outstanding (base currency, net of credit notes) + open orders (+ a proposed order),
compared with the limit in cents (what the user sees), never in floating-point noise.
Hold when: exposure is over the credit limit; an undisputed invoice is more than
``Hold Days Overdue`` days past due; a promise to pay was broken.
Review when (and not Hold): utilisation at or above ``Review Utilisation %``; no credit limit
set; the payment score is below ``Review Score``; an invoice is more than the first bucket
edge (30 days) past due; an invoice is disputed; an amount in a currency without an FX rate
(not in the exposure); the latest Credit Limit change in the Audit table raised the limit by
more than ``Limit Raise Review`` percent, and the limit is still the raised one
(``domain.audit.limit_raise``).
Approve otherwise. Every decision carries its reasons.

A promise to pay is broken when its date has passed, an undisputed invoice due by then is still
open, and the promised amount (when one is given) was not paid by then: paid = the payments
dated after the promise was made and on or before its date (the Payments table, and the
invoices settled in that window for what their Settled Date closed). A promise typed into
Customers has no date it was made: the ``PROMISE_WINDOW_DAYS`` before its date count.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from creditdesk.domain.ageing import Ageing, Position, ageing, position, sum_where
from creditdesk.domain.audit import LimitRaise, latest_limit_changes, limit_raise
from creditdesk.domain.cells import date_or_none
from creditdesk.domain.interest import round_money_array
from creditdesk.domain.ledger import Ledger
from creditdesk.domain.templates import money

HOLD, REVIEW, APPROVE = "Hold", "Review", "Approve"
_DECISIONS = np.array([APPROVE, REVIEW, HOLD], dtype=object)
PROMISE_WINDOW_DAYS = 30  # a promise typed into Customers: payments this long before it count


SHARE_SHOWN_UP_TO = 999  # percent: a larger share of the limit reads ">999%"


def share_of_limit(pct: float) -> str:
    """Utilisation in words: "118%"; above 999% (a limit of a few cents against thousands
    owed: 100,000.00 of 0.01 is 1,000,000,000%) ">999%", which says what matters."""
    return f">{SHARE_SHOWN_UP_TO}%" if pct >= SHARE_SHOWN_UP_TO + 0.5 else f"{pct:.0f}%"


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
    not_converted: dict[str, np.ndarray] | None = None  # {currency: per customer}
    limit_raises: dict[int, LimitRaise] | None = None  # customer row -> its flagged raise

    def reasons_for(self, i: int) -> list[str]:
        s, c = self.ledger.settings, self.ledger.customers
        base, hold_days, first_edge = s.base_currency, s.hold_days_overdue, s.bucket_edges[0]
        exposure, limit, util = float(self.exposure[i]), float(self.credit_limit[i]), \
            float(self.utilisation[i])
        has_limit = not np.isnan(limit)
        r: list[str] = []
        if self.over_limit[i]:
            r.append(f"exposure {share_of_limit(util)} of limit ({money(exposure)} of "
                     f"{money(limit)} {base})" if limit > 0 else
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
                r.append(f"utilisation {share_of_limit(util)} of limit, at or above the "
                         f"{s.review_utilisation_pct:g}% review threshold")
            if not has_limit:
                r.append("no credit limit set")
            if self.n_aging[i]:
                r.append(f"{_plural(int(self.n_aging[i]), 'invoice')} over {first_edge} days "
                         f"past due (oldest {int(self.oldest[i])} days)")
        raised = (self.limit_raises or {}).get(i)
        if raised is not None:
            share = "from 0" if raised.old == 0 else f"+{raised.share:.0f}%"
            r.append(f"credit limit raised from {money(raised.old)} to {money(raised.new)} on "
                     f"{raised.at[:16]} UTC ({share}, more than the "
                     f"{s.limit_raise_review_pct:g}% Limit Raise Review)")
        if self.scores is not None and self.scores[i] < s.review_score:
            r.append(f"payment score {self.scores[i]:.0f} below {s.review_score:g}")
        if self.n_disputed[i]:
            r.append(f"{_plural(int(self.n_disputed[i]), 'invoice')} disputed "
                     f"({money(self.disputed_amount[i])} {base})")
        foreign = [f"{money(v[i])} {c}" for c, v in (self.not_converted or {}).items() if v[i]]
        if foreign:
            r.append(f"{', '.join(foreign)} not in the exposure: no FX rate into {base}")
        if not r:
            share = (f"exposure {share_of_limit(util)} of limit" if exposure > 0 and limit > 0
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


def broken_promises(ledger: Ledger, pos: Position, chased: np.ndarray | None = None
                    ) -> np.ndarray:
    """Per customer: the promise to pay's date has passed, an undisputed invoice due by that
    date is still open, and the promised amount (if given) was not paid by that date.
    ``chased``: per open item, owed and not disputed (computed here when not given)."""
    c = ledger.customers
    passed = ~np.isnat(c.promise_date) & (c.promise_date < ledger.as_of)
    if not passed.any():
        return passed
    if chased is None:
        chased = (pos.outstanding > 0) & ~ledger.invoices.disputed[pos.idx]
    unpaid = chased & passed[pos.customer]
    unpaid[unpaid] = pos.due[unpaid] <= c.promise_date[pos.customer[unpaid]]
    n = np.bincount(pos.customer[unpaid], minlength=len(c))
    could = passed & (n > 0)
    if not could.any():
        return could
    made = np.where(np.isnat(c.promise_made),
                    c.promise_date - np.timedelta64(PROMISE_WINDOW_DAYS, "D"), c.promise_made)
    paid = paid_between(ledger, made, c.promise_date, could)
    amount = c.promise_amount
    kept = ~np.isnan(amount) & (round_money_array(paid) >= round_money_array(
        np.nan_to_num(amount)))
    return could & ~kept


def paid_between(ledger: Ledger, start: np.ndarray, end: np.ndarray,
                 who: np.ndarray | None = None) -> np.ndarray:
    """What each customer paid (base currency) on the days after ``start`` up to and
    including ``end`` (per customer): the dated payments, the payments on account, and
    what an invoice's Settled Date closed (its amount less the payments dated before).

    ``who`` (per customer, optional): only these customers' figures are needed (the others
    are 0); their rows are picked first, so a few hundred promises do not cost a pass of
    every test over a full sheet. Each customer's sum is the same, bit for bit."""
    inv, pay, nc = ledger.invoices, ledger.payments, len(ledger.customers)
    rows = np.flatnonzero(who[inv.customer]) if who is not None else slice(None)
    cust, amount, rate = inv.customer[rows], inv.amount[rows], inv.rate[rows]
    base = np.where(np.isnan(rate), 0.0, amount * np.nan_to_num(rate))  # Invoices.amount_base

    def window(c: np.ndarray, day: np.ndarray) -> np.ndarray:
        return ~np.isnat(day) & (day > start[c]) & (day <= end[c])

    p_rows = np.flatnonzero(who[inv.customer[pay.invoice]]) if who is not None and len(pay) \
        else slice(None)
    p_inv, p_date, p_amount = pay.invoice[p_rows], pay.date[p_rows], pay.amount[p_rows]
    p_cust = inv.customer[p_inv]
    p_in = window(p_cust, p_date) if len(p_inv) else np.zeros(0, dtype=bool)
    total = np.zeros(nc)
    total += np.bincount(p_cust[p_in], weights=(p_amount * np.nan_to_num(inv.rate[p_inv]))[p_in],
                         minlength=nc)
    on_account = inv.payment[rows] & window(cust, inv.invoice_date[rows])
    total += np.bincount(cust[on_account], weights=-base[on_account], minlength=nc)
    settled_date = inv.settled_date[rows]
    settled = (amount > 0) & ~inv.payment[rows] & window(cust, settled_date)
    if len(p_inv):  # the payments dated before their invoice's Settled Date, per invoice
        before = p_date < inv.settled_date[p_inv]
        dated = np.bincount(p_inv[before], weights=p_amount[before], minlength=len(inv))[rows]
    else:
        dated = np.zeros(len(cust))
    rest = np.maximum(amount - dated, 0.0) * np.nan_to_num(rate)
    total += np.bincount(cust[settled], weights=rest[settled], minlength=nc)
    return total


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
    # in cents, as the user sees them: 4,854.52 + 3,120.03 + 2,025.45 is at a 10,000 limit
    cents = round_money_array(exposure)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(has_limit & (limit > 0), cents / limit * 100.0, np.nan)
    over = has_limit & (cents > round_money_array(np.nan_to_num(limit))) & (cents > 0)

    disputed = ledger.invoices.disputed[pos.idx]
    chased = (pos.outstanding > 0) & ~disputed
    cust = pos.customer
    late = chased & (pos.days_overdue > s.hold_days_overdue)
    n_late = np.bincount(cust[late], minlength=nc)
    aging = chased & (pos.days_overdue > s.bucket_edges[0])
    n_aging = np.bincount(cust[aging], minlength=nc)
    dis = (pos.outstanding > 0) & disputed
    n_disputed = np.bincount(cust[dis], minlength=nc)
    disputed_amt = sum_where(cust, dis, pos.outstanding_base, nc)
    broken = broken_promises(ledger, pos, chased)
    poor = np.zeros(nc, dtype=bool) if scores is None else (scores < s.review_score)

    foreign = np.zeros(nc, dtype=bool)
    for v in age.not_converted.values():
        foreign |= v != 0

    raises = limit_raises(ledger)
    raised = np.zeros(nc, dtype=bool)
    raised[list(raises)] = True

    hold = over | (n_late > 0) | broken
    review = ~hold & ((has_limit & (util >= s.review_utilisation_pct)) | ~has_limit | poor
                      | (n_aging > 0) | (n_disputed > 0) | foreign | raised)
    # the three words picked by code from an object array: no text array made and converted
    decision = _DECISIONS[np.where(hold, 2, np.where(review, 1, 0))]
    return CreditCheck(ledger, exposure, limit, util, decision, broken, over, n_late, n_aging,
                       n_disputed, disputed_amt, age.oldest_days_overdue, scores,
                       age.not_converted, raises)


def limit_raises(ledger: Ledger) -> dict[int, LimitRaise]:
    """Customer row -> its latest audited Credit Limit change, where that raised the limit by
    more than Limit Raise Review percent and the Credit Limit is still the raised one (in
    cents)."""
    out: dict[int, LimitRaise] = {}
    if not ledger.audit:
        return out
    pct, index = ledger.settings.limit_raise_review_pct, ledger.customer_index
    limits = ledger.customers.credit_limit
    for customer, entry in latest_limit_changes(ledger.audit).items():
        i = index.get(customer)
        if i is None:
            continue
        raised = limit_raise(entry, pct)
        if raised is not None and not np.isnan(limits[i]) and \
                round(float(limits[i]) * 100) == round(raised.new * 100):
            out[i] = raised
    return out


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
