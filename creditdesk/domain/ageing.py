"""Ageing: each open item's age and bucket as of a date, summed per customer in base currency.

Rules (BRIEF §3): age = as-of date - due date (or invoice date); age <= 0 is Not due; buckets
are upper-inclusive (an item exactly 30 days past due is in 1-30); outstanding = amount - paid;
credit notes (negative amounts) are aged by their own dates and reduce the balance; items
dated after the as-of date are not in the ledger; every amount is converted to base currency;
nothing is rounded here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creditdesk.domain.ledger import Ledger


@dataclass
class Position:
    """The open items as of the ledger's date, as columns as long as the number of open items.

    An item is open when it is dated on or before the as-of date and something is outstanding
    on it (either sign). Everything downstream (ageing, credit, dunning) works on these rows
    only, so a ledger that carries years of settled history costs little more than its open
    items.
    """

    idx: np.ndarray  # invoice index of each open item (into ledger.invoices)
    customer: np.ndarray
    currency: np.ndarray
    due: np.ndarray
    outstanding: np.ndarray  # document currency, never 0
    outstanding_base: np.ndarray
    days_overdue: np.ndarray  # as-of - due date (negative = not yet due)
    age: np.ndarray  # as-of - basis date
    bucket: np.ndarray  # 0 = Not due, 1.. = the buckets in label order

    def __len__(self) -> int:
        return len(self.idx)


def outstanding_on(ledger: Ledger, day: np.datetime64) -> np.ndarray:
    """What each invoice had outstanding on ``day`` (document currency).

    Not yet issued: 0. Settled on or before ``day``: 0. Settled after ``day``: the full
    amount (it was still open then). No settled date: amount - paid.
    """
    inv = ledger.invoices
    settled = inv.settled_date
    out = np.where(np.isnat(settled), inv.amount - inv.paid,
                   np.where(settled > day, inv.amount, 0.0))
    out[inv.invoice_date > day] = 0.0
    return out


def position(ledger: Ledger) -> Position:
    inv = ledger.invoices
    as_of = ledger.as_of
    outstanding = outstanding_on(ledger, as_of)
    idx = np.flatnonzero(outstanding)
    out = outstanding[idx]
    due = inv.due_date[idx]
    days_overdue = (as_of - due).astype(np.int64)
    if ledger.settings.ageing_basis == "Due Date":
        age = days_overdue
    else:
        age = (as_of - inv.invoice_date[idx]).astype(np.int64)
    edges = np.array((0, *ledger.settings.bucket_edges), dtype=np.int64)
    bucket = np.searchsorted(edges, age, side="left")
    return Position(idx, inv.customer[idx], inv.currency[idx], due, out, out * inv.rate[idx],
                    days_overdue, age, bucket)


@dataclass
class Ageing:
    labels: list[str]
    buckets: np.ndarray  # (customers, len(labels)) base currency
    outstanding: np.ndarray  # per customer, base currency
    overdue: np.ndarray  # per customer: outstanding of items past their due date
    open_items: np.ndarray  # per customer: count of open items
    oldest_days_overdue: np.ndarray  # per customer, among open positive items; 0 if none

    @property
    def total_buckets(self) -> np.ndarray:
        return self.buckets.sum(axis=0)

    @property
    def total(self) -> float:
        return float(self.outstanding.sum())


def ageing(ledger: Ledger, pos: Position | None = None) -> Ageing:
    pos = pos or position(ledger)
    labels = ledger.settings.bucket_labels()
    nb, nc = len(labels), len(ledger.customers)
    cust = pos.customer
    w = pos.outstanding_base
    flat = np.bincount(cust * nb + pos.bucket, weights=w, minlength=nc * nb)
    buckets = flat.reshape(nc, nb)
    late = pos.days_overdue > 0
    overdue = np.bincount(cust[late], weights=w[late], minlength=nc)
    count = np.bincount(cust, minlength=nc)
    oldest = np.zeros(nc, dtype=np.int64)
    owed = pos.outstanding > 0
    np.maximum.at(oldest, cust[owed], pos.days_overdue[owed])
    return Ageing(labels, buckets, buckets.sum(axis=1), overdue, count, oldest)
