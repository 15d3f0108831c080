"""Merging an import into a workbook's Customers and Invoices, never overwriting what the user
typed.

- Customers are matched by account number (the Customer key), else by name (case, spaces,
  punctuation and 'Limited'/'Ltd' do not matter). What the export knows beyond items (an
  e-mail, terms, a credit limit) fills empty cells only; every other column is kept.
- Items are matched by number. The export's figures replace the item's Amount, Paid and
  dates; what the user set on it (Disputed, a Reference, their own columns) is kept. An item
  the workbook has open that a list of open items no longer holds was settled: its Settled
  Date becomes the export's date: for every customer when the export is the whole ledger,
  only for the customers it lists when it is partial (a filtered report, ``partial``).
- Dated unapplied payments (QuickBooks payments, Xero overpayments and prepayments, Sage's
  SR and SA) go into the Payments table, invoice blank, instead of Invoices: the ledger
  counts such a row as a credit on account, so the balance is counted once. One the
  workbook already has as an item stays one. An unallocated payment an import made that the
  export no longer shows was applied (or refunded) there, and is removed.
- The report: new customers, customers that left the ledger (a balance before, none now),
  changed balances, items added, updated and settled, payments added, updated and
  removed, and the figures the caller's guard needs (``open_before``, ``removed_balance``).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from creditdesk.domain import cells
from creditdesk.domain.contract import CUSTOMERS, INVOICES, PAYMENTS, normalise_header
from creditdesk.domain.issues import Issue
from creditdesk.imports.collector import paused
from creditdesk.imports.grid import text_of
from creditdesk.imports.model import Contact, ImportResult, Item

Table = tuple[list[str], list[list]]


@functools.lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """'Bluegate Joinery Limited' = 'bluegate  joinery ltd.' = 'BLUEGATE JOINERY LTD'."""
    t = name.casefold().replace("&", " and ")
    t = re.sub(r"[^\w\s]", " ", t)
    t = re.sub(r"\blimited\b", "ltd", t)
    t = re.sub(r"\bincorporated\b", "inc", t)
    return " ".join(t.split())


PAYMENT_KINDS = frozenset({"payment", "overpayment", "prepayment"})
# The Reference of a Payments row an import made: the item's generated key first
_IMPORTED_PAYMENT = re.compile(r"^(PAY|OP|PP|SR|SA)-\S+", re.IGNORECASE)


@dataclass
class Merged:
    customers: Table
    invoices: Table
    payments: Table | None = None  # None: the workbook has none and the export gave none
    new_customers: list[str] = field(default_factory=list)
    left: list[tuple[str, float]] = field(default_factory=list)  # (customer, balance before)
    changed: list[tuple[str, float, float]] = field(default_factory=list)
    items_added: int = 0
    items_updated: int = 0
    items_settled: int = 0
    payments_added: int = 0
    payments_updated: int = 0
    payments_removed: list[str] = field(default_factory=list)  # applied since: their keys
    filled: int = 0  # empty customer cells filled from the export
    kept: int = 0  # cells where the workbook's own value was kept over the export's
    issues: list[Issue] = field(default_factory=list)
    settled_on: dt.date | None = None
    partial: bool = False  # only the customers the export lists were touched
    untouched: int = 0  # partial: customers with a balance the export does not list
    open_before: float = 0.0  # the workbook's open balance before the import
    with_balance: int = 0  # customers with a balance before the import
    # what settling by absence takes off the balances, customer by customer (no more than
    # each balance falls: a summary's items replaced by the next day's take nothing off)
    removed_balance: float = 0.0


def _combine(result: ImportResult) -> tuple[list[Contact], dict[str, int]]:
    """The export's customers, one per account: a contacts file and an items file name the
    same customer by account number or by name. Returns them and alias -> index."""
    out: list[Contact] = []
    by_key: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for c in result.contacts:
        i = by_key.get(c.key.casefold())
        if i is None and c.name:
            i = by_name.get(name_key(c.name))
        if i is None:
            i = len(out)
            out.append(Contact(c.key, c.name, c.email, c.cc, c.terms, c.credit_limit,
                               c.currency, c.row, c.where))
        else:
            o = out[i]
            # a real account code wins over a name used as key
            if o.key == o.name and c.key != c.name:
                o.key = c.key
            for f in ("name", "email", "cc", "currency"):
                if not getattr(o, f) and getattr(c, f):
                    setattr(o, f, getattr(c, f))
            o.terms = o.terms if o.terms is not None else c.terms
            o.credit_limit = o.credit_limit if o.credit_limit is not None else c.credit_limit
        by_key[c.key.casefold()] = i
        by_key[out[i].key.casefold()] = i
        if c.name:
            by_name[name_key(c.name)] = i
    done: set[str] = set()  # customers already known (their key stays in by_key)
    for it in result.items:  # items whose customer no contact row names
        if it.customer in done:
            continue
        done.add(it.customer)
        if it.customer.casefold() in by_key:
            continue
        i = by_name.get(name_key(it.name)) if it.name else None
        if i is None:
            i = len(out)
            out.append(Contact(it.customer, it.name or it.customer, row=it.row, where=it.where))
            if it.name:
                by_name[name_key(it.name)] = i
        by_key[it.customer.casefold()] = i
    return out, by_key


def _positions(header: list[str], wanted: Sequence[str]) -> dict[str, int]:
    """Column positions by contract header; missing contract columns are appended."""
    keys = [normalise_header(h) for h in header]
    pos = {}
    for w in wanted:
        k = normalise_header(w)
        if k in keys:
            pos[w] = keys.index(k)
        else:
            header.append(w)
            keys.append(k)
            pos[w] = len(header) - 1
    return pos


def _pad(rows: list[list], width: int) -> None:
    for r in rows:
        if len(r) < width:
            r.extend([None] * (width - len(r)))


def _num(v: object) -> float:
    c = v.__class__
    if c is float or c is np.float64:  # the common cases: a number, finite or not
        return float(v) if v - v == 0 else 0.0
    if v is None or cells.is_blank(v):
        return 0.0
    x = cells.parse_number(v)
    return x if isinstance(x, float) else 0.0


def _date(v: object) -> dt.date | None:
    d = cells.date_or_reason(v)
    return d if isinstance(d, dt.date) else None


def _balances(rows: list[list], p: dict[str, int]) -> dict[str, float]:
    out: dict[str, float] = {}
    settled, customer, amount, paid = p["Settled Date"], p["Customer"], p["Amount"], p["Paid"]
    names: dict[str, str] = {}
    for r in rows:
        s = r[settled]
        if s is not None and not cells.is_blank(s):
            continue
        c = r[customer]
        if c.__class__ is str:
            k = names.get(c)
            if k is None:
                k = names[c] = text_of(c)
        else:
            k = text_of(c)
        out[k] = out.get(k, 0.0) + _num(r[amount]) - _num(r[paid])
    return out


def _customer_balances(w: _Work) -> dict[str, float]:
    """Each customer's open balance: the open items less the unallocated payments."""
    out = _balances(w.i_rows, w.ip)
    pp = w.pp
    for r in w.p_rows:
        if _blank_cell(r[pp["Invoice"]]):
            k = text_of(r[pp["Customer"]])
            out[k] = out.get(k, 0.0) - _num(r[pp["Amount"]])
    return out


