"""Payment plans: the Plans table, each plan's schedule and its state on the as-of date.

A plan covers some of a customer's invoices (blank Invoices: every invoice of the customer
open the day before the Start Date) and splits what they owe into instalments, weekly,
fortnightly or monthly from the Start Date (monthly on the same day, or the month's last day
when it is shorter). Amounts: as typed (``;``-separated, one per instalment), else the total
split evenly in cents with the last instalment keeping the total. The total is the typed
amounts' sum, else what the covered invoices owed less the Payments dated before the Start
Date (a Paid without a date counts as paid under the plan).

Payments are matched to the instalments in order: whatever the covered invoices no longer owe
of the plan's total pays the first instalment, then the next; a dated payment (the Payments
table) gives the day each instalment was paid, a Paid without a date pays the first ones
undated. On the as-of date an instalment is missed when its day has passed and it is not paid.
Only a plan typed Active is judged: Completed when everything is paid, Defaulted when Plan
Missed Instalments To Default are missed, else Active (kept). A kept plan's invoices are chased
on its instalments (``kept_items``); every other plan changes nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from creditdesk.domain.cells import date_or_none, parse_number
from creditdesk.domain.issues import Issue
from creditdesk.domain.owed import outstanding_on

FREQUENCIES = ("Weekly", "Fortnightly", "Monthly")
STATUSES = ("Proposed", "Active", "Completed", "Defaulted", "Cancelled")
MAX_INSTALMENTS = 120
_CENT = 0.005


@dataclass(frozen=True)
class Plan:
    """One usable row of the Plans table."""

    plan: str
    customer: int  # index into ledger.customers
    currency: str
    invoices: tuple[int, ...]  # indices into ledger.invoices
    start: dt.date
    frequency: str  # one of FREQUENCIES
    status: str  # as typed, one of STATUSES
    amounts: tuple[float, ...]  # per instalment, in the plan's currency
    row: int  # worksheet row

    @property
    def total(self) -> float:
        return round(sum(self.amounts), 2)

    @property
    def dates(self) -> tuple[dt.date, ...]:
        return schedule(self.start, self.frequency, len(self.amounts))


@dataclass(frozen=True)
class PlanState:
    """A plan on the as-of date."""

    plan: Plan
    status: str  # computed: Active plans become Completed or Defaulted; others as typed
    paid: float  # paid under the plan
    paid_on: tuple[dt.date | None, ...]  # per paid instalment: the day (None: undated Paid)
    missed: int  # instalments whose day has passed, not paid
    outstanding: float  # what the covered invoices still owe
    next_date: dt.date | None  # the first instalment not paid in full
    next_amount: float  # what is left of it
    due_now: float = 0.0  # asked for while kept: the missed instalments, else the next one

    @property
    def paid_count(self) -> int:
        return len(self.paid_on)

    @property
    def kept(self) -> bool:
        return self.status == "Active"


def schedule(start: dt.date, frequency: str, n: int) -> tuple[dt.date, ...]:
    """The instalment days: every 7 or 14 days, or monthly on the start's day (clamped to the
    month's last day: 31 Jan, 28 Feb, 31 Mar)."""
    if frequency != "Monthly":
        step = 7 if frequency == "Weekly" else 14
        return tuple(start + dt.timedelta(days=step * k) for k in range(n))
    out = []
    for k in range(n):
        y, m = divmod(start.month - 1 + k, 12)
        year, month = start.year + y, m + 1
        out.append(dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1])))
    return tuple(out)


def split_evenly(total: float, n: int) -> tuple[float, ...]:
    """``total`` in ``n`` instalments of whole cents; the last keeps the total."""
    cents = round(total * 100)
    each = cents // n
    return tuple([each / 100] * (n - 1) + [(cents - each * (n - 1)) / 100])


def parse_amounts(text: str, n: int) -> tuple[float, ...] | str:
    """Typed amounts ``'100; 100; 50.50'`` -> the amounts, or why they cannot be used."""
    parts = [p for p in re.split(r"[;\n]", text) if p.strip()]
    if len(parts) != n:
        return f"{len(parts)} amounts for {n} instalments"
    out = []
    for p in parts:
        v = parse_number(p.strip())
        if v is None or not np.isfinite(v) or v < 0:
            return f"'{p.strip()}' is not an amount"
        out.append(round(float(v), 2))
    if sum(out) <= 0:
        return "the amounts add up to nothing"
    return tuple(out)


