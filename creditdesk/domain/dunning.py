"""Dunning selection: which customer gets which reminder today, and why the others do not.

One consolidated message per customer and currency carries every open, undisputed item that
has reached a level (days past due >= the level's Days After Due; negative days = a courtesy
note before the due date) and the open credit notes of that currency. It asks for the overdue
items net of the credit notes; items not yet due are listed as falling due (in a courtesy
note they are what is asked for). The message takes the
highest level reached, but never more than one level above the last reminder sent about
these items (escalation order), and no reminder goes within the cool-down of the previous
one. Never chased, each with its reason: disputed items, customers marked do-not-chase or
paused until a date, a promise to pay whose date has not passed, a net balance that is not
positive, an amount under the minimum, an address that bounced or complained, no address.

The selection is computed on whole columns; ``Selection.reminders()`` and ``.skipped()``
build per-message objects only for what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from creditdesk.domain.ageing import Position, position
from creditdesk.domain.cells import date_or_none
from creditdesk.domain.ledger import DunningLevel, Ledger
from creditdesk.domain.templates import money

# Why a customer/currency gets no reminder; order = the order they are checked in.
SEND = 0
DO_NOT_CHASE, PAUSED, PROMISE = 1, 2, 3
ALL_DISPUTED, CREDIT_ONLY, NOTHING_DUE, NET_NOT_POSITIVE, CREDITS_COVER = 4, 5, 6, 7, 8
UNDER_MINIMUM, NO_ADDRESS, BOUNCED, COOL_DOWN = 9, 10, 11, 12

_DAY = np.timedelta64(1, "D")


class SkipCode(StrEnum):
    """Why a customer/currency gets no reminder, as a code beside the words of the reason.

    Decided here, with the words (``Selection.reason``), and carried into the remind
    document, so nothing downstream reads the English back."""

    DO_NOT_CHASE = "do_not_chase"
    PAUSED = "paused"
    PROMISE = "promise"
    ALL_DISPUTED = "all_disputed"
    CREDIT_ONLY = "credit_only"
    NOTHING_DUE = "nothing_due"
    NET_NOT_POSITIVE = "net_not_positive"
    CREDITS_COVER = "credits_cover"
    UNDER_MINIMUM = "under_minimum"
    NO_ADDRESS = "no_address"
    BOUNCED = "bounced"
    COOL_DOWN = "cool_down"

    @property
    def not_due_yet(self) -> bool:
        """Left out only because nothing has reached a reminder level yet: the rule at work,
        not an exception someone should look at."""
        return self is SkipCode.NOTHING_DUE


# the status numbers of the selection's arrays -> their codes
_SKIP_CODES = {DO_NOT_CHASE: SkipCode.DO_NOT_CHASE, PAUSED: SkipCode.PAUSED,
               PROMISE: SkipCode.PROMISE, ALL_DISPUTED: SkipCode.ALL_DISPUTED,
               CREDIT_ONLY: SkipCode.CREDIT_ONLY, NOTHING_DUE: SkipCode.NOTHING_DUE,
               NET_NOT_POSITIVE: SkipCode.NET_NOT_POSITIVE,
               CREDITS_COVER: SkipCode.CREDITS_COVER, UNDER_MINIMUM: SkipCode.UNDER_MINIMUM,
               NO_ADDRESS: SkipCode.NO_ADDRESS, BOUNCED: SkipCode.BOUNCED,
               COOL_DOWN: SkipCode.COOL_DOWN}


@dataclass
class Reminder:
    customer: int  # index into ledger.customers
    currency: str
    level: DunningLevel
    items: np.ndarray  # invoice indices: the dunned items by due date, then credit notes
    outstanding: np.ndarray  # per item, document currency
    days_overdue: np.ndarray  # per item
    interest: np.ndarray  # per item, document currency (0 without Add Interest)
    compensation: np.ndarray  # per item, document currency
    amount: float  # net of the items listed, document currency
    to: str
    cc: str

    @property
    def total(self) -> float:
        return self.amount + float(self.interest.sum()) + float(self.compensation.sum())


@dataclass
class Skip:
    customer: int
    currency: str
    reason: str  # in words
    code: SkipCode  # the same, as a code


@dataclass
class Selection:
    ledger: Ledger
    pos: Position
    levels: list[DunningLevel]  # sorted by days
    group_customer: np.ndarray
    group_currency: np.ndarray
    group_level: np.ndarray  # index into levels of the message level; -1 = none
    group_reached: np.ndarray  # highest level index reached by any item
    group_status: np.ndarray
    group_amount: np.ndarray  # document currency, net of credit notes
    group_base_amount: np.ndarray
    group_next_date: np.ndarray  # first day an item reaches the first level (NaT if none)
    group_disputed: np.ndarray  # open disputed debts in the group
    group_last_date: np.ndarray
    group_last_level: np.ndarray  # level number of the last reminder (NaN if none)
    item_group: np.ndarray  # per open item (pos): group index, -1 when not in any message
    interest: np.ndarray  # per open item, document currency
    compensation: np.ndarray
    warnings: list[str]

    @property
    def send(self) -> np.ndarray:
        return np.flatnonzero(self.group_status == SEND)

    def reminders(self) -> list[Reminder]:
        c = self.ledger.customers
        pos = self.pos
        groups = self.send
        in_send = np.zeros(len(self.group_status) + 1, dtype=bool)
        in_send[groups] = True
        members = np.flatnonzero(in_send[self.item_group])  # item_group -1 -> last: False
        # dunned items first by due date, then credit notes
        order = np.lexsort((pos.due[members], pos.outstanding[members] < 0,
                            self.item_group[members]))
        members = members[order]
        starts = np.searchsorted(self.item_group[members], groups, side="left")
        ends = np.searchsorted(self.item_group[members], groups, side="right")
        out = []
        for g, a, b in zip(groups.tolist(), starts.tolist(), ends.tolist(), strict=True):
            m = members[a:b]
            i = int(self.group_customer[g])
            out.append(Reminder(
                customer=i,
                currency=self.ledger.currencies[self.group_currency[g]],
                level=self.levels[self.group_level[g]],
                items=pos.idx[m],
                outstanding=pos.outstanding[m],
                days_overdue=pos.days_overdue[m],
                interest=self.interest[m],
                compensation=self.compensation[m],
                amount=float(self.group_amount[g]),
                to=c.email[i],
                cc=c.cc[i],
            ))
        return out

    def skipped(self) -> list[Skip]:
        return [Skip(int(self.group_customer[g]),
                     self.ledger.currencies[self.group_currency[g]], self.reason(int(g)),
                     self.code(int(g)))
                for g in np.flatnonzero(self.group_status != SEND)]

    def code(self, g: int) -> SkipCode:
        """Why group ``g`` gets no reminder (it must be one that gets none)."""
        return _SKIP_CODES[int(self.group_status[g])]

    def reason(self, g: int) -> str:
        """Why group ``g`` gets no reminder, in words (``code`` gives it as a code)."""
        led, s = self.ledger, self.ledger.settings
        c = led.customers
        i = int(self.group_customer[g])
        ccy = led.currencies[self.group_currency[g]]
        code = self.code(g)
        if code is SkipCode.NOTHING_DUE:
            nxt = date_or_none(self.group_next_date[g])
            first = self.levels[0].name if self.levels else "reminder"
            text = "nothing due for a reminder yet"
            if nxt:
                text += f"; next reminder ({first}) on {nxt}"
            disputed = int(self.group_disputed[g])
            if disputed:
                text += f"; {disputed} disputed invoice{'s' if disputed > 1 else ''} not chased"
            return text
        if code is SkipCode.ALL_DISPUTED:
            return "every overdue invoice is disputed"
        if code is SkipCode.CREDIT_ONLY:
            return f"only credit notes open in {ccy}"
        if code is SkipCode.DO_NOT_CHASE:
            return "customer marked do-not-chase"
        if code is SkipCode.PAUSED:
            why = c.pause_reason[i]
            return f"paused until {date_or_none(c.paused_until[i])}" + (f": {why}" if why else "")
        if code is SkipCode.PROMISE:
            amt = c.promise_amount[i]
            what = f"{money(amt)} " if not np.isnan(amt) else ""
            return f"promise to pay {what}by {date_or_none(c.promise_date[i])}"
        if code is SkipCode.NET_NOT_POSITIVE:
            return "net balance is not positive (credit notes cover the debt)"
        if code is SkipCode.CREDITS_COVER:
            return f"open credit notes cover the overdue {ccy} items"
        if code is SkipCode.UNDER_MINIMUM:
            return (f"amount {money(self.group_base_amount[g])} {s.base_currency} is under the "
                    f"minimum of {money(s.minimum_reminder_amount)}")
        if code is SkipCode.NO_ADDRESS:
            return "no e-mail address"
        if code is SkipCode.BOUNCED:
            return f"e-mail address {c.email[i]} bounced or complained; fix it in Customers"
        if code is SkipCode.COOL_DOWN:
            last = date_or_none(self.group_last_date[g])
            until = date_or_none(self.group_last_date[g]
                                 + np.timedelta64(s.reminder_cooldown_days, "D"))
            return (f"level {self.group_last_level[g]:g} sent on {last}; cool-down until "
                    f"{until}")
        raise AssertionError(code)


def _last_reminders(ledger: Ledger, gkeys: np.ndarray, ncur: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reminder rows of the History table that belong to a group: (group, date, level)."""
    h = ledger.history
    rem = np.flatnonzero((h.type == "reminder") & ~np.isnat(h.date) & (h.date <= ledger.as_of))
    index = ledger.customer_index
    code = {cy: k for k, cy in enumerate(ledger.currencies)}
    cust = np.fromiter((index.get(k, -1) for k in h.customer[rem]), np.int64, len(rem))
    ccy = np.fromiter((code.get(k, -1) for k in h.currency[rem]), np.int64, len(rem))
    ok = (cust >= 0) & (ccy >= 0)
    keys = cust[ok] * ncur + ccy[ok]
    g = np.searchsorted(gkeys, keys)
    hit = g < len(gkeys)
    hit[hit] = gkeys[g[hit]] == keys[hit]
    rows = rem[ok][hit]
    return g[hit], h.date[rows], h.level[rows]


