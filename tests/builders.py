"""Small ledgers for tests, written the way a controller would type them into the workbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from creditdesk.domain.contract import CUSTOMERS, INVOICES, normalise_header
from creditdesk.domain.ledger import Ledger, build_ledger, raw_tables

AS_OF = dt.date(2026, 6, 30)
# The tests' ledgers are kept in EUR unless a test says otherwise (a blank Base Currency
# follows Country, GB by default: GBP).
SETTINGS = {"As Of Date": AS_OF, "Base Currency": "EUR"}


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def days_before(n: int, day: dt.date = AS_OF) -> dt.date:
    return day - dt.timedelta(days=n)


def _rows(header: Sequence[str], records: Sequence[dict]) -> list[list]:
    """Rows in header order; record keys match headers ignoring case, '_' for space."""
    out = []
    for r in records:
        by_key = {normalise_header(k.replace("_", " ")): v for k, v in r.items()}
        unknown = set(by_key) - {normalise_header(h) for h in header}
        assert not unknown, f"not a column: {unknown}"
        out.append([by_key.get(normalise_header(h), "") for h in header])
    return out


def customer(cid: str = "C1", **fields) -> dict:
    row = {"Customer": cid, "Name": f"{cid} Ltd", "Email": f"ap@{cid.lower()}.example.com"}
    row.update(fields)
    return row


def invoice(number: str, amount: float, due: dt.date, customer: str = "C1", **fields) -> dict:
    row = {"Invoice": number, "Customer": customer, "Invoice Date": due - dt.timedelta(days=30),
           "Due Date": due, "Amount": amount}
    row.update(fields)
    return row


def tables(customers: Sequence[dict] = (), invoices: Sequence[dict] = (),
           settings: dict | None = None, fx: dict | None = None,
           extra: dict | None = None) -> dict:
    headers_c = [c.header for c in CUSTOMERS.columns]
    headers_i = [c.header for c in INVOICES.columns]
    t = {
        "Customers": (headers_c, _rows(headers_c, customers or [customer()])),
        "Invoices": (headers_i, _rows(headers_i, invoices)),
        "Settings": (["Setting", "Value"],
                     [[k, v] for k, v in {**SETTINGS, **(settings or {})}.items()]),
    }
    if fx:
        t["FX"] = (["Currency", "Rate"], [[k, v] for k, v in fx.items()])
    t.update(extra or {})
    return t


def make_ledger(customers: Sequence[dict] = (), invoices: Sequence[dict] = (),
                settings: dict | None = None, fx: dict | None = None,
                extra: dict | None = None) -> Ledger:
    return build_ledger(raw_tables(tables(customers, invoices, settings, fx, extra)))
