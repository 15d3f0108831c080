"""The Excel functions, once: plain Python that ``creditdesk_addin.desktop`` (classic xlwings,
``@xw.func``) and the generated xlwings Lite ``main.py`` (``@func``) each wrap with their own
decorator.

The functions answer from the ledger a script loaded last (``creditdesk_addin.session``):
clicking Refresh loads the workbook once, and every ``CD.CREDIT_CHECK`` in the workbook then
costs a look-up, not a read of 100,000 invoices. On desktop Excel a function that finds no
ledger loads one itself, once, from only the tables it needs (``FUNCTION_TABLES``). Answers
that need no ledger (ageing bucket of a date, statutory interest) work without one, with the
defaults of a fresh workbook.

They behave like Excel's own functions:

- A number stays a number: where a function cannot answer, it gives a real Excel error, never
  a sentence in a numeric column (``ExcelError``: each front end turns it into the error
  value). ``#N/A``: an argument is an error cell, the customer is unknown, nothing is loaded
  yet, no settled history; ``#VALUE!``: an argument of the wrong kind (text for a number, a
  date that is not one, an unknown law or detail); ``#NUM!``: a number that is not finite or
  out of range.
- Ranges as arguments spill: ``=CD.LATE_INTEREST(A2:A100, B2:B100)`` answers per row, with
  Excel's broadcasting (a single cell, row or column stretches; cells beyond a shorter range
  are ``#N/A``). A row whose required arguments are all blank answers blank.
- The first paragraph of each docstring is the description Excel shows (255 characters at
  most); ``ARGUMENT_HELP`` holds the help for each argument.

Dates may come as dates (desktop), Excel serial numbers (xlwings Lite) or ``YYYY-MM-DD`` text.
Error cells arrive as their text (``#N/A``), as the front ends ask xlwings with
``err_to_str=True``; without it xlwings would hand over ``None``, a blank.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from creditdesk.analysis.report import Analysis, order_amount_problem, order_check
from creditdesk.domain import contract
from creditdesk.domain.cells import to_date
from creditdesk.domain.errors import CreditdeskError
from creditdesk.domain.interest import round_money, statutory_interest
from creditdesk.domain.settings import Settings
from creditdesk_addin import session

log = logging.getLogger("creditdesk.addin")

Loader = Callable[[], Analysis | None]
# What a function's ledger needs: not the dunning levels or the templates.
FUNCTION_TABLES = (contract.CUSTOMERS, contract.INVOICES, contract.PAYMENTS, contract.SETTINGS,
                   contract.FX, contract.HISTORY, contract.RATES)
DESCRIPTION_LIMIT = 255  # Excel cuts a function's description, and an argument's help, here


class ExcelError(str):
    """An Excel error value as a function's answer. In xlwings Lite a returned text that is
    an error's name becomes that error; on desktop ``creditdesk_addin.desktop`` turns it into
    a COM error value."""

    __slots__ = ()


NA = ExcelError("#N/A")
VALUE = ExcelError("#VALUE!")
NUM = ExcelError("#NUM!")
# The errors a cell can hold, as xlwings' err_to_str hands them over.
ERROR_TEXTS = frozenset({"#N/A", "#VALUE!", "#NUM!", "#DIV/0!", "#NAME?", "#NULL!", "#REF!",
                         "#SPILL!", "#CALC!", "#FIELD!", "#GETTING_DATA", "#BUSY!",
                         "#CONNECT!", "#BLOCKED!", "#UNKNOWN!", "#PYTHON!", "#TIMEOUT!"})


class _Fail(Exception):
    """This call's answer is an Excel error; the reason goes to the log."""

    def __init__(self, error: ExcelError, reason: str):
        super().__init__(reason)
        self.error = error


