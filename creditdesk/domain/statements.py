"""Statements of account: per customer and currency, what was owed at the start of a period,
every transaction of the period with a running balance, what is owed at its end, and an
ageing footer in the workbook's buckets.

A statement ends on the ledger's as-of date (``Ledger.as_of``): build the ledger as of the
statement's last day. Every figure comes from ``creditdesk.domain.ageing.outstanding_on``,
the one definition of what an item had outstanding on a day, so

- the opening balance is the customer's items' outstanding on the day before ``start``;
- the closing balance is their outstanding on the last day: the ageing's outstanding (buckets
  plus unapplied credits), in the statement's own currency;
- an item's outstanding changes only on its invoice date, the dates of its Payments and its
  Settled Date; the lines are those changes, so opening + the lines = closing, always.

On its invoice date an item gives an ``Invoice`` (or ``Credit note``, or ``Payment`` for a
payment on account from the Payments table) line of its whole amount; whatever else changed
its outstanding that day or later in the period is a ``Payment`` on an invoice (a dated
payment, a settlement from Settled Date, or Paid without a date, which counts from the
invoice date) or ``Credit applied`` on a credit (used, refunded or settled).

Two kinds: ``activity`` (the above) and ``open-items``: what is unpaid on the last day, one
line per open item at what it still has outstanding, from an opening balance of zero. Nothing
is rounded here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from creditdesk.domain.ageing import Position, outstanding_on, position
from creditdesk.domain.ledger import Ledger

Kind = Literal["activity", "open-items"]
KINDS: tuple[Kind, ...] = ("activity", "open-items")
ONE_DAY = np.timedelta64(1, "D")
_ZERO = 1e-9  # a change smaller than this is float noise, not a transaction


@dataclass(frozen=True)
class Line:
    """One transaction of a statement (amount in the statement's currency; a debt is
    positive, a payment or credit negative)."""

    date: dt.date
    type: str  # Invoice, Credit note, Payment, Credit applied
    item: int  # index into ledger.invoices
    amount: float
    due: dt.date | None = None  # invoices and credit notes: the due date


@dataclass
class Statement:
    customer: int  # index into ledger.customers
    currency: int  # index into ledger.currencies
    start: dt.date
    end: dt.date
    opening: float
    lines: list[Line]
    closing: float
    buckets: np.ndarray  # per label of settings.bucket_labels(): debts open at ``end``
    unapplied: float  # credits open at ``end`` (<= 0)
    balances: list[float] = field(default_factory=list)  # running balance after each line

    def __post_init__(self) -> None:
        if not self.balances:
            self.balances = np.cumsum([self.opening, *(ln.amount for ln in self.lines)]
                                      )[1:].tolist()


def issue_type(ledger: Ledger, i: int) -> str:
    inv = ledger.invoices
    if len(inv.payment) and inv.payment[i]:
        return "Payment"
    return "Credit note" if inv.amount[i] < 0 else "Invoice"


def statements(ledger: Ledger, start: dt.date, kind: Kind = "activity",
               customers: Iterable[int] | None = None) -> list[Statement]:
    """The statements from ``start`` to the ledger's as-of date, one per customer and
    currency with a balance or a transaction (open items: with an open item), ordered by
    customer then currency; ``customers``: only these (indexes into ledger.customers)."""
    end = ledger.as_of
    first = np.datetime64(start, "D")
    if first > end:
        raise ValueError(f"the period starts on {start}, after its last day "
                         f"{ledger.as_of_date}")
    pos = position(ledger)
    if kind == "open-items":
        before = np.zeros(len(ledger.invoices))
        lines = _open_item_lines(ledger, pos)
    else:
        before = outstanding_on(ledger, first - ONE_DAY)
        lines = _activity_lines(ledger, first, end, before)
    return _assemble(ledger, pos, before, lines, start, customers)


def _key(ledger: Ledger, items: np.ndarray) -> np.ndarray:
    inv = ledger.invoices
    return inv.customer[items] * max(len(ledger.currencies), 1) + inv.currency[items]


def _event_days(ledger: Ledger, first: np.datetime64, end: np.datetime64
                ) -> dict[np.datetime64, np.ndarray]:
    """{day: the items whose outstanding may change on it}, days in the period only."""
    inv, pay = ledger.invoices, ledger.payments
    pairs = []
    for days, items in ((inv.invoice_date, np.arange(len(inv))),
                        (inv.settled_date, np.arange(len(inv))), (pay.date, pay.invoice)):
        m = ~np.isnat(days) & (days >= first) & (days <= end)
        pairs.append((days[m], items[m]))
    days = np.concatenate([p[0] for p in pairs]).astype("datetime64[D]")
    items = np.concatenate([p[1] for p in pairs]).astype(np.int64)
    out: dict[np.datetime64, np.ndarray] = {}
    for d in np.unique(days):
        out[d] = np.unique(items[days == d])
    return out


def _activity_lines(ledger: Ledger, first: np.datetime64, end: np.datetime64,
                    before: np.ndarray) -> list[Line]:
    """Every change of an item's outstanding in the period, as lines in date order."""
    inv = ledger.invoices
    lines: list[Line] = []
    known = (first - ONE_DAY, before)  # the last day computed and its outstanding

    def on(day: np.datetime64) -> np.ndarray:
        nonlocal known
        if known[0] != day:
            known = (day, outstanding_on(ledger, day))
        return known[1]

    for day, items in _event_days(ledger, first, end).items():
        was = on(day - ONE_DAY)[items]
        change = on(day)[items] - was
        date = day.item()
        for i, delta in zip(items.tolist(), change.tolist(), strict=True):
            issued = 0.0
            if inv.invoice_date[i] == day:
                issued = float(inv.amount[i])
                lines.append(Line(date, issue_type(ledger, i), i, issued,
                                  inv.due_date[i].item()))
            rest = delta - issued
            if abs(rest) > _ZERO:
                kind = "Payment" if inv.amount[i] > 0 else "Credit applied"
                lines.append(Line(date, kind, i, rest))
    return lines


