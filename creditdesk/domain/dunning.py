"""Dunning selection: which customer gets which reminder today, and why the others do not.

One consolidated message per customer and currency carries every open, undisputed item that
has reached a level (days past due >= the level's Days After Due; negative days = a courtesy
note before the due date) and the open credit notes of that currency. It asks for the overdue
items net of the credit notes; items not yet due are listed as falling due (in a courtesy note
they are what is asked for). The message takes the highest level reached, but never more than
one level above the last reminder sent about these items (escalation order), and no reminder
goes within the cool-down of the previous one, nor before the level's Days After Previous
since the last reminder about these debts. A courtesy note (a level before the due date) is
about items still to fall due: once it was sent, an item past its due date no longer counts
for it, so the note is not sent again about it and the item waits for the next level's own
day. A History reminder with a blank currency counts for every currency of its customer. Never
chased, each with its reason: disputed items (and items whose Paid or Settled Date could not
be read), customers marked do-not-chase (or whose chasing fields could not be read), handed
off to an agency or solicitors (Collection Status With agency or Legal) or paused until a
date, a promise to pay whose date has not passed, a net balance that is not positive, an
amount under the minimum, an address that bounced or complained, no (usable) address.

The selection is computed on whole columns; ``Selection.reminders()`` and ``.skipped()``
build per-message objects only for what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from creditdesk.domain.ageing import Position, position, rank, sum_where
from creditdesk.domain.cells import date_or_none
from creditdesk.domain.ledger import DunningLevel, Ledger
from creditdesk.domain.templates import money

# Why a customer/currency gets no reminder (ids; the order they are checked in is _status's).
SEND = 0
DO_NOT_CHASE, PAUSED, PROMISE = 1, 2, 3
ALL_DISPUTED, CREDIT_ONLY, NOTHING_DUE, NET_NOT_POSITIVE, CREDITS_COVER = 4, 5, 6, 7, 8
UNDER_MINIMUM, NO_ADDRESS, BOUNCED, COOL_DOWN = 9, 10, 11, 12
REPLY_PERIOD = 13  # checked after the minimum (UNDER_MINIMUM), before the address
COLLECTION = 14  # handed to an agency or solicitor (checked right after do-not-chase)

# The days a letter before action gives to reply (docs/letters.md): an individual, under the
# Pre-Action Protocol for Debt Claims (para 4.1: 30 days from the letter's date; 30 more
# from a completed Reply Form that asks for time to get advice); a business: Settings'
# Business Reply Days (the Practice Direction on Pre-Action Conduct, para 6(b)).
PROTOCOL_REPLY_DAYS = 30
REPLY_FORM_DAYS = 30

_DAY = np.timedelta64(1, "D")


class SkipCode(StrEnum):
    """Why a customer/currency gets no reminder, as a code beside the words of the reason.

    Decided here, with the words (``Selection.reason``), and carried into the remind
    document, so nothing downstream reads the English back."""

    DO_NOT_CHASE = "do_not_chase"
    COLLECTION = "collection"
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
    REPLY_PERIOD = "reply_period"  # a letter before action's period to reply

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
               COOL_DOWN: SkipCode.COOL_DOWN, REPLY_PERIOD: SkipCode.REPLY_PERIOD,
               COLLECTION: SkipCode.COLLECTION}


def is_final(level: DunningLevel, levels: list[DunningLevel]) -> bool:
    """A final demand: a level that claims interest, or the last level after the due date.
    It asks only for what is overdue and lists nothing else."""
    last = max(levels, key=lambda lv: (lv.days, lv.level))
    return level.add_interest or (level == last and level.days >= 0)


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
    due: np.ndarray | None = None  # per item: the day it fell due for chasing (a kept plan's
    # instalment, else its due date)

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
    group_next_level: np.ndarray | None = None  # index into levels of the next level, -1
    group_wait_until: np.ndarray | None = None  # a level waiting for its Days After Previous
    group_last_relevant: np.ndarray | None = None  # the last reminder about these debts
    group_held: np.ndarray | None = None  # open debts not chased for a cell to fix
    reply: Reply | None = None  # a letter before action's period to reply, per group

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
                due=pos.due[m],
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
            k = -1 if self.group_next_level is None else int(self.group_next_level[g])
            first = (self.levels[max(k, 0)].name if self.levels else "reminder")
            text = "nothing due for a reminder yet"
            if nxt:
                text += f"; next reminder ({first}) on {nxt}"
            disputed = int(self.group_disputed[g])
            if disputed:
                text += f"; {disputed} disputed invoice{'s' if disputed > 1 else ''} not chased"
            return text
        if code is SkipCode.ALL_DISPUTED:
            if self.group_held is not None and self.group_held[g]:
                return ("every overdue invoice is disputed or has a cell to fix (see the "
                        "issues)")
            return "every overdue invoice is disputed"
        if code is SkipCode.CREDIT_ONLY:
            return f"only credit notes open in {ccy}"
        if code is SkipCode.DO_NOT_CHASE:
            return c.hold[i] or "customer marked do-not-chase"
        if code is SkipCode.COLLECTION:
            who = ("a collection agency" if c.collection_of(i) == "With agency"
                   else "solicitors (legal action)")
            return (f"handed off to {who}: Collection Status is {c.collection_of(i)}; they "
                    "chase it now")
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
            problem = c.email_problem[i]
            return (f"no usable e-mail address (in Customers: {problem}); fix it there"
                    if problem else "no e-mail address")
        if code is SkipCode.BOUNCED:
            return f"e-mail address {c.email[i]} bounced or complained; fix it in Customers"
        if code is SkipCode.COOL_DOWN:
            return self._cool_down(g)
        if code is SkipCode.REPLY_PERIOD and self.reply is not None:
            return self.reply.reason(g, bool(c.is_individual(i)))
        raise AssertionError(code)

    def _cool_down(self, g: int) -> str:
        """Why group ``g`` waits: the cool-down after the last reminder, or the next level's
        Days After Previous."""
        led = self.ledger
        cool = self.group_last_date[g] + np.timedelta64(led.settings.reminder_cooldown_days,
                                                        "D")
        if np.isnat(cool) or cool <= led.as_of:  # waiting for the level's own day
            lv = self.levels[int(self.group_level[g])]
            wait = self.group_wait_until[g] if self.group_wait_until is not None else cool
            return (f"{self._last_sent(g)} on "
                    f"{date_or_none(self.group_last_relevant[g])}; level {lv.level} "
                    f"({lv.name}) may go {lv.days_after_previous} days after it, on "
                    f"{date_or_none(wait)}")
        return (f"{self._last_sent(g)} on "
                f"{date_or_none(self.group_last_date[g])}; cool-down until "
                f"{date_or_none(cool)}")

    def _last_sent(self, g: int) -> str:
        """'level 2 sent', or 'a reminder sent' when its History row has no Level (read as
        NaN, or 0 from a blank integer cell): never 'level nan'."""
        level = self.group_last_level[g]
        return "a reminder sent" if np.isnan(level) or level < 1 else f"level {level:g} sent"


@dataclass
class Reply:
    """Per group: the last letter before action sent (History: a Reminder at a level whose
    Letter Before Action is Yes), an Individual's completed Reply Form after it, and the
    last day of the period to reply (NaT: none); chasing waits up to and including it."""

    letter: np.ndarray
    form: np.ndarray
    until: np.ndarray
    days: np.ndarray  # the period the letter gave, in days

    def reason(self, g: int, individual: bool) -> str:
        letter, until = date_or_none(self.letter[g]), date_or_none(self.until[g])
        if individual:
            text = (f"letter before action sent on {letter}: the Pre-Action Protocol for Debt "
                    f"Claims gives {int(self.days[g])} days to reply")
            if not np.isnat(self.form[g]):
                text += (f"; the completed Reply Form came on {date_or_none(self.form[g])}: "
                         f"{REPLY_FORM_DAYS} more days from it")
        else:
            text = (f"letter before action sent on {letter}: {int(self.days[g])} days to "
                    "reply (Practice Direction on Pre-Action Conduct; Business Reply Days)")
        return text + f"; no chasing until after {until}"


def _reply(ledger: Ledger, groups: _Groups, policy: _Policy) -> Reply:
    """Step 7a: each group's period to reply to the last letter before action."""
    ng = len(groups)
    nat = np.full(ng, _NAT, dtype="datetime64[D]")
    days = np.zeros(ng, dtype=np.int64)
    numbers = [lv.level for lv in policy.levels if lv.letter_before_action]
    if not numbers or not ng:
        return Reply(nat, nat.copy(), nat.copy(), days)
    hg, h_date, h_level = _history_rows(ledger, groups)
    sent = np.isin(h_level, numbers)
    last = np.full(ng, _SMALL, dtype=np.int64)
    np.maximum.at(last, hg[sent], h_date[sent].astype(np.int64))
    letter = _days_or_nat(last, _SMALL)
    individual = ledger.customers.individual
    individual = (individual[groups.customer] if len(individual) == len(ledger.customers)
                  else np.zeros(ng, dtype=bool))
    days = np.where(individual, PROTOCOL_REPLY_DAYS,
                    ledger.settings.business_reply_days).astype(np.int64)
    until = (letter + days.astype("timedelta64[D]")).astype("datetime64[D]")
    form = nat.copy()
    h = ledger.history
    forms = np.flatnonzero((h.type == "reply form") & ~np.isnat(h.date)
                           & (h.date <= ledger.as_of))
    index = ledger.customer_index
    for r in forms.tolist():
        i = index.get(h.customer[r])
        if i is None:
            continue
        hit = (groups.customer == i) & individual & ~np.isnat(letter) & (letter <= h.date[r])
        hit &= np.isnat(form) | (form < h.date[r])
        form[hit] = h.date[r]
    more = ~np.isnat(form)
    until[more] = np.maximum(until[more], form[more] + np.timedelta64(REPLY_FORM_DAYS, "D"))
    return Reply(letter, form, until, days)