def _blank_cell(v: object) -> bool:
    return cells.is_blank(v)


def merge(existing: dict[str, Table] | None, result: ImportResult,
          settled_on: dt.date | None = None, *, partial: bool = False) -> Merged:
    """``existing`` holds the workbook's 'Customers', 'Invoices' and 'Payments' as (header,
    rows) of raw cells (absent or empty for a new workbook); the workbook is not changed, the
    merged tables are returned. ``settled_on``: the date items that left the export are
    settled on (default: the export's own date, else today). ``partial``: the export lists
    some customers only (a filtered report): nobody else's items are settled."""
    with paused():
        return _merge(existing or {}, result, settled_on, partial)


@dataclass
class _Work:
    """The tables being merged: (header, rows) and the contract columns' positions."""

    c_head: list[str]
    c_rows: list[list]
    cp: dict[str, int]
    i_head: list[str]
    i_rows: list[list]
    ip: dict[str, int]
    p_head: list[str]
    p_rows: list[list]
    pp: dict[str, int]
    had_payments: bool
    p_seen: set[int] = field(default_factory=set)  # Payments rows this export holds
    settled_by: dict[str, float] = field(default_factory=dict)  # customer -> settled open


_CUSTOMER_FIELDS = ["Customer", "Name", "Email", "CC", "Currency", "Terms (days)",
                    "Credit Limit"]
_INVOICE_FIELDS = ["Invoice", "Customer", "Invoice Date", "Due Date", "Currency", "Amount",
                   "Paid", "Settled Date", "Reference"]
_PAYMENT_FIELDS = ["Date", "Customer", "Amount", "Currency", "Reference", "Invoice"]