def _covered_total(ledger, invoices: np.ndarray, start: dt.date) -> float:
    """What the invoices owed for the plan: their amount less the Payments dated before
    ``start`` (an undated Paid counts as paid under the plan)."""
    inv, pay = ledger.invoices, ledger.payments
    before = np.isin(pay.invoice, invoices) & (pay.date < np.datetime64(start, "D"))
    return float(inv.amount[invoices].sum() - pay.amount[before].sum())


def _open_invoices(ledger, customer: int, currency: int, start: dt.date,
                   owed_on: dict[dt.date, np.ndarray]) -> np.ndarray:
    """The customer's invoices in ``currency`` open the day before ``start`` (``owed_on``:
    what each invoice owed, by day, computed once a day)."""
    inv = ledger.invoices
    if start not in owed_on:
        owed_on[start] = outstanding_on(ledger, np.datetime64(start, "D")
                                        - np.timedelta64(1, "D"))
    owed = owed_on[start]
    return np.flatnonzero((inv.customer == customer) & (inv.currency == currency)
                          & ~inv.payment & (inv.amount > 0) & (owed > _CENT))


def _named_invoices(reader, i: int, text: str, ledger, customer: int,
                    currency: int, number: dict[str, int]) -> list[int]:
    """The invoices a row names; one that is unknown, another customer's or in another
    currency is left out of the plan (an issue says so)."""
    inv = ledger.invoices
    out: list[int] = []
    for name in (p.strip() for p in re.split(r"[;,\n]", text)):
        if not name:
            continue
        k = number.get(name)
        why = ("is not in Invoices" if k is None
               else "is another customer's" if inv.customer[k] != customer
               else f"is in {ledger.currencies[inv.currency[k]]}, not the plan's currency"
               if inv.currency[k] != currency
               else "is a credit or a payment" if inv.amount[k] <= 0 or inv.payment[k]
               else "")
        if why:
            reader.note(i, "Invoices", f"invoice '{name}' {why}; left out of the plan")
        elif k not in out:
            out.append(int(k))
    return out


def read_plans(reader, ledger) -> list[Plan]:
    """The Plans table (``reader``: the ledger's reader of it; None: no table). A row that
    cannot be used is an issue and changes no chasing; the invoices and balances stay."""
    if reader is None:
        return []
    ids, cust, start = reader.get("Plan"), reader.get("Customer"), reader.get("Start Date")
    count, freq, status = reader.get("Instalments"), reader.get("Frequency"), reader.get("Status")
    named, amounts, ccy = reader.get("Invoices"), reader.get("Amounts"), reader.get("Currency")
    reader.duplicates(ids, "Plan", "plan")
    inv = ledger.invoices
    number = {n: k for k, n in enumerate(inv.invoice.tolist()) if not inv.payment[k]}
    owed_on: dict[dt.date, np.ndarray] = {}
    plans: list[Plan] = []
    for i in np.flatnonzero(~reader.bad).tolist():
        cells = (ids[i], cust[i], start[i], count[i], freq[i], status[i], named[i],
                 amounts[i], ccy[i])
        plan = _plan_row(reader, i, ledger, (number, owed_on), cells)
        if plan is not None:
            plans.append(plan)
    return _one_active_plan_per_invoice(reader, plans)


def _choice(reader, i: int, column: str, value: str, choices: tuple[str, ...],
            default: str) -> str | None:
    if not value:
        return default
    found = next((c for c in choices if c.casefold() == value.strip().casefold()), None)
    if found is None:
        reader.report(i, column, f"'{value}' is not one of {', '.join(choices)}")
    return found


