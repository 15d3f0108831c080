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

from .ledger import Ledger


@dataclass
class Position:
    """Per-invoice figures as of the ledger's date (arrays as long as ``ledger.invoices``)."""

    in_ledger: np.ndarray  # invoice dated on or before the as-of date
    open: np.ndarray  # in the ledger with something outstanding
    outstanding: np.ndarray  # document currency; 0 where not open
    outstanding_base: np.ndarray
    days_overdue: np.ndarray  # as-of - due date (negative = not yet due)
    age: np.ndarray  # as-of - basis date
    bucket: np.ndarray  # 0 = Not due, 1.. = the buckets in label order


def outstanding_on(ledger: Ledger, day: np.datetime64) -> np.ndarray:
    """What each invoice had outstanding on ``day`` (document currency).

    Not yet issued: 0. Settled on or before ``day``: 0. Settled after ``day``: the full
    amount (it was still open then). No settled date: amount - paid.
    """
    inv = ledger.invoices
    settled = inv.settled_date
    has_settled = ~np.isnat(settled)
    out = np.where(has_settled, np.where(settled > day, inv.amount, 0.0), inv.amount - inv.paid)
    out[inv.invoice_date > day] = 0.0
    return out


def position(ledger: Ledger) -> Position:
    inv = ledger.invoices
    as_of = ledger.as_of
    in_ledger = inv.invoice_date <= as_of
    outstanding = outstanding_on(ledger, as_of)
    is_open = in_ledger & (outstanding != 0)
    outstanding = np.where(is_open, outstanding, 0.0)
    days_overdue = (as_of - inv.due_date).astype(np.int64)
    basis = inv.due_date if ledger.settings.ageing_basis == "Due Date" else inv.invoice_date
    age = (as_of - basis).astype(np.int64)
    edges = np.array((0, *ledger.settings.bucket_edges), dtype=np.int64)
    bucket = np.searchsorted(edges, age, side="left").astype(np.int8)
    return Position(in_ledger, is_open, outstanding, outstanding * inv.rate, days_overdue, age,
                    bucket)


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
    cust = ledger.invoices.customer
    w = pos.outstanding_base
    flat = np.bincount(cust * nb + pos.bucket, weights=w, minlength=nc * nb)
    buckets = flat.reshape(nc, nb)
    overdue = np.bincount(cust, weights=np.where(pos.days_overdue > 0, w, 0.0), minlength=nc)
    count = np.bincount(cust, weights=pos.open, minlength=nc).astype(np.int64)
    oldest = np.zeros(nc, dtype=np.int64)
    chased = pos.open & (pos.outstanding > 0)
    np.maximum.at(oldest, cust[chased], pos.days_overdue[chased])
    return Ageing(labels, buckets, buckets.sum(axis=1), overdue, count, oldest)
