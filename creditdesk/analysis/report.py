"""One analysis of a ledger, and the documents every front end shows.

The documents are the models of ``creditdesk.analysis.documents``: the CLI prints them
(``--json``), the results workbook is written from them, and the add-in writes them into the
user's workbook, so the three always agree. Amounts are in base currency (reminders: in their
own currency) and rounded to cents here, at the edge, never inside sums.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from creditdesk.analysis.documents import (
    AgeingReport,
    AgeingRow,
    AgeingTotal,
    AuditRow,
    CheckReport,
    CheckRow,
    HandoffRow,
    IssueRow,
    KpiFigures,
    OrderCheck,
    PlanReport,
    PlanRow,
    Reminder,
    ReminderLine,
    RemindReport,
    Results,
    ScoreReport,
    ScoreRow,
    Skipped,
)
from creditdesk.domain import dunning
from creditdesk.domain.ageing import Ageing, Position, ageing, position
from creditdesk.domain.audit import latest_limit_changes
from creditdesk.domain.credit import CreditCheck, credit_check
from creditdesk.domain.dunning import Selection, select
from creditdesk.domain.interest import round_half_up, round_money
from creditdesk.domain.issues import Issue
from creditdesk.domain.kpis import Kpis, kpis
from creditdesk.domain.ledger import Ledger
from creditdesk.domain.plans import PlanState
from creditdesk.domain.score import Scores, score
from creditdesk.domain.templates import (
    BEFORE_ACTION_MARK,
    PLAN_COURTESY,
    PLAN_MISSED,
    Instalment,
    Line,
    PlanMail,
    mail_locale,
    pick,
    render,
    template_problems,
)


def _money(x: float) -> float:
    return round_money(float(x))


def _opt(x: float | None, digits: int = 2) -> float | None:
    """A figure rounded half up, like money (0.25 -> 0.3 at one decimal); None for none."""
    if x is None or np.isnan(x):
        return None
    return round_half_up(float(x), digits)


def _foreign(not_converted: dict[str, np.ndarray], i: int) -> dict[str, float]:
    return {c: _money(v[i]) for c, v in not_converted.items() if v[i]}


@dataclass
class Analysis:
    ledger: Ledger

    @cached_property
    def pos(self) -> Position:
        return position(self.ledger)

    @cached_property
    def ageing(self) -> Ageing:
        return ageing(self.ledger, self.pos)

    @cached_property
    def kpis(self) -> Kpis:
        return kpis(self.ledger, self.pos)

    @cached_property
    def scores(self) -> Scores:
        return score(self.ledger, self.pos)

    @cached_property
    def credit(self) -> CreditCheck:
        return credit_check(self.ledger, self.pos, self.ageing, self.scores.whole)

    @cached_property
    def selection(self) -> Selection:
        return select(self.ledger, self.pos)

    # -- documents ---------------------------------------------------------------------
    # Each document is built once per analysis (the models are immutable).

    def _head(self) -> dict:
        return {"as_of": self.ledger.as_of_date,
                "base_currency": self.ledger.settings.base_currency}

    def _listed(self) -> np.ndarray:
        """Customers shown in per-customer lists: those with open items or a limit."""
        c = self.ledger.customers
        return np.flatnonzero((self.ageing.open_items > 0) | ~np.isnan(c.credit_limit)
                              | (c.open_orders != 0))

    def ageing_report(self) -> AgeingReport:
        return self._ageing_report

    def check_report(self) -> CheckReport:
        return self._check_report

    def score_report(self) -> ScoreReport:
        return self._score_report

    def remind_report(self) -> RemindReport:
        return self._remind_report

    def results(self) -> Results:
        """Every document, for the results workbook."""
        return Results(ageing=self.ageing_report(), check=self.check_report(),
                       score=self.score_report(), remind=self.remind_report(),
                       issues=self.issue_rows(reminders=True), plans=self.plan_report(),
                       audit=self.audit_rows())

    def audit_rows(self) -> list[AuditRow]:
        """The workbook's Audit table, oldest first, each flagged raise marked Review (the
        credit check's ``limit_raises``)."""
        flagged = {self.ledger.customers.ids[i]: r.at for i, r in
                   (self.credit.limit_raises or {}).items()}
        latest = {c: e.row for c, e in latest_limit_changes(self.ledger.audit).items()}
        return [AuditRow(date=e.at, key=e.key, subject=e.subject, field=e.field, old=e.old,
                         new=e.new, flag="Review" if e.subject in flagged
                         and latest.get(e.subject) == e.row else "")
                for e in self.ledger.audit]

    @cached_property
    def _plan_report(self) -> PlanReport:
        from creditdesk.domain.plans import plan_states

        c, inv = self.ledger.customers, self.ledger.invoices
        rows = [PlanRow(
            plan=s.plan.plan, customer=c.ids[s.plan.customer], name=c.name[s.plan.customer],
            currency=s.plan.currency, typed_status=s.plan.status, status=s.status,
            frequency=s.plan.frequency, start=s.plan.start, instalments=len(s.plan.amounts),
            paid_instalments=s.paid_count, missed=s.missed, total=_money(s.plan.total),
            paid=_money(s.paid), outstanding=_money(s.outstanding), next_date=s.next_date,
            next_amount=_money(s.next_amount),
            invoices=[inv.invoice[k] for k in s.plan.invoices],
        ) for s in plan_states(self.ledger)]
        return PlanReport(**self._head(), plans=rows, issues=self.issue_rows())

    def plan_report(self) -> PlanReport:
        return self._plan_report

    @cached_property
    def _ageing_report(self) -> AgeingReport:
        c, a = self.ledger.customers, self.ageing
        rows = [AgeingRow(
            customer=c.ids[i],
            name=c.name[i],
            outstanding=_money(a.outstanding[i]),
            overdue=_money(a.overdue[i]),
            buckets=[_money(x) for x in a.buckets[i]],
            unapplied_credits=_money(a.unapplied[i]),
            open_items=int(a.open_items[i]),
            oldest_days_overdue=int(a.oldest_days_overdue[i]),
            not_converted=_foreign(a.not_converted, int(i)),
        ) for i in np.flatnonzero(a.open_items > 0)]
        rows.sort(key=lambda r: (-r.outstanding, r.customer))
        k = self.kpis.as_dict()
        money_keys = {"credit_sales", "gross_credit_sales", "receivables", "overdue"}
        return AgeingReport(
            **self._head(),
            buckets=a.labels,
            customers=rows,
            total=AgeingTotal(outstanding=_money(a.total), overdue=_money(a.overdue.sum()),
                              buckets=[_money(x) for x in a.total_buckets],
                              unapplied_credits=_money(a.unapplied.sum()),
                              not_converted={c: _money(v) for c, v in
                                             a.total_not_converted.items() if v}),
            kpis=KpiFigures(**{key: (_money(v) if key in money_keys else
                                     v if key == "period_days" else _opt(v, 1))
                               for key, v in k.items()}),
            issues=self.issue_rows(),
        )

    @cached_property
    def _check_report(self) -> CheckReport:
        c, cr, sc = self.ledger.customers, self.credit, self.scores
        rows = [CheckRow(
            customer=c.ids[i],
            name=c.name[i],
            outstanding=_money(self.ageing.outstanding[i]),
            open_orders=_money(c.open_orders[i]),
            exposure=_money(cr.exposure[i]),
            credit_limit=_opt(cr.credit_limit[i]),
            utilisation=_opt(cr.utilisation[i], 1),
            score=_opt(sc.whole[i]),
            decision=cr.decision[i],
            reasons=cr.reasons_for(i),
            summary=cr.summary(i),
        ) for i in self._listed()]
        order = {"Hold": 0, "Review": 1, "Approve": 2}
        rows.sort(key=lambda r: (order[r.decision], -r.exposure, r.customer))
        return CheckReport(**self._head(), customers=rows, handoff=self.handoff_rows(),
                           issues=self.issue_rows())

    def handoff_rows(self) -> list[HandoffRow]:
        """The customers the hand-off rule lists (``creditdesk.domain.handoff``)."""
        from creditdesk.domain.handoff import candidates

        c, inv = self.ledger.customers, self.ledger.invoices
        return [HandoffRow(customer=c.ids[x.customer], name=c.name[x.customer],
                           overdue=_money(x.overdue), oldest_days_overdue=x.oldest_days,
                           oldest_invoice=inv.invoice[x.oldest_invoice],
                           open_items=x.open_items,
                           final_level=x.final_level.name or f"Level {x.final_level.level}",
                           final_sent=x.final_sent)
                for x in candidates(self.ledger, self.pos)]

    @cached_property
    def _score_report(self) -> ScoreReport:
        c, sc = self.ledger.customers, self.scores
        rows = [ScoreRow(
            customer=c.ids[i],
            name=c.name[i],
            score=_opt(sc.whole[i]),
            grade=sc.grade[i],
            recommended_limit=_opt(sc.recommended_limit[i]),
            limit_reason=sc.limit_reasons[i] if sc.limit_reasons else "",
            days_beyond_terms=_opt(sc.days_beyond_terms[i], 1),
            reasons=sc.reasons[i],
        ) for i in range(len(c))]
        rows.sort(key=lambda r: (r.score is None, -(r.score or 0), r.customer))
        return ScoreReport(**self._head(), customers=rows, issues=self.issue_rows())

    @cached_property
    def _remind_report(self) -> RemindReport:
        c = self.ledger.customers
        reminders = sorted((self._reminder(r) for r in self.selection.reminders()),
                           key=lambda m: (m.customer, m.currency))
        skipped = sorted((Skipped(customer=c.ids[k.customer], name=c.name[k.customer],
                                  currency=k.currency, reason=k.reason, code=k.code)
                          for k in self.selection.skipped()),
                         key=lambda s: (s.customer, s.currency))
        return RemindReport(**self._head(), reminders=reminders, skipped=skipped,
                            issues=self.issue_rows(reminders=True))

    def _reminder(self, r: dunning.Reminder) -> Reminder:
        """One selected reminder with its invoice lines and its rendered text."""
        led = self.ledger
        c, inv = led.customers, led.invoices
        i = r.customer
        due = r.due if r.due is not None else inv.due_date[r.items]  # a plan's: instalment
        lines = [Line(inv.invoice[k], str(inv.invoice_date[k]), str(day), d, o,
                      inv.reference[k])
                 for k, o, d, day in zip(r.items.tolist(), r.outstanding.tolist(),
                                         r.days_overdue.tolist(), due, strict=True)]
        plan = self._plan_mail(r)
        name = self._template_name(r, plan)
        t = pick(led.templates, name, c.language[i])
        rendered = (render(t, self._placeholders(r, len(lines)), lines,
                           claim_all=r.level.days < 0,
                           locale=mail_locale(t.language, led.settings.country), plan=plan)
                    if t else None)
        return Reminder(
            customer=c.ids[i],
            name=c.name[i],
            currency=r.currency,
            level=r.level.level,
            level_name=r.level.name,
            channel=r.level.channel,
            template=name,
            language=t.language if t else "",
            to=r.to,
            cc=r.cc,
            subject=rendered.subject if rendered else "",
            text=rendered.text if rendered else "",
            html=rendered.html if rendered else "",
            invoices=[ReminderLine(
                invoice=ln.invoice,
                reference=ln.reference,
                invoice_date=ln.invoice_date,
                due_date=ln.due_date,
                days_overdue=ln.days_overdue,
                status=ln.status,
                outstanding=_money(ln.outstanding),
                interest=_money(ri),
                compensation=_money(rc),
            ) for ln, ri, rc in zip(lines, r.interest.tolist(), r.compensation.tolist(),
                                    strict=True)],
            amount=_money(r.amount),
            interest=_money(float(r.interest.sum())),
            compensation=_money(float(r.compensation.sum())),
            total=_money(r.total),
        )

    @cached_property
    def _kept_plans(self) -> dict[int, PlanState]:
        """Per invoice (index) under a kept plan with an instalment still to pay: its plan."""
        from creditdesk.domain.plans import plan_states

        return {k: s for s in plan_states(self.ledger) if s.kept and s.next_date is not None
                for k in s.plan.invoices}

    def _plan_mail(self, r: dunning.Reminder) -> PlanMail | None:
        """The kept plan a reminder is about (the first of its invoices' plans), as its
        mail's plan placeholders say it; None when none of its invoices is on one."""
        kept = self._kept_plans
        if not kept:
            return None
        s = next((kept[k] for k in r.items.tolist() if k in kept), None)
        if s is None:
            return None
        p, as_of = s.plan, self.ledger.as_of_date
        first = s.paid_count
        before = 0.0
        remaining = []
        for n, (day, amount) in enumerate(zip(p.dates, p.amounts, strict=True)):
            paid = min(max(s.paid - before, 0.0), amount)
            before += amount
            if n >= first:
                remaining.append(Instalment(n + 1, day, _money(amount - paid), _money(paid),
                                            day < as_of))
        asked = tuple(range(first + 1, first + max(s.missed, 1) + 1))
        inv = self.ledger.invoices
        return PlanMail(plan=p.plan, count=len(p.amounts), asked=asked, day=s.next_date,
                        amount=_money(s.due_now), total=_money(p.total),
                        left=_money(p.total - s.paid),
                        invoices=tuple(inv.invoice[k] for k in p.invoices),
                        remaining=tuple(remaining),
                        default_after=self.ledger.settings.plan_missed_to_default)

    def _template_name(self, r: dunning.Reminder, plan: PlanMail | None) -> str:
        """The level's template; for a kept plan's own mail, ``plan_courtesy`` before an
        instalment and ``plan_missed`` once one is missed (at the first level after the
        due date, the one a kept plan is chased at: a higher level, reached by the
        customer's other invoices, keeps its own). The Templates table's row of that name
        wins over the built-in one, as for every template."""
        if plan is None:
            return r.level.template
        if r.level.days < 0:
            return PLAN_COURTESY
        after = [lv for lv in self.ledger.levels if lv.days >= 0]
        first = min(after, key=lambda lv: (lv.days, lv.level)) if after else None
        if r.level == first and any(ins.missed for ins in plan.remaining):
            return PLAN_MISSED
        return r.level.template

    def _placeholders(self, r: dunning.Reminder, invoice_count: int
                      ) -> dict[str, str | float | dt.date]:
        """The values of a reminder's template placeholders."""
        led = self.ledger
        c, s = led.customers, led.settings
        i = r.customer
        dunned = r.outstanding > 0
        return {
            "company_name": s.company_name, "customer": c.ids[i],
            "customer_name": c.name[i] or c.ids[i],
            # an Individual is greeted by name, not as an accounts team
            "contact_name": c.contact_name[i] or (c.name[i] if c.is_individual(i) else ""),
            "account_number": c.account_of(i), "currency": r.currency,
            "amount": _money(r.amount), "interest": _money(float(r.interest.sum())),
            "compensation": _money(float(r.compensation.sum())), "total": _money(r.total),
            "invoice_count": str(invoice_count),
            "oldest_days_overdue": str(max(int(r.days_overdue[dunned].max()), 0)),
            "level": str(r.level.level), "level_name": r.level.name,
            "as_of": led.as_of_date, "sender_email": s.sender_email or "",
            "reply_to": s.reply_to or "", "payment_details": s.payment_details or "",
            "phone": s.phone or "",
            "before_action": BEFORE_ACTION_MARK if r.level.letter_before_action else "",
        }

    def issue_rows(self, reminders: bool = False) -> list[IssueRow]:
        """The input's problems, by sheet and row; ``reminders``: with those of the
        templates and of the late payment law, which only reminders meet."""
        found: list[Issue] = list(self.ledger.issues)
        if reminders:
            for t in self.ledger.templates:
                for column, message in template_problems(t):
                    found.append(Issue("Templates", t.row, column, message))
            for w in dict.fromkeys(self.selection.warnings):
                found.append(Issue("Settings", None, "Late Payment Law", w))
        found.sort(key=lambda i: (i.sheet, i.row or 0))
        return [IssueRow(sheet=i.sheet, row=i.row, column=i.column, message=i.message)
                for i in found]

    # -- the same as plain data, for code that stores or sends it ---------------------
    # (``as_data()``: what --json prints, plus the code of each skip reason)

    def ageing_doc(self) -> dict:
        return self.ageing_report().as_data()

    def check_doc(self) -> dict:
        return self.check_report().as_data()

    def score_doc(self) -> dict:
        return self.score_report().as_data()

    def remind_doc(self) -> dict:
        return self.remind_report().as_data()

    def issues(self, reminders: bool = False) -> list[dict]:
        return [i.as_data() for i in self.issue_rows(reminders)]

    def all_docs(self) -> dict:
        """Every document as plain data; ``write_results`` takes it as it takes
        ``results()``."""
        return self.results().as_data()