def _plan_row(reader, i: int, ledger, lookups: tuple[dict, dict], cells: tuple
              ) -> Plan | None:
    number, owed_on = lookups
    plan_id, key, start, count, freq, status, named, amounts, ccy = cells
    c = ledger.customer_index.get(key)
    if c is None:
        reader.report(i, "Customer", f"unknown customer '{key}' (not in the Customers table)")
        return None
    if not 1 <= count <= MAX_INSTALMENTS:
        reader.report(i, "Instalments", f"{count:g} instalments: give 1 to {MAX_INSTALMENTS}")
        return None
    frequency = _choice(reader, i, "Frequency", freq, FREQUENCIES, "Monthly")
    typed = _choice(reader, i, "Status", status, STATUSES, "Proposed")
    if frequency is None or typed is None:
        return None
    currency = (ccy.strip().upper() or ledger.customers.currency[c])
    if currency not in ledger.currencies:
        reader.report(i, "Currency", f"no invoice in {currency}")
        return None
    code = ledger.currencies.index(currency)
    day = date_or_none(start)
    covered = (_named_invoices(reader, i, named, ledger, c, code, number) if named.strip()
               else _open_invoices(ledger, c, code, day, owed_on).tolist())
    if not covered:  # a plan that is over needs none: it is simply not shown
        if typed in ("Proposed", "Active"):
            reader.report(i, "Invoices", "no open invoice of the customer to put in the plan")
        return None
    n = int(count)
    split = parse_amounts(amounts, n) if amounts.strip() else None
    if isinstance(split, str):
        reader.note(i, "Amounts", f"{split}; the total is split evenly")
        split = None
    if split is None:
        total = _covered_total(ledger, np.array(covered, dtype=np.int64), day)
        if total <= _CENT:
            reader.report(i, "Invoices", "nothing owed on these invoices to put in the plan")
            return None
        split = split_evenly(total, n)
    return Plan(plan_id, c, currency, tuple(covered), day, frequency, typed, split,
                int(reader.rows[i]))


def _one_active_plan_per_invoice(reader, plans: list[Plan]) -> list[Plan]:
    """An invoice is in one Active plan at most: a later Active row naming it again is an
    issue and left out (the first one counts)."""
    taken: dict[int, Plan] = {}
    out = []
    for p in plans:
        clash = [taken[k] for k in p.invoices if k in taken] if p.status == "Active" else []
        if clash:
            reader.issues.append(Issue(reader.raw.sheet, p.row, "Invoices", f"an invoice of "
                                       f"plan '{p.plan}' is already in Active plan "
                                       f"'{clash[0].plan}' (row {clash[0].row}); this plan "
                                       "is ignored"))
            continue
        if p.status == "Active":
            taken.update(dict.fromkeys(p.invoices, p))
        out.append(p)
    return out


# ---------------------------------------------------------------------------------------
# A plan on the as-of date


def _paid_days(ledger, p: Plan, paid: float) -> list[tuple[dt.date | None, float]]:
    """What was paid under the plan, in order: the part without a date first (a Paid), then
    the dated Payments on the covered invoices from the Start Date on, by day."""
    pay = ledger.payments
    mine = (np.isin(pay.invoice, np.array(p.invoices, dtype=np.int64))
            & (pay.date >= np.datetime64(p.start, "D")) & (pay.date <= ledger.as_of))
    days, amounts = pay.date[mine], pay.amount[mine]
    order = np.argsort(days, kind="stable")
    dated = [(date_or_none(d), float(a)) for d, a in zip(days[order], amounts[order],
                                                          strict=True)]
    undated = paid - sum(a for _, a in dated)
    return ([(None, undated)] if undated > _CENT else []) + dated


class _Owed:
    """``outstanding_on`` by day, each day computed once."""

    def __init__(self, ledger):
        self.ledger, self.days = ledger, {}

    def on(self, day: np.datetime64) -> np.ndarray:
        if day not in self.days:
            self.days[day] = outstanding_on(self.ledger, day)
        return self.days[day]


