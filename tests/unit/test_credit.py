"""Credit decisions with their reasons. Defaults: review at 80% utilisation, hold over 60 days."""

import numpy as np
import pytest

from creditdesk.domain.credit import check_order, credit_check, share_of_limit
from tests.builders import AS_OF, customer, days_before, invoice, make_ledger


def decide(customers, invoices, scores=None, **settings):
    ledger = make_ledger(customers=customers, invoices=invoices, settings=settings)
    result = credit_check(ledger, scores=scores)
    return result


def test_within_limit_and_nothing_late_is_approved():
    r = decide([customer("C1", **{"Credit Limit": 10000})],
               [invoice("I1", 4000.0, days_before(10))])
    assert r.decision.tolist() == ["Approve"]
    assert r.reasons[0] == ["exposure 40% of limit; nothing over 30 days past due"]


def test_over_limit_is_hold_with_the_percentage():
    r = decide([customer("C1", **{"Credit Limit": 10000, "Open Orders": 2000})],
               [invoice("I1", 9800.0, days_before(5))])
    assert r.decision[0] == "Hold"
    assert r.exposure[0] == 11800.0
    assert r.summary(0) == "HOLD: exposure 118% of limit (11,800.00 of 10,000.00 EUR)"


def test_invoices_over_the_hold_days_put_the_account_on_hold():
    r = decide([customer("C1", **{"Credit Limit": 100000})],
               [invoice("I1", 100.0, days_before(61)), invoice("I2", 100.0, days_before(75)),
                invoice("I3", 100.0, days_before(95)), invoice("I4", 100.0, days_before(60))])
    assert r.decision[0] == "Hold"
    assert "3 invoices over 60 days past due (oldest 95 days)" in r.reasons[0]


def test_a_disputed_old_invoice_does_not_hold_but_asks_for_review():
    r = decide([customer("C1", **{"Credit Limit": 100000})],
               [invoice("I1", 500.0, days_before(90), Disputed="Yes")])
    assert r.decision[0] == "Review"
    assert "1 invoice disputed (500.00 EUR)" in r.reasons[0]


def test_utilisation_at_the_threshold_asks_for_review():
    r = decide([customer("C1", **{"Credit Limit": 1000})], [invoice("I1", 800.0,
                                                                    days_before(1))])
    assert r.decision[0] == "Review"
    assert "utilisation 80% of limit, at or above the 80% review threshold" in r.reasons[0]


def test_no_credit_limit_asks_for_review():
    r = decide([customer("C1")], [invoice("I1", 10.0, days_before(1))])
    assert (r.decision[0], r.reasons[0]) == ("Review", ["no credit limit set"])


def test_a_limit_of_zero_means_cash_only():
    r = decide([customer("C1", **{"Credit Limit": 0})], [invoice("I1", 10.0, days_before(1))])
    assert r.decision[0] == "Hold"
    assert "against a limit of 0" in r.reasons[0][0]


def test_a_tiny_limit_reads_over_999_percent_not_a_ten_digit_share():
    r = decide([customer("C1", **{"Credit Limit": 0.01})],
               [invoice("I1", 100000.0, days_before(5))])
    assert r.decision[0] == "Hold"
    assert r.utilisation[0] == pytest.approx(1e9)  # the figure itself stays as computed
    assert r.reasons[0][0] == "exposure >999% of limit (100,000.00 of 0.01 EUR)"


@pytest.mark.parametrize(("pct", "text"), [(0.0, "0%"), (118.4, "118%"), (999.4, "999%"),
                                          (999.5, ">999%"), (1e7, ">999%")])
def test_share_of_limit_in_words(pct, text):
    assert share_of_limit(pct) == text


def test_a_poor_score_asks_for_review():
    r = decide([customer("C1", **{"Credit Limit": 1000})], [invoice("I1", 10.0, days_before(1))],
               scores=np.array([42.0]))
    assert r.decision[0] == "Review"
    assert "payment score 42 below 50" in r.reasons[0]


def test_a_broken_promise_puts_the_account_on_hold():
    r = decide([customer("C1", **{"Credit Limit": 10000, "Promise Date": days_before(3),
                                  "Promise Amount": 700})],
               [invoice("I1", 700.0, days_before(20))])
    assert r.decision[0] == "Hold"
    assert f"promise to pay 700.00 by {days_before(3)} broken" in r.reasons[0]


def test_a_promise_not_yet_due_is_not_broken():
    r = decide([customer("C1", **{"Credit Limit": 10000, "Promise Date": AS_OF})],
               [invoice("I1", 700.0, days_before(20))])
    assert not r.broken_promise[0]


def test_a_credit_balance_is_not_over_a_limit_of_zero():
    r = decide([customer("C1", **{"Credit Limit": 0})], [invoice("CN", -50.0, days_before(1))])
    assert r.decision[0] == "Approve"
    assert r.reasons[0] == ["exposure -50.00 EUR; nothing over 30 days past due"]


def test_a_proposed_order_is_checked_against_the_limit():
    ledger = make_ledger(customers=[customer("C1", **{"Credit Limit": 10000})],
                         invoices=[invoice("I1", 6000.0, days_before(1))])
    assert check_order(ledger, "C1", 1000)[0] == "Approve"
    decision, reasons, exposure = check_order(ledger, "C1", 5000)
    assert (decision, exposure) == ("Hold", 11000.0)
    assert reasons[0].startswith("exposure 110% of limit")
    with pytest.raises(KeyError):
        check_order(ledger, "NOPE", 1)
