"""The Excel functions, once: plain Python that ``creditdesk_addin.desktop`` (classic xlwings,
``@xw.func``) and the generated xlwings Lite ``main.py`` (``@func``) each wrap with their own
decorator.

The functions answer from the ledger a script loaded last (``creditdesk_addin.session``):
clicking Refresh loads the workbook once, and every ``CD.CREDIT_CHECK`` in the workbook then
costs a look-up, not a read of 100,000 invoices. On desktop Excel a function reads the calling
workbook itself when nothing is loaded yet. Answers that need no ledger (ageing bucket of a
date, statutory interest) work without one, with the defaults of a fresh workbook.

Each function returns a plain value for a cell: text for a decision, a number for an amount;
a problem is a short sentence in the cell (``unknown customer 'C-9'``), never a traceback.
Dates may come as dates (desktop), Excel serial numbers (xlwings Lite) or ``YYYY-MM-DD`` text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from creditdesk.analysis.report import Analysis, order_check
from creditdesk.domain.cells import to_date
from creditdesk.domain.errors import CreditdeskError
from creditdesk.domain.interest import round_money, statutory_interest
from creditdesk.domain.settings import Settings
from creditdesk_addin import session

NOT_LOADED = "no ledger loaded: click Refresh first"

Loader = Callable[[], Analysis | None]


class _Answer(Exception):
    """A sentence to show in the cell instead of a result."""


def _ledger(load: Loader | None = None) -> Analysis:
    a = session.recall()
    if a is None and load is not None:
        a = load()
    if a is None:
        raise _Answer(NOT_LOADED)
    return a


def _cell_text(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except _Answer as exc:
        return str(exc)
    except (CreditdeskError, ValueError) as exc:
        return str(exc)


def _date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    arr, errors = to_date([value])
    if errors:
        raise _Answer(f"{what}: {errors[0]}")
    if np.isnat(arr[0]):
        raise _Answer(f"{what} is blank")
    return arr[0].astype("datetime64[D]").item()


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise _Answer(f"{what} must be a number")
    try:
        x = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise _Answer(f"{what} must be a number, not '{value}'") from None
    if not math.isfinite(x):
        raise _Answer(f"{what} must be a number")
    return x


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _customer(a: Analysis, customer: Any) -> int:
    key = str(int(customer)) if isinstance(customer, float) and customer.is_integer() else \
        str(customer or "").strip()
    i = a.ledger.customer_index.get(key)
    if i is None:
        raise _Answer(f"unknown customer '{key}'")
    return i


# ---------------------------------------------------------------------------------------


_orders: dict[tuple[str, float], str] = {}  # per loaded ledger: one recalculation's answers
_orders_of: list[Analysis] = []


def credit_check(customer: Any, order_amount: Any = 0.0, *, load: Loader | None = None) -> str:
    """Credit decision for a customer if an order of this amount (base currency) were accepted:
    APPROVE, REVIEW or HOLD, with the reasons, e.g. "HOLD: exposure 118% of limit ...".
    Uses the ledger of the last Refresh."""
    def answer() -> str:
        a = _ledger(load)
        i = _customer(a, customer)
        amount = 0.0 if _blank(order_amount) else _number(order_amount, "order amount")
        if not _orders_of or _orders_of[0] is not a or len(_orders) > 10_000:
            _orders.clear()
            _orders_of[:] = [a]
        key = (a.ledger.customers.ids[i], amount)
        if key not in _orders:
            _orders[key] = order_check(a, key[0], amount).summary
        return _orders[key]
    return _cell_text(answer)


def ageing_bucket(date: Any, as_of: Any = None, *, load: Loader | None = None) -> str:
    """Ageing bucket of a due date (or invoice date) as of a date: "Not due", "1-30", "31-60",
    ... "Over 120". The buckets and the as-of date are those of the loaded ledger's Settings
    (else the defaults and today); an item exactly 30 days past due is in 1-30."""
    def answer() -> str:
        a = session.recall()
        settings = a.ledger.settings if a is not None else Settings()
        day = _date(date, "date")
        if _blank(as_of):
            ref = a.ledger.as_of_date if a is not None else dt.date.today()
        else:
            ref = _date(as_of, "as-of date")
        age = (ref - day).days
        labels = settings.bucket_labels()
        if age <= 0:
            return labels[0]
        for edge, label in zip(settings.bucket_edges, labels[1:], strict=False):
            if age <= edge:
                return label
        return labels[-1]
    return _cell_text(answer)


def _law_terms(law: Any, contract_rate: Any) -> tuple[str, float | None, dt.date | None]:
    a = session.recall()
    settings = a.ledger.settings if a is not None else None
    if _blank(law):
        if settings is None or settings.late_payment_law == "None":
            raise _Answer("give the law: UK or EU")
        law = settings.late_payment_law
    rate = None
    if not _blank(contract_rate):
        rate = _number(contract_rate, "contract rate")
    elif settings is not None:
        rate = settings.contract_interest_rate
    return str(law).strip().upper(), rate, (a.ledger.as_of_date if a is not None else None)


def late_interest(amount: Any, due: Any, paid: Any = None, law: Any = None,
                  contract_rate: Any = None) -> Any:
    """Statutory late-payment interest on an invoice, in its currency, rounded to cents: UK
    Late Payment Act (8% over the Bank of England rate) or EU Directive 2011/7/EU (ECB rate +
    8 points). Paid = the payment date (blank: the ledger's as-of date, else today); law UK or
    EU (blank: Settings' Late Payment Law); contract rate = an annual % that replaces the
    statutory rate."""
    def answer() -> float:
        law_, rate, as_of = _law_terms(law, contract_rate)
        end = (as_of or dt.date.today()) if _blank(paid) else _date(paid, "paid")
        r = statutory_interest(_number(amount, "amount"), _date(due, "due date"), end, law_,
                               rate)
        return round_money(r.interest)
    return _cell_text(answer)


def late_compensation(amount: Any, due: Any, paid: Any = None, law: Any = None) -> Any:
    """Fixed compensation for late payment of an invoice: UK £40, £70 or £100 by the size of
    the debt; EU at least €40. Zero when the invoice is not late. Arguments as LATE_INTEREST."""
    def answer() -> float:
        law_, rate, as_of = _law_terms(law, None)
        end = (as_of or dt.date.today()) if _blank(paid) else _date(paid, "paid")
        r = statutory_interest(_number(amount, "amount"), _date(due, "due date"), end, law_,
                               rate)
        return round_money(r.compensation)
    return _cell_text(answer)


def customer_score(customer: Any, detail: Any = "score", *, load: Loader | None = None) -> Any:
    """A customer's payment score (1-100; 80 = pays on terms) from the last Refresh. Detail:
    "score" (default), "grade" (A-E), "limit" (recommended credit limit) or "reasons"."""
    def answer() -> Any:
        a = _ledger(load)
        i = _customer(a, customer)
        s = a.scores
        what = "score" if _blank(detail) else str(detail).strip().casefold()
        if what == "score":
            v = float(s.whole[i])
            return "no settled history yet" if math.isnan(v) else v
        if what == "grade":
            return str(s.grade[i]) or "no settled history yet"
        if what == "limit":
            v = float(s.recommended_limit[i])
            return "no settled history yet" if math.isnan(v) else v
        if what == "reasons":
            return "; ".join(s.reasons[i])
        raise _Answer(f"detail must be score, grade, limit or reasons, not '{detail}'")
    return _cell_text(answer)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "credit_check": credit_check,
    "ageing_bucket": ageing_bucket,
    "late_interest": late_interest,
    "late_compensation": late_compensation,
    "score": customer_score,
}

# Argument help shown in Excel's function dialog, shared by both front ends.
ARGUMENT_HELP: dict[str, dict[str, str]] = {
    "credit_check": {"customer": "Customer key, as in the Customers table",
                     "order_amount": "Proposed order, base currency (blank = 0)"},
    "ageing_bucket": {"date": "Due date (or invoice date)",
                      "as_of": "Age as of this date (blank = the ledger's as-of date)"},
    "late_interest": {"amount": "The unpaid amount", "due": "Due date",
                      "paid": "Payment date (blank = as-of date)", "law": "UK or EU",
                      "contract_rate": "Annual % replacing the statutory rate"},
    "late_compensation": {"amount": "The unpaid amount", "due": "Due date",
                          "paid": "Payment date (blank = as-of date)", "law": "UK or EU"},
    "score": {"customer": "Customer key", "detail": "score, grade, limit or reasons"},
}