def plan_state(ledger, p: Plan, owed_on: _Owed | None = None) -> PlanState:
    """Payments matched to the instalments in order; what is missed; the computed status.
    Paid under the plan: what the invoices owed when it began (its total, or more when the
    plan is for part of the debt: what they owed the day before the Start Date) less what
    they owe now."""
    owed_on = owed_on or _Owed(ledger)
    covered = list(p.invoices)
    owed = float(owed_on.on(ledger.as_of)[covered].sum())
    began = np.datetime64(p.start, "D") - np.timedelta64(1, "D")
    baseline = max(p.total, float(owed_on.on(began)[covered].sum()))
    paid = min(max(baseline - owed, 0.0), p.total)
    paid_on: list[dt.date | None] = []
    cum_due = np.cumsum(p.amounts)
    got = 0.0
    for day, amount in _paid_days(ledger, p, paid):
        got = min(got + amount, paid + _CENT)
        while len(paid_on) < len(cum_due) and got >= cum_due[len(paid_on)] - _CENT:
            paid_on.append(day)
    as_of = ledger.as_of_date
    dates = p.dates
    k = len(paid_on)
    missed = sum(1 for d in dates[k:] if d < as_of)
    next_date = dates[k] if k < len(dates) else None
    next_amount = round(float(cum_due[k]) - paid, 2) if k < len(dates) else 0.0
    due_now = round(float(cum_due[k + max(missed, 1) - 1]) - paid, 2) if k < len(dates) \
        else 0.0
    status = p.status
    if status == "Active":
        if k == len(dates) or owed <= _CENT:
            status = "Completed"
        elif missed >= ledger.settings.plan_missed_to_default:
            status = "Defaulted"
    return PlanState(p, status, round(paid, 2), tuple(paid_on), missed, round(owed, 2),
                     next_date, next_amount, due_now)


def plan_states(ledger) -> list[PlanState]:
    if not ledger.plans:
        return []
    owed_on = _Owed(ledger)
    return [plan_state(ledger, p, owed_on) for p in ledger.plans]