def _bounced_customers(ledger: Ledger) -> np.ndarray:
    """Customers whose current address bounced or complained (by address, not by name)."""
    h = ledger.history
    bad = np.zeros(len(ledger.customers), dtype=bool)
    rows = np.flatnonzero((h.type == "bounce") | (h.type == "complaint"))
    for email in {h.email[r].strip().casefold() for r in rows} - {""}:
        bad[ledger.customers_by_email.get(email, [])] = True
    return bad


_BIG = np.iinfo(np.int64).max
_SMALL = np.iinfo(np.int64).min
_NAT = np.datetime64("NaT", "D")


def _days_or_nat(values: np.ndarray, missing: int) -> np.ndarray:
    return np.where(values == missing, _NAT, values.astype("datetime64[D]")
                    ).astype("datetime64[D]")


@dataclass
class _Policy:
    """The levels sorted by days, and what the steps read of them."""

    levels: list[DunningLevel]
    days: np.ndarray
    first_due: int  # index of the first level on or after the due date (after the courtesy)
    numbers: np.ndarray  # the level numbers, sorted
    after: np.ndarray  # Days After Previous per level, -1 = none

    @classmethod
    def of(cls, levels: list[DunningLevel]) -> _Policy:
        ordered = sorted(levels, key=lambda lv: (lv.days, lv.level))
        days = np.array([lv.days for lv in ordered], dtype=np.int64)
        return cls(ordered, days, int(np.searchsorted(days, 0, side="left")),
                   np.sort(np.array([lv.level for lv in ordered], dtype=float)),
                   np.array([-1 if lv.days_after_previous is None else lv.days_after_previous
                             for lv in ordered], dtype=np.int64))

    def flags(self, what: str) -> np.ndarray:
        """A per-level flag with a False for "no level" (index -1) at the end."""
        values = {"courtesy": [d < 0 for d in self.days.tolist()],
                  "email": [lv.channel == "Email" for lv in self.levels],
                  "interest": [lv.add_interest for lv in self.levels],
                  "final": [is_final(lv, self.levels) for lv in self.levels]}[what]
        return np.array([*values, False], dtype=bool)


