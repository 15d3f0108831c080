"""Handing a debt to a collection agency or a solicitor: who is due for it (the hand-off
rule) and what each invoice claims (principal, interest and compensation).

The rule (Settings' Hand-off Days and Hand-off Minimum, defaults 90 and 250): a customer whose
Collection Status is blank is listed when

- its oldest undisputed open debt is at least Hand-off Days past due,
- its undisputed overdue debts come to at least Hand-off Minimum in base currency, and
- the final level of the dunning policy (the level with the most Days After Due) was sent to
  it: a History Reminder row of that level, in any currency.

Both bounds are inclusive: 90 days and 250.00 qualify, 89 days or 249.99 do not. Items in a
currency without an FX rate count towards the days but not the amount.

The claim per invoice is what an agency or solicitor asks for: the open, undisputed, overdue
debts with the interest and fixed compensation under the workbook's Late Payment Law on what
is still outstanding, from the due date to the as-of date (at the Contract Interest Rate when
it is set; without a law, at that rate alone and no compensation). Nothing is rounded here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from creditdesk.domain.ageing import Position
from creditdesk.domain.interest import contract_interest_columns, statutory_interest
from creditdesk.domain.ledger import DunningLevel, Ledger

HANDOFF_TYPE = "Hand-off"  # the History row's Type
TARGETS = {"agency": "With agency", "legal": "Legal"}  # --to -> the Collection Status


@dataclass(frozen=True)
class Candidate:
    """A customer the hand-off rule lists."""

    customer: int  # index into ledger.customers
    overdue: float  # base currency, undisputed overdue debts
    oldest_days: int  # days past due of the oldest undisputed open debt
    oldest_invoice: int  # index into ledger.invoices
    open_items: int  # undisputed open debts
    final_level: DunningLevel
    final_sent: dt.date  # the last time the final level was sent


@dataclass(frozen=True)
class Claim:
    """One overdue invoice as an agency or solicitor claims it (invoice currency)."""

    item: int  # index into ledger.invoices
    currency: str
    principal: float  # outstanding on the as-of date
    due: dt.date
    days: int  # days past due
    rate: float | None  # annual %, None: no interest claimed
    interest: float
    compensation: float
    law: str  # UK, EU, Contract or None


def final_level(levels: list[DunningLevel]) -> DunningLevel | None:
    """The policy's last level (the most Days After Due); None without levels."""
    return max(levels, key=lambda lv: (lv.days, lv.level)) if levels else None


def final_sent(ledger: Ledger) -> dict[str, dt.date]:
    """{customer key: the last day the final level was sent to it}."""
    last = final_level(ledger.levels)
    h = ledger.history
    if last is None or not len(h.date):
        return {}
    out: dict[str, dt.date] = {}
    rows = np.flatnonzero((h.type == "reminder") & (h.level == last.level) & ~np.isnat(h.date))
    for r in rows.tolist():
        day = h.date[r].item()
        key = str(h.customer[r])
        if key not in out or day > out[key]:
            out[key] = day
    return out


def _debts(ledger: Ledger, pos: Position) -> np.ndarray:
    """The open undisputed debts (positions into ``pos``)."""
    return (pos.outstanding > 0) & ~ledger.invoices.disputed[pos.idx]


def candidates(ledger: Ledger, pos: Position) -> list[Candidate]:
    """The customers the hand-off rule lists, most overdue first (on whole columns: a
    ledger with many customers due costs one pass)."""
    s, c = ledger.settings, ledger.customers
    last = final_level(ledger.levels)
    sent = final_sent(ledger)
    if last is None or not sent or not len(pos):
        return []
    nc = len(c)
    debt = np.flatnonzero(_debts(ledger, pos))
    cust, days = pos.customer[debt], pos.days_overdue[debt]
    late = days > 0
    overdue = np.bincount(cust[late], weights=pos.outstanding_base[debt][late], minlength=nc)
    count = np.bincount(cust, minlength=nc)
    # each customer's oldest debt: the first of its debts by days past due, descending
    order = np.lexsort((-days, cust))
    firsts, at = np.unique(cust[order], return_index=True)
    oldest = np.full(nc, -1, dtype=np.int64)
    oldest[firsts] = order[at]
    oldest_days = np.where(oldest >= 0, days[np.maximum(oldest, 0)], np.iinfo(np.int64).min)
    status = c.collection_status if len(c.collection_status) else np.full(nc, "", object)
    has_sent = np.fromiter((str(k) in sent for k in c.ids.tolist()), bool, nc)
    due = ((overdue >= s.handoff_minimum - 1e-9) & (oldest_days >= s.handoff_days)
           & (status == "") & has_sent & (oldest >= 0))
    out = [Candidate(i, float(overdue[i]), int(oldest_days[i]),
                     int(pos.idx[debt[oldest[i]]]), int(count[i]), last, sent[str(c.ids[i])])
           for i in np.flatnonzero(due).tolist()]
    out.sort(key=lambda x: (-x.overdue, str(c.ids[x.customer])))
    return out


def claims(ledger: Ledger, pos: Position, customer: int) -> list[Claim]:
    """The customer's open undisputed overdue debts with interest and compensation, by due
    date then invoice number."""
    s, inv = ledger.settings, ledger.invoices
    law, rate = s.late_payment_law, s.contract_interest_rate
    mine = np.flatnonzero(_debts(ledger, pos) & (pos.customer == customer)
                          & (pos.days_overdue > 0))
    mine = mine[np.lexsort((inv.invoice[pos.idx[mine]].astype(str), pos.due[mine]))]
    # as dunning claims it: the law's currency at its FX rate (the base currency's when none)
    law_rate = ledger.fx.get("GBP" if law == "UK" else "EUR", 1.0)
    out = []
    for k in mine.tolist():
        i = int(pos.idx[k])
        principal, due = float(pos.outstanding[k]), pos.due[k].item()
        days = int(pos.days_overdue[k])
        ccy = ledger.currencies[int(inv.currency[i])]
        if law == "None":
            if rate is None:
                out.append(Claim(i, ccy, principal, due, days, None, 0.0, 0.0, "None"))
                continue
            interest = float(contract_interest_columns(np.array([principal]),
                                                       np.array([pos.due[k]]), ledger.as_of,
                                                       rate)[0])
            out.append(Claim(i, ccy, principal, due, days, float(rate), interest, 0.0,
                             "Contract"))
            continue
        doc_rate = float(inv.rate[i])  # NaN: no FX rate, so no compensation band
        converted = not np.isnan(doc_rate)
        in_law = principal * doc_rate / law_rate if converted else principal
        try:
            r = statutory_interest(principal, due, ledger.as_of_date, law, rate,
                                   amount_in_law_currency=in_law, rates=ledger.rates.get(law))
        except ValueError:  # a due date before the rate table starts
            out.append(Claim(i, ccy, principal, due, days, None, 0.0, 0.0, law))
            continue
        comp = r.compensation * law_rate / doc_rate if converted else 0.0
        out.append(Claim(i, ccy, principal, due, days, r.rate, r.interest, comp, law))
    return out
