"""The export formats Creditdesk knows: Xero, QuickBooks Online and Desktop, Sage 50 Accounts.

Each format says how to recognise its sheet (title rows, headers) and how to read it into
items and contacts. Headers are matched loosely (case, spaces, punctuation and a leading '*'
do not matter; several names are known for each column), never by position, because users
choose the columns and systems rename them between versions.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from creditdesk.domain.cells import currency_of, is_blank, parse_number, parse_terms
from creditdesk.domain.emails import split_addresses
from creditdesk.domain.issues import Issue
from creditdesk.imports.columns import (
    ItemCells,
    Keys,
    Options,
    money_columns,
    money_known,
    unique_numbers,
)
from creditdesk.imports.grid import (
    Group,
    Header,
    as_at_date,
    generated_at,
    is_bucket_label,
    key,
    text_of,
    title_texts,
    total_label,
    walk,
)
from creditdesk.imports.model import Contact, ImportResult, Item, Sheet


@dataclass(frozen=True)
class Format:
    id: str  # as --format takes it
    name: str  # as the import prints it
    system: str
    titles: tuple[str, ...]  # key()s of title rows that name the report
    header: Callable[[set[str]], bool]  # does this row's set of header keys fit?
    parse: Callable[[Sheet, Header, Options, Format], ImportResult]
    order: str = "DMY"  # how the system writes dates when a column cannot tell
    why: str = ""
    needs_title: bool = False  # the headers alone are not enough to tell it from another


def _any(keys: set[str], *names: str) -> bool:
    return any(n in keys for n in names)


def _buckets(header: Header) -> list[int]:
    return [j for j, c in enumerate(header.cells) if c and is_bucket_label(c)]


# ---------------------------------------------------------------------------------------
# Shared steps


def _start(sheet: Sheet, header: Header, fmt: Format, opts: Options
           ) -> tuple[ImportResult, str | None]:
    result = ImportResult(fmt.name, fmt.id, [sheet.source])
    titles = title_texts(sheet, header.row)
    for i, row in enumerate(sheet.rows[:header.row]):
        texts = [text_of(v) for v in row if not is_blank(v)]
        if texts:
            result.notes.append(Issue(sheet.where, sheet.first_row + i, None,
                                      f"title row '{' '.join(texts)[:60]}' (skipped)"))
    result.as_at = as_at_date(titles, opts.date_order or fmt.order)
    return result, opts.date_order or fmt.order


def _matched(result: ImportResult, header: Header, fields: dict[str, int | None]) -> None:
    for name, j in fields.items():
        if j is not None:
            result.matched[name] = header.cells[j]


def _customer(groups: list[Group]) -> Group | None:
    """The innermost heading that names a customer (not an age band, not Sage's 'A/C')."""
    for g in reversed(groups):
        if not is_bucket_label(g.label) and key(g.label) not in ("ac", "account"):
            return g
    return None


def _customers(groups_of: list[list[Group]]) -> list[Group | None]:
    """``_customer`` of each item's headings, once per list of headings (the items under the
    same headings share one)."""
    out: list[Group | None] = []
    last: list[Group] | None = None
    g = None
    for groups in groups_of:
        if groups is not last:
            last, g = groups, _customer(groups)
        out.append(g)
    return out


class _Once(dict):
    """``fn(value)`` worked out once per distinct value."""

    def __init__(self, fn: Callable[[str], object]):
        super().__init__()
        self.fn = fn

    def __missing__(self, value: str) -> object:
        out = self[value] = self.fn(value)
        return out


_MAYBE_CURRENCY = re.compile(r"[A-Z£€$¥₹₩₽₺₪]")  # what a currency code or symbol needs


def _currency_from_cells(result: ImportResult, sheet: Sheet, col: int | None) -> None:
    """An export with no currency column may still show its currency in its amounts (or in
    its totals, as QuickBooks does)."""
    if col is None:
        return
    values = [r[col] for r in sheet.rows[:5000] if col < len(r)]
    found = {c for v in values if isinstance(v, str) and _MAYBE_CURRENCY.search(v)
             and (c := currency_of(v))}
    if len(found) == 1 and not result.currency:
        result.currency = found.pop()
        result.currency_from = "the currency symbols in its amounts"


def _undated(result: ImportResult, it: Item) -> None:
    """An item without an invoice date keeps its balance: it is dated by its due date, else
    by the export's date, and says so."""
    if it.invoice_date is not None:
        return
    it.dated = False
    if it.due_date is not None:
        it.invoice_date = it.due_date
        result.issues.append(Issue(it.where, it.row, None, f"{it.invoice} has no date; dated "
                                   f"by its due date {it.due_date} so its balance is kept"))
        return
    day = result.as_at or dt.date.today()
    it.invoice_date = day
    result.issues.append(Issue(it.where, it.row, None, f"{it.invoice} has no date; dated "
                               f"{day} (the export's date) so its balance is kept"))


def finish_items(result: ImportResult, cellsets: list[ItemCells]) -> ImportResult:
    """Counts, unique numbers, credits due from their own date, undated items dated."""
    for c in cellsets:
        result.candidates += len(c)
        result.unusable += int(c.bad.sum())
    unique_numbers(result)
    for it in result.items:
        if it.due_date is None and it.amount < 0:
            it.due_date = it.invoice_date  # a credit is available from its own date
        if it.invoice_date is None:
            _undated(result, it)
    return result


_CREDIT_WORDS = ("credit", "payment", "receipt", "overpayment", "prepayment", "deposit",
                 "discount")


_CREDIT_KINDS = ("credit note", "payment", "overpayment", "prepayment", "discount")


def _signed_column(kinds: list[str], values: np.ndarray) -> np.ndarray:
    """``_signed`` of every item's value at once."""
    credit = np.fromiter((k in _CREDIT_KINDS for k in kinds), bool, len(kinds))
    return np.where(credit & ~np.isnan(values), -np.abs(values), values)


def _signed(kind: str, value: float) -> float:
    """Credits and payments reduce the balance whichever sign the export shows them with."""
    if math.isnan(value):
        return value
    return -abs(value) if kind in ("credit note", "payment", "overpayment", "prepayment",
                                   "discount") else value


# ---------------------------------------------------------------------------------------
# Xero


def _xero_detail_header(keys: set[str]) -> bool:
    return (_any(keys, "invoicedate", "duedate") and _any(keys, "total", "due")
            and "invoiceamountdue" not in keys and "transactiontype" not in keys)


def _xero_detail(sheet: Sheet, header: Header, opts: Options, fmt: Format) -> ImportResult:
    result, order = _start(sheet, header, fmt, opts)
    result.lists_items = True
    h = header
    acct = h.find(["contactaccountnumber", "accountnumber", "accountno", "accountcode"])
    contact = h.find(["contact", "contactname", "customer", "name"])
    inv_date = h.find(["invoicedate", "date"])
    due = h.find(["duedate"])
    number = h.find(["invoicenumber", "number", "invoiceno", "invoice", "num"])
    ref = h.find(["invoicereference", "reference", "ref"])
    email = h.find(["email", "emailaddress"])
    ccy = h.find(["currency", "currencycode"])
    if h.find(["due", "amountdue"]) is not None:  # the older Aged Receivables Invoices
        open_col = h.find(["due", "amountdue"])
        doc_total = h.find(["invoicetotal", "total"])
    else:
        open_col, doc_total = h.find(["total", "outstanding", "balance"]), None
    buckets = _buckets(h)
    if open_col is None:
        raise ValueError("no Total column")
    _matched(result, h, {"Customer": acct, "Name": contact, "Invoice Date": inv_date,
                         "Due Date": due, "Invoice": number, "Reference": ref,
                         "Amount": doc_total if doc_total is not None else open_col,
                         "Outstanding": open_col, "Email": email, "Currency": ccy})
    data = [j for j in (inv_date, due, open_col, doc_total, *buckets) if j is not None]
    w = walk(sheet, h, open_col, data, decimal=opts.decimal, thousands=opts.thousands)
    result.notes += w.notes
    result.issues += w.issues
    for g in w.groups:
        result.notes.append(Issue(sheet.where, g.row, None, f"contact '{g.label}': the "
                                  "heading of its invoices (skipped)" if not
                                  is_bucket_label(g.label) else
                                  f"'{g.label}': an age band's heading (skipped)"))
    c = ItemCells(sheet, h, w, result, opts, order, fmt.why)
    open_ = c.numbers(open_col, drop=True)
    total = c.numbers(doc_total, drop=False) if doc_total is not None else None
    idates, ddates = c.dates(inv_date), c.dates(due)
    numbers, refs, accts = c.text(number), c.text(ref), c.text(acct)
    names, emails, currencies = c.text(contact), c.text(email), c.text(ccy)
    _currency_from_cells(result, sheet, open_col)
    keys = Keys("xero")
    contacts: dict[str, Contact] = {}
    owners = _customers(w.groups_of)
    bad = c.bad.tolist()
    amounts, paids, knowns = money_columns(total, open_)
    where, at = sheet.where, c.numbers_at
    for k in range(len(c)):
        if bad[k]:
            continue
        g = owners[k]
        name = names[k] or (g.label if g else "")
        if not name and not accts[k]:
            c.issue(k, None, "no contact for this item (no heading above it); left out",
                    drop=True)
            continue
        cust = accts[k] or name
        amount, paid, known = amounts[k], paids[k], knowns[k]
        no, reference = numbers[k], refs[k]
        low = reference.casefold()
        kind = ("overpayment" if "overpayment" in low else "prepayment" if "prepayment" in low
                else "credit note" if amount < 0 else "invoice")
        if not no:
            prefix = {"overpayment": "OP", "prepayment": "PP", "credit note": "CN"}.get(
                kind, "INV")
            no = keys.make(prefix, cust, idates[k], reference)
        result.items.append(Item(no, cust, name, idates[k], ddates[k], amount, paid,
                                 currencies[k].upper(), reference, kind, at[k], where, known))
        if cust not in contacts:
            contacts[cust] = Contact(cust, name, emails[k], row=g.row if g else at[k],
                                     where=where)
    result.contacts += contacts.values()
    return finish_items(result, [c])


def _xero_summary_header(keys: set[str]) -> bool:
    return (_any(keys, "contact", "contactname", "customer", "name") and "total" in keys
            and not _any(keys, "invoicedate", "duedate", "invoicenumber"))


def _bucket_days(label: str) -> int:
    """Days past due in the middle of a Xero age column (negative: not yet due)."""
    t = key(label)
    if t in ("current", "notdue", "notdueyet", "future"):
        return -15
    if t.startswith("<1month") or t.startswith("<30"):
        return 15
    if m := re.fullmatch(r"(\d+)months?", t):
        return 30 * int(m[1]) + 15
    if m := re.fullmatch(r"(\d+)(?:-|to)(\d+)(?:days?)?(?:pastdue|overdue)?", t):
        return (int(m[1]) + int(m[2])) // 2
    if m := re.search(r"(\d+)", t):
        return int(m[1]) + 30
    return 150


def _xero_summary(sheet: Sheet, header: Header, opts: Options, fmt: Format) -> ImportResult:
    result, order = _start(sheet, header, fmt, opts)
    result.lists_items = True
    h = header
    contact = h.find(["contact", "contactname", "customer", "name"])
    acct = h.find(["contactaccountnumber", "accountnumber"])
    total_col = h.find(["total"])
    buckets = [j for j in _buckets(h) if j != total_col]
    _matched(result, h, {"Name": contact, "Customer": acct, "Outstanding": total_col})
    w = walk(sheet, h, total_col, [*buckets, total_col], decimal=opts.decimal,
             thousands=opts.thousands)
    result.notes += w.notes
    result.issues += w.issues
    as_at = result.as_at
    if as_at is None:
        as_at = dt.date.today()
        result.issues.append(Issue(sheet.where, None, None, "the summary has no 'As at' date; "
                                   f"its age columns are dated from today, {as_at}"))
    basis_invoice = any("invoicedate" in key(t) for t in title_texts(sheet, h.row))
    result.notes.append(Issue(sheet.where, None, None, "a summary has no invoices: each "
                              "contact's amount in each age column is one item, dated in the "
                              "middle of the column's period; import the Aged Receivables "
                              "Detail report for the invoices themselves"))
    c = ItemCells(sheet, h, w, result, opts, order, fmt.why)
    names, accts = c.text(contact), c.text(acct)
    totals = c.numbers(total_col, drop=False)
    values = [c.numbers(j, drop=True) for j in buckets]
    _currency_from_cells(result, sheet, total_col)
    keys = Keys("xero-summary")
    for k in range(len(c)):
        if c.bad[k] or not names[k]:
            if not c.bad[k]:
                c.issue(k, contact, "no contact name; left out", drop=True)
            continue
        cust = accts[k] or names[k]
        row_sum = 0.0
        for j, col in zip(buckets, values, strict=True):
            x = col[k]
            if np.isnan(x) or x == 0:
                continue
            row_sum += x
            days = _bucket_days(h.cells[j])
            due = as_at - dt.timedelta(days=days)
            inv = min(as_at, due - dt.timedelta(days=30)) if not basis_invoice else \
                as_at - dt.timedelta(days=max(days, 0))
            if basis_invoice:
                due = inv + dt.timedelta(days=30)
            number = keys.make("BAL", cust, as_at, h.cells[j])
            result.items.append(Item(number, cust, names[k], inv, due, x, 0.0, "",
                                     f"{h.cells[j]} at {as_at}", "balance", c.numbers_at[k],
                                     sheet.where))
        if not np.isnan(totals[k]) and abs(totals[k] - row_sum) > 0.005:
            c.issue(k, total_col, f"the row's Total {totals[k]:,.2f} is not the sum of its age "
                    f"columns {row_sum:,.2f}; the columns are imported")
        result.contacts.append(Contact(cust, names[k], row=c.numbers_at[k], where=sheet.where))
    return finish_items(result, [c])


def _xero_invoices_header(keys: set[str]) -> bool:
    return (_any(keys, "invoicenumber") and _any(keys, "invoicedate")
            and _any(keys, "invoiceamountdue", "total") and _any(keys, "contactname"))


_XERO_SKIP_STATUS = {"draft", "submitted", "awaitingapproval", "voided", "void", "deleted"}
_XERO_PAYABLE = {"bill", "accpay", "accpaycredit", "billcreditnote", "purchase",
                 "purchasesbill", "billcredit", "suppliercredit"}
_XERO_CREDIT = {"salescreditnote", "accreccredit", "creditnote", "salescredit"}


def _xero_invoices(sheet: Sheet, header: Header, opts: Options, fmt: Format) -> ImportResult:
    result, order = _start(sheet, header, fmt, opts)
    result.lists_items = True
    h = header
    f = {"Name": h.find(["contactname"]), "Email": h.find(["emailaddress", "email"]),
         "Invoice": h.find(["invoicenumber"]), "Reference": h.find(["reference"]),
         "Invoice Date": h.find(["invoicedate"]), "Due Date": h.find(["duedate"]),
         "Amount": h.find(["total"]), "Paid": h.find(["invoiceamountpaid"]),
         "Outstanding": h.find(["invoiceamountdue"]), "Currency": h.find(["currency"]),
         "Type": h.find(["type"]), "Status": h.find(["status"])}
    _matched(result, h, f)
    amount_col = f["Outstanding"] if f["Outstanding"] is not None else f["Amount"]
    data = [j for j in (f["Invoice"], f["Invoice Date"], amount_col) if j is not None]
    w = walk(sheet, h, amount_col, data, decimal=opts.decimal, thousands=opts.thousands)
    result.notes += w.notes
    result.issues += w.issues
    c = ItemCells(sheet, h, w, result, opts, order, fmt.why)
    numbers = c.text(f["Invoice"])
    total = c.numbers(f["Amount"], drop=True)
    due_amt = c.numbers(f["Outstanding"], drop=False)
    paid_amt = c.numbers(f["Paid"], drop=False)
    idates, ddates = c.dates(f["Invoice Date"]), c.dates(f["Due Date"])
    names, emails = c.text(f["Name"]), c.text(f["Email"])
    refs, ccys = c.text(f["Reference"]), c.text(f["Currency"])
    types, status = c.text(f["Type"]), c.text(f["Status"])
    first: dict[str, int] = {}
    lines: dict[str, list[int]] = {}
    contacts: dict[str, Contact] = {}
    keyed = _Once(key)
    bad = c.bad.tolist()
    for k in range(len(c)):
        if bad[k]:
            continue
        no = numbers[k]
        if not no:
            c.issue(k, f["Invoice"], "no invoice number; left out", drop=True)
            continue
        if no in first:  # another line of the same invoice
            lines[no].append(c.numbers_at[k])
            continue
        first[no] = k
        lines[no] = [c.numbers_at[k]]
        t, s = keyed[types[k]], keyed[status[k]]
        if t in _XERO_PAYABLE:
            result.notes.append(Issue(sheet.where, c.numbers_at[k], None,
                                      f"{no}: a {types[k]} (payables), not a receivable (skipped)"))
            continue
        if s in _XERO_SKIP_STATUS:
            result.notes.append(Issue(sheet.where, c.numbers_at[k], None,
                                      f"{no}: status {status[k]} (not in the ledger; skipped)"))
            continue
        credit = t in _XERO_CREDIT or "credit" in t
        amount = total[k]
        open_ = due_amt[k] if not math.isnan(due_amt[k]) else (
            amount - paid_amt[k] if not math.isnan(paid_amt[k]) else np.nan)
        if credit:
            amount, open_ = -abs(amount), -abs(open_) if not math.isnan(open_) else open_
        a, p, known = money_known(amount, open_)
        name = names[k]
        result.items.append(Item(no, name, name, idates[k], ddates[k], a, p, ccys[k].upper(),
                                 refs[k], "credit note" if credit else "invoice",
                                 c.numbers_at[k], sheet.where, known))
        if name and name not in contacts:
            contacts[name] = Contact(name, name, emails[k], row=c.numbers_at[k],
                                     where=sheet.where)
    for no, rows in lines.items():
        if len(rows) > 1:
            result.notes.append(Issue(sheet.where, rows[0], None, f"{no}: {len(rows)} lines "
                                      f"(rows {rows[0]}-{rows[-1]}) read as one invoice"))
    result.contacts += contacts.values()
    return finish_items(result, [c])


def _xero_contacts_header(keys: set[str]) -> bool:
    return ("contactname" in keys and _any(keys, "emailaddress", "accountnumber")
            and "invoicenumber" not in keys)


_DAYS_AFTER = {"daysafter", "daysafterbilldate", "daysaftertheinvoicedate",
               "dayafterinvoicedate", "daysafterinvoicedate", "dayafterbilldate"}


def _contact_rows(sheet: Sheet, header: Header, name_col: int, result: ImportResult
                  ) -> list[int]:
    """Rows below the header with a name: the rest (blank, totals, the generated-at line, a
    repeated header) noted and skipped."""
    out = []
    for i in range(header.row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        filled = [j for j, v in enumerate(row) if not is_blank(v)]
        n = sheet.first_row + i
        if not filled:
            result.notes.append(Issue(sheet.where, n, None, "blank row (skipped)"))
            continue
        first = text_of(row[filled[0]])
        if [key(v) if isinstance(v, str) else "" for v in row[:len(header.keys)]] == \
                header.keys:
            result.notes.append(Issue(sheet.where, n, None, "the header row repeated (skipped)"))
        elif len(filled) == 1 and generated_at(first):
            result.notes.append(Issue(sheet.where, n, None,
                                      f"'{first}': the date the report was made (skipped)"))
        elif total_label(first) and name_col not in filled[1:]:
            result.notes.append(Issue(sheet.where, n, None, f"'{first}': a total row (skipped)"))
        elif name_col >= len(row) or is_blank(row[name_col]):
            result.notes.append(Issue(sheet.where, n, header.cells[name_col],
                                      "no name: not a contact (skipped)"))
        else:
            out.append(i)
    return out


def _xero_contacts(sheet: Sheet, header: Header, opts: Options, fmt: Format) -> ImportResult:
    result, _ = _start(sheet, header, fmt, opts)
    h = header
    name_col = h.find(["contactname"])
    acct, email = h.find(["accountnumber"]), h.find(["emailaddress"])
    day, term = h.find(["duedatesalesday"]), h.find(["duedatesalesterm"])
    ccy = h.find(["defaultcurrency", "currency"])
    people = [(h.find([f"person{n}email"]), h.find([f"person{n}includeinemail"]))
              for n in range(1, 6)]
    _matched(result, h, {"Name": name_col, "Customer": acct, "Email": email,
                         "Terms (days)": day, "Currency": ccy})
    result.matched.update({"CC": ", ".join(h.cells[j] for j, _ in people if j is not None)}
                          if any(j is not None for j, _ in people) else {})
    for i in _contact_rows(sheet, h, name_col, result):
        row = sheet.rows[i]

        def cell(j: int | None, row: list = row) -> str:
            return text_of(row[j]) if j is not None and j < len(row) else ""

        name, n = cell(name_col), sheet.first_row + i
        terms = None
        if cell(day):
            if key(cell(term)) in _DAYS_AFTER or not cell(term):
                parsed = parse_terms(cell(day))
                terms = parsed if isinstance(parsed, int) else None
            else:
                result.notes.append(Issue(sheet.where, n, h.cells[term], f"{name}: terms "
                                          f"'{cell(day)} {cell(term)}' are not a number of days "
                                          "after the invoice; Terms (days) is left blank"))
        cc = []
        for pe, inc in people:
            address = cell(pe)
            if address and (inc is None or key(cell(inc)) in ("yes", "true", "y", "1", "")):
                cc.append(address)
        result.contacts.append(Contact(cell(acct) or name, name, cell(email),
                                       "; ".join(a for a in cc if a != cell(email)), terms,
                                       None, cell(ccy).upper(), n, sheet.where))
    return result


# ---------------------------------------------------------------------------------------
# QuickBooks


_QB_CUSTOMER = ["customerfullname", "customer", "customername", "name"]


def _qb_aging_header(keys: set[str]) -> bool:
    return _any(keys, "transactiontype", "type") and _any(keys, "openbalance") and \
        _any(keys, "date", "duedate")


_QB_KINDS = {"invoice": "invoice", "statementcharge": "invoice", "financecharge": "invoice",
             "creditmemo": "credit note", "creditnote": "credit note", "payment": "payment",
             "receivepayment": "payment", "deposit": "payment", "journalentry": "journal",
             "generaljournal": "journal", "refundreceipt": "refund", "refund": "refund",
             "check": "refund", "cheque": "refund", "salesreceipt": "invoice"}


def _qb_aging(sheet: Sheet, header: Header, opts: Options, fmt: Format) -> ImportResult:
    result, order = _start(sheet, header, fmt, opts)
    result.lists_items = True
    h = header
    f = {"Invoice Date": h.find(["date", "transactiondate"]),
         "Type": h.find(["transactiontype", "type"]),
         "Invoice": h.find(["num", "no", "number", "refno"]),
         "Customer": h.find(_QB_CUSTOMER), "Due Date": h.find(["duedate"]),
         "Amount": h.find(["amount", "originalamount"]),
         "Outstanding": h.find(["openbalance", "balance"]),
         "Reference": h.find(["po", "ponumber", "memodescription", "memo"]),
         "Terms (days)": h.find(["term", "terms"]), "Currency": h.find(["currency"])}
    _matched(result, h, f)
    open_col = f["Outstanding"]
    data = [j for j in (f["Invoice Date"], f["Due Date"], f["Amount"], open_col)
            if j is not None]
    w = walk(sheet, h, open_col, data, decimal=opts.decimal, thousands=opts.thousands)
    result.notes += w.notes
    result.issues += w.issues
    for g in w.groups:
        what = ("an age band's heading" if is_bucket_label(g.label) or f["Customer"] is not None
                else "the heading of a customer's items")
        result.notes.append(Issue(sheet.where, g.row, None, f"'{g.label}': {what} (skipped)"))
    c = ItemCells(sheet, h, w, result, opts, order, fmt.why)
    open_ = c.numbers(open_col, drop=True)
    amount = c.numbers(f["Amount"], drop=False)
    idates, ddates = c.dates(f["Invoice Date"]), c.dates(f["Due Date"])
    types, nums, custs = c.text(f["Type"]), c.text(f["Invoice"]), c.text(f["Customer"])
    refs, terms, ccys = c.text(f["Reference"]), c.text(f["Terms (days)"]), c.text(f["Currency"])
    _currency_from_cells(result, sheet, open_col)
    keys = Keys("quickbooks")
    contacts: dict[str, Contact] = {}
    cust_terms: dict[str, set[int]] = {}
    owners = _customers(w.groups_of)
    bad = c.bad.tolist()
    kind_of = list(map(_Once(lambda t: _QB_KINDS.get(key(t), "invoice" if not t else key(t)))
                       .__getitem__, types))
    amounts, paids, knowns = money_columns(_signed_column(kind_of, amount),
                                           _signed_column(kind_of, open_))
    days = _Once(parse_terms)
    where, at = sheet.where, c.numbers_at
    by_heading = f["Customer"] is None
    for k in range(len(c)):
        if bad[k]:
            continue
        g = owners[k]
        cust = custs[k] or (g.label if g and by_heading else "")
        if not cust:
            c.issue(k, f["Customer"], "no customer for this item; left out", drop=True)
            continue
        kind = kind_of[k]
        am, paid, known = amounts[k], paids[k], knowns[k]
        no = nums[k]
        reference = refs[k]
        if kind == "payment" or not no:
            if no:
                reference = f"{types[k]} {no}" + (f" {reference}" if reference else "")
            prefix = {"payment": "PAY", "credit note": "CN", "refund": "RF",
                      "journal": "JNL"}.get(kind, "INV")
            no = keys.make(prefix, cust, idates[k], reference)
        result.items.append(Item(no, cust, cust, idates[k], ddates[k], am, paid,
                                 ccys[k].upper(), reference, kind, at[k], where, known))
        t = days[terms[k]] if terms[k] else None
        if isinstance(t, int):
            cust_terms.setdefault(cust, set()).add(t)
        if cust not in contacts:
            contacts[cust] = Contact(cust, cust, row=at[k], where=where)
    for cust, ts in cust_terms.items():
        if len(ts) == 1:
            contacts[cust].terms = ts.pop()
    result.contacts += contacts.values()
    return finish_items(result, [c])


def _qb_contacts_header(keys: set[str]) -> bool:
    return _any(keys, "customerfullname", "customer") and "email" in keys and \
        not _any(keys, "transactiontype", "type", "duedate")


def _qb_contacts(sheet: Sheet, header: Header, opts: Options, fmt: Format) -> ImportResult:
    result, _ = _start(sheet, header, fmt, opts)
    h = header
    name_col, email = h.find(["customerfullname", "customer"]), h.find(["email"])
    ccy = h.find(["currency"])
    _matched(result, h, {"Customer": name_col, "Email": email, "Currency": ccy})
    for i in _contact_rows(sheet, h, name_col, result):
        row = sheet.rows[i]
        name = text_of(row[name_col])
        addresses = split_addresses(text_of(row[email])) if email is not None and \
            email < len(row) else []
        currency = text_of(row[ccy]).upper() if ccy is not None and ccy < len(row) else ""
        result.contacts.append(Contact(name, name, addresses[0] if addresses else "",
                                       "; ".join(addresses[1:]), None, None, currency,
                                       sheet.first_row + i, sheet.where))
    return result


# ---------------------------------------------------------------------------------------
# Sage 50 Accounts


def _sage_header(keys: set[str]) -> bool:
    return {"no", "type", "date", "balance"} <= keys and _any(keys, "ref", "reference")


_SAGE_KINDS = {"si": "invoice", "sc": "credit note", "sr": "payment", "sa": "payment",
               "sd": "discount", "sp": "refund"}


def _sage(sheet: Sheet, header: Header, opts: Options, fmt: Format) -> ImportResult:
    result, order = _start(sheet, header, fmt, opts)
    result.lists_items = True
    h = header
    f = {"No": h.find(["no", "tranno"]), "Type": h.find(["type"]),
         "Invoice Date": h.find(["date"]), "Invoice": h.find(["ref", "reference"]),
         "Reference": h.find(["details"]), "Outstanding": h.find(["balance"])}
    _matched(result, h, f)
    amounts = [j for j, k in enumerate(h.keys) if k in ("balance", "future", "current", "older")
               or k.startswith("period")]
    w = walk(sheet, h, f["Outstanding"], amounts, decimal=opts.decimal,
             thousands=opts.thousands, extra_lines=("Turnover:", "Credit Limit:"))
    result.notes += w.notes
    result.issues += w.issues
    accounts = [g for g in w.groups if key(g.label) not in ("ac", "account")]
    for g in w.groups:
        result.notes.append(Issue(sheet.where, g.row, None, f"account '{g.label}'"
                                  f"{' ' + g.info[0] if g.info else ''}: the heading of its "
                                  "transactions (skipped)"))
    result.notes.append(Issue(sheet.where, None, None, "Sage ages by transaction date and "
                              "exports no due dates: each due date is the transaction date "
                              "plus the customer's Terms (days), else Default Terms (days)"))
    contacts: dict[str, Contact] = {}
    for g in accounts:
        contacts.setdefault(g.label, Contact(g.label, g.info[0] if g.info else g.label,
                                             row=g.row, where=sheet.where))
    for row, text, cells in w.extras:
        if not key(text).startswith("creditlimit"):
            continue
        owner = next((g for g in reversed(accounts) if g.row < row), None)
        value = text.split(":", 1)[1].strip()
        if not value:
            value = next((text_of(v) for v in cells[1:] if not is_blank(v)), "")
        limit = parse_number(value, opts.decimal, opts.thousands)
        if owner is None or isinstance(limit, str):
            result.issues.append(Issue(sheet.where, row, None, f"'{text}': no credit limit read"))
            continue
        contacts[owner.label].credit_limit = limit
    c = ItemCells(sheet, h, w, result, opts, order, fmt.why)
    bal = c.numbers(f["Outstanding"], drop=True)
    idates = c.dates(f["Invoice Date"])
    nos, types, refs, details = (c.text(f["No"]), c.text(f["Type"]), c.text(f["Invoice"]),
                                 c.text(f["Reference"]))
    owners = _customers(w.groups_of)
    bad = c.bad.tolist()
    codes = _Once(key)
    for k in range(len(c)):
        if bad[k]:
            continue
        g = owners[k]
        if g is None:
            c.issue(k, None, "no account heading above this transaction; left out", drop=True)
            continue
        code = codes[types[k]]
        kind = _SAGE_KINDS.get(code, "invoice")
        amount = -abs(bal[k]) if kind in ("credit note", "payment", "discount") else (
            abs(bal[k]) if kind == "refund" else bal[k])
        if code in ("si", "sc") and refs[k]:
            no = refs[k]
        else:
            no = f"{types[k].upper() or 'TX'}-{nos[k]}" if nos[k] else ""
        if not no:
            c.issue(k, f["No"], "no transaction number or reference; left out", drop=True)
            continue
        reference = " ".join(x for x in (refs[k] if no != refs[k] else "", details[k]) if x)
        result.items.append(Item(no, g.label, contacts[g.label].name, idates[k], None,
                                 amount, 0.0, "", reference, kind, c.numbers_at[k],
                                 sheet.where))
    result.contacts += contacts.values()
    return finish_items(result, [c])


# ---------------------------------------------------------------------------------------

_XERO_DATES = "Xero writes dates day first outside the US; set Date Order to MDY if not"
_QB_DATES = "QuickBooks in the US writes dates month first; set Date Order to DMY if not"
_SAGE_DATES = "Sage 50 Accounts (UK) writes dates day first"

FORMATS: tuple[Format, ...] = (
    Format("xero-aged-detail", "Xero Aged Receivables Detail", "Xero",
           ("agedreceivablesdetail", "agedreceivablesinvoices"), _xero_detail_header,
           _xero_detail, "DMY", _XERO_DATES),
    Format("xero-aged-summary", "Xero Aged Receivables Summary", "Xero",
           ("agedreceivablessummary",), _xero_summary_header, _xero_summary, "DMY",
           _XERO_DATES, needs_title=True),
    Format("xero-invoices", "Xero invoice export", "Xero", (), _xero_invoices_header,
           _xero_invoices, "DMY", _XERO_DATES),
    Format("xero-contacts", "Xero contacts export", "Xero", (), _xero_contacts_header,
           _xero_contacts, "DMY", _XERO_DATES),
    Format("qbo-aged-detail", "QuickBooks A/R Aging Detail", "QuickBooks",
           ("araagingdetail", "aragingdetail", "accountsreceivableagingdetail"),
           _qb_aging_header, _qb_aging, "MDY", _QB_DATES),
    Format("qbo-open-invoices", "QuickBooks Open Invoices", "QuickBooks", ("openinvoices",),
           _qb_aging_header, _qb_aging, "MDY", _QB_DATES, needs_title=True),
    Format("qbo-contacts", "QuickBooks Customer Contact List", "QuickBooks",
           ("customercontactlist",), _qb_contacts_header, _qb_contacts, "MDY", _QB_DATES),
    Format("sage50-aged-debtors", "Sage 50 Aged Debtors Analysis (Detailed)", "Sage",
           ("ageddebtorsanalysisdetailed", "ageddebtorsanalysis", "ageddebtors"), _sage_header,
           _sage, "DMY", _SAGE_DATES),
)


def by_id(name: str) -> Format:
    k = key(name)
    for f in FORMATS:
        if key(f.id) == k:
            return f
    raise KeyError(name)