@dataclass
class _Items:
    """Per open item: what it is and the level it reached."""

    debt: np.ndarray
    chase: np.ndarray  # an undisputed debt that may be chased
    listed: np.ndarray  # highest level reached (-1: none); such an item is in the message
    on_plan: np.ndarray | None = None  # chased on a kept payment plan's instalments
    plan_wait: tuple[np.ndarray, np.ndarray] | None = None  # its next (day, level) if waiting
    plan_claim: np.ndarray | None = None  # what its plan asks of it now (on_plan items)


def _items(ledger: Ledger, pos: Position, policy: _Policy) -> _Items:
    """Step 1: the level each open item reached (undisputed debts only)."""
    inv = ledger.invoices
    debt = pos.outstanding > 0
    chase = debt & ~inv.disputed[pos.idx]
    if inv.held.any():
        chase &= ~inv.held[pos.idx]
    listed = np.where(chase, rank(policy.days, pos.days_overdue, side="right") - 1, -1)
    return _Items(debt, chase, listed)


def _plan_terms(ledger: Ledger, pos: Position, items: _Items, policy: _Policy) -> Position:
    """Step 1b: an item under a kept payment plan (Active, not defaulted) is chased on the
    plan's instalments, not on its due date: it falls due on the first instalment not paid,
    and the message asks for the instalments due (missed, else the next), not the invoice;
    the courtesy level goes within the Plan Courtesy Lead before it, the first level on or
    after the due date once it is missed, never a higher one while the plan is kept, and no
    interest. Any other plan changes nothing (a Defaulted one: ordinary chasing from the
    original due dates)."""
    from creditdesk.domain.plans import kept_items

    at, day, claim = kept_items(ledger, pos.idx, pos.outstanding)
    items.on_plan = np.zeros(len(pos), dtype=bool)
    if not len(at):
        return pos
    items.on_plan[at] = True
    items.plan_claim = pos.outstanding.copy()
    items.plan_claim[at] = claim
    due, days = pos.due.copy(), pos.days_overdue.copy()
    due[at] = day
    days[at] = (ledger.as_of - day).astype(np.int64)
    n, first = len(policy.levels), policy.first_due
    lead = ledger.settings.plan_courtesy_days
    courtesy = 0 if first > 0 and lead > 0 else -1
    level = np.where(days[at] > 0, first if first < n else -1,
                     np.where(-days[at] <= lead, courtesy, -1))
    items.listed[at] = np.where(items.chase[at], level, -1)
    # not yet in the lead: the courtesy note on its first day, else the day after the instalment
    wait_level = np.full(len(pos), -1, dtype=np.int64)
    wait_day = np.zeros(len(pos), dtype=np.int64)
    wait_level[at] = courtesy if courtesy >= 0 else (first if first < n else -1)
    wait_day[at] = due[at].astype(np.int64) + (-lead if courtesy >= 0 else 1)
    items.plan_wait = (wait_day, wait_level)
    return replace(pos, due=due, days_overdue=days)