def _table(existing: dict[str, Table], spec: Any, fields: list[str]
           ) -> tuple[list[str], list[list], dict[str, int]]:
    """A table to merge into: its header (the contract's for a new one, the contract
    columns it lacks appended), its rows copied and padded, the fields' positions."""
    head, rows = existing.get(spec.name, ([], []))
    head = list(head) or [c.header for c in spec.columns]
    rows = [list(r) for r in rows]
    pos = _positions(head, fields)
    _pad(rows, len(head))
    return head, rows, pos


def _work(existing: dict[str, Table]) -> _Work:
    return _Work(*_table(existing, CUSTOMERS, _CUSTOMER_FIELDS),
                 *_table(existing, INVOICES, _INVOICE_FIELDS),
                 *_table(existing, PAYMENTS, _PAYMENT_FIELDS),
                 had_payments=bool(existing.get(PAYMENTS.name, ([], []))[0]))


def _merge(existing: dict[str, Table], result: ImportResult, settled_on: dt.date | None,
           partial: bool) -> Merged:
    w = _work(existing)
    out = Merged((w.c_head, w.c_rows), (w.i_head, w.i_rows))
    out.settled_on = settled_on or result.as_at or dt.date.today()
    out.partial = partial
    customer_of = _merge_customers(w, result, out)
    if not result.items and not result.lists_items:
        _payments_out(w, out)
        return out
    before = _customer_balances(w)
    out.open_before = sum(before.values())
    out.with_balance = sum(1 for b in before.values() if abs(b) > 0.005)
    in_export, listed = _merge_items(w, result, out, customer_of)
    if result.lists_items:
        scope = listed if partial else None  # partial: nobody else is touched
        _settle_missing(w, out, result.as_at, in_export, scope)
        _unapplied_payments_gone(w, out, scope)
    if partial:
        out.untouched = sum(1 for k, b in before.items()
                            if abs(b) > 0.005 and k.casefold() not in listed)
    _payments_out(w, out)
    # only a customer with a balance before can have left or changed: with none (a new
    # workbook) the balances after are not needed
    after = _customer_balances(w) if out.with_balance else {}
    _balance_changes(out, before, after, w.settled_by)
    return out


# ---------------------------------------------------------------------------------------
# Customers


def _workbook_customers(w: _Work) -> tuple[dict[str, int], dict[str, int]]:
    """The workbook's customers by key and by name (normalised): row numbers."""
    wb_key: dict[str, int] = {}
    wb_name: dict[str, int] = {}
    cp = w.cp
    for n, r in enumerate(w.c_rows):
        k = text_of(r[cp["Customer"]])
        if k:
            wb_key.setdefault(k.casefold(), n)
            wb_name.setdefault(name_key(k), n)
        nm = text_of(r[cp["Name"]])
        if nm:
            wb_name.setdefault(name_key(nm), n)
    return wb_key, wb_name


def _fill_customer(w: _Work, row: list, values: dict, out: Merged) -> None:
    """What the export knows fills the row's empty cells; a typed value is kept."""
    cp = w.cp
    for f, v in values.items():
        if v in ("", None):
            continue
        if _blank_cell(row[cp[f]]):
            row[cp[f]] = v
            out.filled += 1
        elif text_of(row[cp[f]]).casefold() != text_of(v).casefold() and not (
                isinstance(v, int | float) and _num(row[cp[f]]) == v):
            out.kept += 1


def _merge_customers(w: _Work, result: ImportResult, out: Merged
                     ) -> Callable[[Item], str]:
    """The export's customers matched to the workbook's (new ones added, empty cells
    filled); returns the workbook key of an item's customer."""
    contacts, alias = _combine(result)
    wb_key, wb_name = _workbook_customers(w)
    cp = w.cp
    key_of: list[str] = []
    for c in contacts:
        n = wb_key.get(c.key.casefold())
        if n is None:
            n = wb_name.get(name_key(c.name)) if c.name else None
        if n is None:
            n = wb_name.get(name_key(c.key))
        values = {"Name": c.name, "Email": c.email, "CC": c.cc, "Currency": c.currency,
                  "Terms (days)": c.terms, "Credit Limit": c.credit_limit}
        if n is None:
            row = [None] * len(w.c_head)
            row[cp["Customer"]] = c.key
            for f, v in values.items():
                row[cp[f]] = v if v not in ("", None) else None
            w.c_rows.append(row)
            wb_key[c.key.casefold()] = len(w.c_rows) - 1
            out.new_customers.append(c.key)
            key_of.append(c.key)
            continue
        row = w.c_rows[n]
        _fill_customer(w, row, values, out)
        key_of.append(text_of(row[cp["Customer"]]))
    customer_keys: dict[str, str] = {}

    def customer_of(it: Item) -> str:
        k = customer_keys.get(it.customer)
        if k is None:
            k = customer_keys[it.customer] = key_of[alias[it.customer.casefold()]]
        return k
    return customer_of


