"""Receivables KPIs over a period ending on the as-of date; formulas in docs/kpis.md.

P = the KPI period in days (Settings: KPI Period (days), default 90), A = the as-of date,
S = A - P. All amounts in base currency (items without an FX rate are left out: the ageing
counts them apart, as not converted); credit sales = invoices dated in (S, A] less the credit
notes dated in (S, A] (net; the gross variant, invoices only, is reported beside it). Current
and Overdue are debts only (credits are unapplied credits, apart), so neither is ever
negative. A KPI whose denominator is not above zero is None (shown blank), never a division
error or a negative number of days.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from creditdesk.domain.ageing import Position, outstanding_on, position
from creditdesk.domain.ledger import Ledger


@dataclass
class Kpis:
    period_days: int
    credit_sales: float
    gross_credit_sales: float
    receivables: float
    overdue: float
    dso_simple: float | None
    dso_countback: float | None
    best_possible_dso: float | None
    average_days_delinquent: float | None
    cei: float | None
    average_days_to_pay: float | None
    average_days_late: float | None
    percent_overdue: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def _ratio(num: float, den: float, scale: float = 1.0) -> float | None:
    return None if den <= 0 else num / den * scale


def countback_dso(receivables: float, invoice_dates: np.ndarray, amounts: np.ndarray,
                  as_of: np.datetime64, max_months: int = 36) -> float | None:
    """Countback DSO: walk back month by month, taking each month's credit sales (net of
    its credit notes) off the receivables and counting its days, until the rest is no more
    than a month's sales; that month counts pro rata. The month of the as-of date counts its
    days up to and including A.
    """
    if receivables <= 0:
        return 0.0 if receivables == 0 else None
    month_a = as_of.astype("datetime64[M]")
    months = (month_a - invoice_dates.astype("datetime64[M]")).astype(np.int64)
    use = (months >= 0) & (months < max_months) & (invoice_dates <= as_of)
    sales = np.bincount(months[use], weights=amounts[use], minlength=max_months)
    remaining, dso = receivables, 0.0
    for k in range(max_months):
        start = month_a - k
        end = as_of if k == 0 else (start + 1).astype("datetime64[D]") - 1
        days = int((end - start.astype("datetime64[D]")).astype(np.int64)) + 1
        if 0 < remaining <= sales[k]:
            return dso + remaining / sales[k] * days
        remaining -= sales[k]
        dso += days
    return dso


def kpis(ledger: Ledger, pos: Position | None = None) -> Kpis:
    pos = pos or position(ledger)
    inv = ledger.invoices
    a = ledger.as_of
    p = ledger.settings.kpi_period_days
    s = a - np.timedelta64(p, "D")
    base_amount = inv.amount_base
    sold = inv.converted & ~inv.payment  # payments on account are not sales
    in_period = sold & (inv.invoice_date > s) & (inv.invoice_date <= a)
    sales = float(base_amount[in_period].sum())
    gross = float(base_amount[in_period & (inv.amount > 0)].sum())
    ar = float(pos.outstanding_base.sum())
    debt = (pos.outstanding > 0) & pos.converted
    current = float(pos.outstanding_base[debt & (pos.days_overdue <= 0)].sum())
    overdue = float(pos.outstanding_base[debt & (pos.days_overdue > 0)].sum())
    begin = float(np.where(inv.converted, outstanding_on(ledger, s) * np.nan_to_num(inv.rate),
                           0.0).sum())

    dso = _ratio(ar, sales, p)
    bpdso = _ratio(current, sales, p)
    add = None if dso is None or bpdso is None else dso - bpdso
    cei = _ratio(begin + sales - ar, begin + sales - current, 100.0)

    settled_in = (~np.isnat(inv.settled_date) & (inv.settled_date > s)
                  & (inv.settled_date <= a) & (inv.amount > 0) & inv.converted)
    w = base_amount[settled_in]
    to_pay = (inv.settled_date[settled_in] - inv.invoice_date[settled_in]).astype(np.int64)
    late = np.maximum(0, (inv.settled_date[settled_in] - inv.due_date[settled_in])
                      .astype(np.int64))
    wsum = float(w.sum())
    monthly = np.where(sold, base_amount, 0.0)
    return Kpis(
        period_days=p,
        credit_sales=sales,
        gross_credit_sales=gross,
        receivables=ar,
        overdue=overdue,
        dso_simple=dso,
        dso_countback=countback_dso(ar, inv.invoice_date, monthly, a),
        best_possible_dso=bpdso,
        average_days_delinquent=add,
        cei=cei,
        average_days_to_pay=_ratio(float((w * to_pay).sum()), wsum),
        average_days_late=_ratio(float((w * late).sum()), wsum),
        percent_overdue=_ratio(overdue, current + overdue, 100.0),
    )