@dataclass
class _Groups:
    """One message per customer and currency, over the open items."""

    keys: np.ndarray  # customer * ncur + currency, sorted
    ncur: int
    of_item: np.ndarray  # per open item: its group
    customer: np.ndarray
    currency: np.ndarray
    n_debt: np.ndarray
    n_chase: np.ndarray
    n_held: np.ndarray  # open debts held for a cell to fix
    oldest_due: np.ndarray  # int days: the earliest due date of an item that reached a level
    converted: np.ndarray  # the group's currency has an FX rate
    # from ``_reached``, once the reminders sent are known:
    reached: np.ndarray | None = None  # the highest level reached for the message (-1: none)
    next_date: np.ndarray | None = None  # first day a waiting item reaches a level (NaT)
    next_level: np.ndarray | None = None  # that level (-1: none)

    def __len__(self) -> int:
        return len(self.keys)


def _groups(ledger: Ledger, pos: Position, items: _Items, policy: _Policy) -> _Groups:
    """Step 2: the groups (keys are bounded: no sort needed) and their per-group figures."""
    nc = len(ledger.customers)
    ncur = max(len(ledger.currencies), 1)
    key = pos.customer * ncur + pos.currency
    present = np.bincount(key, minlength=nc * ncur) > 0
    keys = np.flatnonzero(present)
    ng = len(keys)
    of_item = (np.cumsum(present) - 1)[key]
    held = items.debt & ledger.invoices.held[pos.idx]
    first_days = int(policy.days[0]) if len(policy.days) else 0
    dunned = items.listed >= 0
    none = _BIG - abs(first_days)
    oldest_due = np.full(ng, none, dtype=np.int64)
    np.minimum.at(oldest_due, of_item, np.where(dunned, pos.due.view(np.int64), none))
    converted = np.bincount(of_item[~pos.converted], minlength=ng) == 0
    return _Groups(keys, ncur, of_item, keys // ncur, keys % ncur,
                   np.bincount(of_item[items.debt], minlength=ng),
                   np.bincount(of_item[items.chase], minlength=ng),
                   np.bincount(of_item[held], minlength=ng), oldest_due, converted)


