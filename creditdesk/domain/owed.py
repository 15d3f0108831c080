"""What each invoice owed on a day, from its Paid, Settled Date and the dated Payments.

Kept apart from the ledger (it reads only ``ledger.invoices`` and ``ledger.payments``), so
that reading the Plans table, inside the ledger's build, can use it without a cycle.
"""

from __future__ import annotations

import numpy as np


def dated_paid_on(ledger, day: np.datetime64) -> np.ndarray:
    """Per invoice: the Payments allocated to it dated on or before ``day``."""
    inv, pay = ledger.invoices, ledger.payments
    dated = pay.date <= day
    if not dated.any():
        return np.zeros(len(inv))
    return np.bincount(pay.invoice[dated], weights=pay.amount[dated], minlength=len(inv))


def outstanding_on(ledger, day: np.datetime64) -> np.ndarray:
    """What each invoice had outstanding on ``day`` (document currency).

    Not yet issued: 0. Settled on or before ``day``: 0. Settled after ``day``: the amount less
    the Payments dated by then (the rest of Paid was paid after ``day``). Otherwise amount -
    Paid (its undated part and the Payments dated by then). On a credit note what was paid
    (refunded, used) reduces the credit, never beyond 0.
    """
    inv = ledger.invoices
    settled = inv.settled_date
    has_date = ~np.isnat(settled)
    dates = bool(has_date.any())  # no Settled Date at all (an open-items export): skip them
    later = has_date & (settled > day) if dates else None
    if len(ledger.payments) and (ledger.payments.date <= day).any():
        dated = dated_paid_on(ledger, day)
        paid = np.where(later, dated, inv.paid + dated) if dates else inv.paid + dated
    else:  # no Payments dated by then (the common case): the same figures, two passes fewer
        paid = np.where(later, 0.0, inv.paid) if dates else inv.paid
    out = inv.amount - paid  # a new array: ``paid`` may be the ledger's own column
    credit = np.flatnonzero(inv.amount < 0)  # the few credit notes, element by element
    out[credit] = np.minimum(inv.amount[credit] + paid[credit], 0.0)
    if dates:
        out[has_date & ~later] = 0.0
    out[inv.invoice_date > day] = 0.0
    return out
