"""A realistic sample ledger, generated: for the demo, the tests and the benchmarks.

Customers pay to a profile (early, prompt, a little late, chronically late), in GBP, EUR or
USD; the ledger holds 18 months of invoices up to the as-of date with their settled history,
part payments, credit notes, disputes, a paused account, a do-not-chase account, promises to
pay (one kept in force, one broken), reminders already sent and a bounced address. The same
seed gives the same workbook.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from creditdesk.domain.ledger import DEFAULT_LEVELS
from creditdesk.domain.settings import Settings, settings_rows
from creditdesk.domain.templates import DEFAULT_TEMPLATES

_FIRST = ["Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
          "Tyrell", "Cyberdyne", "Hooli", "Vandelay", "Wonka", "Soylent", "Gringotts", "Oceanic",
          "Dunder", "Monarch", "Pied Piper", "Aperture", "Black Mesa", "Blue Sun", "Nakatomi",
          "Virtucon", "Zorg", "Bluth", "Prestige", "Sterling", "Massive", "Gekko"]
_SECOND = ["Trading", "Logistics", "Foods", "Engineering", "Retail", "Systems", "Supplies",
           "Holdings", "Manufacturing", "Services", "Textiles", "Pharma", "Builders", "Media"]
_SUFFIX = {"GBP": "Ltd", "EUR": "GmbH", "USD": "Inc"}
_LANG = {"GBP": "en", "EUR": "en", "USD": "en"}
FX_RATES = {"EUR": 0.86, "USD": 0.79}

CUSTOMER_HEADER = ["Customer", "Name", "Email", "CC", "Currency", "Terms (days)", "Credit Limit",
                   "Open Orders", "External Rating", "Do Not Chase", "Paused Until",
                   "Pause Reason", "Promise Date", "Promise Amount", "Language"]
INVOICE_HEADER = ["Invoice", "Customer", "Invoice Date", "Due Date", "Currency", "Amount",
                  "Paid", "Settled Date", "Disputed", "Reference"]


def sample_tables(customers: int = 60, invoices_per_customer: float = 25.0,
                  as_of: dt.date = dt.date(2026, 11, 24), seed: int = 7,
                  base_currency: str = "GBP", messy: bool = False
                  ) -> dict[str, tuple[list[str], list[list]]]:
    """The contract tables as (header, rows) for ``write_workbook`` or ``RawTable``.

    ``messy`` adds the kind of rows a real ledger export has (text in an amount, a customer
    missing from Customers, an impossible date), to show how they are reported.
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
        cust_rows[8][1] = '=HYPERLINK("http://evil.example","Click me")'  # stays text
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
    if messy:
        rows[5][5] = "TBC"  # text in the Amount column
        rows[11][1] = "C-9999"  # a customer missing from Customers
        rows[17][3] = "2026-02-30"  # an impossible due date
    fx_rows = [[c, r] for c, r in FX_RATES.items() if c != base_currency]
    if base_currency != "GBP":
        fx_rows.append(["GBP", 1.16])
    return {
        "Customers": (CUSTOMER_HEADER, cust_rows),
        "Invoices": (INVOICE_HEADER, rows),
        "Settings": (["Setting", "Value"], [row[:2] for row in settings_rows(
            Settings(**{"As Of Date": as_of}).model_copy(update={
                "base_currency": base_currency, "company_name": "Creditdesk Demo Ltd",
                "sender_email": "credit.control@creditdesk-demo.example.com",
                "reply_to": "ar@creditdesk-demo.example.com", "late_payment_law": "UK"}))]),
        "FX": (["Currency", "Rate"], fx_rows),
        "Dunning Levels": (["Level", "Name", "Days After Due", "Template", "Channel",
                            "Add Interest"],
                           [[lv.level, lv.name, lv.days, lv.template, lv.channel,
                             "Yes" if lv.add_interest else "No"] for lv in DEFAULT_LEVELS]),
        "Templates": (["Template", "Language", "Subject", "Body"],
                      [[t.name, t.language, t.subject, t.body] for t in DEFAULT_TEMPLATES]),
        "History": (["Date", "Customer", "Type", "Level", "Currency", "Email", "Message Id",
                     "Note"], history),
    }