def _is_error(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper() in ERROR_TEXTS


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _one(answer: Callable[..., Any], required: int, values: Sequence[Any]) -> Any:
    """One cell's answer."""
    if any(_is_error(v) for v in values):
        return NA
    if required and all(_blank(v) for v in values[:required]):
        return None  # a blank row of a range answers blank
    try:
        return answer(*values)
    except _Fail as exc:
        log.debug("%s: %s (%s)", answer.__qualname__, exc.error, exc)
        return exc.error
    except (CreditdeskError, ValueError) as exc:
        log.debug("%s: #VALUE! (%s)", answer.__qualname__, exc)
        return VALUE


def _grid(value: Any) -> list[list[Any]] | None:
    """A range argument as rows (a flat list is a column); None for a single value."""
    if not isinstance(value, list | tuple):
        return None
    if value and all(isinstance(r, list | tuple) for r in value):
        rows = [list(r) for r in value]
    else:
        rows = [[v] for v in value]
    return rows if rows and rows[0] else [[None]]


class _Beyond(Exception):
    pass


def _pick(grid: list[list[Any]], r: int, c: int) -> Any:
    rr = 0 if len(grid) == 1 else r
    cc = 0 if len(grid[0]) == 1 else c
    if rr >= len(grid) or cc >= len(grid[rr]):
        raise _Beyond
    return grid[rr][cc]


def _spill(answer: Callable[..., Any], required: int, *args: Any) -> Any:
    """``answer`` per cell when an argument is a range (Excel's broadcasting), else once."""
    grids = [_grid(a) for a in args]
    if all(g is None or (len(g) == 1 and len(g[0]) == 1) for g in grids):
        return _one(answer, required, [a if g is None else g[0][0]
                                       for g, a in zip(grids, args, strict=True)])
    shaped = [g for g in grids if g is not None]
    rows = max(len(g) for g in shaped)
    cols = max(max(len(r) for r in g) for g in shaped)
    out = []
    for r in range(rows):
        line = []
        for c in range(cols):
            try:
                values = [a if g is None else _pick(g, r, c)
                          for g, a in zip(grids, args, strict=True)]
            except _Beyond:
                line.append(NA)
                continue
            line.append(_one(answer, required, values))
        out.append(line)
    return out


def description(name: str) -> str:
    """The description Excel shows for a function: its docstring's first paragraph."""
    doc = inspect.getdoc(FUNCTIONS[name]) or ""
    return " ".join(doc.split("\n\n")[0].split())


# ---------------------------------------------------------------------------------------


def _ledger(load: Loader | None = None) -> Analysis:
    a = session.recall()
    if a is None and load is not None:
        try:
            a = load()
        except Exception as exc:  # Excel busy, a table unreadable: not this cell's fault
            log.warning("the functions could not read the workbook: %s", exc)
            a = None
    if a is None:
        raise _Fail(NA, "no ledger loaded: click Refresh first")
    return a


def _date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    arr, errors = to_date([value])
    if errors:
        raise _Fail(VALUE, f"{what}: {errors[0]}")
    if np.isnat(arr[0]):
        raise _Fail(VALUE, f"{what} is blank")
    return arr[0].astype("datetime64[D]").item()


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise _Fail(VALUE, f"{what} must be a number")
    try:
        x = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise _Fail(VALUE, f"{what} must be a number, not '{value}'") from None
    if not math.isfinite(x):
        raise _Fail(NUM, f"{what} must be a finite number")
    return x


def _customer(a: Analysis, customer: Any) -> int:
    key = str(int(customer)) if isinstance(customer, float) and customer.is_integer() else \
        str(customer or "").strip()
    i = a.ledger.customer_index.get(key)
    if i is None:
        raise _Fail(NA, f"unknown customer '{key}'")
    return i


_orders: dict[tuple[str, float], str] = {}  # per loaded ledger: one recalculation's answers
_orders_of: list[Analysis] = []


def credit_check(customer: Any, order_amount: Any = 0.0, *, load: Loader | None = None) -> Any:
    """Credit decision for a customer if an order of this amount (base currency) were
    accepted: APPROVE, REVIEW or HOLD with the reasons, e.g. "HOLD: exposure 118% of limit
    ...". From the ledger of the last Refresh.

    #N/A: unknown customer, or nothing loaded yet; #VALUE!: an order amount that is not a
    number; #NUM!: a negative or implausibly large one."""
    def answer(customer: Any, order_amount: Any) -> str:
        a = _ledger(load)
        i = _customer(a, customer)
        amount = 0.0 if _blank(order_amount) else _number(order_amount, "order amount")
        problem = order_amount_problem(amount)
        if problem:
            raise _Fail(NUM, f"the order amount {problem}")
        if not _orders_of or _orders_of[0] is not a or len(_orders) > 10_000:
            _orders.clear()
            _orders_of[:] = [a]
        key = (a.ledger.customers.ids[i], amount)
        if key not in _orders:
            _orders[key] = order_check(a, key[0], amount).summary
        return _orders[key]
    return _spill(answer, 1, customer, order_amount)


def ageing_bucket(date: Any, as_of: Any = None, *, load: Loader | None = None) -> Any:
    """Ageing bucket of a due date (or invoice date): "Not due", "1-30", "31-60", ... "Over
    120", with the buckets and as-of date of the last Refresh (else the defaults and today).
    Exactly 30 days past due is in 1-30.

    #VALUE!: a date that is not a date."""
    def answer(date: Any, as_of: Any) -> str:
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
    return _spill(answer, 1, date, as_of)


def _law_terms(law: Any, contract_rate: Any) -> tuple[str, float | None, dt.date | None, Any]:
    """(law, contract rate, as-of date, the workbook's rate table of the law or None)."""
    a = session.recall()
    settings = a.ledger.settings if a is not None else None
    if _blank(law):
        if settings is None or settings.late_payment_law == "None":
            raise _Fail(VALUE, "give the law: UK or EU")
        law = settings.late_payment_law
    rate = None
    if not _blank(contract_rate):
        rate = _number(contract_rate, "contract rate")
        if rate < 0:
            raise _Fail(NUM, "the contract rate cannot be negative")
    elif settings is not None:
        rate = settings.contract_interest_rate
    law = str(law).strip().upper()
    rates = a.ledger.rates.get(law) if a is not None else None
    return law, rate, (a.ledger.as_of_date if a is not None else None), rates


def _statutory(amount: Any, due: Any, paid: Any, law: Any, contract_rate: Any) -> Any:
    law_, rate, as_of, rates = _law_terms(law, contract_rate)
    end = (as_of or dt.date.today()) if _blank(paid) else _date(paid, "paid")
    value = 0.0 if _blank(amount) else _number(amount, "amount")
    return statutory_interest(value, _date(due, "due date"), end, law_, rate, rates=rates)


def late_interest(amount: Any, due: Any, paid: Any = None, law: Any = None,
                  contract_rate: Any = None) -> Any:
    """Statutory late-payment interest on an invoice, in its currency, to the cent: UK Late
    Payment Act (8% over the Bank of England rate) or EU Directive 2011/7/EU (ECB rate + 8
    points). Blank paid: the as-of date; blank law: Settings.

    #VALUE!: an amount, date or law that is not one; #NUM!: a negative contract rate."""
    def answer(amount: Any, due: Any, paid: Any, law: Any, contract_rate: Any) -> float:
        return round_money(_statutory(amount, due, paid, law, contract_rate).interest)
    return _spill(answer, 2, amount, due, paid, law, contract_rate)


def late_compensation(amount: Any, due: Any, paid: Any = None, law: Any = None) -> Any:
    """Fixed compensation for late payment of an invoice: UK £40, £70 or £100 by the size of
    the debt; EU at least €40. Zero when the invoice is not late. Arguments as in
    LATE_INTEREST.

    Errors as LATE_INTEREST's."""
    def answer(amount: Any, due: Any, paid: Any, law: Any) -> float:
        return round_money(_statutory(amount, due, paid, law, None).compensation)
    return _spill(answer, 2, amount, due, paid, law)


def customer_score(customer: Any, detail: Any = "score", *, load: Loader | None = None) -> Any:
    """A customer's payment score from the last Refresh: 1-100, 80 = pays on terms. Detail:
    "score" (default), "grade" (A-E), "limit" (recommended credit limit) or "reasons".

    #N/A: unknown customer, nothing loaded, or no settled history yet; #VALUE!: another
    detail."""
    def answer(customer: Any, detail: Any) -> Any:
        a = _ledger(load)
        i = _customer(a, customer)
        s = a.scores
        what = "score" if _blank(detail) else str(detail).strip().casefold()
        if what == "score":
            v = float(s.whole[i])
        elif what == "limit":
            v = float(s.recommended_limit[i])
        elif what == "grade":
            if not s.grade[i]:
                raise _Fail(NA, "no settled history yet")
            return str(s.grade[i])
        elif what == "reasons":
            return "; ".join(s.reasons[i])
        else:
            raise _Fail(VALUE, f"detail must be score, grade, limit or reasons, not '{detail}'")
        if math.isnan(v):
            raise _Fail(NA, "no settled history yet")
        return v
    return _spill(answer, 1, customer, detail)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "credit_check": credit_check,
    "ageing_bucket": ageing_bucket,
    "late_interest": late_interest,
    "late_compensation": late_compensation,
    "score": customer_score,
}

