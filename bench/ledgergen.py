"""A full-sheet sample ledger, generated with whole-array numpy operations.

``devkit.sample.sample_tables`` draws each invoice in a Python loop (about 9 µs a row:
some 10 s for a million rows). This generator draws the same kind of columns with the same
distributions (payer profiles, currencies, terms, amounts, credit notes, part payments,
disputes, settled history) in whole arrays, hits an exact invoice count, and spreads the
situations a controller meets (do-not-chase, paused, promises kept and broken, reminders
already sent, bounced and missing addresses, invoices dated after the as-of date) over the
whole customer base instead of a handful of rows. It returns ``RawTable``s as
``creditdesk.files.xlsx_read.read_workbook`` does (column-major cell values: floats, text,
``datetime.date``, blanks as ``None``), so the benchmark goes through ``build_ledger`` like a
real workbook.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from creditdesk.domain.contract import normalise_header
from creditdesk.domain.ledger import RawTable, raw_tables
from devkit.sample import CUSTOMER_HEADER, INVOICE_HEADER, sample_tables

FULL_SHEET = 1_048_575  # rows below the header on one Excel worksheet
AS_OF = dt.date(2026, 11, 24)
HISTORY_HEADER = ["Date", "Customer", "Type", "Level", "Currency", "Email", "Message Id", "Note"]
_FIRST = ["Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
          "Tyrell", "Cyberdyne", "Hooli", "Vandelay", "Wonka", "Soylent", "Gringotts"]
_SECOND = ["Trading", "Logistics", "Foods", "Engineering", "Retail", "Systems", "Supplies"]
_SUFFIX = {"GBP": "Ltd", "EUR": "GmbH", "USD": "Inc"}


def _cells(a: np.ndarray) -> list:
    """A datetime64[D] column as cell values: datetime.date, None for NaT."""
    return a.astype("datetime64[D]").astype(object).tolist()


def _blank_where(values: np.ndarray, blank: np.ndarray) -> list:
    out = values.astype(object)
    out[blank] = None
    return out.tolist()


def generate(invoices: int = FULL_SHEET, customers: int = 50_000, as_of: dt.date = AS_OF,
             seed: int = 7, base_currency: str = "GBP", open_items: bool = False
             ) -> dict[str, RawTable]:
    """The contract tables, keyed by normalised name, ready for ``build_ledger``.

    ``open_items=False``: 18 months of invoices with their settled history, as
    ``sample_tables`` has them (about 11% still open). ``open_items=True``: an open-items
    export, the morning paste BRIEF §1 describes: every row still open (part payments,
    unapplied credit notes, disputes), dated back from the as-of date by each customer's
    terms and payment habit, with a tail of old items.
    """
    if invoices < customers:
        raise ValueError("at least one invoice per customer")
    rng = np.random.default_rng(seed)
    n, m = customers, invoices
    a = np.datetime64(as_of, "D")
    day = np.timedelta64(1, "D")

    # --- customers (distributions as in devkit.sample) ------------------------------
    ccy = rng.choice(["GBP", "EUR", "USD"], size=n, p=[0.6, 0.3, 0.1]).astype(object)
    ccy[0] = base_currency
    profile = rng.choice(4, size=n, p=[0.15, 0.4, 0.3, 0.15])
    late_mean = np.array([-8.0, 1.0, 14.0, 45.0])[profile]
    late_sd = np.array([3.0, 4.0, 8.0, 20.0])[profile]
    terms = rng.choice([14, 30, 30, 30, 45, 60], size=n)
    size = np.exp(rng.normal(7.0, 1.0, size=n))
    weight = rng.lognormal(0.0, 0.75, size=n)  # a few large accounts, many small ones
    counts = 1 + rng.multinomial(m - n, weight / weight.sum())

    # --- invoices --------------------------------------------------------------------------
    cust = np.repeat(np.arange(n), counts)
    if open_items:  # how long ago an item still open today was issued
        habit = np.maximum(rng.normal(late_mean[cust], late_sd[cust]), 0.0) + terms[cust]
        days = 540 - np.minimum(rng.random(m) * (habit + 10.0), 540).astype(np.int64)
        old = rng.random(m) < 0.015
        days[old] = rng.integers(0, 541, size=int(old.sum()))
    else:
        days = rng.integers(0, 541, size=m)
    days = days[np.lexsort((days, cust))]  # by customer, then date, as an export lists them
    inv_date = a - np.timedelta64(540, "D") + days * day
    future = rng.random(m) < 0.001  # exported ahead of the as-of date: not in the ledger yet
    inv_date[future] = a + rng.integers(1, 11, size=int(future.sum())) * day
    due = inv_date + terms[cust] * day
    amount = np.round(size[cust] * rng.lognormal(0.0, 0.5, size=m), 2)
    credit = rng.random(m) < 0.03
    amount[credit] = -np.round(amount[credit] * 0.3, 2)
    late = np.rint(rng.normal(late_mean[cust], late_sd[cust])).astype(np.int64)
    settle = np.maximum(due + late * day, inv_date)
    disputed = ~credit & (rng.random(m) < 0.02)
    settled_now = (settle <= a) & ~disputed & ~credit & (not open_items)
    paid = np.where(settled_now, amount, 0.0)
    part = ~settled_now & ~credit & ~disputed & (rng.random(m) < 0.1)
    paid[part] = np.round(amount[part] * 0.5, 2)
    settled = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
    settled[settled_now] = settle[settled_now]
    credit_used = credit & (rng.random(m) < 0.5) & (inv_date + 10 * day <= a) & (not open_items)
    settled[credit_used] = inv_date[credit_used] + 10 * day
    recent = (inv_date > a - np.timedelta64(180, "D")) & (inv_date <= a) & (amount > 0)
    monthly_sales = np.bincount(cust[recent], weights=amount[recent], minlength=n) / 6.0
    if open_items:  # only open items are listed: sales from the balance and the habit
        balance = np.bincount(cust, weights=np.maximum(amount - paid, 0.0), minlength=n)
        monthly_sales = balance * 30.0 / (terms + np.maximum(late_mean, 0.0) + 10.0)

    ids = np.array([f"C-{i + 1:05d}" for i in range(n)], dtype=object)
    inv_cols = [
        [f"INV-{k + 1:07d}" for k in range(m)],
        ids[cust].tolist(),
        _cells(inv_date),
        _cells(due),
        ccy[cust].tolist(),
        amount.tolist(),
        paid.tolist(),
        _cells(settled),
        np.where(disputed, "Yes", "No").astype(object).tolist(),
        [f"PO-{x}" for x in rng.integers(100_000, 1_000_000, size=m).tolist()],
    ]

    # --- the customers' own columns, and the situations of a working week ---------------
    names = [f"{_FIRST[i % len(_FIRST)]} {_SECOND[(i * 7) % len(_SECOND)]} {i + 1} "
             f"{_SUFFIX[c]}" for i, c in enumerate(ccy.tolist())]
    email = np.array([f"accounts@c{i + 1:05d}.example.com" for i in range(n)], dtype=object)
    no_email = rng.random(n) < 0.003
    email[no_email] = ""
    cc = np.where(np.arange(n) % 5 == 0,
                  np.char.replace(email.astype(str), "accounts@", "finance@"), "")
    cc = np.where(no_email, "", cc)
    limit = np.maximum(1000.0, np.round(monthly_sales * 2.5, -3))
    no_limit = np.arange(n) % 17 == 5
    orders = np.round(monthly_sales * rng.random(n), -2)
    no_orders = rng.random(n) >= 0.4
    rating = rng.integers(20, 95, size=n).astype(float)
    no_rating = rng.random(n) >= 0.3
    do_not_chase = rng.random(n) < 0.01
    paused = rng.random(n) < 0.01
    paused_until = a + rng.integers(-10, 30, size=n) * day  # some pauses have run out
    promise = rng.random(n) < 0.02
    promise_date = a + rng.integers(-30, 15, size=n) * day  # past ones may be broken
    promise_amount = np.round(monthly_sales * 0.5, -2)
    cus_cols = [
        ids.tolist(),
        names,
        email.tolist(),
        cc.astype(object).tolist(),
        ccy.tolist(),
        terms.astype(float).tolist(),
        _blank_where(limit, no_limit),
        _blank_where(orders, no_orders),
        _blank_where(rating, no_rating),
        np.where(do_not_chase, "Yes", "No").astype(object).tolist(),
        _blank_where(_cells_arr(paused_until), ~paused),
        np.where(paused, "Restructuring; agreed with CFO", "").astype(object).tolist(),
        _blank_where(_cells_arr(promise_date), ~promise),
        _blank_where(promise_amount, ~promise),
        ["en"] * n,
    ]

    # --- contact history: reminders already sent, bounces, notes --------------------------
    h_rows: list[list] = []
    reminded = np.flatnonzero(rng.random(n) < 0.10)
    r_date = a - rng.integers(1, 46, size=len(reminded)) * day
    r_level = rng.integers(1, 4, size=len(reminded)).astype(float)
    r_blank = rng.random(len(reminded)) < 0.02  # an old import without the level
    for i, d, lv, blank in zip(reminded.tolist(), _cells(r_date), r_level.tolist(),
                               r_blank.tolist(), strict=True):
        h_rows.append([d, ids[i], "Reminder", None if blank else lv, ccy[i], email[i],
                       f"<{i}@mail>", ""])
    for i in np.flatnonzero((rng.random(n) < 0.004) & ~no_email).tolist():
        h_rows.append([as_of - dt.timedelta(days=20), ids[i], "Bounce", None, None, email[i],
                       "", "mailbox does not exist"])
    for i in np.flatnonzero(rng.random(n) < 0.01).tolist():
        h_rows.append([as_of - dt.timedelta(days=3), ids[i], "Note", None, None, None, "",
                       "called, will pay next week"])
    h_rows.append([as_of - dt.timedelta(days=2), "C-GONE", "Reminder", 2.0, base_currency,
                   "x@gone.example.com", "", "customer closed since"])

    # Settings, FX, the reminder policy and templates: as the sample workbook has them.
    small = sample_tables(customers=12, invoices_per_customer=1.0, as_of=as_of, seed=seed,
                          base_currency=base_currency)
    tables = raw_tables({k: small[k] for k in ("Settings", "FX", "Dunning Levels",
                                               "Templates")})
    tables["history"] = RawTable.from_rows("History", "History", HISTORY_HEADER, h_rows, 2)
    tables[normalise_header("Customers")] = RawTable("Customers", "Customers",
                                                     list(CUSTOMER_HEADER), cus_cols, 2)
    tables[normalise_header("Invoices")] = RawTable("Invoices", "Invoices",
                                                    list(INVOICE_HEADER), inv_cols, 2)
    return tables


def _cells_arr(a: np.ndarray) -> np.ndarray:
    return a.astype("datetime64[D]").astype(object)
