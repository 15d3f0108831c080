"""KPIs on a ledger small enough to check with a calculator (docs/kpis.md has the formulas).

As of 2026-06-30, period 90 days: S = 2026-04-01.
  I1 3,000  issued 06-15, due 07-15, open (not due)
  I2 1,500  issued 05-10, due 06-09, open (21 days overdue)
  I3 2,000  issued 04-20, due 05-20, settled 06-10 (51 days to pay, 21 late)
  I4 1,000  issued 03-01, due 03-31, settled 04-15 (45 days to pay, 15 late; open on S)
Credit sales in (S, A] = 6,500; receivables 4,500; current 3,000; overdue 1,500; AR on S 1,000.
"""

import pytest

from creditdesk.domain.kpis import kpis
from tests.builders import d, invoice, make_ledger


@pytest.fixture
def k():
    return kpis(make_ledger(invoices=[
        invoice("I1", 3000.0, d("2026-07-15"), **{"Invoice Date": d("2026-06-15")}),
        invoice("I2", 1500.0, d("2026-06-09"), **{"Invoice Date": d("2026-05-10")}),
        invoice("I3", 2000.0, d("2026-05-20"), **{"Invoice Date": d("2026-04-20"),
                                                   "Settled Date": d("2026-06-10"),
                                                   "Paid": 2000.0}),
        invoice("I4", 1000.0, d("2026-03-31"), **{"Invoice Date": d("2026-03-01"),
                                                   "Settled Date": d("2026-04-15"),
                                                   "Paid": 1000.0}),
    ]))


def test_sales_and_receivables(k):
    assert (k.credit_sales, k.receivables, k.overdue) == (6500.0, 4500.0, 1500.0)


def test_simple_dso_is_receivables_over_sales_times_days(k):
    assert k.dso_simple == pytest.approx(4500 / 6500 * 90)  # 62.31


def test_countback_dso_walks_back_through_monthly_sales(k):
    # June: 3,000 of sales, 30 days -> 1,500 left; May: 1,500 of 1,500 sales x 31 days
    assert k.dso_countback == pytest.approx(30 + 31)


def test_best_possible_dso_uses_current_receivables(k):
    assert k.best_possible_dso == pytest.approx(3000 / 6500 * 90)  # 41.54


def test_average_days_delinquent_is_dso_less_best_possible(k):
    assert k.average_days_delinquent == pytest.approx(1500 / 6500 * 90)  # 20.77


def test_cei_compares_what_was_collected_with_what_could_have_been(k):
    # (begin 1,000 + sales 6,500 - end 4,500) / (1,000 + 6,500 - current 3,000)
    assert k.cei == pytest.approx(3000 / 4500 * 100)


def test_days_to_pay_and_days_late_are_amount_weighted(k):
    assert k.average_days_to_pay == pytest.approx((2000 * 51 + 1000 * 45) / 3000)  # 49
    assert k.average_days_late == pytest.approx((2000 * 21 + 1000 * 15) / 3000)  # 19


def test_percent_overdue(k):
    assert k.percent_overdue == pytest.approx(100 / 3)


def test_an_empty_ledger_has_no_ratio_instead_of_a_division_error():
    k = kpis(make_ledger())
    assert k.dso_simple is None and k.cei is None and k.percent_overdue is None
    assert k.dso_countback == 0.0
