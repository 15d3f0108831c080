"""The rules as a controller checks them by hand (issue 9, item 6).

Each case here was found wrong or missing; each test states it in words and failed on the
code before the fix (noted on each test). As of 2026-06-30; default policy and settings
unless a test says otherwise.
"""

import datetime as dt

import pytest

from creditdesk.analysis.report import Analysis
from creditdesk.domain.ageing import ageing
from creditdesk.domain.credit import credit_check
from creditdesk.domain.dunning import SkipCode, select
from creditdesk.domain.kpis import kpis
from creditdesk.domain.score import score
from tests.builders import AS_OF, customer, days_before, invoice, make_ledger

HISTORY_HEADER = ["Date", "Customer", "Type", "Level", "Currency", "Email", "Message Id",
                  "Note", "Amount", "Promised Date"]
LEVELS_HEADER = ["Level", "Name", "Days After Due", "Template", "Channel", "Add Interest",
                 "Days After Previous"]


def history(*rows):
    width = len(HISTORY_HEADER)
    return {"History": (HISTORY_HEADER, [list(r) + [""] * (width - len(r)) for r in rows])}


# -- credit notes, Paid, unapplied cash ------------------------------------------------


def test_paid_on_a_credit_note_reduces_the_credit():
    # before: -100 - 40 = -140 (the credit grew)
    ledger = make_ledger(invoices=[invoice("CN1", -100.0, days_before(5), Paid=40.0)])
    assert ageing(ledger).outstanding.tolist() == [-60.0]


def test_paid_above_the_amount_is_an_issue_and_unapplied_cash_never_an_overdue_debt():
    # before: no issue; -50 sat in the 31-60 bucket and Overdue was -50
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(45), Paid=150.0),
                                   invoice("I2", 200.0, days_before(45))])
    a = ageing(ledger)
    assert [(i.sheet, i.row, i.column) for i in ledger.issues] == [("Invoices", 2, "Paid")]
    assert "50.00 over is shown as unapplied cash" in ledger.issues[0].message
    assert a.unapplied.tolist() == [-50.0]
    assert a.overdue.tolist() == [200.0]
    assert a.buckets[0].tolist() == [0.0, 0.0, 200.0, 0.0, 0.0, 0.0]
    assert a.outstanding.tolist() == [150.0]


def test_credit_notes_are_unapplied_credits_and_never_make_a_bucket_or_overdue_negative():
    # before: the 1-30 bucket was -250 and Overdue 750
    ledger = make_ledger(invoices=[invoice("I1", 1000.0, days_before(45)),
                                   invoice("CN1", -250.0, days_before(5))])
    a = ageing(ledger)
    assert a.buckets[0].tolist() == [0.0, 0.0, 1000.0, 0.0, 0.0, 0.0]
    assert a.unapplied.tolist() == [-250.0]
    assert a.overdue.tolist() == [1000.0]
    assert a.outstanding.tolist() == [750.0]


def test_the_ageing_report_has_an_unapplied_credits_column_and_total():
    # before: the documents had no such figure
    doc = Analysis(make_ledger(invoices=[invoice("I1", 1000.0, days_before(45)),
                                         invoice("CN1", -250.0, days_before(5))])
                   ).ageing_report()
    assert doc.customers[0].unapplied_credits == -250.0
    assert doc.total.unapplied_credits == -250.0


def test_percent_overdue_never_goes_over_100_when_credits_not_yet_due_offset_the_debt():
    # before: 1,000 overdue of 200 net receivables = 500%
    k = kpis(make_ledger(invoices=[
        invoice("I1", 1000.0, days_before(10)),
        invoice("CN1", -800.0, AS_OF + dt.timedelta(days=20),
                **{"Invoice Date": days_before(10)})]))
    assert k.overdue == 1000.0
    assert k.percent_overdue == 100.0


def test_best_possible_dso_is_not_negative_when_credits_exceed_the_current_debt():
    # before: current receivables were 100 - 500 = -400, and Best Possible DSO negative
    k = kpis(make_ledger(invoices=[
        invoice("I1", 100.0, AS_OF + dt.timedelta(days=10), **{"Invoice Date": days_before(20)}),
        invoice("I2", 900.0, days_before(5), **{"Invoice Date": days_before(35)}),
        invoice("CN1", -500.0, AS_OF + dt.timedelta(days=10),
                **{"Invoice Date": days_before(1)})]))
    assert k.best_possible_dso is not None and k.best_possible_dso >= 0
    assert k.best_possible_dso == pytest.approx(100.0 / 500.0 * 90)


# -- credit check ------------------------------------------------------------------------