MAX_ORDER = 1e12  # a proposed order of a trillion or more (base currency) is a typing slip


def order_amount_problem(amount: float) -> str | None:
    """Why ``amount`` cannot be a proposed order (negative, not a number, absurdly large),
    in words; None when it can."""
    if not math.isfinite(amount):
        return "is not a number"
    if amount < 0:
        return "is negative: an order adds to what the customer owes"
    if amount >= MAX_ORDER:
        return f"is not a plausible order (the most taken is {MAX_ORDER - 0.01:,.2f})"
    return None


def order_check(analysis: Analysis, customer: str, amount: float = 0.0) -> OrderCheck:
    """The order desk's question: may this customer have an order of ``amount`` more? (0:
    the customer's decision as it stands.) Raises ValueError for an amount that cannot be an
    order (``order_amount_problem``), KeyError for an unknown customer."""
    from creditdesk.domain.credit import check_order

    problem = order_amount_problem(float(amount))
    if problem:
        raise ValueError(f"the order amount {amount:g} {problem}")
    decision, reasons, exposure = check_order(analysis.ledger, customer, amount,
                                              analysis.scores.whole)
    return OrderCheck(customer=customer, order_amount=_money(amount),
                      exposure=_money(exposure), decision=decision, reasons=reasons,
                      summary=f"{decision.upper()}: " + "; ".join(reasons))
