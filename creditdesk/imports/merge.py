"""Merging an import into a workbook's Customers and Invoices, never overwriting what the user
typed.

- Customers are matched by account number (the Customer key), else by name (case, spaces,
  punctuation and 'Limited'/'Ltd' do not matter). What the export knows beyond items (an
  e-mail, terms, a credit limit) fills empty cells only; every other column is kept.
- Items are matched by number. The export's figures replace the item's Amount, Paid and
  dates; what the user set on it (Disputed, a Reference, their own columns) is kept. An item
  the workbook has open that a list of open items no longer holds was settled: its Settled
  Date becomes the export's date.
- The report: new customers, customers that left the ledger (a balance before, none now),
  changed balances, items added, updated and settled.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from creditdesk.domain import cells
from creditdesk.domain.contract import CUSTOMERS, INVOICES, normalise_header
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


@dataclass
class Merged:
    customers: Table
    invoices: Table
    new_customers: list[str] = field(default_factory=list)
    left: list[tuple[str, float]] = field(default_factory=list)  # (customer, balance before)
    changed: list[tuple[str, float, float]] = field(default_factory=list)
    items_added: int = 0
    items_updated: int = 0
    items_settled: int = 0
    filled: int = 0  # empty customer cells filled from the export
    kept: int = 0  # cells where the workbook's own value was kept over the export's
    issues: list[Issue] = field(default_factory=list)
    settled_on: dt.date | None = None


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


def _blank_cell(v: object) -> bool:
    return cells.is_blank(v)


def merge(existing: dict[str, Table] | None, result: ImportResult,
          settled_on: dt.date | None = None) -> Merged:
    """``existing`` holds the workbook's 'Customers' and 'Invoices' as (header, rows) of raw
    cells (absent or empty for a new workbook); the workbook is not changed, the merged
    tables are returned. ``settled_on``: the date items that left the export are settled on
    (default: the export's own date, else today)."""
    with paused():
        return _merge(existing or {}, result, settled_on)


def _merge(existing: dict[str, Table], result: ImportResult, settled_on: dt.date | None
           ) -> Merged:
    c_head, c_rows = existing.get("Customers", ([], []))
    i_head, i_rows = existing.get("Invoices", ([], []))
    c_head = list(c_head) or [c.header for c in CUSTOMERS.columns]
    i_head = list(i_head) or [c.header for c in INVOICES.columns]
    c_rows = [list(r) for r in c_rows]
    i_rows = [list(r) for r in i_rows]
    cp = _positions(c_head, ["Customer", "Name", "Email", "CC", "Currency", "Terms (days)",
                             "Credit Limit"])
    ip = _positions(i_head, ["Invoice", "Customer", "Invoice Date", "Due Date", "Currency",
                             "Amount", "Paid", "Settled Date", "Reference"])
    _pad(c_rows, len(c_head))
    _pad(i_rows, len(i_head))
    out = Merged((c_head, c_rows), (i_head, i_rows))
    out.settled_on = settled_on or result.as_at or dt.date.today()

    # -- customers
    contacts, alias = _combine(result)
    wb_key: dict[str, int] = {}
    wb_name: dict[str, int] = {}
    for n, r in enumerate(c_rows):
        k = text_of(r[cp["Customer"]])
        if k:
            wb_key.setdefault(k.casefold(), n)
            wb_name.setdefault(name_key(k), n)
        nm = text_of(r[cp["Name"]])
        if nm:
            wb_name.setdefault(name_key(nm), n)
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
            row = [None] * len(c_head)
            row[cp["Customer"]] = c.key
            for f, v in values.items():
                row[cp[f]] = v if v not in ("", None) else None
            c_rows.append(row)
            wb_key[c.key.casefold()] = len(c_rows) - 1
            out.new_customers.append(c.key)
            key_of.append(c.key)
            continue
        row = c_rows[n]
        for f, v in values.items():
            if v in ("", None):
                continue
            if _blank_cell(row[cp[f]]):
                row[cp[f]] = v
                out.filled += 1
            elif text_of(row[cp[f]]).casefold() != text_of(v).casefold() and not (
                    isinstance(v, int | float) and _num(row[cp[f]]) == v):
                out.kept += 1
        key_of.append(text_of(row[cp["Customer"]]))

    customer_keys: dict[str, str] = {}

    def customer_of(it: Item) -> str:
        k = customer_keys.get(it.customer)
        if k is None:
            k = customer_keys[it.customer] = key_of[alias[it.customer.casefold()]]
        return k

    # -- invoices
    if not result.items and not result.lists_items:
        return out
    before = _balances(i_rows, ip)
    index = {}
    for n, r in enumerate(i_rows):
        k = text_of(r[ip["Invoice"]]).casefold()
        if k:
            index.setdefault(k, n)
    in_export: set[int] = set()
    width = len(i_head)
    p_inv, p_cust, p_idate, p_ddate = ip["Invoice"], ip["Customer"], ip["Invoice Date"], \
        ip["Due Date"]
    p_ccy, p_amount, p_paid, p_ref = ip["Currency"], ip["Amount"], ip["Paid"], ip["Reference"]
    # the contract's own columns, in its order (a new workbook): a new row in one go
    contract_order = i_head == [c.header for c in INVOICES.columns] and [
        p_inv, p_cust, p_idate, p_ddate, p_ccy, p_amount, p_paid, ip["Settled Date"],
        p_ref] == [0, 1, 2, 3, 4, 5, 6, 7, 9] and width == 10
    for it in result.items:
        cust = customer_of(it)
        folded = it.invoice.casefold()
        n = index.get(folded)
        if n is None:
            if contract_order:
                row = [it.invoice, cust, it.invoice_date, it.due_date, it.currency or None,
                       it.amount, it.paid if it.paid else None, None, None,
                       it.reference or None]
            else:
                row = [None] * width
                row[p_inv] = it.invoice
                row[p_cust] = cust
                row[p_idate] = it.invoice_date
                row[p_ddate] = it.due_date
                row[p_ccy] = it.currency or None
                row[p_amount] = it.amount
                row[p_paid] = it.paid if it.paid else None
                row[p_ref] = it.reference or None
            index[folded] = len(i_rows)
            in_export.add(len(i_rows))
            i_rows.append(row)
            out.items_added += 1
            continue
        in_export.add(n)
        row = i_rows[n]
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
        out.items_updated += 1
    if result.lists_items:
        as_at = result.as_at
        for n, row in enumerate(i_rows):
            if n in in_export or not _blank_cell(row[ip["Settled Date"]]):
                continue
            if abs(_num(row[ip["Amount"]]) - _num(row[ip["Paid"]])) < 0.005:
                continue
            d = _date(row[ip["Invoice Date"]])
            if as_at is not None and d is not None and d > as_at:
                continue  # entered after the export was made
            row[ip["Settled Date"]] = out.settled_on
            out.items_settled += 1
    # only a customer with a balance before can have left or changed: with none (a new
    # workbook) the balances after are not needed
    after = _balances(i_rows, ip) if any(abs(b) > 0.005 for b in before.values()) else {}
    for k in sorted(set(before) | set(after)):
        b, a = before.get(k, 0.0), after.get(k, 0.0)
        if abs(b) > 0.005 and abs(a) <= 0.005:
            out.left.append((k, b))
        elif abs(b) > 0.005 and abs(a - b) > 0.005:
            out.changed.append((k, b, a))
    return out