def test_exposure_is_compared_with_the_limit_in_cents():
    # 4,854.52 + 3,120.03 + 2,025.45 is 10,000.000000000002 in floating point;
    # before: Hold (over the limit)
    ledger = make_ledger(customers=[customer("C1", **{"Credit Limit": 10000})],
                         invoices=[invoice("I1", 4854.52, days_before(5)),
                                   invoice("I2", 3120.03, days_before(5)),
                                   invoice("I3", 2025.45, days_before(5))])
    r = credit_check(ledger)
    assert r.decision[0] == "Review"
    assert r.reasons[0][0] == "utilisation 100% of limit, at or above the 80% review threshold"


# -- interest ----------------------------------------------------------------------------


def test_a_contract_interest_rate_applies_with_no_statutory_law_selected():
    # before: no interest at all unless Late Payment Law was UK or EU
    ledger = make_ledger(invoices=[invoice("I1", 1000.0, days_before(40))],
                         settings={"Contract Interest Rate": "10"},
                         extra=history((days_before(10), "C1", "Reminder", 3, "EUR")))
    (r,) = select(ledger).reminders()
    assert r.level.level == 4
    assert r.interest.tolist() == [pytest.approx(1000.0 * 0.10 * 40 / 365)]
    assert r.compensation.tolist() == [0.0]  # fixed compensation is the law's, not the contract's


# -- dunning -----------------------------------------------------------------------------


def test_a_history_reminder_with_a_blank_currency_counts_for_the_cool_down():
    # before: the row was ignored and level 2 went again three days later
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(25))],
                         extra=history((days_before(3), "C1", "Reminder", 2, "")))
    sel = select(ledger)
    assert not sel.reminders()
    (skip,) = sel.skipped()
    assert skip.code is SkipCode.COOL_DOWN


def test_a_history_reminder_with_a_blank_currency_counts_for_escalation():
    # before: the row was ignored and level 2 was sent again instead of level 3
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(25))],
                         extra=history((days_before(10), "C1", "Reminder", 2, "")))
    (r,) = select(ledger).reminders()
    assert r.level.level == 3


def test_a_courtesy_note_is_not_sent_again_once_its_items_fall_due():
    # The courtesy note went 8 days ago, 5 days before the due date; the item is now 3 days
    # overdue and the first reminder is due at 7 days. before: the courtesy note went again.
    due = days_before(3)
    ledger = make_ledger(invoices=[invoice("I1", 100.0, due)],
                         extra=history((days_before(8), "C1", "Reminder", 1, "EUR")))
    sel = select(ledger)
    assert not sel.reminders()
    (skip,) = sel.skipped()
    assert skip.code is SkipCode.NOTHING_DUE
    assert skip.reason == ("nothing due for a reminder yet; next reminder (First reminder) on "
                           f"{due + dt.timedelta(days=7)}")


def test_a_level_waits_its_days_after_the_previous_reminder():
    # Level 3 may go 14 days after the previous reminder; level 2 went 10 days ago and the
    # item has reached level 3 (30 days past due). before: the column was ignored and
    # level 3 went as soon as the 7-day cool-down was over.
    levels = {"Dunning Levels": (LEVELS_HEADER, [
        [1, "Courtesy note", -5, "courtesy", "Email", "No", ""],
        [2, "First reminder", 7, "first_reminder", "Email", "No", ""],
        [3, "Second reminder", 21, "second_reminder", "Email", "No", 14],
        [4, "Final demand", 35, "final_demand", "Email", "Yes", 14]])}
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(30))],
                         extra={**levels, **history((days_before(10), "C1", "Reminder", 2,
                                                     "EUR"))})
    assert not ledger.issues, ledger.issues
    sel = select(ledger)
    assert not sel.reminders()
    (skip,) = sel.skipped()
    assert skip.code is SkipCode.COOL_DOWN
    assert skip.reason == ("level 2 sent on 2026-06-20; level 3 (Second reminder) may go "
                           "14 days after it, on 2026-07-04")
    later = make_ledger(invoices=[invoice("I1", 100.0, days_before(30))],
                        extra={**levels, **history((days_before(14), "C1", "Reminder", 2,
                                                    "EUR"))})
    assert select(later).reminders()[0].level.level == 3


# -- promises ----------------------------------------------------------------------------


def test_a_promise_is_kept_when_the_promised_amount_was_paid_by_its_date():
    # 500 promised by 10 days ago, I1 (500) settled 12 days ago; I2 (300), due before the
    # promise date, is still open. before: broken (an invoice due by then is still open)
    ledger = make_ledger(
        customers=[customer("C1", **{"Credit Limit": 10000, "Promise Date": days_before(10),
                                     "Promise Amount": 500})],
        invoices=[invoice("I1", 500.0, days_before(20), Paid=500.0,
                          **{"Settled Date": days_before(12)}),
                  invoice("I2", 300.0, days_before(15))])
    r = credit_check(ledger)
    assert not r.broken_promise[0]
    assert r.decision[0] != "Hold"


