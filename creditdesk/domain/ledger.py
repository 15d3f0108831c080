"""The ledger: the workbook contract's tables as validated numpy columns.

``build_ledger`` turns raw tables (from a workbook file, from xlwings or from JSON) into a
``Ledger``. Every unusable cell becomes an ``Issue`` that names the sheet, the worksheet row,
the column and what is wrong; that row is left out and everything else is used.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from creditdesk.domain import cells as col
from creditdesk.domain.audit import Entry, read_audit
from creditdesk.domain.contract import (
    AUDIT,
    CUSTOMERS,
    DUNNING_LEVELS,
    FX,
    HISTORY,
    INVOICES,
    PAYMENTS,
    PLANS,
    RATES,
    SETTINGS,
    TEMPLATES,
    Column,
    Table,
    normalise_header,
)
from creditdesk.domain.emails import email_problem, split_addresses
from creditdesk.domain.errors import WorkbookError
from creditdesk.domain.interest import RateTable
from creditdesk.domain.issues import Issue
from creditdesk.domain.plans import Plan, read_plans
from creditdesk.domain.rates import workbook_rates
from creditdesk.domain.settings import Settings, parse_settings
from creditdesk.domain.templates import DEFAULT_TEMPLATES, Template, money


@dataclass
class RawTable:
    """A table as it stands in the workbook: headers and column-major raw cell values."""

    name: str
    sheet: str
    header: list[str]
    columns: list[list]
    first_row: int  # worksheet row number (1-based, as Excel shows it) of the first data row
    notes: list[Issue] = field(default_factory=list)  # what the reader saw (rows below a table)

    @classmethod
    def from_rows(cls, name: str, sheet: str, header: Sequence, rows: Sequence[Sequence],
                  first_row: int) -> RawTable:
        width = len(header)
        cols = [list(c) for c in zip(*rows, strict=False)] if rows else [[] for _ in header]
        if len(cols) < width:  # ragged input: pad missing trailing columns
            n = len(rows)
            cols += [[None] * n for _ in range(width - len(cols))]
        return cls(name, sheet, [str(h) if h is not None else "" for h in header],
                   cols[:width], first_row)

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def rows(self) -> np.ndarray:
        return np.arange(self.first_row, self.first_row + len(self), dtype=np.int64)


@dataclass
class DunningLevel:
    level: int
    name: str
    days: int
    template: str
    channel: str = "Email"
    add_interest: bool = False
    days_after_previous: int | None = None  # None: only the cool-down
    letter_before_action: bool = False  # the final level, a letter (docs/letters.md)


@dataclass
class Customers:
    ids: np.ndarray
    name: np.ndarray
    email: np.ndarray
    cc: np.ndarray
    currency: np.ndarray
    terms: np.ndarray
    credit_limit: np.ndarray
    open_orders: np.ndarray
    external_rating: np.ndarray
    do_not_chase: np.ndarray
    paused_until: np.ndarray
    pause_reason: np.ndarray
    promise_date: np.ndarray
    promise_amount: np.ndarray
    language: np.ndarray
    row: np.ndarray
    # Who reminders greet ("" = nobody named) and the account number they show ("" = the key).
    contact_name: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    account_number: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    # Why a customer is not chased although nothing says so: a chasing field (Do Not Chase,
    # Paused Until, Promise Date) that could not be read; "" = none.
    hold: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    # Why the Email cell was not used (the address is blank then); "" = none.
    email_problem: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    # When the promise to pay was made (History's Date; NaT: typed into Customers, unknown).
    promise_made: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="datetime64[D]"))
    # The postal address: a tuple of its non-blank lines (ADDRESS_COLUMNS' order).
    address: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    # Debtor Type (docs/letters.md): ``individual`` True = the Pre-Action Protocol for Debt
    # Claims applies (Individual or Sole Trader); ``sole_trader`` True = Sole Trader (an
    # individual in business, whose debts the late-payment law still covers).
    individual: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    sole_trader: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # "" (chased as usual), "With agency" or "Legal" (COLLECTION_STATUSES): handed off.
    collection_status: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    phone: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    def __len__(self) -> int:
        return len(self.ids)

    def is_individual(self, i: int) -> bool:
        """The customer's Debtor Type is Individual or Sole Trader: the Pre-Action Protocol
        for Debt Claims applies (blank or unreadable: Business)."""
        return bool(self.individual[i]) if i < len(self.individual) else False

    def is_sole_trader(self, i: int) -> bool:
        return bool(self.sole_trader[i]) if i < len(self.sole_trader) else False

    def is_consumer(self, i: int) -> bool:
        """Debtor Type Individual: no late-payment law's interest or compensation."""
        return self.is_individual(i) and not self.is_sole_trader(i)

    def debtor_type(self, i: int) -> str:
        return ("Sole Trader" if self.is_sole_trader(i) else
                "Individual" if self.is_individual(i) else "Business")

    @property
    def consumer(self) -> np.ndarray:
        """Per customer: Debtor Type Individual (neither Business nor Sole Trader)."""
        if len(self.sole_trader) != len(self.individual):
            return self.individual
        return self.individual & ~self.sole_trader

    def account_of(self, i: int) -> str:
        """The account number mail, statements and letters show: Account Number, else the
        customer key."""
        number = self.account_number[i] if i < len(self.account_number) else None
        return str(number).strip() if number not in (None, "") else str(self.ids[i])

    def address_of(self, i: int) -> tuple[str, ...]:
        """The customer's postal address lines; () when none is given."""
        return self.address[i] if i < len(self.address) else ()

    def collection_of(self, i: int) -> str:
        """The customer's Collection Status: "", "With agency" or "Legal"."""
        return str(self.collection_status[i]) if i < len(self.collection_status) else ""


