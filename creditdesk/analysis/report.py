"""One analysis of a ledger, and the JSON documents every front end shows.

The CLI prints these documents, the results workbook is written from them, and the add-in
writes them into the user's workbook, so the three always agree. Amounts are in base
currency (reminders: in their own currency) and rounded to cents here, at the edge, never
inside sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from creditdesk.domain.ageing import Ageing, Position, ageing, position
from creditdesk.domain.credit import CreditCheck, credit_check
from creditdesk.domain.dunning import Selection, select
from creditdesk.domain.interest import round_money
from creditdesk.domain.issues import Issue
from creditdesk.domain.kpis import Kpis, kpis
from creditdesk.domain.ledger import Ledger
from creditdesk.domain.score import Scores, score
from creditdesk.domain.templates import Line, pick, render, template_problems


def _money(x: float) -> float:
    return round_money(float(x))


def _opt(x: float | None, digits: int = 2) -> float | None:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    return round(float(x), digits)


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
    def _head(self) -> dict:
        return {"as_of": self.ledger.as_of_date.isoformat(),
                "base_currency": self.ledger.settings.base_currency}

    def _listed(self) -> np.ndarray:
        """Customers shown in per-customer lists: those with open items or a limit."""
        c = self.ledger.customers
        return np.flatnonzero((self.ageing.open_items > 0) | ~np.isnan(c.credit_limit)
                              | (c.open_orders != 0))

    def ageing_doc(self) -> dict:
        c, a = self.ledger.customers, self.ageing
        rows = [{
            "customer": c.ids[i],
            "name": c.name[i],
            "outstanding": _money(a.outstanding[i]),
            "overdue": _money(a.overdue[i]),
            "buckets": [_money(x) for x in a.buckets[i]],
            "open_items": int(a.open_items[i]),
            "oldest_days_overdue": int(a.oldest_days_overdue[i]),
        } for i in np.flatnonzero(a.open_items > 0)]
        rows.sort(key=lambda r: (-r["outstanding"], r["customer"]))
        k = self.kpis.as_dict()
        money_keys = {"credit_sales", "receivables", "overdue"}
        return {
            **self._head(),
            "buckets": a.labels,
            "customers": rows,
            "total": {"outstanding": _money(a.total), "overdue": _money(a.overdue.sum()),
                      "buckets": [_money(x) for x in a.total_buckets]},
            "kpis": {key: (_money(v) if key in money_keys else
                           v if key == "period_days" else _opt(v, 1)) for key, v in k.items()},
            "issues": self.issues(),
        }

    def check_doc(self) -> dict:
        c, cr, sc = self.ledger.customers, self.credit, self.scores
        rows = [{
            "customer": c.ids[i],
            "name": c.name[i],
            "outstanding": _money(self.ageing.outstanding[i]),
            "open_orders": _money(c.open_orders[i]),
            "exposure": _money(cr.exposure[i]),
            "credit_limit": _opt(cr.credit_limit[i]),
            "utilisation": _opt(cr.utilisation[i], 1),
            "score": _opt(sc.whole[i]),
            "decision": cr.decision[i],
            "reasons": cr.reasons_for(i),
            "summary": cr.summary(i),
        } for i in self._listed()]
        order = {"Hold": 0, "Review": 1, "Approve": 2}
        rows.sort(key=lambda r: (order[r["decision"]], -r["exposure"], r["customer"]))
        return {**self._head(), "customers": rows, "issues": self.issues()}

    def score_doc(self) -> dict:
        c, sc = self.ledger.customers, self.scores
        rows = [{
            "customer": c.ids[i],
            "name": c.name[i],
            "score": _opt(sc.whole[i]),
            "grade": sc.grade[i],
            "recommended_limit": _opt(sc.recommended_limit[i]),
            "days_beyond_terms": _opt(sc.days_beyond_terms[i], 1),
            "reasons": sc.reasons[i],
        } for i in range(len(c))]
        rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["customer"]))
        return {**self._head(), "customers": rows, "issues": self.issues()}

    def remind_doc(self) -> dict:
        led, sel = self.ledger, self.selection
        c, inv, s = led.customers, led.invoices, led.settings
        reminders = []
        for r in sel.reminders():
            i = r.customer
            lines = [Line(inv.invoice[k], str(inv.invoice_date[k]), str(inv.due_date[k]), d, o)
                     for k, o, d in zip(r.items.tolist(), r.outstanding.tolist(),
                                        r.days_overdue.tolist(), strict=True)]
            interest = float(r.interest.sum())
            compensation = float(r.compensation.sum())
            dunned = r.outstanding > 0
            values = {
                "company_name": s.company_name, "customer": c.ids[i],
                "customer_name": c.name[i] or c.ids[i], "currency": r.currency,
                "amount": _money(r.amount), "interest": _money(interest),
                "compensation": _money(compensation), "total": _money(r.total),
                "invoice_count": str(len(lines)),
                "oldest_days_overdue": str(max(int(r.days_overdue[dunned].max()), 0)),
                "level": str(r.level.level), "level_name": r.level.name,
                "as_of": led.as_of_date.isoformat(), "sender_email": s.sender_email or "",
                "reply_to": s.reply_to or "",
            }
            t = pick(led.templates, r.level.template, c.language[i])
            rendered = render(t, values, lines, claim_all=r.level.days < 0) if t else None
            reminders.append({
                "customer": c.ids[i],
                "name": c.name[i],
                "currency": r.currency,
                "level": r.level.level,
                "level_name": r.level.name,
                "channel": r.level.channel,
                "template": r.level.template,
                "language": t.language if t else "",
                "to": r.to,
                "cc": r.cc,
                "subject": rendered.subject if rendered else "",
                "text": rendered.text if rendered else "",
                "html": rendered.html if rendered else "",
                "invoices": [{
                    "invoice": ln.invoice,
                    "invoice_date": ln.invoice_date,
                    "due_date": ln.due_date,
                    "days_overdue": ln.days_overdue,
                    "status": ln.status,
                    "outstanding": _money(ln.outstanding),
                    "interest": _money(ri),
                    "compensation": _money(rc),
                } for ln, ri, rc in zip(lines, r.interest.tolist(), r.compensation.tolist(),
                                        strict=True)],
                "amount": _money(r.amount),
                "interest": _money(interest),
                "compensation": _money(compensation),
                "total": _money(r.total),
            })
        reminders.sort(key=lambda r: (r["customer"], r["currency"]))
        skipped = sorted(({"customer": c.ids[k.customer], "name": c.name[k.customer],
                           "currency": k.currency, "reason": k.reason}
                          for k in sel.skipped()), key=lambda r: (r["customer"], r["currency"]))
        return {**self._head(), "reminders": reminders, "skipped": skipped,
                "issues": self.issues(reminders=True)}

    def issues(self, reminders: bool = False) -> list[dict]:
        found: list[Issue] = list(self.ledger.issues)
        if reminders:
            for t in self.ledger.templates:
                for column, message in template_problems(t):
                    found.append(Issue("Templates", t.row, column, message))
            for w in dict.fromkeys(self.selection.warnings):
                found.append(Issue("Settings", None, "Late Payment Law", w))
        found.sort(key=lambda i: (i.sheet, i.row or 0))
        return [i.as_dict() for i in found]

    def all_docs(self) -> dict:
        return {"ageing": self.ageing_doc(), "check": self.check_doc(),
                "score": self.score_doc(), "remind": self.remind_doc(),
                "issues": self.issues(reminders=True)}


def order_check(analysis: Analysis, customer: str, amount: float) -> dict:
    """The order desk's question: may this customer have an order of ``amount`` more?"""
    from creditdesk.domain.credit import check_order

    decision, reasons, exposure = check_order(analysis.ledger, customer, amount,
                                              analysis.scores.whole)
    return {"customer": customer, "order_amount": _money(amount), "exposure": _money(exposure),
            "decision": decision, "reasons": reasons,
            "summary": f"{decision.upper()}: " + "; ".join(reasons)}