def test_a_promise_short_of_its_amount_is_broken():
    ledger = make_ledger(
        customers=[customer("C1", **{"Credit Limit": 10000, "Promise Date": days_before(10),
                                     "Promise Amount": 800})],
        invoices=[invoice("I1", 500.0, days_before(20), Paid=500.0,
                          **{"Settled Date": days_before(12)}),
                  invoice("I2", 300.0, days_before(15))])
    assert credit_check(ledger).broken_promise[0]


def test_a_promise_is_not_broken_by_disputed_items():
    # before: the disputed invoice, due before the promise date, broke the promise
    ledger = make_ledger(
        customers=[customer("C1", **{"Credit Limit": 10000, "Promise Date": days_before(3)})],
        invoices=[invoice("I1", 700.0, days_before(20), Disputed="Yes")])
    r = credit_check(ledger)
    assert not r.broken_promise[0]


# -- KPIs --------------------------------------------------------------------------------


def test_dso_uses_net_credit_sales_with_the_credit_notes_of_the_period_deducted():
    # sales 1,000 less a 200 credit note in the period: 800. before: 1,000
    k = kpis(make_ledger(invoices=[
        invoice("I1", 1000.0, days_before(10), **{"Invoice Date": days_before(40)}),
        invoice("CN1", -200.0, days_before(5), **{"Invoice Date": days_before(5)})]))
    assert k.credit_sales == 800.0
    assert k.gross_credit_sales == 1000.0
    assert k.dso_simple == pytest.approx(800.0 / 800.0 * 90)


def test_kpi_figures_are_rounded_half_up_like_money():
    # DSO = 1 / 4 x 1 day = 0.25 exactly: half up is 0.3 (Python's round gives 0.2)
    ledger = make_ledger(invoices=[invoice("I1", 4.0, AS_OF, Paid=3.0,
                                           **{"Invoice Date": AS_OF})],
                         settings={"KPI Period (days)": 1})
    assert kpis(ledger).dso_simple == 0.25
    assert Analysis(ledger).ageing_report().kpis.dso_simple == 0.3


# -- ageing by invoice date -------------------------------------------------------------


def test_ageing_by_invoice_date_does_not_call_its_first_bucket_not_due():
    # before: "Not due", a due-date word, over items aged by invoice date
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(5))],
                         settings={"Ageing Basis": "Invoice Date"})
    labels = ageing(ledger).labels
    assert labels == ["0", "1-30", "31-60", "61-90", "91-120", "Over 120"]


# -- score -------------------------------------------------------------------------------


def paid(number, amount, due, days_late, **fields):
    return invoice(number, amount, due, Settled_Date=due + dt.timedelta(days=days_late),
                   **fields)


def test_the_score_needs_a_minimum_history_before_it_grades():
    # two settled invoices, the minimum is 3. before: scored and graded on two payments
    ledger = make_ledger(invoices=[paid("I1", 1000.0, days_before(200), 0),
                                   paid("I2", 1000.0, days_before(100), 0)])
    s = score(ledger)
    assert s.grade[0] == ""
    assert s.reasons[0] == ["2 settled invoices; a score needs at least 3 (Minimum Settled "
                            "Invoices)"]
    more = make_ledger(invoices=[paid("I1", 1000.0, days_before(200), 0),
                                 paid("I2", 1000.0, days_before(100), 0),
                                 paid("I3", 1000.0, days_before(90), 0)])
    assert score(more).grade[0] == "A"


def test_a_credit_note_that_settles_an_invoice_is_not_a_late_payment():
    # I4 was cancelled by CN4 60 days after its due date; the other three were paid on
    # terms. before: I4 counted as paid 60 days late
    due4 = days_before(120)
    ledger = make_ledger(invoices=[
        paid("I1", 1000.0, days_before(200), 0), paid("I2", 1000.0, days_before(180), 0),
        paid("I3", 1000.0, days_before(160), 0),
        paid("I4", 1000.0, due4, 60),
        invoice("CN4", -1000.0, due4 + dt.timedelta(days=60), Reference="I4",
                **{"Invoice Date": due4 + dt.timedelta(days=60),
                   "Settled Date": due4 + dt.timedelta(days=60)})])
    s = score(ledger)
    assert s.days_beyond_terms[0] == 0.0
    assert s.whole[0] == 80.0


def test_the_recommended_limit_says_in_words_how_it_was_reached():
    # before: a number with no working
    ledger = make_ledger(invoices=[paid("I1", 6000.0, days_before(60), 0),
                                   paid("I2", 6000.0, days_before(50), 0),
                                   paid("I3", 6000.0, days_before(40), 0)])
    s = score(ledger)
    assert s.recommended_limit[0] == 6000.0
    assert s.limit_reasons[0] == ("monthly sales 3,000.00 (18,000.00 over 6 months) x "
                                  "(30 + 30) / 30 days x 1.0 for grade A = 6,000.00")
