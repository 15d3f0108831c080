"""Payment plans (issue 13, item 1), with dates. Default policy: 1 courtesy (-5 days), 2 first
reminder (+7), 3 second reminder (+21), 4 final demand (+35, adds interest); cool-down 7 days.

The plan of most tests: P1 covers I1 (300.00, due 31 Mar 2026) and I2 (600.00, due 30 Apr
2026), 3 monthly instalments of 300.00 from 15 May 2026 (15 May, 15 Jun, 15 Jul)."""

import datetime as dt

import pytest

from creditdesk.domain.dunning import SkipCode, select
from creditdesk.domain.interest import statutory_interest
from creditdesk.domain.plans import plan_states, schedule, split_evenly
from tests.builders import customer, d, invoice, make_ledger

PLANS_HEADER = ["Plan", "Customer", "Invoices", "Start Date", "Frequency", "Instalments",
                "Status", "Amounts", "Currency"]
PAYMENTS_HEADER = ["Date", "Customer", "Amount", "Currency", "Reference", "Invoice"]
HISTORY_HEADER = ["Date", "Customer", "Type", "Level", "Currency"]
INVOICES = [invoice("I1", 300.0, d("2026-03-31")), invoice("I2", 600.0, d("2026-04-30"))]


def plan_row(status="Active", invoices="I1;I2", start="2026-05-15", n=3, amounts="",
             frequency="Monthly", plan="P1"):
    return [plan, "C1", invoices, d(start), frequency, n, status, amounts, ""]


def ledger_on(as_of, plans=(), paid=(), history=(), settings=None, invoices=INVOICES):
    extra = {"Plans": (PLANS_HEADER, [list(p) for p in plans])}
    if paid:
        extra["Payments"] = (PAYMENTS_HEADER, [[d(day), "C1", amt, "", "", inv]
                                               for day, amt, inv in paid])
    if history:
        extra["History"] = (HISTORY_HEADER, [[d(day), "C1", "Reminder", lv, "EUR"]
                                             for day, lv in history])
    return make_ledger(customers=[customer("C1")], invoices=invoices, extra=extra,
                       settings={"As Of Date": d(as_of), "Late Payment Law": "EU",
                                 **(settings or {})})


def outcome(ledger):
    assert not ledger.issues, [str(i) for i in ledger.issues]
    sel = select(ledger)
    rem = sel.reminders()
    assert len(rem) <= 1
    skipped = sel.skipped()
    return (rem[0] if rem else None), (skipped[0] if skipped else None)


def test_monthly_instalments_fall_on_the_same_day_or_the_months_last():
    assert schedule(d("2026-01-31"), "Monthly", 4) == (
        d("2026-01-31"), d("2026-02-28"), d("2026-03-31"), d("2026-04-30"))
    assert schedule(d("2026-12-15"), "Monthly", 2) == (d("2026-12-15"), d("2027-01-15"))
    assert schedule(d("2026-05-01"), "Fortnightly", 3) == (
        d("2026-05-01"), d("2026-05-15"), d("2026-05-29"))
    assert schedule(d("2026-05-01"), "Weekly", 2)[1] == d("2026-05-08")


def test_an_uneven_split_keeps_the_total_to_the_cent():
    assert split_evenly(1000.00, 3) == (333.33, 333.33, 333.34)
    assert split_evenly(100.01, 7) == (14.28,) * 6 + (14.33,)
    led = ledger_on("2026-05-01", [plan_row(n=7, invoices="I1")])
    (state,) = plan_states(led)
    assert state.plan.amounts == (42.85,) * 6 + (42.90,)
    assert round(sum(state.plan.amounts) * 100) == 30000


def test_payments_are_matched_to_the_instalments_in_order():
    led = ledger_on("2026-06-30", [plan_row(amounts="200; 400; 300")],
                    paid=[("2026-05-14", 150.0, "I1"), ("2026-05-20", 150.0, "I1"),
                          ("2026-06-10", 400.0, "I2")])
    (s,) = plan_states(led)
    # 150 + 150 pays the first 200 on 20 May; 400 more on 10 Jun pays the second (600)
    assert s.paid_on == (d("2026-05-20"), d("2026-06-10"))
    assert (s.paid, s.missed, s.status) == (700.0, 0, "Active")
    assert (s.next_date, s.next_amount, s.outstanding) == (d("2026-07-15"), 200.0, 200.0)


