"""Dated payments and dated rates (issue 9, item 7): the optional Payments table and the FX
table's optional Date column. As of 2026-06-30."""

import datetime as dt

import numpy as np
import pytest

from creditdesk.domain.ageing import ageing, outstanding_on
from creditdesk.domain.credit import credit_check, paid_between
from creditdesk.domain.dunning import select
from creditdesk.domain.interest import statutory_interest
from creditdesk.domain.kpis import kpis
from creditdesk.domain.ledger import build_ledger, raw_tables
from tests.builders import AS_OF, customer, days_before, invoice, make_ledger, tables

PAYMENTS_HEADER = ["Date", "Customer", "Amount", "Currency", "Reference", "Invoice"]
HISTORY_HEADER = ["Date", "Customer", "Type", "Level", "Currency", "Amount", "Promised Date"]


def payments(*rows):
    return {"Payments": (PAYMENTS_HEADER, [list(r) + [""] * (6 - len(r)) for r in rows])}


def test_a_part_payment_counts_from_its_date():
    ledger = make_ledger(invoices=[invoice("I1", 1000.0, days_before(60))],
                         extra=payments((days_before(30), "C1", 400.0, "", "BACS 1", "I1")))
    assert not ledger.issues
    assert ageing(ledger).outstanding.tolist() == [600.0]
    # on an earlier day, before the payment came in, all 1,000 was open
    before = np.datetime64(days_before(45), "D")
    assert outstanding_on(ledger, before).tolist() == [1000.0]


def test_paid_and_the_payments_are_the_same_money():
    ledger = make_ledger(invoices=[invoice("I1", 1000.0, days_before(60), Paid=400.0)],
                         extra=payments((days_before(30), "C1", 400.0, "", "", "I1")))
    assert not ledger.issues
    assert ageing(ledger).outstanding.tolist() == [600.0]
    assert outstanding_on(ledger, np.datetime64(days_before(45), "D")).tolist() == [1000.0]


def test_a_payment_on_account_is_an_unapplied_credit_from_its_date_and_not_a_sale():
    ledger = make_ledger(invoices=[invoice("I1", 1000.0, days_before(20))],
                         extra=payments((days_before(5), "C1", 300.0, "", "cheque 7")))
    a = ageing(ledger)
    assert a.unapplied.tolist() == [-300.0]
    assert a.outstanding.tolist() == [700.0]
    assert kpis(ledger).credit_sales == 1000.0
    assert outstanding_on(ledger, np.datetime64(days_before(6), "D")).sum() == 1000.0


def test_a_payment_for_an_invoice_not_found_is_kept_on_account():
    ledger = make_ledger(invoices=[invoice("I1", 1000.0, days_before(20))],
                         extra=payments((days_before(5), "C1", 300.0, "", "", "I9")))
    (issue,) = ledger.issues
    assert (issue.sheet, issue.row, issue.column) == ("Payments", 2, "Invoice")
    assert issue.message == "no invoice 'I9' in Invoices; kept as a payment on account"
    assert ageing(ledger).outstanding.tolist() == [700.0]


def test_statutory_interest_runs_on_each_part_until_it_was_paid():
    due = days_before(60)
    paid_on = days_before(20)
    ledger = make_ledger(invoices=[invoice("I1", 1000.0, due)],
                         settings={"Late Payment Law": "UK", "Base Currency": "GBP"},
                         extra={**payments((paid_on, "C1", 400.0, "", "", "I1")),
                                "History": (HISTORY_HEADER, [
                                    [days_before(10), "C1", "Reminder", 3, "GBP", "", ""]])})
    (r,) = select(ledger).reminders()
    assert r.level.level == 4
    on_rest = statutory_interest(600.0, due, AS_OF, "UK").interest
    on_part = statutory_interest(400.0, due, paid_on, "UK").interest
    assert r.interest.tolist() == [pytest.approx(on_rest + on_part)]


def test_a_contract_rate_runs_on_each_part_too():
    due = days_before(40)
    ledger = make_ledger(invoices=[invoice("I1", 1000.0, due)],
                         settings={"Contract Interest Rate": 10},
                         extra={**payments((days_before(10), "C1", 500.0, "", "", "I1"),
                                           (days_before(50), "C1", 100.0, "", "", "I1")),
                                "History": (HISTORY_HEADER, [
                                    [days_before(10), "C1", "Reminder", 3, "EUR", "", ""]])})
    (r,) = select(ledger).reminders()
    # 400 open for 40 days; 500 paid after 30 days late; the 100 paid before the due date
    # earns nothing
    assert r.interest.tolist() == [pytest.approx((400 * 40 + 500 * 30) * 0.10 / 365)]


