"""The ledger: the workbook contract's tables as validated numpy columns.

``build_ledger`` turns raw tables (from a workbook file, from xlwings or from JSON) into a
``Ledger``. Every unusable cell becomes an ``Issue`` that names the sheet, the worksheet row,
the column and what is wrong; that row is left out and everything else is used.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from creditdesk.domain import cells as col
from creditdesk.domain.contract import (
    CUSTOMERS,
    DUNNING_LEVELS,
    FX,
    HISTORY,
    INVOICES,
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
from creditdesk.domain.rates import workbook_rates
from creditdesk.domain.settings import Settings, parse_settings
from creditdesk.domain.templates import DEFAULT_TEMPLATES, Template


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

    def __len__(self) -> int:
        return len(self.ids)


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
    rate: np.ndarray  # base-currency units per unit of the document currency

    def __len__(self) -> int:
        return len(self.invoice)


@dataclass
class History:
    """Contact history; only what the rules read is kept as columns."""

    date: np.ndarray
    customer: np.ndarray  # customer key (text); history may name customers no longer listed
    type: np.ndarray  # lower-case: reminder, bounce, complaint, promise, dispute, note
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
    rates: dict[str, RateTable] = field(default_factory=dict)  # law -> the Rates table's

    @property
    def as_of_date(self) -> dt.date:
        return self.as_of.astype("datetime64[D]").item()

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

    def get(self, header: str) -> np.ndarray:
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
        for i, message in errors.items():
            self.report(i, c.header, message)
        if c.required:
            blank = (arr == "") if arr.dtype == object else (
                np.isnat(arr) if arr.dtype.kind == "M" else np.isnan(arr))
            for i in np.flatnonzero(blank & ~blank_rows):
                if int(i) not in errors:
                    self.report(int(i), c.header, f"{c.header} is blank")
        if c.kind == "email":
            self._check_emails(arr, c.header, single=True)
        elif c.kind == "emails":
            self._check_emails(arr, c.header, single=False)
        return arr

    def _check_emails(self, arr: np.ndarray, header: str, single: bool) -> None:
        for i in np.flatnonzero(arr != ""):
            addresses = split_addresses(arr[i])
            if single and len(addresses) > 1:
                self.report(int(i), header, "one address only here; put further ones in CC")
                continue
            for address in addresses:
                problem = email_problem(address)
                if problem:
                    self.report(int(i), header, problem)
                    break

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


def _fx(tables: Mapping[str, RawTable], base: str, issues: list[Issue]) -> dict[str, float]:
    fx = {base: 1.0}
    r = _optional(tables, FX, issues)
    if r is None:
        return fx
    ccy = np.array([c.upper() for c in r.get("Currency")], dtype=object)
    rate = r.get("Rate")
    for i in range(r.n):
        if r.bad[i]:
            continue
        if rate[i] <= 0:
            r.report(i, "Rate", f"rate {rate[i]:g} for {ccy[i]} must be above 0")
        elif ccy[i] == base and rate[i] != 1:
            r.report(i, "Rate", f"{base} is the base currency; its rate is 1, not {rate[i]:g}")
        elif ccy[i] in fx and ccy[i] != base:
            r.report(i, "Currency", f"second rate for {ccy[i]} (the first one is used)")
        else:
            fx[ccy[i]] = float(rate[i])
    return fx


def _customers(tables: Mapping[str, RawTable], settings: Settings, fx: dict[str, float],
               issues: list[Issue]) -> Customers:
    r = _require(tables, CUSTOMERS, settings.dates())
    r.issues = issues
    ids = r.get("Customer")
    data = {
        "name": r.get("Name"),
        "email": r.get("Email"),
        "cc": r.get("CC"),
        "currency": np.array([c.upper() for c in r.get("Currency")], dtype=object),
        "terms": r.get("Terms (days)"),
        "credit_limit": r.get("Credit Limit"),
        "open_orders": r.get("Open Orders"),
        "external_rating": r.get("External Rating"),
        "do_not_chase": r.get("Do Not Chase"),
        "paused_until": r.get("Paused Until"),
        "pause_reason": r.get("Pause Reason"),
        "promise_date": r.get("Promise Date"),
        "promise_amount": r.get("Promise Amount"),
        "language": np.array([c.lower() for c in r.get("Language")], dtype=object),
    }
    for header, key in (("Terms (days)", "terms"), ("Credit Limit", "credit_limit"),
                        ("Open Orders", "open_orders"), ("Promise Amount", "promise_amount")):
        for i in np.flatnonzero(data[key] < 0):
            r.report(int(i), header, f"{header} {data[key][i]:g} must not be negative")
    rating = data["external_rating"]
    for i in np.flatnonzero((rating < 1) | (rating > 100)):
        r.report(int(i), "External Rating", f"rating {rating[i]:g} is outside 1-100")
    for i in np.flatnonzero(data["currency"] != ""):
        if data["currency"][i] not in fx:
            r.report(int(i), "Currency", f"no FX rate for currency '{data['currency'][i]}'")
    r.duplicates(ids, "Customer", "customer")
    keep = ~r.bad
    data["currency"] = np.where(data["currency"] == "", settings.base_currency, data["currency"])
    data["terms"] = np.where(np.isnan(data["terms"]), settings.default_terms_days, data["terms"])
    data["open_orders"] = np.nan_to_num(data["open_orders"])
    data["language"] = np.where(data["language"] == "", "en", data["language"])
    return Customers(ids=ids[keep], row=r.rows[keep], **{k: v[keep] for k, v in data.items()})


def _invoices(tables: Mapping[str, RawTable], customers: Customers, settings: Settings,
              fx: dict[str, float], issues: list[Issue]) -> tuple[Invoices, list[str]]:
    r = _require(tables, INVOICES, settings.dates())
    r.issues = issues
    number = r.get("Invoice")
    customer_key = r.get("Customer")
    invoice_date = r.get("Invoice Date")
    due = r.get("Due Date")
    amount = r.get("Amount")
    paid = r.get("Paid")
    settled = r.get("Settled Date")
    disputed = r.get("Disputed")
    reference = r.get("Reference")
    currency_text = np.array([c.upper() for c in r.get("Currency")], dtype=object)

    index = {k: i for i, k in enumerate(customers.ids.tolist())}
    cust = np.fromiter((index.get(k, -1) for k in customer_key), dtype=np.int64, count=r.n)
    for i in np.flatnonzero(cust < 0):
        if customer_key[i] != "":
            r.report(int(i), "Customer", f"unknown customer '{customer_key[i]}'"
                     " (not in the Customers table, or its row there has a problem)")

    # Blank currency: the customer's currency (itself defaulting to the base currency).
    known = cust >= 0
    blank_ccy = currency_text == ""
    fill = blank_ccy & known
    currency_text[fill] = customers.currency[cust[fill]]
    currency_text[blank_ccy & ~known] = settings.base_currency
    currencies = sorted(set(currency_text.tolist()))
    code = {c: i for i, c in enumerate(currencies)}
    ccy = np.fromiter((code[c] for c in currency_text), dtype=np.int64, count=r.n)
    rate_of = np.array([fx.get(c, np.nan) for c in currencies])
    rate = rate_of[ccy] if r.n else np.zeros(0)
    for i in np.flatnonzero(np.isnan(rate)):
        r.report(int(i), "Currency", f"no FX rate for currency '{currency_text[i]}'")

    # Blank due date: invoice date + the customer's terms.
    blank_due = np.isnat(due) & ~np.isnat(invoice_date) & known
    terms = customers.terms[np.where(known, cust, 0)] if len(customers) else np.zeros(r.n)
    due = due.copy()
    due[blank_due] = invoice_date[blank_due] + terms[blank_due].astype("timedelta64[D]")
    for i in np.flatnonzero(due < invoice_date):
        r.report(int(i), "Due Date", f"due date {due[i]} is before the invoice date "
                 f"{invoice_date[i]}")
    for i in np.flatnonzero(settled < invoice_date):
        r.report(int(i), "Settled Date", f"settled date {settled[i]} is before the invoice "
                 f"date {invoice_date[i]}")
    for i in np.flatnonzero(paid < 0):
        r.report(int(i), "Paid", f"Paid {paid[i]:g} is negative; enter payments as positive "
                 "amounts (a refund or credit is a negative Amount)")
    paid = np.nan_to_num(paid)
    r.duplicates(number, "Invoice", "invoice number")

    keep = ~r.bad
    inv = Invoices(
        invoice=number[keep], customer=cust[keep], invoice_date=invoice_date[keep],
        due_date=due[keep], settled_date=settled[keep], currency=ccy[keep],
        amount=amount[keep], paid=paid[keep], disputed=disputed[keep],
        reference=reference[keep], row=r.rows[keep], rate=rate[keep],
    )
    return inv, currencies


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
        out.append(DunningLevel(int(level[i]), name[i] or f"Level {int(level[i])}",
                                int(days[i]), template[i], ch, bool(interest[i])))
    out.sort(key=lambda lv: lv.level)
    for a, b in itertools.pairwise(out):
        if b.days <= a.days:
            issues.append(Issue(r.raw.sheet, None, "Days After Due",
                                f"level {b.level} starts at {b.days} days, not later than level "
                                f"{a.level} ({a.days} days); levels must escalate"))
    return out


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
    # Built-in templates stand in for any the table does not define, so the default
    # policy keeps working with a partial Templates table.
    names = {t.name.casefold() for t in out}
    out += [t for t in DEFAULT_TEMPLATES if t.name.casefold() not in names]
    return out


def _history(tables: Mapping[str, RawTable], issues: list[Issue],
             dates: tuple[str | None, str] = NO_DATE_DEFAULT) -> History:
    r = _optional(tables, HISTORY, issues, dates)
    if r is None:
        return History.empty()
    date, customer, kind = r.get("Date"), r.get("Customer"), r.get("Type")
    level, currency, email = r.get("Level"), r.get("Currency"), r.get("Email")
    kind = np.array([k.casefold() for k in kind], dtype=object)
    known = {"reminder", "bounce", "complaint", "promise", "dispute", "note", "delivery"}
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
    fx = _fx(tables, settings.base_currency, issues)
    customers = _customers(tables, settings, fx, issues)
    invoices, currencies = _invoices(tables, customers, settings, fx, issues)
    templates = _templates(tables, issues)
    levels = _levels(tables, templates, issues)
    history = _history(tables, issues, settings.dates())
    _apply_history(customers, invoices, history)
    day = as_of or settings.as_of(today)
    rates = workbook_rates(_optional(tables, RATES, issues))
    return Ledger(settings, np.datetime64(day, "D"), customers, invoices, currencies, fx,
                  levels, templates, history, issues, rates=rates)