def test_a_kept_plan_is_chased_only_on_its_instalments():
    paid = [("2026-05-15", 300.0, "I1"), ("2026-06-12", 300.0, "I2")]
    history = [("2026-05-01", 3)]  # a second reminder before the plan
    # without the plan: the final demand, with interest
    rem, _ = outcome(ledger_on("2026-06-30", [], paid, history))
    assert rem.level.level == 4 and rem.interest.sum() > 0
    # kept (two paid, the third due 15 Jul): nothing until the courtesy lead (3 days)
    rem, skip = outcome(ledger_on("2026-06-30", [plan_row()], paid, history))
    assert rem is None and skip.code is SkipCode.NOTHING_DUE
    assert skip.reason == ("nothing due for a reminder yet; next reminder (Courtesy note) on "
                           "2026-07-12")
    rem, skip = outcome(ledger_on("2026-07-11", [plan_row()], paid, history))
    assert rem is None and skip.code is SkipCode.NOTHING_DUE
    rem, _ = outcome(ledger_on("2026-07-12", [plan_row()], paid, history))
    assert rem.level.name == "Courtesy note" and rem.amount == 300.0
    # missed on 15 Jul: a reminder the day after, of the first level, with no interest
    rem, _ = outcome(ledger_on("2026-07-16", [plan_row()], paid, history))
    assert rem.level.level == 2 and rem.days_overdue.tolist() == [1]
    assert rem.interest.sum() == 0 and rem.compensation.sum() == 0


def test_a_proposed_or_cancelled_plan_changes_no_chasing():
    for status in ("Proposed", "Cancelled"):
        rem, _ = outcome(ledger_on("2026-06-30", [plan_row(status)]))
        assert rem.level.level == 2 and rem.days_overdue.tolist() == [91, 61]


def test_two_missed_instalments_default_the_plan_and_ordinary_chasing_resumes():
    paid = [("2026-05-15", 300.0, "I1")]  # the first instalment; then nothing
    history = [("2026-05-01", 3), ("2026-06-16", 2)]  # before the plan; the missed 15 Jun
    # one missed (15 Jun): still kept, chased on it
    led = ledger_on("2026-06-20", [plan_row()], paid, history[:1])
    (s,) = plan_states(led)
    assert (s.status, s.missed, s.paid_count) == ("Active", 1, 1)
    rem, _ = outcome(led)
    assert rem.level.level == 2 and rem.days_overdue.tolist() == [5]
    assert rem.amount == 300.0  # the missed instalment, not the 600.00 I2 owes
    # two missed (15 Jun, 15 Jul): Defaulted, the final demand on what remains, with the
    # statutory interest from the original due date (30 Apr)
    led = ledger_on("2026-07-16", [plan_row()], paid, history)
    (s,) = plan_states(led)
    assert (s.status, s.missed, s.outstanding) == ("Defaulted", 2, 600.0)
    rem, _ = outcome(led)
    expected = statutory_interest(600.0, d("2026-04-30"), d("2026-07-16"), "EU")
    assert rem.level.level == 4 and rem.days_overdue.tolist() == [77]
    assert rem.interest.tolist() == [pytest.approx(expected.interest)]
    assert rem.compensation.tolist() == [40.0]


def test_without_a_courtesy_lead_the_next_reminder_is_the_day_after_the_instalment():
    led = ledger_on("2026-06-30", [plan_row(start="2026-07-15", n=2)],
                    settings={"Plan Courtesy Lead (days)": 0})
    rem, skip = outcome(led)
    assert rem is None
    assert skip.reason.endswith("next reminder (First reminder) on 2026-07-16")
    rem, _ = outcome(ledger_on("2026-07-15", [plan_row(start="2026-07-15", n=2)],
                               settings={"Plan Courtesy Lead (days)": 0}))
    assert rem is None
    rem, _ = outcome(ledger_on("2026-07-16", [plan_row(start="2026-07-15", n=2)],
                               settings={"Plan Courtesy Lead (days)": 0}))
    assert rem.level.level == 2 and rem.amount == 450.0  # the instalment, not the 900 owed