# ---------------------------------------------------------------------------------------
# Items


def _index(rows: list[list], col: int) -> dict[str, int]:
    index: dict[str, int] = {}
    for n, r in enumerate(rows):
        k = text_of(r[col]).casefold()
        if k:
            index.setdefault(k, n)
    return index


def _new_invoice_row(w: _Work, it: Item, cust: str, contract_order: bool) -> list:
    if contract_order:  # the contract's own columns in its order: the row in one go
        return [it.invoice, cust, it.invoice_date, it.due_date, it.currency or None,
                it.amount, it.paid if it.paid else None, None, None, it.reference or None]
    ip = w.ip
    row = [None] * len(w.i_head)
    row[ip["Invoice"]] = it.invoice
    row[ip["Customer"]] = cust
    row[ip["Invoice Date"]] = it.invoice_date
    row[ip["Due Date"]] = it.due_date
    row[ip["Currency"]] = it.currency or None
    row[ip["Amount"]] = it.amount
    row[ip["Paid"]] = it.paid if it.paid else None
    row[ip["Reference"]] = it.reference or None
    return row


def _update_invoice_row(w: _Work, row: list, it: Item, cust: str, out: Merged) -> None:
    """The export's figures and dates over the row's; what the user set on it is kept."""
    ip = w.ip
    was = text_of(row[ip["Customer"]])
    if was and was.casefold() != cust.casefold():
        out.issues.append(Issue(it.where, it.row, None, f"{it.invoice} is {was}'s in the "
                                f"workbook and {cust}'s in the export; the export's is kept"))
    row[ip["Customer"]] = cust
    if it.invoice_date is not None:
        row[ip["Invoice Date"]] = it.invoice_date
    if it.due_date is not None:
        row[ip["Due Date"]] = it.due_date
    if it.currency:
        row[ip["Currency"]] = it.currency
    if it.amount_known:
        amount, paid = it.amount, it.paid
    else:
        had, left = _num(row[ip["Amount"]]), it.outstanding
        amount, paid = (had, had - left) if had > 0 and -0.005 <= left <= had + 0.005 \
            else (left, 0.0)
    row[ip["Amount"]] = amount
    row[ip["Paid"]] = paid if paid else None
    if it.reference and _blank_cell(row[ip["Reference"]]):
        row[ip["Reference"]] = it.reference
    if abs(amount - paid) > 0.005 and not _blank_cell(row[ip["Settled Date"]]):
        row[ip["Settled Date"]] = None  # open again


def is_dated_payment(it: Item) -> bool:
    """Money received that the export dates and shows unapplied, under a key an import
    makes (so a re-import finds it): a Payments row (the ledger counts an unallocated
    payment as a credit on account, once)."""
    return it.kind in PAYMENT_KINDS and it.dated and it.invoice_date is not None and \
        it.outstanding < -0.005 and _IMPORTED_PAYMENT.match(it.invoice) is not None


def _merge_items(w: _Work, result: ImportResult, out: Merged,
                 customer_of: Callable[[Item], str]) -> tuple[set[int], set[str]]:
    """Each item added or updated (dated payments into Payments); returns the Invoices rows
    the export holds and the (folded) keys of the customers it lists."""
    ip = w.ip
    index = _index(w.i_rows, ip["Invoice"])
    pay_index = _payment_index(w)
    in_export: set[int] = set()
    listed: set[str] = set()
    contract_order = w.i_head == [c.header for c in INVOICES.columns] and [
        ip[f] for f in _INVOICE_FIELDS] == [0, 1, 2, 3, 4, 5, 6, 7, 9] and len(w.i_head) == 10
    for it in result.items:
        cust = customer_of(it)
        listed.add(cust.casefold())
        folded = it.invoice.casefold()
        n = index.get(folded)
        if n is None and is_dated_payment(it):
            _merge_payment(w, it, cust, pay_index, out)
            continue
        if n is None:
            index[folded] = len(w.i_rows)
            in_export.add(len(w.i_rows))
            w.i_rows.append(_new_invoice_row(w, it, cust, contract_order))
            out.items_added += 1
            continue
        in_export.add(n)
        _update_invoice_row(w, w.i_rows[n], it, cust, out)
        out.items_updated += 1
    return in_export, listed