@dataclass
class Invoices:
    invoice: np.ndarray
    customer: np.ndarray  # int index into Customers
    invoice_date: np.ndarray  # datetime64[D]
    due_date: np.ndarray
    settled_date: np.ndarray  # NaT = not settled
    currency: np.ndarray  # int index into Ledger.currencies
    amount: np.ndarray  # document currency
    paid: np.ndarray
    disputed: np.ndarray
    reference: np.ndarray
    row: np.ndarray
    rate: np.ndarray  # base-currency units per unit of the document currency; NaN: no rate
    # Not chased: a cell that decides what is owed (Paid, Settled Date) could not be read.
    held: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # The row is a payment on account from the Payments table (not an invoice or credit note).
    payment: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return len(self.invoice)

    @property
    def converted(self) -> np.ndarray:
        """Items whose currency has an FX rate: the others stay in their own currency."""
        return ~np.isnan(self.rate)

    @property
    def amount_base(self) -> np.ndarray:
        """Amount in base currency; 0 for an item without a rate (counted apart)."""
        return np.where(self.converted, self.amount * np.nan_to_num(self.rate), 0.0)


@dataclass
class Payments:
    """Dated payments allocated to an invoice (the Payments table); payments on account are
    rows of ``Invoices`` (``payment``), open credits like an unapplied credit note."""

    date: np.ndarray  # datetime64[D]
    invoice: np.ndarray  # index into Invoices
    amount: np.ndarray  # in the invoice's currency; positive reduces what is owed
    row: np.ndarray

    @classmethod
    def empty(cls) -> Payments:
        return cls(np.array([], dtype="datetime64[D]"), np.array([], dtype=np.int64),
                   np.array([]), np.array([], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.date)


@dataclass
class History:
    """Contact history; only what the rules read is kept as columns."""

    date: np.ndarray
    customer: np.ndarray  # customer key (text); history may name customers no longer listed
    type: np.ndarray  # lower-case: reminder, bounce, complaint, promise, dispute, note, ...
    level: np.ndarray  # float, NaN = none
    currency: np.ndarray
    email: np.ndarray
    invoice: np.ndarray  # disputes: the invoice
    amount: np.ndarray  # promises: the amount promised (NaN = none)
    promised: np.ndarray  # promises: the date promised (NaT = none)

    @classmethod
    def empty(cls) -> History:
        o = np.array([], dtype=object)
        return cls(np.array([], dtype="datetime64[D]"), o, o.copy(), np.array([]), o.copy(),
                   o.copy(), o.copy(), np.array([]), np.array([], dtype="datetime64[D]"))


@dataclass
class Ledger:
    settings: Settings
    as_of: np.datetime64
    customers: Customers
    invoices: Invoices
    currencies: list[str]
    fx: dict[str, float]
    levels: list[DunningLevel]
    templates: list[Template]
    history: History
    issues: list[Issue] = field(default_factory=list)
    payments: Payments = field(default_factory=Payments.empty)
    # rows read and rows left out, per table with keys (Customers, Invoices)
    rows_read: dict[str, tuple[int, int]] = field(default_factory=dict)
    rates: dict[str, RateTable] = field(default_factory=dict)  # law -> the Rates table's
    plans: list[Plan] = field(default_factory=list)  # the Plans table's usable rows
    audit: list[Entry] = field(default_factory=list)  # the Audit table's rows, oldest first

    @property
    def as_of_date(self) -> dt.date:
        return self.as_of.astype("datetime64[D]").item()

    def mostly_unusable(self) -> str | None:
        """A sentence when most invoice rows could not be used (left out for a problem in a
        key, or in a currency without an FX rate, so outside every base-currency figure);
        else None."""
        read, used = self.rows_read.get(INVOICES.name, (0, 0))
        inv = self.invoices
        foreign = int((~inv.converted & ~inv.payment).sum())
        if read == 0 or (read - used + foreign) * 2 <= read:
            return None
        parts = []
        if read - used:
            parts.append(f"{read - used} left out (see the issues)")
        if foreign:
            codes = sorted({self.currencies[c] for c in inv.currency[~inv.converted]})
            parts.append(f"{foreign} in {', '.join(codes)} without an FX rate into "
                         f"{self.settings.base_currency}, outside its totals")
        return (f"most invoice rows could not be used: {read - used + foreign} of {read} "
                f"({'; '.join(parts)}); check Base Currency, FX and the issues")

    @cached_property
    def customer_index(self) -> dict[str, int]:
        """Customer key -> row in ``customers``."""
        return {k: i for i, k in enumerate(self.customers.ids.tolist())}

    @cached_property
    def customers_by_email(self) -> dict[str, list[int]]:
        """Lower-case e-mail address -> the customers that use it."""
        out: dict[str, list[int]] = {}
        for i, e in enumerate(self.customers.email.tolist()):
            if e:
                out.setdefault(e.casefold(), []).append(i)
        return out


# ---------------------------------------------------------------------------------------
# Reading a table's columns


_CONVERT: dict[str, Callable] = {
    "number": col.to_number,
    "integer": col.to_integer,
    "date": col.to_date,
    "bool": col.to_bool,
}
_TERMS = normalise_header("Terms (days)")  # read as terms: 30, Net 30, 30 days
NO_DATE_DEFAULT = (None, "")


class _TableReader:
    """Converts a raw table column by column and collects the rows that must be left out."""

    def __init__(self, raw: RawTable, spec: Table, issues: list[Issue],
                 dates: tuple[str | None, str] = NO_DATE_DEFAULT):
        self.raw, self.spec, self.issues = raw, spec, issues
        self.dates = dates  # (order, why) for a date column that could be read either way
        self.n = len(raw)
        self.rows = raw.rows()
        self.bad = np.zeros(self.n, dtype=bool)
        self.positions: dict[str, int] = {}
        for j, h in enumerate(raw.header):
            key = normalise_header(h)
            if key and key not in self.positions:
                self.positions[key] = j
        self.missing = [c.header for c in spec.columns
                        if c.required and normalise_header(c.header) not in self.positions]
        self._blank: np.ndarray | None = None
        self.address_problems: dict[int, str] = {}  # of the last e-mail column read
        self.last_errors: dict[int, str] = {}  # the cells of the last column that did not read

    def note_blank_rows(self) -> np.ndarray:
        """Fully blank rows inside the table: one issue each (not one per required column);
        they are left out."""
        if self._blank is not None:
            return self._blank
        blank = np.ones(self.n, dtype=bool)
        for values in self.raw.columns:
            if not blank.any():
                break
            blank &= np.fromiter((col.is_blank(v) for v in values), dtype=bool, count=self.n)
        if not self.raw.columns:
            blank[:] = False
        self._blank = blank
        for i in np.flatnonzero(blank):
            self.issues.append(Issue(self.raw.sheet, int(self.rows[i]), None,
                                     "blank row (skipped)"))
            self.bad[i] = True
        return blank

    def report(self, i: int, column: str, message: str) -> None:
        self.issues.append(Issue(self.raw.sheet, int(self.rows[i]), column, message))
        self.bad[i] = True

    def values(self, c: Column) -> list:
        j = self.positions.get(normalise_header(c.header))
        return self.raw.columns[j] if j is not None else [None] * self.n

    def note(self, i: int, column: str, message: str) -> None:
        """An issue about a cell that is not a key: the row is kept."""
        self.issues.append(Issue(self.raw.sheet, int(self.rows[i]), column, message))

    def get(self, header: str, ignore: str | None = None) -> np.ndarray:
        """The column converted; a cell that cannot be read is an issue. ``ignore``: the
        column is not a key, so such a cell is left blank, with the issue saying what that
        means (``ignore``), and the row is kept; else the row is left out."""
        c = self.spec.column(header)
        blank_rows = self.note_blank_rows()
        values = self.values(c)
        if c.kind in ("text", "email", "emails"):
            arr = col.to_text(values)
            errors: dict[int, str] = {}
        elif c.kind == "date":
            choice = col.decide_date_order(values, *self.dates)
            if choice.note:
                self.issues.append(Issue(self.raw.sheet, None, c.header, choice.note))
            arr, errors = col.to_date(values, choice.order)
        elif normalise_header(c.header) == _TERMS:
            arr, errors = col.to_terms(values)
        else:
            arr, errors = _CONVERT[c.kind](values)
        self.last_errors = errors
        for i, message in errors.items():
            if ignore is None:
                self.report(i, c.header, message)
            elif not blank_rows[i]:
                self.note(i, c.header, f"{message}; {ignore}")
        if c.required:
            blank = (arr == "") if arr.dtype == object else (
                np.isnat(arr) if arr.dtype.kind == "M" else np.isnan(arr))
            for i in np.flatnonzero(blank & ~blank_rows):
                if int(i) not in errors:
                    self.report(int(i), c.header, f"{c.header} is blank")
        if c.kind in ("email", "emails"):
            self.address_problems = self._check_emails(arr, c.header, c.kind == "email",
                                                       ignore)
        return arr

    def _check_emails(self, arr: np.ndarray, header: str, single: bool,
                      ignore: str | None = None) -> dict[int, str]:
        """Each address checked; a bad one leaves the row out, or with ``ignore`` is itself
        left out (arr is changed in place: a single address blanked, the good ones of a
        list kept). Returns the problem found per row."""
        found: dict[int, str] = {}
        for i in np.flatnonzero(arr != ""):
            addresses = split_addresses(arr[i])
            if single and len(addresses) > 1:
                problem = "one address only here; put further ones in CC"
            else:
                bad = [(a, p) for a in addresses if (p := email_problem(a))]
                if not bad:
                    continue
                problem = bad[0][1]
                if ignore is not None and not single:
                    keep = [a for a in addresses if not email_problem(a)]
                    arr[i] = "; ".join(keep)
                    self.note(int(i), header, f"{problem}; {ignore}")
                    found[int(i)] = problem
                    continue
            found[int(i)] = problem
            if ignore is None:
                self.report(int(i), header, problem)
            else:
                arr[i] = ""
                self.note(int(i), header, f"{problem}; {ignore}")
        return found

    def duplicates(self, keys: np.ndarray, header: str, what: str) -> None:
        first: dict[str, int] = {}
        for i, k in enumerate(keys):
            if k == "" or self.bad[i]:
                continue
            j = first.setdefault(k, i)
            if j != i:
                self.report(i, header, f"duplicate {what} '{k}' (first on row {self.rows[j]})")


def _find(tables: Mapping[str, RawTable], spec: Table) -> RawTable | None:
    return tables.get(normalise_header(spec.name))


def _require(tables: Mapping[str, RawTable], spec: Table,
             dates: tuple[str | None, str] = NO_DATE_DEFAULT) -> _TableReader:
    raw = _find(tables, spec)
    if raw is None:
        raise WorkbookError(f"no table or sheet named '{spec.name}'")
    reader = _TableReader(raw, spec, [], dates)
    if reader.missing:
        raise WorkbookError(
            f"sheet '{raw.sheet}': the {spec.name} table has no column "
            + ", ".join(f"'{m}'" for m in reader.missing)
        )
    return reader


def _optional(tables: Mapping[str, RawTable], spec: Table, issues: list[Issue],
              dates: tuple[str | None, str] = NO_DATE_DEFAULT) -> _TableReader | None:
    raw = _find(tables, spec)
    if raw is None or len(raw) == 0:
        return None
    reader = _TableReader(raw, spec, issues, dates)
    if reader.missing:
        issues.append(Issue(raw.sheet, raw.first_row - 1, None,
                            f"the {spec.name} table has no column "
                            + ", ".join(f"'{m}'" for m in reader.missing)
                            + "; the table is ignored"))
        return None
    return reader


# ---------------------------------------------------------------------------------------
# The tables


def _settings(tables: Mapping[str, RawTable], issues: list[Issue]) -> Settings:
    raw = _find(tables, SETTINGS)
    if raw is None or len(raw) == 0:
        return Settings()
    reader = _TableReader(raw, SETTINGS, issues)
    if reader.missing:
        issues.append(Issue(raw.sheet, raw.first_row - 1, None,
                            "the Settings table needs the columns Setting and Value; "
                            "default settings are used"))
        return Settings()
    names = reader.values(SETTINGS.column("Setting"))
    values = reader.values(SETTINGS.column("Value"))
    settings, problems = parse_settings(zip(reader.rows.tolist(), names, values, strict=True),
                                        sheet=raw.sheet)
    issues.extend(problems)
    return settings


def _fx(tables: Mapping[str, RawTable], base: str, day: np.datetime64, issues: list[Issue]
        ) -> dict[str, float]:
    """The rate of each currency in force on ``day``: of its dated rows the latest on or
    before that day, else its undated row. A currency whose rates are all dated after
    ``day`` has none then: its items are not converted (an issue says so)."""
    fx = {base: 1.0}
    r = _optional(tables, FX, issues)
    if r is None:
        return fx
    ccy = np.array([c.upper() for c in r.get("Currency")], dtype=object)
    rate = r.get("Rate")
    date = r.get("Date")
    undated: dict[str, float] = {}
    dated: dict[str, dict[np.datetime64, float]] = {}
    for i in range(r.n):
        if r.bad[i]:
            continue
        on = "" if np.isnat(date[i]) else f" on {date[i]}"
        rates = undated if np.isnat(date[i]) else dated.setdefault(ccy[i], {})
        key = ccy[i] if np.isnat(date[i]) else date[i]
        if rate[i] <= 0:
            r.report(i, "Rate", f"rate {rate[i]:g} for {ccy[i]} must be above 0")
        elif ccy[i] == base and rate[i] != 1:
            r.report(i, "Rate", f"{base} is the base currency; its rate is 1, not {rate[i]:g}")
        elif ccy[i] == base:
            continue
        elif key in rates:
            r.report(i, "Currency", f"second rate for {ccy[i]}{on} (the first one is used)")
        else:
            rates[key] = float(rate[i])
    for c, by_day in dated.items():
        in_force = [d for d in by_day if d <= day]
        if in_force:
            fx[c] = by_day[max(in_force)]
        elif c in undated:
            fx[c] = undated[c]
        else:
            issues.append(Issue(r.raw.sheet, None, "Date",
                                f"no {c} rate in force on {day}: the first is dated "
                                f"{min(by_day)}; {c} items are not converted"))
    for c, v in undated.items():
        fx.setdefault(c, v)
    return fx


# What happens to a Customers cell that cannot be used: the customer and its invoices stay.
_CUSTOMER_IGNORED = {
    "Email": "ignored: no e-mail reminders to this customer until it is fixed",
    "CC": "left out of CC until it is fixed",
    "Terms (days)": "ignored: the Default Terms (days) are used until it is fixed",
    "Credit Limit": "ignored: no credit limit (the credit check asks for a review) until it "
                    "is fixed",
    "Open Orders": "ignored: no open orders are counted until it is fixed",
    "External Rating": "ignored: the payment score is made without it",
    "Do Not Chase": "not chased until it reads Yes or No",
    "Paused Until": "not chased until it is fixed",
    "Promise Date": "not chased until it is fixed",
    "Promise Amount": "ignored: the promise has no amount",
}
_HOLD_COLUMNS = ("Do Not Chase", "Paused Until", "Promise Date")


def _customers(tables: Mapping[str, RawTable], settings: Settings, fx: dict[str, float],
               issues: list[Issue]) -> tuple[Customers, tuple[int, int]]:
    """The Customers table; only a blank or repeated key leaves a row out. Also: (rows
    read, rows used)."""
    r = _require(tables, CUSTOMERS, settings.dates())
    r.issues = issues
    ids = r.get("Customer")
    data: dict[str, np.ndarray] = {"name": r.get("Name"), "contact_name": r.get("Contact Name"),
                                   "account_number": r.get("Account Number")}
    data["email"] = r.get("Email", _CUSTOMER_IGNORED["Email"])
    problems = r.address_problems
    data["email_problem"] = np.array([problems.get(i, "") for i in range(r.n)], dtype=object)
    data["cc"] = r.get("CC", _CUSTOMER_IGNORED["CC"])
    data["currency"] = np.array([c.upper() for c in r.get("Currency")], dtype=object)
    hold = np.full(r.n, "", dtype=object)
    for header, key in (("Terms (days)", "terms"), ("Credit Limit", "credit_limit"),
                        ("Open Orders", "open_orders"), ("External Rating", "external_rating"),
                        ("Do Not Chase", "do_not_chase"), ("Paused Until", "paused_until"),
                        ("Promise Date", "promise_date"), ("Promise Amount", "promise_amount")):
        data[key] = r.get(header, _CUSTOMER_IGNORED[header])
        if header in _HOLD_COLUMNS:
            for i in r.last_errors:
                hold[i] = hold[i] or f"{header} in Customers could not be read; fix it there"
    data["do_not_chase"] = data["do_not_chase"] | (hold != "")
    data["pause_reason"] = r.get("Pause Reason")
    data["language"] = np.array([c.lower() for c in r.get("Language")], dtype=object)
    data["address"] = _addresses(r)
    data["individual"], data["sole_trader"] = _debtor_types(r)
    data["collection_status"] = _collection_statuses(r)
    data["phone"] = r.get("Phone")
    _out_of_range(r, data)
    for i in np.flatnonzero(data["currency"] != ""):
        code = data["currency"][i]
        if code not in fx:
            r.note(int(i), "Currency", f"no FX rate for '{code}': this customer's {code} "
                   f"invoices are shown in {code} and counted as not converted until a rate is "
                   "added to FX")
    r.duplicates(ids, "Customer", "customer")
    keep = ~r.bad
    data["currency"] = np.where(data["currency"] == "", settings.base_currency, data["currency"])
    data["terms"] = np.where(np.isnan(data["terms"]), settings.default_terms_days, data["terms"])
    data["open_orders"] = np.nan_to_num(data["open_orders"])
    data["language"] = np.where(data["language"] == "", "en", data["language"])
    data["hold"] = hold
    data["promise_made"] = np.full(r.n, np.datetime64("NaT"), dtype="datetime64[D]")
    used = Customers(ids=ids[keep], row=r.rows[keep], **{k: v[keep] for k, v in data.items()})
    return used, (r.n - int(r.note_blank_rows().sum()), int(keep.sum()))


# A customer's Collection Status (the column's words, matched ignoring case and spaces).
COLLECTION_STATUSES = ("With agency", "Legal")


def _collection_statuses(r: _TableReader) -> np.ndarray:
    """Each customer's Collection Status: "", With agency or Legal; another value is an
    issue and the row is read as blank (chased as usual)."""
    known = {normalise_header(s): s for s in COLLECTION_STATUSES}
    out = np.full(r.n, "", dtype=object)
    for i, text in enumerate(r.get("Collection Status").tolist()):
        if not text:
            continue
        status = known.get(normalise_header(text))
        if status is None:
            r.note(i, "Collection Status", f"'{text}' is not blank, With agency or Legal: "
                   "read as blank (chased as usual) until it is fixed")
        else:
            out[i] = status
    return out


ADDRESS_COLUMNS = ("Address Line 1", "Address Line 2", "Address Line 3", "City", "Region",
                   "Postcode", "Country")


def _addresses(r: _TableReader) -> np.ndarray:
    """Each customer's postal address: its non-blank lines, in ``ADDRESS_COLUMNS``' order."""
    parts = [r.get(h) for h in ADDRESS_COLUMNS]
    out = np.empty(r.n, dtype=object)
    for i in range(r.n):
        out[i] = tuple(str(p[i]).strip() for p in parts if str(p[i]).strip())
    return out


DEBTOR_TYPES = ("Business", "Individual", "Sole Trader")


def _debtor_types(r: _TableReader) -> tuple[np.ndarray, np.ndarray]:
    """Debtor Type per customer: (Individual or Sole Trader, Sole Trader). Blank means
    Business; another value is an issue and the row is read as Business."""
    values = r.get("Debtor Type")
    individual, sole = np.zeros(r.n, dtype=bool), np.zeros(r.n, dtype=bool)
    for i, v in enumerate(values.tolist()):
        text = normalise_header(v).replace("_", " ").replace("-", " ")
        text = " ".join(text.split())
        if text == "individual":
            individual[i] = True
        elif text == "sole trader":
            individual[i] = sole[i] = True
        elif text not in ("", "business"):
            r.note(i, "Debtor Type", f"'{v}' is not Business, Individual or Sole Trader; "
                   "read as Business")
    return individual, sole


def _out_of_range(r: _TableReader, data: dict[str, np.ndarray]) -> None:
    """Numbers that read but cannot be right: blanked with an issue, the row kept."""
    for header, key in (("Terms (days)", "terms"), ("Credit Limit", "credit_limit"),
                        ("Open Orders", "open_orders"), ("Promise Amount", "promise_amount")):
        for i in np.flatnonzero(data[key] < 0):
            r.note(int(i), header, f"{header} {data[key][i]:g} must not be negative; "
                   f"{_CUSTOMER_IGNORED[header]}")
            data[key][i] = np.nan
    rating = data["external_rating"]
    for i in np.flatnonzero((rating < 1) | (rating > 100)):
        r.note(int(i), "External Rating", f"rating {rating[i]:g} is outside 1-100; "
               f"{_CUSTOMER_IGNORED['External Rating']}")
        rating[i] = np.nan


_NOT_CHASED = "and it is not chased until it is fixed"


def _invoice_rows(tables: Mapping[str, RawTable], customers: Customers, settings: Settings,
                  issues: list[Issue]) -> tuple[dict[str, np.ndarray], tuple[int, int]]:
    """The Invoices table as columns (currency still as text), with the rows that have a
    problem in a key (Invoice, Customer, Invoice Date, Amount) left out; a problem in any
    other cell is an issue and the row stays. Also: (rows read, rows used)."""
    r = _require(tables, INVOICES, settings.dates())
    r.issues = issues
    number = r.get("Invoice")
    customer_key = r.get("Customer")
    invoice_date = r.get("Invoice Date")
    amount = r.get("Amount")
    index = {k: i for i, k in enumerate(customers.ids.tolist())}
    cust = np.fromiter((index.get(k, -1) for k in customer_key), dtype=np.int64, count=r.n)
    for i in np.flatnonzero(cust < 0):
        if customer_key[i] != "":
            r.report(int(i), "Customer", f"unknown customer '{customer_key[i]}'"
                     " (not in the Customers table, or its row there has a problem)")
    known = cust >= 0
    terms = customers.terms[np.where(known, cust, 0)] if len(customers) else np.zeros(r.n)
    due = _due_dates(r, invoice_date, terms, known)
    held = np.zeros(r.n, dtype=bool)
    settled = r.get("Settled Date", f"ignored: the invoice counts as open {_NOT_CHASED}")
    held[list(r.last_errors)] = True
    for i in np.flatnonzero(settled < invoice_date):
        r.note(int(i), "Settled Date", f"settled date {settled[i]} is before the invoice date "
               f"{invoice_date[i]}; ignored: the invoice counts as open {_NOT_CHASED}")
        settled[i], held[i] = np.datetime64("NaT"), True
    paid = r.get("Paid", f"read as 0: the whole amount counts as outstanding {_NOT_CHASED}")
    held[list(r.last_errors)] = True
    for i in np.flatnonzero(paid < 0):
        r.note(int(i), "Paid", f"Paid {paid[i]:g} is negative (enter payments as positive "
               "amounts; a refund or credit is a negative Amount); read as 0: the whole amount "
               f"counts as outstanding {_NOT_CHASED}")
        paid[i], held[i] = np.nan, True
    disputed = r.get("Disputed", "read as Yes (disputed): not chased until it reads Yes or No")
    disputed[list(r.last_errors)] = True
    currency = np.array([c.upper() for c in r.get("Currency")], dtype=object)
    blank_ccy = currency == ""
    currency[blank_ccy & known] = customers.currency[cust[blank_ccy & known]]
    currency[blank_ccy & ~known] = settings.base_currency
    r.duplicates(number, "Invoice", "invoice number")
    keep = ~r.bad
    cols = {"invoice": number, "customer": cust, "invoice_date": invoice_date, "due_date": due,
            "settled_date": settled, "currency_text": currency, "amount": amount, "paid": paid,
            "disputed": disputed, "reference": r.get("Reference"), "row": r.rows, "held": held,
            "payment": np.zeros(r.n, dtype=bool)}
    read = r.n - int(r.note_blank_rows().sum())
    return {k: v[keep] for k, v in cols.items()}, (read, int(keep.sum()))


def _due_dates(r: _TableReader, invoice_date: np.ndarray, terms: np.ndarray,
               known: np.ndarray) -> np.ndarray:
    """Due Date; blank, unreadable or before the invoice date: the invoice date + the
    customer's terms."""
    due = r.get("Due Date", "ignored: due on the invoice date + the customer's terms").copy()
    by_terms = invoice_date + np.nan_to_num(terms).astype("timedelta64[D]")
    for i in np.flatnonzero(due < invoice_date):
        r.note(int(i), "Due Date", f"due date {due[i]} is before the invoice date "
               f"{invoice_date[i]}; ignored: due on the invoice date + the customer's terms "
               f"({by_terms[i]})")
        due[i] = np.datetime64("NaT")
    fill = np.isnat(due) & ~np.isnat(invoice_date) & known
    due[fill] = by_terms[fill]
    return due


def _payments(tables: Mapping[str, RawTable], customers: Customers,
              cols: dict[str, np.ndarray], settings: Settings, issues: list[Issue]
              ) -> tuple[list[tuple[int, np.datetime64, int, float]], dict[str, np.ndarray]]:
    """The Payments table: (allocated: invoice, date, row, amount in the invoice's currency)
    and the payments on account as invoice rows (negative amounts). A payment whose invoice
    is not found, or is in another currency, is kept on account (an issue says so)."""
    r = _optional(tables, PAYMENTS, issues, settings.dates())
    if r is None:
        return [], {}
    date, customer_key, amount = r.get("Date"), r.get("Customer"), r.get("Amount")
    currency = np.array([c.upper() for c in r.get("Currency")], dtype=object)
    reference, invoice = r.get("Reference"), r.get("Invoice")
    index = {k: i for i, k in enumerate(customers.ids.tolist())}
    cust = np.fromiter((index.get(k, -1) for k in customer_key), dtype=np.int64, count=r.n)
    for i in np.flatnonzero((cust < 0) & (customer_key != "")):
        r.report(int(i), "Customer", f"unknown customer '{customer_key[i]}' (not in the "
                 "Customers table)")
    number = {n: k for k, n in enumerate(cols["invoice"].tolist())}
    allocated: list[tuple[int, np.datetime64, int, float]] = []
    on_account: list[int] = []
    for i in np.flatnonzero(~r.bad):
        k = number.get(invoice[i], -1) if invoice[i] else -1
        if k >= 0 and cols["customer"][k] != cust[i]:
            r.note(int(i), "Invoice", f"invoice '{invoice[i]}' is not this customer's; kept as "
                   "a payment on account")
            k = -1
        elif invoice[i] and k < 0:
            r.note(int(i), "Invoice", f"no invoice '{invoice[i]}' in Invoices; kept as a "
                   "payment on account")
        if k >= 0 and currency[i] not in ("", cols["currency_text"][k]):
            r.note(int(i), "Currency", f"{currency[i]}, but invoice '{invoice[i]}' is in "
                   f"{cols['currency_text'][k]}; kept as a payment on account in {currency[i]}")
            k = -1
        if k >= 0:
            allocated.append((k, date[i], int(r.rows[i]), float(amount[i])))
        else:
            on_account.append(int(i))
    rows = np.array(on_account, dtype=np.int64)
    ccy = currency[rows]
    blank = ccy == ""
    ccy[blank] = customers.currency[cust[rows][blank]]
    refs = reference[rows]
    extra = {"invoice": np.array([ref or f"Payment {date[i]}" for ref, i in
                                  zip(refs.tolist(), rows.tolist(), strict=True)], dtype=object),
             "customer": cust[rows], "invoice_date": date[rows], "due_date": date[rows],
             "settled_date": np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[D]"),
             "currency_text": ccy, "amount": -amount[rows], "paid": np.zeros(len(rows)),
             "disputed": np.zeros(len(rows), dtype=bool), "reference": refs,
             "row": r.rows[rows], "held": np.zeros(len(rows), dtype=bool),
             "payment": np.ones(len(rows), dtype=bool)}
    return allocated, extra


def _apply_payments(r_sheet: str, cols: dict[str, np.ndarray],
                    allocated: list[tuple[int, np.datetime64, int, float]],
                    issues: list[Issue]) -> Payments:
    """Paid and the dated payments made one: the part of Paid the Payments table does not
    account for stays undated (``cols['paid']``); Paid above the Amount is unapplied cash
    (an issue), on a credit note it is capped at the credit."""
    n = len(cols["amount"])
    k = np.array([a[0] for a in allocated], dtype=np.int64)
    pay_amount = np.array([a[3] for a in allocated], dtype=np.float64)
    by_invoice = np.bincount(k, weights=pay_amount, minlength=n) if len(k) else np.zeros(n)
    paid_col = cols["paid"]
    given = ~np.isnan(paid_col)
    undated = np.where(given, np.maximum(np.nan_to_num(paid_col) - by_invoice, 0.0), 0.0)
    for i in np.flatnonzero(given & (by_invoice > np.nan_to_num(paid_col) + 0.005)):
        issues.append(Issue(r_sheet, int(cols["row"][i]), "Paid", f"the Payments allocated to "
                            f"it ({money(by_invoice[i])}) are more than its Paid "
                            f"({money(paid_col[i])}); the Payments are used"))
    total = undated + by_invoice
    amount = cols["amount"]
    for i in np.flatnonzero((amount >= 0) & (total > amount + 0.005) & ~cols["payment"]):
        issues.append(Issue(r_sheet, int(cols["row"][i]), "Paid", f"Paid {money(total[i])} is "
                            f"more than the Amount {money(amount[i])}: the "
                            f"{money(total[i] - amount[i])} over is shown as unapplied cash"))
    for i in np.flatnonzero((amount < 0) & (total > -amount + 0.005)):
        issues.append(Issue(r_sheet, int(cols["row"][i]), "Paid", f"Paid {money(total[i])} is "
                            f"more than the credit note's {money(-amount[i])}; counted as fully "
                            "used"))
        undated[i] = max(-amount[i] - by_invoice[i], 0.0)
    cols["paid"] = undated
    rows = np.array([a[2] for a in allocated], dtype=np.int64)
    dates = np.array([a[1] for a in allocated], dtype="datetime64[D]")
    return Payments(dates, k, pay_amount, rows)


def _invoices(tables: Mapping[str, RawTable], customers: Customers, settings: Settings,
              fx: dict[str, float], issues: list[Issue]
              ) -> tuple[Invoices, list[str], Payments, tuple[int, int]]:
    """Invoices and credit notes, the Payments table's payments on account among them, each
    with its currency's rate (NaN: no rate; the item stays, not converted)."""
    cols, counts = _invoice_rows(tables, customers, settings, issues)
    allocated, extra = _payments(tables, customers, cols, settings, issues)
    if extra:
        cols = {k: np.concatenate([v, extra[k]]) for k, v in cols.items()}
    payments = _apply_payments(INVOICES.name, cols, allocated, issues)
    text = cols.pop("currency_text")
    currencies = sorted(set(text.tolist()))
    code = {c: i for i, c in enumerate(currencies)}
    ccy = np.fromiter((code[c] for c in text), dtype=np.int64, count=len(text))
    rate_of = np.array([fx.get(c, np.nan) for c in currencies])
    rate = rate_of[ccy] if len(text) else np.zeros(0)
    for c in currencies:
        if c not in fx:
            rows = cols["row"][text == c]
            are = "is" if len(rows) == 1 else "are"
            issues.append(Issue(INVOICES.name, int(rows.min()), "Currency", f"no FX rate for "
                                f"{c}: {_count(len(rows), 'item')} in {c} (the first on this "
                                f"row) {are} shown in {c} and counted as not converted, outside "
                                f"the {settings.base_currency} totals, until a rate is added to "
                                "FX"))
    inv = Invoices(currency=ccy, rate=rate, **cols)
    return inv, currencies, payments, counts


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


DEFAULT_LEVELS = [
    DunningLevel(1, "Courtesy note", -5, "courtesy", "Email", False),
    DunningLevel(2, "First reminder", 7, "first_reminder", "Email", False),
    DunningLevel(3, "Second reminder", 21, "second_reminder", "Email", False),
    DunningLevel(4, "Final demand", 35, "final_demand", "Email", True),
]


def _levels(tables: Mapping[str, RawTable], templates: list[Template], issues: list[Issue]
            ) -> list[DunningLevel]:
    r = _optional(tables, DUNNING_LEVELS, issues)
    if r is None:
        return list(DEFAULT_LEVELS)
    level, name, days = r.get("Level"), r.get("Name"), r.get("Days After Due")
    template, channel, interest = r.get("Template"), r.get("Channel"), r.get("Add Interest")
    after = r.get("Days After Previous")
    before_action = r.get("Letter Before Action")
    for i in np.flatnonzero(after < 0):
        r.report(int(i), "Days After Previous", f"Days After Previous {after[i]:g} must not be "
                 "negative")
    names = {t.name.casefold() for t in templates}
    r.duplicates(np.array([f"{v:g}" if not np.isnan(v) else "" for v in level], dtype=object),
                 "Level", "level")
    out: list[DunningLevel] = []
    for i in range(r.n):
        if r.bad[i]:
            continue
        if template[i].casefold() not in names:
            r.report(i, "Template", f"no template named '{template[i]}' in the Templates table")
            continue
        ch = (channel[i] or "Email").strip().title()
        if ch not in ("Email", "Letter"):
            r.report(i, "Channel", f"'{channel[i]}' is not Email or Letter")
            continue
        lba = bool(before_action[i])
        if lba and ch != "Letter":
            r.note(i, "Letter Before Action", "a letter before action must have Channel "
                   "Letter; this level is sent as an ordinary e-mail reminder")
            lba = False
        out.append(DunningLevel(int(level[i]), name[i] or f"Level {int(level[i])}",
                                int(days[i]), template[i], ch, bool(interest[i]),
                                None if np.isnan(after[i]) else int(after[i]), lba))
    out.sort(key=lambda lv: lv.level)
    _final_before_action(r, out)
    for a, b in itertools.pairwise(out):
        if b.days <= a.days:
            issues.append(Issue(r.raw.sheet, None, "Days After Due",
                                f"level {b.level} starts at {b.days} days, not later than level "
                                f"{a.level} ({a.days} days); levels must escalate"))
    return out


def _final_before_action(r: _TableReader, levels: list[DunningLevel]) -> None:
    """Only the final level (the most days after due) may be the letter before action: on
    an earlier one the flag is an issue and is ignored."""
    if not levels:
        return
    last = max(levels, key=lambda lv: (lv.days, lv.level))
    for k, lv in enumerate(levels):
        if lv.letter_before_action and lv is not last:
            r.issues.append(Issue(r.raw.sheet, None, "Letter Before Action",
                                  f"level {lv.level} is not the final level (level "
                                  f"{last.level} is): only the final level can be the letter "
                                  "before action; read as No"))
            levels[k] = replace(lv, letter_before_action=False)


def _templates(tables: Mapping[str, RawTable], issues: list[Issue]) -> list[Template]:
    r = _optional(tables, TEMPLATES, issues)
    if r is None:
        return list(DEFAULT_TEMPLATES)
    name, lang = r.get("Template"), r.get("Language")
    subject, body = r.get("Subject"), r.get("Body")
    seen: dict[tuple[str, str], int] = {}
    out: list[Template] = []
    for i in range(r.n):
        if r.bad[i]:
            continue
        key = (name[i].casefold(), (lang[i] or "en").casefold())
        if key in seen:
            r.report(i, "Template", f"template '{name[i]}' ({key[1]}) is defined twice "
                     f"(first on row {seen[key]})")
            continue
        seen[key] = int(r.rows[i])
        out.append(Template(name[i], key[1], subject[i], body[i], int(r.rows[i])))
    # Built-in templates stand in for any template and language the table does not define,
    # so the default policy keeps working with a partial Templates table.
    out += [t for t in DEFAULT_TEMPLATES if (t.name.casefold(), t.language) not in seen]
    return out


def _history(tables: Mapping[str, RawTable], issues: list[Issue],
             dates: tuple[str | None, str] = NO_DATE_DEFAULT) -> History:
    r = _optional(tables, HISTORY, issues, dates)
    if r is None:
        return History.empty()
    date, customer, kind = r.get("Date"), r.get("Customer"), r.get("Type")
    level, currency, email = r.get("Level"), r.get("Currency"), r.get("Email")
    kind = np.array([k.casefold() for k in kind], dtype=object)
    known = {"reminder", "bounce", "complaint", "promise", "dispute", "note", "delivery",
             "plan", "statement", "reply form", "hand-off"}
    for i in range(r.n):
        if not r.bad[i] and kind[i] not in known:
            r.report(i, "Type", f"'{kind[i]}' is not one of " + ", ".join(sorted(known)))
    invoice, amount, promised = r.get("Invoice"), r.get("Amount"), r.get("Promised Date")
    keep = ~r.bad
    return History(date[keep], customer[keep], kind[keep], level[keep],
                   np.array([c.upper() for c in currency[keep]], dtype=object), email[keep],
                   invoice[keep], amount[keep], promised[keep])


def _apply_history(customers: Customers, invoices: Invoices, history: History) -> None:
    """Promises and disputes recorded in History (by Sync, from replies) count like the
    Customers' Promise Date and the Invoices' Disputed flag: chasing pauses until the promised
    date, a disputed invoice is not chased. Of several promises the latest date counts."""
    index = {k: i for i, k in enumerate(customers.ids.tolist())}
    for r in np.flatnonzero((history.type == "promise") & ~np.isnat(history.promised)):
        i = index.get(history.customer[r])
        if i is None:
            continue
        current = customers.promise_date[i]
        if np.isnat(current) or history.promised[r] > current:
            customers.promise_date[i] = history.promised[r]
            customers.promise_amount[i] = history.amount[r]
            customers.promise_made[i] = history.date[r]
    disputed = {(history.customer[r], history.invoice[r])
                for r in np.flatnonzero((history.type == "dispute") & (history.invoice != ""))}
    if disputed:
        number = {n: k for k, n in enumerate(invoices.invoice.tolist())}  # numbers are unique
        for cust, inv in disputed:
            k = number.get(inv)
            if k is not None and customers.ids[invoices.customer[k]] == cust:
                invoices.disputed[k] = True


def raw_tables(tables: Mapping[str, tuple[Sequence, Sequence[Sequence]]]) -> dict[str, RawTable]:
    """``{name: (header, rows)}`` (rows from row 2, as a table at A1 has) as RawTables."""
    return {normalise_header(name): RawTable.from_rows(name, name, header, rows, 2)
            for name, (header, rows) in tables.items()}


def build_ledger(tables: Mapping[str, RawTable], today: dt.date | None = None,
                 as_of: dt.date | None = None) -> Ledger:
    """Validate the workbook's tables. ``tables`` is keyed by normalised table name.

    Raises ``WorkbookError`` only when a required table or column is missing; every other
    problem is an issue and the rest of the workbook is used.
    """
    tables = {normalise_header(k): v for k, v in tables.items()}
    issues: list[Issue] = [n for raw in tables.values() for n in raw.notes]
    settings = _settings(tables, issues)
    day = np.datetime64(as_of or settings.as_of(today), "D")
    fx = _fx(tables, settings.base_currency, day, issues)
    customers, customer_rows = _customers(tables, settings, fx, issues)
    invoices, currencies, payments, invoice_rows = _invoices(tables, customers, settings, fx,
                                                             issues)
    templates = _templates(tables, issues)
    levels = _levels(tables, templates, issues)
    history = _history(tables, issues, settings.dates())
    _apply_history(customers, invoices, history)
    rates = workbook_rates(_optional(tables, RATES, issues))
    ledger = Ledger(settings, day, customers, invoices, currencies, fx, levels, templates,
                    history, issues, payments,
                    {CUSTOMERS.name: customer_rows, INVOICES.name: invoice_rows}, rates=rates)
    ledger.plans = read_plans(_optional(tables, PLANS, issues, settings.dates()), ledger)
    ledger.audit = read_audit(_find(tables, AUDIT), issues)
    return ledger