def _reached(pos: Position, items: _Items, groups: _Groups, last: _Last,
             policy: _Policy) -> None:
    """Step 4: the highest level each group reached, and when a group with none reaches
    one. A courtesy note (a level before the due date) is about items still to fall due:
    once one was sent about these debts, an item past its due date no longer counts for the
    courtesy level, so the note is not sent again about it: it waits for the next level's own
    day."""
    days, first_due = policy.days, policy.first_due
    sent = last.index[groups.of_item] >= 0
    fell_due = sent & (pos.days_overdue > 0) & (items.listed < first_due)
    reached = np.where(fell_due, -1, items.listed)
    ng = len(groups)
    groups.reached = np.full(ng, -1, dtype=np.int64)
    np.maximum.at(groups.reached, groups.of_item, reached)
    # waiting: not yet due, for the first level; past due, for the first after the due date
    waiting = np.flatnonzero(items.chase & (reached < 0))
    nxt = np.where(pos.days_overdue[waiting] > 0, first_due, 0)
    ok = nxt < len(days)
    waiting, nxt = waiting[ok], nxt[ok]
    day = pos.due[waiting].astype(np.int64) + days[nxt]
    if items.plan_wait is not None:  # on a kept plan: the plan's own days (step 1b)
        plan = items.on_plan[waiting] & (items.plan_wait[1][waiting] >= 0)
        day[plan] = items.plan_wait[0][waiting][plan]
        nxt[plan] = items.plan_wait[1][waiting][plan]
    g = groups.of_item[waiting]
    first = np.full(ng, _BIG, dtype=np.int64)
    np.minimum.at(first, g, day)
    at_first = day == first[g]
    groups.next_level = np.full(ng, -1, dtype=np.int64)
    np.maximum.at(groups.next_level, g[at_first], nxt[at_first])
    groups.next_date = _days_or_nat(first, _BIG)


@dataclass
class _Last:
    """Per group, from the History table's reminders."""

    date: np.ndarray  # the last reminder (cool-down); NaT: none
    level: np.ndarray  # the highest level number sent about these debts; NaN: none
    index: np.ndarray  # that level's index in the policy; -1: none
    relevant_date: np.ndarray  # the last reminder about these debts; NaT: none


def _last(ledger: Ledger, groups: _Groups, policy: _Policy) -> _Last:
    """Step 3: the reminders sent. A reminder counts for escalation when it was sent after
    the oldest item in the message had reached the first level (older ones were about older
    debts)."""
    hg, h_date, h_level = _history_rows(ledger, groups)
    ng = len(groups)
    days = h_date.astype(np.int64)
    last = np.full(ng, _SMALL, dtype=np.int64)
    np.maximum.at(last, hg, days)
    first_days = int(policy.days[0]) if len(policy.days) else 0
    relevant = days >= groups.oldest_due[hg] + first_days
    top = np.full(ng, -np.inf)
    np.maximum.at(top, hg[relevant], np.nan_to_num(h_level[relevant]))
    level = np.where(np.isfinite(top), top, np.nan)
    index = np.full(ng, -1, dtype=np.int64)
    known = ~np.isnan(level)
    index[known] = np.searchsorted(policy.numbers, level[known], side="right") - 1
    last_relevant = np.full(ng, _SMALL, dtype=np.int64)
    np.maximum.at(last_relevant, hg[relevant], days[relevant])
    return _Last(_days_or_nat(last, _SMALL), level, index,
                 _days_or_nat(last_relevant, _SMALL))