def _bounced_customers(ledger: Ledger) -> np.ndarray:
    """Customers whose current address bounced or complained (by address, not by name)."""
    h = ledger.history
    bad = np.zeros(len(ledger.customers), dtype=bool)
    rows = np.flatnonzero((h.type == "bounce") | (h.type == "complaint"))
    for email in {h.email[r].strip().casefold() for r in rows} - {""}:
        bad[ledger.customers_by_email.get(email, [])] = True
    return bad


_BIG = np.iinfo(np.int64).max


def select(ledger: Ledger, pos: Position | None = None) -> Selection:
    from creditdesk.domain.interest import interest_columns

    pos = pos or position(ledger)
    c, inv, s = ledger.customers, ledger.invoices, ledger.settings
    as_of = ledger.as_of
    ncur = max(len(ledger.currencies), 1)
    levels = sorted(ledger.levels, key=lambda lv: (lv.days, lv.level))
    days = np.array([lv.days for lv in levels], dtype=np.int64)
    first_days = int(days[0]) if len(days) else 0
    warnings: list[str] = []

    debt = pos.outstanding > 0
    chase = debt & ~inv.disputed[pos.idx]
    reached = np.where(chase, np.searchsorted(days, pos.days_overdue, side="right") - 1, -1)

    # Groups: customer x currency, over the open items (keys are bounded: no sort needed).
    key = pos.customer * ncur + pos.currency
    present = np.bincount(key, minlength=len(c) * ncur) > 0
    gkeys = np.flatnonzero(present)
    ng = len(gkeys)
    inverse = (np.cumsum(present) - 1)[key]
    g_cust = gkeys // ncur
    g_ccy = gkeys % ncur

    g_reached = np.full(ng, -1, dtype=np.int64)
    np.maximum.at(g_reached, inverse, reached)
    n_debt = np.bincount(inverse[debt], minlength=ng)
    n_chase = np.bincount(inverse[chase], minlength=ng)
    # the next day an undisputed item reaches the first level
    waiting = chase & (reached < 0)
    nxt = np.full(ng, _BIG, dtype=np.int64)
    np.minimum.at(nxt, inverse[waiting], pos.due[waiting].astype(np.int64) + first_days)
    g_next = np.where(nxt == _BIG, np.datetime64("NaT"),
                      nxt.astype("datetime64[D]")).astype("datetime64[D]")

    # An item is in the message when it reached a level, or it is an open credit note.
    in_msg = (reached >= 0) | ~debt
    item_group = np.where(in_msg, inverse, -1)
    cust_net = np.bincount(pos.customer, weights=pos.outstanding_base, minlength=len(c))

    # History: the last reminder per group.
    hg, h_date, h_level = _last_reminders(ledger, gkeys, ncur)
    last = np.full(ng, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, hg, h_date.astype(np.int64))
    g_last = np.where(last == np.iinfo(np.int64).min, np.datetime64("NaT"),
                      last.astype("datetime64[D]")).astype("datetime64[D]")
    # Escalation counts reminders about these debts: sent once the oldest item in the
    # message had reached the first level.
    dunned = reached >= 0
    oldest_due = np.full(ng, _BIG - abs(first_days), dtype=np.int64)
    np.minimum.at(oldest_due, inverse[dunned], pos.due[dunned].astype(np.int64))
    relevant = h_date.astype(np.int64) >= oldest_due[hg] + first_days
    top = np.full(ng, -np.inf)
    np.maximum.at(top, hg[relevant], np.nan_to_num(h_level[relevant]))
    last_level = np.where(np.isfinite(top), top, np.nan)
    # level numbers -> index in the days-sorted policy
    numbers = np.sort(np.array([lv.level for lv in levels], dtype=float))
    known = ~np.isnan(last_level)
    last_idx = np.full(ng, -1, dtype=np.int64)
    last_idx[known] = np.searchsorted(numbers, last_level[known], side="right") - 1
    # A courtesy note (negative days) is never a prerequisite: the first level on or after
    # the due date may go without one.
    first_due = int(np.searchsorted(days, 0, side="left"))
    allowed = np.maximum(last_idx + 1, min(first_due, max(len(levels) - 1, 0)))
    g_level = np.where(g_reached >= 0, np.minimum(g_reached, allowed), -1)

    # What is asked for: the overdue items and the credit notes. Items not yet due are listed
    # as falling due, and count only in a courtesy note (a level before the due date).
    courtesy = np.append(days < 0, True)[g_level]
    claim = in_msg & (~debt | (pos.days_overdue > 0) | courtesy[inverse])
    g_amount = np.bincount(inverse[claim], weights=pos.outstanding[claim], minlength=ng)
    g_base = np.bincount(inverse[claim], weights=pos.outstanding_base[claim], minlength=ng)

    # Why not: checked in order, the first reason found is the one given.
    status = np.zeros(ng, dtype=np.int8)

    def mark(cond: np.ndarray, code: int) -> None:
        status[(status == SEND) & cond] = code

    mark(c.do_not_chase[g_cust], DO_NOT_CHASE)
    mark(~np.isnat(c.paused_until[g_cust]) & (c.paused_until[g_cust] >= as_of), PAUSED)
    mark(~np.isnat(c.promise_date[g_cust]) & (c.promise_date[g_cust] >= as_of), PROMISE)
    mark((n_debt > 0) & (n_chase == 0), ALL_DISPUTED)
    mark(n_debt == 0, CREDIT_ONLY)
    mark(g_reached < 0, NOTHING_DUE)
    mark(cust_net[g_cust] <= 0, NET_NOT_POSITIVE)
    mark(g_amount <= 0, CREDITS_COVER)
    mark(g_base < s.minimum_reminder_amount, UNDER_MINIMUM)
    channel_email = np.array([lv.channel == "Email" for lv in levels] + [False])[g_level]
    mark(channel_email & (c.email[g_cust] == ""), NO_ADDRESS)
    mark(_bounced_customers(ledger)[g_cust], BOUNCED)
    cooling = ~np.isnat(g_last) & (g_last + np.timedelta64(s.reminder_cooldown_days, "D")
                                   > as_of)
    mark(cooling, COOL_DOWN)

    # Statutory interest and compensation on the dunned items of levels that add it.
    interest = np.zeros(len(pos))
    compensation = np.zeros(len(pos))
    law = s.late_payment_law
    if law != "None":
        adds = np.array([lv.add_interest for lv in levels] + [False])[g_level]
        take = np.flatnonzero(dunned & (status[inverse] == SEND) & adds[inverse]
                              & (pos.days_overdue > 0))
        if len(take):
            law_ccy = "GBP" if law == "UK" else "EUR"
            law_rate = ledger.fx.get(law_ccy)
            if law_rate is None:
                warnings.append(f"no FX rate for {law_ccy}: statutory compensation is "
                                f"claimed as if {s.base_currency} were {law_ccy}")
                law_rate = 1.0
            doc_rate = inv.rate[pos.idx[take]]
            amount = pos.outstanding[take]
            i_, comp, warn = interest_columns(
                amount, pos.due[take], as_of, law, s.contract_interest_rate,
                amount_in_law_currency=amount * doc_rate / law_rate,
                rates=ledger.rates.get(law))  # the workbook's Rates table, else the shipped
            interest[take] = i_
            compensation[take] = comp * law_rate / doc_rate
            warnings.extend(warn)

    return Selection(ledger, pos, levels, g_cust, g_ccy, g_level, g_reached, status, g_amount,
                     g_base, g_next, n_debt - n_chase, g_last, last_level, item_group,
                     interest, compensation, warnings)