def promise_ledger(paid_on: dt.date, made: dt.date):
    return make_ledger(
        customers=[customer("C1", **{"Credit Limit": 10000})],
        invoices=[invoice("I1", 800.0, days_before(30))],
        extra={**payments((paid_on, "C1", 500.0, "", "", "I1")),
               "History": (HISTORY_HEADER, [[made, "C1", "Promise", "", "", 500.0,
                                             days_before(10)]])})


def test_a_promise_is_judged_by_what_was_paid_by_its_date():
    assert not credit_check(promise_ledger(days_before(12), days_before(20))).broken_promise[0]
    # paid after the promised date: broken
    assert credit_check(promise_ledger(days_before(5), days_before(20))).broken_promise[0]
    # paid before the promise was made: that was not the promised payment
    assert credit_check(promise_ledger(days_before(25), days_before(20))).broken_promise[0]


def test_what_was_paid_is_the_same_when_only_some_customers_are_asked_for():
    ledger = make_ledger(
        customers=[customer("C1"), customer("C2"), customer("C3")],
        invoices=[invoice("I1", 500.0, days_before(40)),
                  invoice("I2", 300.0, days_before(40), Customer="C2",
                          **{"Settled Date": days_before(8)}),
                  invoice("I3", 250.0, days_before(40), Customer="C3"),
                  invoice("I4", 120.0, days_before(35), Customer="C2")],
        extra=payments((days_before(12), "C1", 200.0, "", "", "I1"),
                       (days_before(15), "C2", 100.0, "", "", "I2"),
                       (days_before(9), "C2", 20.0, "", "", "I4"),
                       (days_before(6), "C3", 75.0, "", "cheque 3"),
                       (days_before(7), "C3", 50.0, "", "", "I3")))
    assert not ledger.issues
    n = len(ledger.customers)
    start = np.full(n, np.datetime64(days_before(20), "D"))
    end = np.full(n, np.datetime64(days_before(5), "D"))
    everyone = paid_between(ledger, start, end)
    # C2: 100 on I2, then I2 settled (200 more), 20 on I4; C3: on account 75 and 50 on I3
    assert everyone.tolist() == [200.0, 320.0, 125.0]
    for who in ([True, False, True], [False, True, False], [False, False, False]):
        some = paid_between(ledger, start, end, np.array(who))
        assert some.tolist() == np.where(who, everyone, 0.0).tolist()


FX_HEADER = ["Currency", "Rate", "Date"]


def fx_ledger(as_of: dt.date, rows):
    t = tables(invoices=[invoice("I1", 100.0, dt.date(2025, 12, 1), Currency="USD",
                                 **{"Invoice Date": dt.date(2025, 11, 1)})],
               settings={"As Of Date": as_of})
    t["FX"] = (FX_HEADER, rows)
    return build_ledger(raw_tables(t))


@pytest.mark.parametrize(("as_of", "rate"), [
    (dt.date(2026, 6, 30), 0.9), (dt.date(2026, 6, 1), 0.9), (dt.date(2026, 5, 31), 0.8),
    (dt.date(2026, 1, 1), 0.8), (dt.date(2025, 12, 31), 0.7)])
def test_an_as_of_date_uses_the_rate_in_force_that_day(as_of, rate):
    ledger = fx_ledger(as_of, [["USD", 0.8, dt.date(2026, 1, 1)], ["USD", 0.9, dt.date(2026, 6, 1)],
                               ["USD", 0.7, ""]])
    assert not ledger.issues
    assert ledger.fx["USD"] == rate
    assert ageing(ledger).outstanding.tolist() == [pytest.approx(100.0 * rate)]


def test_before_the_first_dated_rate_and_without_an_undated_one_nothing_is_converted():
    ledger = fx_ledger(dt.date(2025, 12, 31), [["USD", 0.8, dt.date(2026, 1, 1)]])
    assert [(i.sheet, i.column) for i in ledger.issues] == [("FX", "Date"),
                                                            ("Invoices", "Currency")]
    assert ageing(ledger).not_converted["USD"].tolist() == [100.0]


def test_two_rates_for_one_currency_on_one_day_keep_the_first():
    ledger = fx_ledger(AS_OF, [["USD", 0.8, dt.date(2026, 1, 1)],
                               ["USD", 0.85, dt.date(2026, 1, 1)]])
    (issue,) = ledger.issues
    assert issue.message == "second rate for USD on 2026-01-01 (the first one is used)"
    assert ledger.fx["USD"] == 0.8