def _history_rows(ledger: Ledger, groups: _Groups
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reminder rows of the History table that belong to a group: (group, date, level). A
    row with a blank Currency belongs to every group of its customer."""
    h = ledger.history
    rem = np.flatnonzero((h.type == "reminder") & ~np.isnat(h.date) & (h.date <= ledger.as_of))
    index = ledger.customer_index
    code = {cy: k for k, cy in enumerate(ledger.currencies)}
    cust = np.fromiter((index.get(k, -1) for k in h.customer[rem]), np.int64, len(rem))
    ccy = np.fromiter((code.get(k, -1) for k in h.currency[rem]), np.int64, len(rem))
    named = (cust >= 0) & (ccy >= 0)
    keys = cust[named] * groups.ncur + ccy[named]
    g = np.searchsorted(groups.keys, keys)
    hit = g < len(groups)
    hit[hit] = groups.keys[g[hit]] == keys[hit]
    rows, out = [rem[named][hit]], [g[hit]]
    blank = (cust >= 0) & (h.currency[rem] == "")
    lo = np.searchsorted(groups.keys, cust[blank] * groups.ncur)
    hi = np.searchsorted(groups.keys, (cust[blank] + 1) * groups.ncur)
    counts = hi - lo
    rows.append(np.repeat(rem[blank], counts))
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    out.append(starts + np.arange(int(counts.sum())))
    rows_all = np.concatenate(rows)
    return np.concatenate(out).astype(np.int64), h.date[rows_all], h.level[rows_all]


def _message_level(groups: _Groups, last: _Last, policy: _Policy) -> np.ndarray:
    """Step 5: the message's level: the highest reached, but never more than one level above
    the last sent about these debts (a courtesy note is never a prerequisite: the first level
    on or after the due date may go without one). -1: none."""
    n = len(policy.levels)
    allowed = np.maximum(last.index + 1, min(policy.first_due, max(n - 1, 0)))
    return np.where(groups.reached >= 0, np.minimum(groups.reached, allowed), -1)


def _claims(pos: Position, items: _Items, groups: _Groups, level: np.ndarray,
            policy: _Policy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 6: the items in each message (per item: its group or -1) and what is asked for
    (document and base currency): the overdue items and the credit notes. Items not yet due
    are listed as falling due and count only in a courtesy note; a final demand lists only
    what it demands (no item not yet due)."""
    ng = len(groups)
    final = policy.flags("final")[level][groups.of_item]
    in_msg = ((items.listed >= 0) & ~(final & items.debt & (pos.days_overdue <= 0))
              | ~items.debt)
    item_group = np.where(in_msg, groups.of_item, -1)
    courtesy = policy.flags("courtesy")[level]
    claim = in_msg & (~items.debt | (pos.days_overdue > 0) | courtesy[groups.of_item])
    owed, owed_base = pos.outstanding, pos.outstanding_base
    if items.plan_claim is not None:  # a kept plan's items: the instalments due (step 1b)
        owed, owed_base = items.plan_claim, owed_base * (items.plan_claim / owed)
    amount = sum_where(groups.of_item, claim, owed, ng)
    base = sum_where(groups.of_item, claim, owed_base, ng)
    return item_group, amount, base


def _status(ledger: Ledger, pos: Position, groups: _Groups, level: np.ndarray,
            amount: np.ndarray, base: np.ndarray, last: _Last, policy: _Policy,
            reply: Reply | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Step 7: why not, checked in order (the first reason found is the one given); and the
    day a level waiting for its Days After Previous may go (NaT: not waiting)."""
    c, s, as_of = ledger.customers, ledger.settings, ledger.as_of
    g_cust = groups.customer
    status = np.zeros(len(groups), dtype=np.int8)

    def mark(cond: np.ndarray, code: int) -> None:
        status[(status == SEND) & cond] = code

    mark(c.do_not_chase[g_cust], DO_NOT_CHASE)
    if len(c.collection_status):
        mark(c.collection_status[g_cust] != "", COLLECTION)
    mark(~np.isnat(c.paused_until[g_cust]) & (c.paused_until[g_cust] >= as_of), PAUSED)
    mark(~np.isnat(c.promise_date[g_cust]) & (c.promise_date[g_cust] >= as_of), PROMISE)
    mark((groups.n_debt > 0) & (groups.n_chase == 0), ALL_DISPUTED)
    mark(groups.n_debt == 0, CREDIT_ONLY)
    mark(groups.reached < 0, NOTHING_DUE)
    mark(~_net_positive(ledger, pos)[g_cust], NET_NOT_POSITIVE)
    mark(amount <= 0, CREDITS_COVER)
    # a currency without an FX rate cannot be held against the minimum (base currency)
    mark(groups.converted & (base < s.minimum_reminder_amount), UNDER_MINIMUM)
    if reply is not None:  # a letter before action's period to reply (step 7a)
        mark(~np.isnat(reply.until) & (reply.until >= as_of), REPLY_PERIOD)
    mark(policy.flags("email")[level] & (c.email[g_cust] == ""), NO_ADDRESS)
    mark(_bounced_customers(ledger)[g_cust], BOUNCED)
    cooling = ~np.isnat(last.date) & (last.date + np.timedelta64(s.reminder_cooldown_days, "D")
                                      > as_of)
    after = np.append(policy.after, -1)[level]
    escalating = (level > last.index) & (last.index >= 0) & (after >= 0)
    wait = np.where(escalating & ~np.isnat(last.relevant_date),
                    last.relevant_date + np.where(after >= 0, after, 0).astype("timedelta64[D]"),
                    _NAT).astype("datetime64[D]")
    mark(cooling | (~np.isnat(wait) & (wait > as_of)), COOL_DOWN)
    return status, wait


def _net_positive(ledger: Ledger, pos: Position) -> np.ndarray:
    """Per customer: its net balance over all currencies is above zero. An amount without an
    FX rate cannot be netted: a customer owing one is taken as owing."""
    nc = len(ledger.customers)
    net = np.bincount(pos.customer, weights=pos.outstanding_base, minlength=nc)
    foreign = ~pos.converted & (pos.outstanding > 0)
    return (net > 0) | (np.bincount(pos.customer[foreign], minlength=nc) > 0)


def _interest(ledger: Ledger, pos: Position, items: _Items, groups: _Groups,
              level: np.ndarray, status: np.ndarray, policy: _Policy
              ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Step 8: interest and compensation on the overdue items of the levels that add it:
    statutory (with the contract rate when set) under a Late Payment Law, else at the
    Contract Interest Rate alone (no fixed compensation: that is the law's). An Individual's
    debts (not a Sole Trader's) fall under no late-payment law (``interest.law_for_debtor``):
    the contract rate alone, when it is set."""
    from creditdesk.domain.interest import interest_columns, law_for_debtor

    s = ledger.settings
    interest = np.zeros(len(pos))
    compensation = np.zeros(len(pos))
    warnings: list[str] = []
    law, rate = s.late_payment_law, s.contract_interest_rate
    if law == "None" and rate is None:
        return interest, compensation, warnings
    adds = policy.flags("interest")[level]
    take = np.flatnonzero((items.listed >= 0) & (status[groups.of_item] == SEND)
                          & adds[groups.of_item] & (pos.days_overdue > 0) & ~items.on_plan)
    consumer = ledger.customers.consumer  # Individual; a Sole Trader is under the law
    if len(consumer) == len(ledger.customers) and law_for_debtor(law, True) != law:
        lawless = consumer[pos.customer[take]]  # no late-payment law: the contract's
        if rate is not None:
            _contract_interest(ledger, pos, take[lawless], rate, interest)
        take = take[~lawless]
    if not len(take):
        return interest, compensation, warnings
    if law == "None":
        _contract_interest(ledger, pos, take, rate, interest)
        return interest, compensation, warnings
    amount, due, as_of = pos.outstanding[take], pos.due[take], ledger.as_of
    parts = _late_parts(ledger, pos.idx[take], due, as_of)
    law_ccy = "GBP" if law == "UK" else "EUR"
    law_rate = ledger.fx.get(law_ccy)
    if law_rate is None:
        warnings.append(f"no FX rate for {law_ccy}: statutory compensation is claimed as if "
                        f"{s.base_currency} were {law_ccy}")
        law_rate = 1.0
    doc_rate = ledger.invoices.rate[pos.idx[take]]
    table = ledger.rates.get(law)  # the workbook's Rates table; None: the shipped one
    i_, comp, warn = interest_columns(amount, due, as_of, law, rate,
                                      amount_in_law_currency=amount * doc_rate / law_rate,
                                      rates=table)
    for k, day, paid in parts:
        more, _, w = interest_columns(paid, due[k], day, law, rate, rates=table)
        i_[k] += more
        warn += w
    no_rate = np.isnan(doc_rate)
    if no_rate.any():
        warnings.append(f"{int(no_rate.sum())} item(s) in a currency without an FX rate: no "
                        "fixed compensation claimed on them")
    interest[take] = i_
    compensation[take] = np.where(no_rate, 0.0, comp * law_rate / np.where(no_rate, 1.0,
                                                                           doc_rate))
    warnings.extend(warn)
    return interest, compensation, warnings


def _contract_interest(ledger: Ledger, pos: Position, take: np.ndarray, rate: float,
                       interest: np.ndarray) -> None:
    """Interest at the Contract Interest Rate alone on the items ``take`` (into
    ``interest``), each part paid late up to its payment day."""
    from creditdesk.domain.interest import contract_interest_columns

    if not len(take):
        return
    amount, due, as_of = pos.outstanding[take], pos.due[take], ledger.as_of
    interest[take] = contract_interest_columns(amount, due, as_of, rate)
    for k, day, paid in _late_parts(ledger, pos.idx[take], due, as_of):
        interest[take[k]] += contract_interest_columns(paid, due[k], day, rate)


def _late_parts(ledger: Ledger, invoices: np.ndarray, due: np.ndarray, as_of: np.datetime64
                ) -> list[tuple[np.ndarray, np.datetime64, np.ndarray]]:
    """The parts of these invoices paid late, by payment day: (positions in ``invoices``, the
    day, the amounts). Interest runs on each part until the day it was paid."""
    pay = ledger.payments
    if not len(pay):
        return []
    where = {int(k): j for j, k in enumerate(invoices.tolist())}
    pos_of = np.fromiter((where.get(int(k), -1) for k in pay.invoice), np.int64, len(pay))
    late = (pos_of >= 0) & (pay.date <= as_of)
    late[late] = pay.date[late] > due[pos_of[late]]
    out = []
    for day in np.unique(pay.date[late]):
        m = late & (pay.date == day)
        out.append((pos_of[m], day, pay.amount[m]))
    return out


def select(ledger: Ledger, pos: Position | None = None) -> Selection:
    """Today's reminders, in eight steps on whole columns: the level each open item reached
    (on its payment plan's instalments while the plan is kept); the groups (customer x
    currency); the reminders sent; the level each group reached; each message's level; what it
    lists and asks for; why a group gets none; the interest and compensation claimed."""
    pos = pos or position(ledger)
    policy = _Policy.of(ledger.levels)
    items = _items(ledger, pos, policy)
    pos = _plan_terms(ledger, pos, items, policy)
    groups = _groups(ledger, pos, items, policy)
    last = _last(ledger, groups, policy)
    _reached(pos, items, groups, last, policy)
    level = _message_level(groups, last, policy)
    item_group, amount, base = _claims(pos, items, groups, level, policy)
    reply = _reply(ledger, groups, policy)
    status, wait = _status(ledger, pos, groups, level, amount, base, last, policy, reply)
    interest, compensation, warnings = _interest(ledger, pos, items, groups, level, status,
                                                 policy)
    return Selection(ledger, pos, policy.levels, groups.customer, groups.currency, level,
                     groups.reached, status, amount, base, groups.next_date,
                     groups.n_debt - groups.n_chase, last.date, last.level, item_group,
                     interest, compensation, warnings, groups.next_level, wait,
                     last.relevant_date, groups.n_held, reply)