def _settle_missing(w: _Work, out: Merged, as_at: dt.date | None, in_export: set[int],
                    scope: set[str] | None) -> None:
    """An open item the list of open items no longer holds was settled on the export's
    date; ``scope``: only the items of these customers (folded keys; None: everybody's)."""
    ip = w.ip
    for n, row in enumerate(w.i_rows):
        if n in in_export or not _blank_cell(row[ip["Settled Date"]]):
            continue
        left = _num(row[ip["Amount"]]) - _num(row[ip["Paid"]])
        if abs(left) < 0.005:
            continue
        cust = text_of(row[ip["Customer"]])
        if scope is not None and cust.casefold() not in scope:
            continue
        d = _date(row[ip["Invoice Date"]])
        if as_at is not None and d is not None and d > as_at:
            continue  # entered after the export was made
        row[ip["Settled Date"]] = out.settled_on
        out.items_settled += 1
        w.settled_by[cust] = w.settled_by.get(cust, 0.0) + left


def _balance_changes(out: Merged, before: dict[str, float], after: dict[str, float],
                     settled_by: dict[str, float]) -> None:
    """Who left the ledger, whose balance changed, and what settling took off."""
    for k in sorted(set(before) | set(after)):
        b, a = before.get(k, 0.0), after.get(k, 0.0)
        out.removed_balance += max(min(b - a, settled_by.get(k, 0.0)), 0.0)
        if abs(b) > 0.005 and abs(a) <= 0.005:
            out.left.append((k, b))
        elif abs(b) > 0.005 and abs(a - b) > 0.005:
            out.changed.append((k, b, a))


# ---------------------------------------------------------------------------------------
# Payments


def _payment_index(w: _Work) -> dict[str, int]:
    """The Payments rows an import made, by the key their Reference starts with (one the
    user has since allocated to an invoice too: it is updated, never added again)."""
    pp = w.pp
    out: dict[str, int] = {}
    for n, r in enumerate(w.p_rows):
        m = _IMPORTED_PAYMENT.match(text_of(r[pp["Reference"]]))
        if m:
            out.setdefault(m[0].casefold(), n)
    return out


def _merge_payment(w: _Work, it: Item, cust: str, index: dict[str, int],
                   out: Merged) -> None:
    """A dated unapplied payment as a Payments row (invoice blank: on account): its date,
    customer, the amount still unapplied, currency; Reference: its key, then the export's
    reference."""
    pp = w.pp
    reference = f"{it.invoice} {it.reference}".strip() if it.reference != it.invoice \
        else it.invoice
    n = index.get(it.invoice.casefold())
    if n is None:
        row = [None] * len(w.p_head)
        index[it.invoice.casefold()] = len(w.p_rows)
        w.p_rows.append(row)
        out.payments_added += 1
    else:
        row = w.p_rows[n]
        out.payments_updated += 1
    row[pp["Date"]] = it.invoice_date
    row[pp["Customer"]] = cust
    row[pp["Amount"]] = round(-it.outstanding, 2)
    if it.currency or n is None:
        row[pp["Currency"]] = it.currency or None
    if n is None or _blank_cell(row[pp["Reference"]]):
        row[pp["Reference"]] = reference
    w.p_seen.add(len(w.p_rows) - 1 if n is None else n)


def _unapplied_payments_gone(w: _Work, out: Merged, scope: set[str] | None) -> None:
    """An unallocated payment an import made that the list of open items no longer shows
    was applied to invoices (whose Paid the export now gives) or refunded: kept, it would
    count twice, so it is removed (the report names it). ``scope`` as for
    ``_settle_missing``."""
    pp = w.pp
    keep = []
    for n, r in enumerate(w.p_rows):
        gone = n not in w.p_seen and _blank_cell(r[pp["Invoice"]]) and \
            _IMPORTED_PAYMENT.match(text_of(r[pp["Reference"]])) and (
                scope is None or text_of(r[pp["Customer"]]).casefold() in scope)
        if gone:
            out.payments_removed.append(text_of(r[pp["Reference"]]).split()[0])
        else:
            keep.append(r)
    w.p_rows[:] = keep


def _payments_out(w: _Work, out: Merged) -> None:
    if w.had_payments or w.p_rows:
        out.payments = (w.p_head, w.p_rows)