def test_the_setting_decides_how_many_missed_instalments_default():
    led = ledger_on("2026-06-20", [plan_row()], [("2026-05-15", 300.0, "I1")],
                    settings={"Plan Missed Instalments To Default": 1})
    assert plan_states(led)[0].status == "Defaulted"


def test_a_plan_paid_in_full_is_completed_and_blank_invoices_mean_all_open():
    paid = [("2026-05-15", 300.0, "I1"), ("2026-06-15", 300.0, "I2"),
            ("2026-07-15", 300.0, "I2")]
    led = ledger_on("2026-07-20", [plan_row(invoices="")], paid)
    (s,) = plan_states(led)
    assert s.plan.invoices == (0, 1) and s.plan.total == 900.0
    assert (s.status, s.next_date, s.paid_count) == ("Completed", None, 3)


def test_bad_plan_cells_are_issues_and_lose_no_balance():
    rows = [plan_row(plan="P1", invoices="I1;NOPE"),
            plan_row(plan="P2", frequency="Daily"),
            plan_row(plan="P3", status="Maybe"),
            ["P4", "C9", "I1", d("2026-05-15"), "", 3, "Active", "", ""],
            plan_row(plan="P5", invoices="I2", amounts="1;2"),
            plan_row(plan="P6", invoices="I1")]
    led = ledger_on("2026-06-30", rows)
    where = {(i.row, i.column) for i in led.issues}
    assert where == {(2, "Invoices"), (3, "Frequency"), (4, "Status"), (5, "Customer"),
                     (6, "Amounts"), (7, "Invoices")}
    assert all(i.sheet == "Plans" for i in led.issues)
    assert [p.plan for p in led.plans] == ["P1", "P5"]  # P6: I1 is already in Active P1
    assert led.plans[0].invoices == (0,) and led.plans[1].amounts == (200.0,) * 3
    assert led.invoices.amount.sum() == 900.0
    assert dt.date(2026, 5, 15) == led.plans[0].start


def test_a_kept_plans_message_asks_for_the_instalments_due_not_the_whole_debt():
    # the courtesy note before the first of three: 300.00 of the 900.00 owed
    rem, _ = outcome(ledger_on("2026-07-12", [plan_row(start="2026-07-15")]))
    assert rem.level.name == "Courtesy note" and rem.amount == 300.0
    assert rem.outstanding.sum() == 900.0  # the invoices are listed with what they owe
    # four of 225.00; 300.00 paid: the first and 75.00 of the second. Two missed (15 Jun,
    # 15 Jul), kept (3 to default): what is left of both in one reminder, 375.00 of 600.00
    led = ledger_on("2026-07-16", [plan_row(n=4, amounts="225;225;225;225")],
                    [("2026-05-15", 300.0, "I1")],
                    settings={"Plan Missed Instalments To Default": 3})
    (s,) = plan_states(led)
    assert (s.status, s.missed, s.next_amount, s.due_now) == ("Active", 2, 150.0, 375.0)
    rem, _ = outcome(led)
    assert rem.level.level == 2 and rem.amount == 375.0 and rem.outstanding.sum() == 600.0


def test_a_plan_for_part_of_the_debt_counts_the_payments_from_its_start():
    # 400.00 of the 900.00 owed, in two of 200.00 from 15 May; 250.00 paid on 20 May
    led = ledger_on("2026-06-30", [plan_row(n=2, amounts="200; 200")],
                    [("2026-05-20", 250.0, "I1")])
    (s,) = plan_states(led)
    assert (s.paid, s.paid_on, s.next_date, s.next_amount) == (
        250.0, (d("2026-05-20"),), d("2026-06-15"), 150.0)
    assert (s.status, s.missed, s.outstanding) == ("Active", 1, 650.0)