# Argument help shown in Excel's function dialog, shared by both front ends (255 characters
# at most each). Every argument may be a range: the answer spills, one per cell.
ARGUMENT_HELP: dict[str, dict[str, str]] = {
    "credit_check": {"customer": "Customer key, as in the Customers table (or a range of keys)",
                     "order_amount": "Proposed order in the base currency (blank = 0)"},
    "ageing_bucket": {"date": "Due date (or invoice date), or a range of dates",
                      "as_of": "Age as of this date (blank = the as-of date of the last "
                               "Refresh, else today)"},
    "late_interest": {"amount": "The unpaid amount in the invoice's currency (or a range)",
                      "due": "Due date",
                      "paid": "Payment date (blank = the as-of date)",
                      "law": "UK or EU (blank = the Late Payment Law of Settings)",
                      "contract_rate": "Annual % that replaces the statutory rate (blank = "
                                       "Settings)"},
    "late_compensation": {"amount": "The unpaid amount in the invoice's currency (or a range)",
                          "due": "Due date",
                          "paid": "Payment date (blank = the as-of date)",
                          "law": "UK or EU (blank = the Late Payment Law of Settings)"},
    "score": {"customer": "Customer key, as in the Customers table (or a range of keys)",
              "detail": "score (default), grade, limit or reasons"},
}
