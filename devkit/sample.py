"""The sample ledger, generated: for the demo, the tests and the benchmarks. Two sizes, one
vocabulary (the same headers, names, currencies, payer profiles, terms and amounts, the same
reminder policy and templates, the same seed giving the same tables):

- ``sample_tables``: a small realistic workbook (60 customers by default), each invoice
  drawn in turn, the situations a controller meets every week put on a handful of named
  customers: part payments, credit notes, disputes, a paused account, a do-not-chase
  account, promises to pay (one kept in force, one broken), reminders already sent and a
  bounced address; ``messy`` adds the bad rows of a real export, ``hostile`` text that starts
  like a formula (the tests' only). Rows, for ``write_workbook``: the demo's workbook and the
  tests'.
- ``full_sheet_tables``: a full worksheet (1,048,575 invoices, 50,000 customers by default),
  drawn in whole numpy arrays with an exact invoice count, the same situations spread over
  the whole customer base (plus invoices dated after the as-of date), or an open-items
  export (``open_items``). ``RawTable``s, as ``read_workbook`` gives them, so a benchmark goes
  through ``build_ledger`` like a real workbook: bench/engine.py's ledgers.

Customers pay to a profile (early, prompt, a little late, chronically late), in GBP, EUR or
USD; the ledger holds 18 months of invoices up to the as-of date.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from creditdesk.domain.contract import normalise_header
from creditdesk.domain.ledger import DEFAULT_LEVELS, RawTable, raw_tables
from creditdesk.domain.settings import Settings, settings_rows
from creditdesk.domain.templates import DEFAULT_TEMPLATES

AS_OF = dt.date(2026, 11, 24)
FULL_SHEET = 1_048_575  # rows below the header on one Excel worksheet

_FIRST = ["Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
          "Tyrell", "Cyberdyne", "Hooli", "Vandelay", "Wonka", "Soylent", "Gringotts", "Oceanic",
          "Dunder", "Monarch", "Pied Piper", "Aperture", "Black Mesa", "Blue Sun", "Nakatomi",
          "Virtucon", "Zorg", "Bluth", "Prestige", "Sterling", "Massive", "Gekko"]
_SECOND = ["Trading", "Logistics", "Foods", "Engineering", "Retail", "Systems", "Supplies",
           "Holdings", "Manufacturing", "Services", "Textiles", "Pharma", "Builders", "Media"]
# The full sheet names its customers from the first 15 and 7 words (and their number); as
# (i * 7) % 7 is 0, its second word is always the first. Kept: the benchmarks' ledgers are
# the ones measured.
_FULL_FIRST, _FULL_SECOND = 15, 7
_SUFFIX = {"GBP": "Ltd", "EUR": "GmbH", "USD": "Inc"}
_LANG = {"GBP": "en", "EUR": "en", "USD": "en"}
FX_RATES = {"EUR": 0.86, "USD": 0.79}

CUSTOMER_HEADER = ["Customer", "Name", "Email", "CC", "Currency", "Terms (days)", "Credit Limit",
                   "Open Orders", "External Rating", "Do Not Chase", "Paused Until",
                   "Pause Reason", "Promise Date", "Promise Amount", "Language"]
INVOICE_HEADER = ["Invoice", "Customer", "Invoice Date", "Due Date", "Currency", "Amount",
                  "Paid", "Settled Date", "Disputed", "Reference"]
HISTORY_HEADER = ["Date", "Customer", "Type", "Level", "Currency", "Email", "Message Id", "Note"]


def policy_tables(as_of: dt.date = AS_OF, base_currency: str = "GBP"
                  ) -> dict[str, tuple[list[str], list[list]]]:
    """Settings, FX, the reminder policy (Dunning Levels) and Templates of every sample."""
    fx_rows = [[c, r] for c, r in FX_RATES.items() if c != base_currency]
    if base_currency != "GBP":
        fx_rows.append(["GBP", 1.16])
    return {
        "Settings": (["Setting", "Value"], [row[:2] for row in settings_rows(
            Settings(**{"As Of Date": as_of}).model_copy(update={
                "base_currency": base_currency, "company_name": "Creditdesk Demo Ltd",
                "sender_email": "credit.control@creditdesk-demo.example.com",
                "reply_to": "ar@creditdesk-demo.example.com", "late_payment_law": "UK",
                "payment_details": "Bank: Demo Bank plc, sort code 12-34-56, account 12345678\n"
                                   "IBAN GB33 DEMO 1234 5612 3456 78\n"
                                   "Please quote the invoice numbers as your reference",
                "phone": "020 7946 0958"}))]),
        "FX": (["Currency", "Rate"], fx_rows),
        "Dunning Levels": (["Level", "Name", "Days After Due", "Template", "Channel",
                            "Add Interest"],
                           [[lv.level, lv.name, lv.days, lv.template, lv.channel,
                             "Yes" if lv.add_interest else "No"] for lv in DEFAULT_LEVELS]),
        "Templates": (["Template", "Language", "Subject", "Body"],
                      [[t.name, t.language, t.subject, t.body] for t in DEFAULT_TEMPLATES]),
    }


# -- the small realistic workbook -----------------------------------------------------------


# Text meant to attack the workbook (formulas, a DDE call), on customers 9 to 12: for the
# tests that show it stays text; never in the demo a user opens first.
HOSTILE_NAMES = ('=HYPERLINK("http://evil.example","Click me")', "+SUM(1,2) Trading",
                 "@SUM(A1) Holdings", "=cmd|' /C calc'!A0")
HOSTILE_REFERENCE = "-2+3"


def sample_tables(customers: int = 60, invoices_per_customer: float = 25.0,
                  as_of: dt.date = AS_OF, seed: int = 7, base_currency: str = "GBP",
                  messy: bool = False, hostile: bool = False
                  ) -> dict[str, tuple[list[str], list[list]]]:
    """The small realistic ledger: the contract tables as (header, rows), for
    ``write_workbook`` or ``raw_tables``. Each invoice is drawn in turn (about 9 µs a row).

    ``messy`` adds the kind of rows a real ledger export has (text in an amount, a customer
    missing from Customers, an impossible date), to show how they are reported (the demo
    shows them). ``hostile`` gives customers 9 to 12 names that start like formulas (and a
    DDE call) and one invoice a formula-like reference (``HOSTILE_NAMES``), for the tests
    that check text stays text; the demo has none.
    """
    rng = np.random.default_rng(seed)
    n = customers
    ids = [f"C-{i + 1:04d}" for i in range(n)]
    ccy = rng.choice(["GBP", "EUR", "USD"], size=n, p=[0.6, 0.3, 0.1])
    ccy[0] = base_currency
    # mean days beyond terms and its spread, per payer profile
    profile = rng.choice(4, size=n, p=[0.15, 0.4, 0.3, 0.15])
    late_mean = np.array([-8.0, 1.0, 14.0, 45.0])[profile]
    late_sd = np.array([3.0, 4.0, 8.0, 20.0])[profile]
    terms = rng.choice([14, 30, 30, 30, 45, 60], size=n)
    size = np.exp(rng.normal(7.0, 1.0, size=n))  # typical invoice amount

    start = as_of - dt.timedelta(days=540)
    rows: list[list] = []
    monthly_sales = np.zeros(n)
    k = 0
    for i in range(n):
        count = max(1, int(rng.poisson(invoices_per_customer)))
        days = np.sort(rng.integers(0, 541, size=count))
        for d in days:
            k += 1
            inv_date = start + dt.timedelta(days=int(d))
            due = inv_date + dt.timedelta(days=int(terms[i]))
            amount = round(float(size[i] * rng.lognormal(0, 0.5)), 2)
            credit = rng.random() < 0.03
            if credit:
                amount = -round(amount * 0.3, 2)
            late = round(rng.normal(late_mean[i], late_sd[i]))
            settle = due + dt.timedelta(days=late)
            settle = max(settle, inv_date)
            paid: float = 0.0
            settled: dt.date | None = None
            disputed = (not credit) and rng.random() < 0.02
            if settle <= as_of and not disputed and not credit:
                settled, paid = settle, amount
            elif not credit and not disputed and rng.random() < 0.1:
                paid = round(amount * 0.5, 2)  # a part payment on an open invoice
            if credit and rng.random() < 0.5:
                settled = inv_date + dt.timedelta(days=10)
                settled = settled if settled <= as_of else None
            if inv_date > as_of - dt.timedelta(days=180) and amount > 0:
                monthly_sales[i] += amount / 6.0
            rows.append([f"INV-{k:06d}", ids[i], inv_date, due, str(ccy[i]), amount, paid,
                         settled, "Yes" if disputed else "No", f"PO-{rng.integers(1e5, 1e6)}"])

    cust_rows: list[list] = []
    for i in range(n):
        name = (f"{_FIRST[i % len(_FIRST)]} {_SECOND[(i * 7) % len(_SECOND)]} "
                f"{_SUFFIX[str(ccy[i])]}")
        slug = name.lower().replace(" ", "-").replace("ltd", "").replace("gmbh", "")
        slug = slug.replace("inc", "").strip("-")
        limit: float | str = float(max(1000, round(monthly_sales[i] * 2.5, -3)))
        if i % 17 == 5:
            limit = ""  # no limit set
        rating: float | str = float(rng.integers(20, 95)) if rng.random() < 0.3 else ""
        cust_rows.append([ids[i], name, f"accounts@{slug}.example.com",
                          f"finance@{slug}.example.com" if i % 5 == 0 else "", str(ccy[i]),
                          int(terms[i]), limit,
                          round(float(monthly_sales[i] * rng.random()), -2)
                          if rng.random() < 0.4 else "",
                          rating, "No", "", "", "", "", _LANG[str(ccy[i])]])
    # The situations a controller meets every week.
    if n >= 12:
        cust_rows[3][9] = "Yes"  # do not chase: key account handled by the sales director
        cust_rows[4][10] = as_of + dt.timedelta(days=14)
        cust_rows[4][11] = "Restructuring; agreed with CFO"
        cust_rows[6][12] = as_of + dt.timedelta(days=5)
        cust_rows[6][13] = 2500.0
        cust_rows[7][12] = as_of - dt.timedelta(days=10)  # a broken promise
        cust_rows[7][13] = 1200.0
        if hostile:
            for i, name in enumerate(HOSTILE_NAMES, start=8):
                cust_rows[i][1] = name  # stays text, wherever it lands
    history: list[list] = []
    if n >= 12:
        history = [
            [as_of - dt.timedelta(days=3), ids[9], "Reminder", 2, str(ccy[9]),
             cust_rows[9][2], "", "first reminder sent"],
            [as_of - dt.timedelta(days=20), ids[10], "Bounce", "", "", cust_rows[10][2], "",
             "mailbox does not exist"],
            [as_of - dt.timedelta(days=30), ids[11], "Reminder", 2, str(ccy[11]),
             cust_rows[11][2], "", ""],
        ]
    # Chronic late payers have been chased before: they are due their next level.
    for i in np.flatnonzero(profile == 3):
        if n >= 12 and i < 12:
            continue
        for level, days_ago in ((2, 35), (3, 16)):
            history.append([as_of - dt.timedelta(days=days_ago), ids[i], "Reminder", level,
                            str(ccy[i]), cust_rows[i][2], "", ""])
    if hostile and len(rows) > 23:
        rows[23][9] = HOSTILE_REFERENCE
    if messy:
        rows[5][5] = "TBC"  # text in the Amount column
        rows[11][1] = "C-9999"  # a customer missing from Customers
        rows[17][3] = "2026-02-30"  # an impossible due date
    policy = policy_tables(as_of, base_currency)
    return {
        "Customers": (CUSTOMER_HEADER, cust_rows),
        "Invoices": (INVOICE_HEADER, rows),
        "Settings": policy["Settings"],
        "FX": policy["FX"],
        "Dunning Levels": policy["Dunning Levels"],
        "Templates": policy["Templates"],
        "History": (list(HISTORY_HEADER), history),
    }


# -- the full sheet -------------------------------------------------------------------------


def _cells(a: np.ndarray) -> list:
    """A datetime64[D] column as cell values: datetime.date, None for NaT."""
    return a.astype("datetime64[D]").astype(object).tolist()


def _blank_where(values: np.ndarray, blank: np.ndarray) -> list:
    out = values.astype(object)
    out[blank] = None
    return out.tolist()


def full_sheet_tables(invoices: int = FULL_SHEET, customers: int = 50_000,
                      as_of: dt.date = AS_OF, seed: int = 7, base_currency: str = "GBP",
                      open_items: bool = False) -> dict[str, RawTable]:
    """The full-sheet ledger: the contract tables as ``RawTable``s keyed by normalised name
    (as ``read_workbook`` gives them), ready for ``build_ledger``; exactly ``invoices`` rows.

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

    # --- customers (distributions as in sample_tables) ------------------------------
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
    names = [f"{_FIRST[i % _FULL_FIRST]} {_SECOND[(i * 7) % _FULL_SECOND]} {i + 1} "
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

    tables = raw_tables(policy_tables(as_of, base_currency))
    tables["history"] = RawTable.from_rows("History", "History", HISTORY_HEADER, h_rows, 2)
    tables[normalise_header("Customers")] = RawTable("Customers", "Customers",
                                                     list(CUSTOMER_HEADER), cus_cols, 2)
    tables[normalise_header("Invoices")] = RawTable("Invoices", "Invoices",
                                                    list(INVOICE_HEADER), inv_cols, 2)
    return tables


def _cells_arr(a: np.ndarray) -> np.ndarray:
    return a.astype("datetime64[D]").astype(object)
