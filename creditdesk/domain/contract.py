"""The workbook contract: which tables Creditdesk reads, their columns and their types.

One definition serves the file reader, the xlwings add-in, the template generator and the
docs (docs/workbook.md). Header matching ignores case and extra spaces; more columns are
allowed and ignored; column order is free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "number", "integer", "date", "bool", "email", "emails"]


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    required: bool = False
    help: str = ""

    def column(self, header: str) -> Column:
        key = normalise_header(header)
        for c in self.columns:
            if normalise_header(c.header) == key:
                return c
        raise KeyError(header)


def normalise_header(text: object) -> str:
    """'  Due   date ' -> 'due date': the form headers are matched in."""
    return re.sub(r"\s+", " ", str(text if text is not None else "")).strip().casefold()


CUSTOMERS = Table(
    "Customers",
    (
        Column("Customer", "text", True, "Customer key, as in the Invoices table"),
        Column("Name", "text", help="Company name used in reminders"),
        Column("Contact Name", "text",
               help="Who reminders greet (Dear ...); blank = the accounts team (an "
                    "Individual: the Name)"),
        Column("Account Number", "text",
               help="The account number reminders show; blank = the Customer key"),
        Column("Email", "email", help="Where reminders go"),
        Column("CC", "emails", help="Further addresses, separated by ; or ,"),
        Column("Currency", "text", help="Default currency of the customer's invoices"),
        Column("Terms (days)", "integer",
               help="Payment terms; used when an invoice has no due date"),
        Column("Credit Limit", "number", help="In base currency; blank = no limit set"),
        Column("Open Orders", "number", help="Orders accepted but not invoiced, base currency"),
        Column("External Rating", "number", help="An agency score 1-100 typed in by you"),
        Column("Do Not Chase", "bool", help="Yes = never send reminders"),
        Column("Paused Until", "date", help="No reminders up to and including this date"),
        Column("Pause Reason", "text"),
        Column("Promise Date", "date", help="Date the customer promised to pay by"),
        Column("Promise Amount", "number"),
        Column("Language", "text", help="Template language, e.g. en, de, fr"),
        # The postal address, on statements and letters (Xero's POAddressLine1-3, POCity,
        # PORegion, POPostalCode, POCountry)
        *(Column(f"Address Line {n}", "text", help="Postal address: street, building"
                 if n == 1 else "") for n in (1, 2, 3)),
        Column("City", "text", help="Postal address: town or city"),
        Column("Region", "text", help="Postal address: county, state or region"),
        Column("Postcode", "text", help="Postal address: postcode or ZIP code"),
        Column("Country", "text", help="Postal address: country, as it is written on mail"),
        # Who the debtor is (docs/letters.md): the letter before action's rules and whether
        # the late-payment law's interest and compensation apply.
        Column("Debtor Type", "text",
               help="Business, Individual (a consumer) or Sole Trader; blank = Business. "
                    "Individual, Sole Trader: the letter before action follows the Pre-Action "
                    "Protocol for Debt Claims. Individual: no statutory late-payment interest "
                    "or compensation"),
        # The hand-off (creditdesk handoff, docs/handoff.md)
        Column("Phone", "text", help="The debtor's phone number, for an agency or solicitor"),
        Column("Collection Status", "text",
               help="Blank, With agency or Legal: handed off (creditdesk handoff), not chased"),
    ),
    required=True,
    help="One row per customer account.",
)

INVOICES = Table(
    "Invoices",
    (
        Column("Invoice", "text", True, "Invoice or credit note number, unique"),
        Column("Customer", "text", True, "Customer key"),
        Column("Invoice Date", "date", True),
        Column("Due Date", "date", help="Blank = invoice date + the customer's terms"),
        Column("Currency", "text", help="Blank = the customer's currency, else base currency"),
        Column("Amount", "number", True, "Negative = credit note or payment on account"),
        Column("Paid", "number", help="Paid so far (not negative)"),
        Column("Settled Date", "date", help="Date the item was fully settled"),
        Column("Disputed", "bool", help="Yes = never chased"),
        Column("Reference", "text", help="Customer's PO or your reference"),
    ),
    required=True,
    help="Open items and settled history, one row per document.",
)

SETTINGS = Table(
    "Settings",
    (Column("Setting", "text", True), Column("Value", "text")),
    help="Two columns: Setting and Value. Missing settings take their defaults.",
)

FX = Table(
    "FX",
    (
        Column("Currency", "text", True),
        Column("Rate", "number", True, "Base-currency units for one unit of the currency"),
        Column("Date", "date", help="The day the rate applies from; blank = any day without "
                                    "a dated rate"),
    ),
    help="Exchange rates into the base currency. With dates, an as-of date uses the rate in "
         "force on that day.",
)

PAYMENTS = Table(
    "Payments",
    (
        Column("Date", "date", True, "The day the money came in"),
        Column("Customer", "text", True, "Customer key"),
        Column("Amount", "number", True, "Received (positive); a refund paid out is negative"),
        Column("Currency", "text", help="Blank = the invoice's currency, else the customer's"),
        Column("Reference", "text", help="The bank's or your reference"),
        Column("Invoice", "text", help="The invoice it pays; blank = unallocated (on account)"),
    ),
    help="Payments received, with their dates: part payments, payments on account. "
         "Optional; the Invoices' Paid column still works without it.",
)

DUNNING_LEVELS = Table(
    "Dunning Levels",
    (
        Column("Level", "integer", True),
        Column("Name", "text"),
        Column("Days After Due", "integer", True, "Negative = a courtesy note before the due date"),
        Column("Template", "text", True),
        Column("Channel", "text", help="Email (default) or Letter"),
        Column("Add Interest", "bool", help="Yes = claim statutory interest and compensation"),
        Column("Days After Previous", "integer",
               help="Blank = only the cool-down; else the level goes no sooner than this many "
                    "days after the previous reminder"),
        Column("Letter Before Action", "bool",
               help="Yes = this level is the letter before action (the last level, Channel "
                    "Letter): its content and the wait after it follow the Debtor Type"),
    ),
    help="The reminder policy. Empty = the default policy.",
)

TEMPLATES = Table(
    "Templates",
    (
        Column("Template", "text", True),
        Column("Language", "text"),
        Column("Subject", "text", True),
        Column("Body", "text", True),
    ),
    help="Reminder texts with {placeholders}, one row per template and language. Empty = "
         "the built-in templates (English, German, French).",
)

HISTORY = Table(
    "History",
    (
        Column("Date", "date", True),
        Column("Customer", "text", True),
        Column("Type", "text", True,
               "Reminder, Statement, Bounce, Complaint, Promise, Dispute, Note, Plan, "
               "Reply Form or Hand-off"),
        Column("Level", "integer"),
        Column("Currency", "text"),
        Column("Email", "text"),
        Column("Message Id", "text"),
        Column("Note", "text"),
        Column("Event Id", "text", help="The backend's id of the event (Sync)"),
        Column("Amount", "number", help="Promise: the amount promised"),
        Column("Promised Date", "date", help="Promise: the date promised; chasing waits"),
        Column("Invoice", "text", help="Dispute: the invoice disputed; it is not chased"),
    ),
    help="Contact history: reminders sent, bounces, promises, disputes. Filled by Sync; "
         "may be empty.",
)

MAPPINGS = Table(
    "Mappings",
    (
        Column("Mapping", "text", True, "The mapping's name, as given to import --mapping"),
        Column("Field", "text", True,
               "A field (Invoice, Customer, Amount, ...) or an option (Date Order, ...)"),
        Column("Value", "text",
               help="For a field: the export's column header; for an option: its value"),
    ),
    help="How to read an export of a layout Creditdesk does not know, saved by name "
         "(creditdesk import --mapping NAME); one row per field or option.",
)

RATES = Table(
    "Rates",
    (
        Column("Law", "text", True, "UK (the Bank of England's Bank Rate) or EU (the ECB's "
               "main refinancing rate)"),
        Column("Effective Date", "date", True, "The day the rate took effect"),
        Column("Rate", "number", True, "The reference rate in percent, without the 8 points"),
        Column("Checked Until", "date",
               help="The rates are known complete up to this day (the latest counts)"),
        Column("Source", "text", help="Where the rates come from"),
    ),
    help="Reference rates for late-payment interest newer than the ones Creditdesk ships, "
         "filled by creditdesk rates update or typed in; a row on a date the shipped table "
         "has replaces it. Empty = the shipped tables.",
)

PLANS = Table(
    "Plans",
    (
        Column("Plan", "text", True, "The plan's id, unique"),
        Column("Customer", "text", True, "Customer key"),
        Column("Invoices", "text", help="The invoices it covers, separated by ;  blank = every "
                                        "open invoice of the customer on the Start Date"),
        Column("Start Date", "date", True, "The day of the first instalment"),
        Column("Frequency", "text", help="Weekly, Fortnightly or Monthly (default); monthly "
                                         "falls on the same day, or the month's last"),
        Column("Instalments", "integer", True, "How many instalments"),
        Column("Status", "text", help="Proposed (default), Active, Completed, Defaulted or "
                                      "Cancelled; only an Active plan changes chasing"),
        Column("Amounts", "text", help="Each instalment's amount, separated by ;  blank = the "
                                       "total split evenly, the last one keeping the total"),
        Column("Currency", "text", help="Blank = the customer's currency"),
    ),
    help="Payment plans: while a plan is Active its invoices are chased on the instalments, "
         "not on their due dates; after Plan Missed Instalments To Default missed ones it is "
         "Defaulted and ordinary chasing resumes. Optional.",
)

AUDIT = Table(
    "Audit",
    (
        Column("Date", "text", True, "When the change reached the backend: UTC, "
                                     "YYYY-MM-DD HH:MM:SS"),
        Column("Key", "text", help="The API key that sent it: its key id (and label)"),
        Column("Subject", "text", True, "The customer key, or settings, levels, templates"),
        Column("Field", "text", True, "What changed: Credit Limit, Terms (days), a setting, "
                                      "Level 2: Days After Due, ..."),
        Column("Old", "text", help="The value before (blank: none)"),
        Column("New", "text", help="The value after (blank: none)"),
    ),
    help="The audit trail of credit decisions: every change between two syncs of a "
         "customer's credit limit, terms, Do Not Chase, pause and Debtor Type, of the dunning "
         "policy, the settings and the templates, as the backend recorded it. Filled by Sync; "
         "may be empty.",
)

TABLES: tuple[Table, ...] = (
    CUSTOMERS,
    INVOICES,
    PAYMENTS,
    SETTINGS,
    FX,
    DUNNING_LEVELS,
    TEMPLATES,
    HISTORY,
    MAPPINGS,
    RATES,
    PLANS,
    AUDIT,
)


def table(name: str) -> Table:
    key = normalise_header(name)
    for t in TABLES:
        if normalise_header(t.name) == key:
            return t
    raise KeyError(name)
