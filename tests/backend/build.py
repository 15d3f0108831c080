"""Builders: snapshots as the workbook sends them, reminders as the preview renders them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.builders import AS_OF, customer, days_before, invoice, tables


def _cell(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def snapshot(customers=(), invoices=(), settings=None, extra=None) -> dict:
    """``SnapshotIn`` JSON of a small ledger (see tests/builders.py)."""
    t = tables(customers, invoices, settings, extra=extra)
    return {"tables": {name: {"header": list(h), "rows": [[_cell(v) for v in r] for r in rows]}
                       for name, (h, rows) in t.items()}}


def overdue_ledger(n: int = 3, settings: dict | None = None, **kw: Any) -> dict:
    """``n`` customers, each with one invoice 10 days overdue (a first reminder is due)."""
    custs = [customer(f"C{i}") for i in range(1, n + 1)]
    invs = [invoice(f"INV-{i}", 1000.0 + i, days_before(10), customer=f"C{i}")
            for i in range(1, n + 1)]
    return snapshot(custs, invs, {"Sender Email": "reminders@creditdesk.example",
                                  **(settings or {})}, **kw)


def reminder(customer_id: str = "C1", level: int = 2, invoices: tuple[str, ...] = ("INV-1",),
             to: str | None = None, **kw: Any) -> dict:
    r = {"customer": customer_id, "currency": "EUR", "level": level,
         "to": to or f"ap@{customer_id.lower()}.example.com",
         "subject": f"Reminder for {customer_id}", "text": "Please pay.",
         "html": "<p>Please pay.</p>", "invoices": list(invoices), "amount": 1000.0}
    r.update(kw)
    return r


def reminders(n: int, prefix: str = "C") -> list[dict]:
    return [reminder(f"{prefix}{i}", invoices=(f"INV-{i}",)) for i in range(n)]


__all__ = ["AS_OF", "overdue_ledger", "reminder", "reminders", "snapshot"]