def _open_item_lines(ledger: Ledger, pos: Position) -> list[Line]:
    """What is unpaid on the last day: each open item at its outstanding, oldest first."""
    inv = ledger.invoices
    order = np.lexsort((inv.invoice[pos.idx].astype(str), inv.invoice_date[pos.idx]))
    return [Line(inv.invoice_date[i].item(), issue_type(ledger, i), i, float(out),
                 inv.due_date[i].item())
            for i, out in zip(pos.idx[order].tolist(), pos.outstanding[order].tolist(),
                              strict=True)]


def _assemble(ledger: Ledger, pos: Position, before: np.ndarray, lines: list[Line],
              start: dt.date, customers: Iterable[int] | None) -> list[Statement]:
    """Lines grouped per customer and currency, with the opening and closing balances and
    the ageing footer."""
    ncur = max(len(ledger.currencies), 1)
    nkeys = len(ledger.customers) * ncur
    all_items = np.arange(len(ledger.invoices))
    opening = np.bincount(_key(ledger, all_items), weights=before, minlength=nkeys)
    pos_key = _key(ledger, pos.idx)
    closing = np.bincount(pos_key, weights=pos.outstanding, minlength=nkeys)
    inv = ledger.invoices
    grouped: dict[int, list[Line]] = {}
    for ln in sorted(lines, key=lambda ln: (ln.date, ln.due is None, inv.invoice[ln.item])):
        grouped.setdefault(int(inv.customer[ln.item]) * ncur + int(inv.currency[ln.item]),
                           []).append(ln)
    nb = len(ledger.settings.bucket_labels())
    wanted = None if customers is None else set(customers)
    keys = set(grouped) | set(np.flatnonzero(opening).tolist()) | set(pos_key.tolist())
    out = []
    for key in sorted(keys):
        c, k = divmod(key, ncur)
        if wanted is not None and c not in wanted:
            continue
        mine = pos_key == key
        debt = mine & (pos.outstanding > 0)
        buckets = np.bincount(pos.bucket[debt], weights=pos.outstanding[debt], minlength=nb)
        unapplied = float(pos.outstanding[mine & (pos.outstanding < 0)].sum())
        out.append(Statement(c, k, start, ledger.as_of_date, float(opening[key]),
                             grouped.get(key, []), float(closing[key]), buckets[:nb],
                             unapplied))
    return out