def kept_items(ledger, invoices: np.ndarray, outstanding: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of the open items ``invoices`` (invoice indices, ascending; ``outstanding``: theirs),
    those under a kept plan: (their positions in ``invoices``, the day of their plan's first
    instalment not paid, the part of what the plan asks for now that each carries: the
    plan's ``due_now`` laid on its invoices in order, up to what each owes)."""
    kept = [s for s in plan_states(ledger) if s.kept and s.next_date is not None]
    empty = np.zeros(0, dtype=np.int64)
    if not kept:
        return empty, np.zeros(0, dtype="datetime64[D]"), np.zeros(0)
    at_all, days, claims = [], [], []
    for s in kept:
        covered = np.array(s.plan.invoices, dtype=np.int64)
        at = np.searchsorted(invoices, covered)  # the open items are in invoice order
        found = at < len(invoices)
        found[found] = invoices[at[found]] == covered[found]
        at = at[found]
        owed = np.maximum(outstanding[at], 0.0)
        before = np.cumsum(owed) - owed
        claims.append(np.clip(s.due_now - before, 0.0, owed))
        at_all.append(at)
        days.append(np.full(len(at), np.datetime64(s.next_date, "D")))
    return (np.concatenate(at_all), np.concatenate(days).astype("datetime64[D]"),
            np.concatenate(claims))


# ---------------------------------------------------------------------------------------
# A proposal


class PlanError(ValueError):
    """A plan that cannot be proposed, in words."""


def _open_of(ledger, c: int) -> tuple[np.ndarray, np.ndarray]:
    """What every invoice owes on the as-of date, and customer ``c``'s open invoices."""
    owed = outstanding_on(ledger, ledger.as_of)
    inv = ledger.invoices
    return owed, np.flatnonzero((inv.customer == c) & ~inv.payment & (owed > _CENT))


def open_invoices(ledger, customer: str) -> list[str]:
    """The customer's invoices open on the as-of date (none for an unknown customer)."""
    c = ledger.customer_index.get(customer)
    if c is None:
        return []
    return [ledger.invoices.invoice[k] for k in _open_of(ledger, c)[1].tolist()]


# ---------------------------------------------------------------------------------------
# A plan asked for on the debtor's page (a History event of type Plan)


@dataclass(frozen=True)
class PlanRequest:
    instalments: int
    frequency: str  # one of FREQUENCIES
    start: dt.date | None
    invoices: tuple[str, ...]  # empty: not named


REQUEST_PLAN_PREFIX = "REQ-"
_REQUEST = re.compile(r"(\d{1,3})\s+(weekly|fortnightly|monthly)\s+instalments?"
                      r"(?:\s+from\s+(\d{4}-\d{2}-\d{2}))?(?:\s*;\s*invoices?\s+(.*))?",
                      re.I | re.S)


def request_note(instalments: int, start: dt.date, invoices: list[str],
                 frequency: str = "Monthly") -> str:
    """The note of a Plan event asked for on the debtor's page: what ``read_request``
    reads back when Sync turns it into a Proposed plan."""
    return (f"Proposed: {instalments} {frequency.lower()} instalments from "
            f"{start.isoformat()}; invoices {'; '.join(invoices)}")


def read_request(note: str, start: dt.date | None = None) -> PlanRequest | None:
    """The plan a Plan event's note asks for (``request_note``'s words; invoices separated
    by ``;`` or, in older notes, ``,``), or None when it names no number of instalments.
    ``start``: the event's date, used when the note names none."""
    m = _REQUEST.search(note or "")
    if m is None:
        return None
    names = (m[4] or "").strip()
    sep = ";" if ";" in names else ","
    day = dt.date.fromisoformat(m[3]) if m[3] else start
    freq = next(f for f in FREQUENCIES if f.casefold() == m[2].casefold())
    return PlanRequest(int(m[1]), freq, day,
                       tuple(dict.fromkeys(n.strip() for n in names.split(sep) if n.strip())))


def request_plan_id(event_id: str) -> str:
    """The Plans table's id of the plan a page event asked for: the same on every Sync."""
    return f"{REQUEST_PLAN_PREFIX}{event_id}"


def next_plan_id(taken: set[str]) -> str:
    """The first of PLAN-1, PLAN-2, ... not among ``taken``."""
    return next(f"PLAN-{k}" for k in range(1, len(taken) + 2) if f"PLAN-{k}" not in taken)


def propose(ledger, customer: str, instalments: int, start: dt.date,
            frequency: str = "Monthly", invoices: list[str] | None = None,
            plan_id: str | None = None) -> list:
    """A new row of the Plans table (in the contract's column order), Proposed: the
    invoices named (default: every open invoice of the customer in its currency on the as-of
    date) and what they owe now split evenly, written out so the controller can edit it."""
    from creditdesk.domain.contract import PLANS

    c = ledger.customer_index.get(customer)
    if c is None:
        raise PlanError(f"no customer '{customer}' in the Customers table")
    if not 1 <= instalments <= MAX_INSTALMENTS:
        raise PlanError(f"{instalments} instalments: give 1 to {MAX_INSTALMENTS}")
    freq = next((f for f in FREQUENCIES if f.casefold() == frequency.casefold()), None)
    if freq is None:
        raise PlanError(f"'{frequency}' is not one of {', '.join(FREQUENCIES)}")
    owed, mine = _open_of(ledger, c)
    inv = ledger.invoices
    number = {inv.invoice[k]: int(k) for k in mine.tolist()}
    if invoices:
        missing = [n for n in invoices if n not in number]
        if missing:
            raise PlanError(f"not an open invoice of {customer}: {', '.join(missing)}")
        covered = [number[n] for n in dict.fromkeys(invoices)]
    else:
        home = ledger.customers.currency[c]
        covered = [k for k in mine.tolist() if ledger.currencies[inv.currency[k]] == home] \
            or mine.tolist()
    if not covered:
        raise PlanError(f"{customer} has no open invoice to put in a plan")
    codes = {int(inv.currency[k]) for k in covered}
    if len(codes) > 1:
        raise PlanError("the invoices are in more than one currency; propose a plan per "
                        "currency (--invoices)")
    amounts = split_evenly(float(owed[covered].sum()), instalments)
    plan_id = plan_id or next_plan_id({p.plan for p in ledger.plans})
    row = {"Plan": plan_id, "Customer": customer,
           "Invoices": "; ".join(inv.invoice[k] for k in covered), "Start Date": start,
           "Frequency": freq, "Instalments": instalments, "Status": "Proposed",
           "Amounts": "; ".join(f"{a:.2f}" for a in amounts),
           "Currency": ledger.currencies[codes.pop()]}
    return [row[col.header] for col in PLANS.columns]
