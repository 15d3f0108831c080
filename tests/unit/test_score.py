"""The payment behaviour score as a controller checks it by hand (docs/score.md).

As-of date 2026-06-30 throughout; net 30 unless a test says otherwise. ``score`` is kept
unrounded (it ranks customers); ``whole`` is the number shown, rounded half up, and the grade
and the limit are read from it.
"""

import datetime as dt
import math

import numpy as np
import pytest

from creditdesk.domain.score import (
    NO_HISTORY,
    grade_of,
    months_before,
    paydex,
    round_limit,
    score,
    settled_by_credit,
)
from tests import builders
from tests.builders import AS_OF, customer, days_before, invoice

# These cases check the formulas on one or two payments: the minimum history (3 settled
# invoices by default) is tested on its own, with the setting at its default.
ONE_IS_ENOUGH = {"Minimum Settled Invoices": 1}


def make_ledger(settings=None, **kw):
    return builders.make_ledger(settings={**ONE_IS_ENOUGH, **(settings or {})}, **kw)


def paid(number: str, amount: float, due: dt.date, days_late: int, cid: str = "C1",
         **fields) -> dict:
    """An invoice settled ``days_late`` days after its due date (negative = early)."""
    return invoice(number, amount, due, cid,
                   Settled_Date=due + dt.timedelta(days=days_late), **fields)


def one_payment(days_late: int) -> dict:
    return paid("I1", 1000.0, days_before(200), days_late)


def only(customer_fields: dict | None = None, invoices=(), **kw):
    """Scores of a single customer C1; returns (score, grade, limit, days, reasons, scores)."""
    ledger = make_ledger(customers=[customer("C1", **(customer_fields or {}))],
                         invoices=list(invoices), **kw)
    s = score(ledger)
    return s.score[0], s.grade[0], s.recommended_limit[0], s.days_beyond_terms[0], \
        s.reasons[0], s


# --- the PAYDEX scale -------------------------------------------------------------------


def test_a_prompt_payer_scores_80():
    got, grade, _, days, reasons, _ = only(invoices=[one_payment(0)])
    assert (got, grade, days) == (80.0, "A", 0.0)
    assert reasons == ["pays on average on terms"]


def test_paying_15_days_beyond_terms_scores_70():
    got, grade, _, days, reasons, _ = only(invoices=[one_payment(15)])
    assert (got, grade, days) == (70.0, "B", 15.0)
    assert reasons == ["pays on average 15 days beyond terms"]


def test_an_early_payer_scores_above_80():
    got, _, _, days, reasons, s = only(invoices=[one_payment(-10)])
    assert days == -10.0
    assert got == pytest.approx(80 + 10 * 20 / 30)  # 86.67
    assert s.whole[0] == 87.0  # shown as 87
    assert reasons == ["pays on average 10 days early"]


def test_paying_30_days_early_or_more_scores_100_and_never_more():
    assert only(invoices=[one_payment(-30)])[0] == 100.0
    assert paydex(-45.0) == 100.0


@pytest.mark.parametrize(
    ("days", "expected"),
    [(-30, 100), (0, 80), (7.5, 75), (15, 70), (22, 60), (30, 50), (45, 45), (60, 40),
     (90, 30), (120, 20), (150, 10.5), (180, 1), (365, 1)],
)
def test_days_beyond_terms_map_through_the_paydex_anchor_points(days, expected):
    assert paydex(float(days)) == pytest.approx(expected)


def test_a_very_late_payer_bottoms_out_at_1():
    got, grade, limit, _, _, _ = only(invoices=[one_payment(200)])
    assert (got, grade, limit) == (1.0, "E", 0.0)


def test_the_average_is_weighted_by_amount():
    day = days_before(100)
    got, _, _, days, _, _ = only(invoices=[
        paid("I1", 300.0, day, 0),
        paid("I2", 100.0, day - dt.timedelta(days=20), 20),  # settled the same day
    ])
    assert days == 5.0  # (300 x 0 + 100 x 20) / 400
    assert got == pytest.approx(80 - 5 * 10 / 15)  # 76.67, shown as 77


def test_amounts_are_weighed_in_base_currency():
    day = days_before(100)
    got, _, _, days, _, _ = only(
        invoices=[paid("I1", 100.0, day, 0),
                  paid("I2", 400.0, day - dt.timedelta(days=15), 15, Currency="USD")],
        fx={"USD": 0.5})
    assert days == 10.0  # (100 x 0 + 200 x 15) / 300 in EUR
    assert got == pytest.approx(80 - 10 * 10 / 15)  # 73.33


def test_an_old_payment_counts_as_much_as_a_recent_one():
    _, _, _, days, reasons, s = only(invoices=[
        paid("I1", 100.0, days_before(10), 10),  # settled on the as-of date
        paid("I2", 100.0, days_before(365), 0),  # settled a year ago
    ])
    assert days == 5.0
    assert s.weighted_days_beyond_terms[0] == 5.0  # no recency weight
    assert s.score[0] == pytest.approx(80 - 5 * 10 / 15)
    assert reasons == ["pays on average 5 days beyond terms"]


# --- open invoices already past due: paid at least that late ---------------------------


def test_an_open_invoice_40_days_past_due_counts_as_a_payment_40_days_late():
    on_terms = paid("I1", 1000.0, days_before(200), 0)
    *_, open_late = only(invoices=[on_terms, invoice("O1", 500.0, days_before(40))])
    *_, paid_late = only(invoices=[on_terms, paid("P1", 500.0, days_before(60), 40)])
    dw = 500 * 40 / 1500  # (1000 x 0 + 500 x 40) / 1500 = 13.33 days
    for s in (open_late, paid_late):
        assert s.weighted_days_beyond_terms[0] == pytest.approx(dw)
        assert s.base[0] == pytest.approx(80 - dw * 10 / 15)  # 71.11
        assert s.score[0] == pytest.approx(80 - dw * 10 / 15)
        assert (s.whole[0], s.grade[0]) == (71.0, "B")
    # what it has paid so far is on terms; the open invoice is in Dw only
    assert open_late.days_beyond_terms[0] == 0.0
    assert open_late.reasons[0] == ["pays on average on terms (13 days beyond terms counting "
                                    "the open invoices already past due)"]
    assert paid_late.reasons[0] == ["pays on average 13 days beyond terms"]


def test_an_open_invoice_past_due_weighs_its_outstanding_amount_in_base_currency():
    *_, s = only(invoices=[
        paid("I1", 1000.0, days_before(200), 0),
        invoice("O1", 1600.0, days_before(40), Paid=600.0, Currency="USD"),  # 1000 USD owed
    ], fx={"USD": 0.5})
    assert s.weighted_days_beyond_terms[0] == pytest.approx(500 * 40 / 1500)  # 500 EUR owed
    assert s.score[0] == pytest.approx(80 - 500 * 40 / 1500 * 10 / 15)


def test_open_invoices_not_yet_due_and_open_credit_notes_do_not_count():
    got, grade, _, days, reasons, s = only(invoices=[
        one_payment(0),
        invoice("O1", 5000.0, days_before(0)),  # due today: not past due
        invoice("O2", 5000.0, days_before(-10)),  # due in 10 days
        invoice("CN", -300.0, days_before(50)),  # an open credit note 50 days "past due"
    ])
    assert (got, grade, days) == (80.0, "A", 0.0)
    assert s.weighted_days_beyond_terms[0] == 0.0
    assert reasons == ["pays on average on terms"]


def test_the_score_is_kept_unrounded_and_graded_on_the_whole_number_shown():
    day = days_before(200)
    ledger = make_ledger(
        customers=[customer("C1"), customer("C2")],
        invoices=[paid("A1", 1000.0, day, 0, "C1"), paid("A2", 60.0, day, 10, "C1"),
                  paid("B1", 1000.0, day, 0, "C2")])
    s = score(ledger)
    assert s.score[0] == pytest.approx(80 - 600 / 1060 * 10 / 15)  # 79.62
    assert s.whole.tolist() == [80.0, 80.0]  # both shown as 80 ...
    assert s.grade.tolist() == ["A", "A"]  # ... and graded on what is shown
    assert s.score[0] < s.score[1]  # but C2 still ranks above C1
    assert s.recommended_limit[0] == s.recommended_limit[1]


# --- no history ----------------------------------------------------------------------


def test_a_customer_without_settled_invoices_has_no_score_and_says_why():
    ledger = make_ledger(
        customers=[customer("C1"), customer("C2"), customer("C3"), customer("C4")],
        invoices=[
            invoice("I1", 500.0, days_before(10), "C1"),  # open
            paid("CN1", -50.0, days_before(100), 0, "C2"),  # a settled credit note
            invoice("I3", 500.0, days_before(10), "C3",
                    Settled_Date=AS_OF + dt.timedelta(days=1)),  # settled after the as-of date
        ])
    s = score(ledger)
    assert np.isnan(s.score).all()
    assert np.isnan(s.recommended_limit).all()
    assert np.isnan(s.days_beyond_terms).all()
    assert s.grade.tolist() == ["", "", "", ""]
    assert s.reasons == [[NO_HISTORY]] * 4
    assert NO_HISTORY == "no settled invoices yet"


def test_an_external_rating_alone_does_not_make_a_score():
    got, grade, *_ = only({"External Rating": 90}, invoices=[])
    assert math.isnan(got)
    assert grade == ""


# --- grades and the recommended limit --------------------------------------------------


def test_grades_start_at_80_70_50_and_30():
    scores = np.array([100, 80, 79, 70, 69, 50, 49, 30, 29, 1, np.nan])
    assert grade_of(scores).tolist() == ["A", "A", "B", "B", "C", "C", "D", "D", "E", "E",
                                         ""]


def sales(n: int, amount: float, days_late: int, cid: str = "C1") -> list[dict]:
    """``n`` invoices dated within the last 6 months, settled ``days_late`` after due."""
    return [paid(f"{cid}-{k}", amount, days_before(20 * k), days_late, cid)
            for k in range(1, n + 1)]


def test_the_limit_is_two_months_of_sales_for_an_a_grade_on_30_days_terms():
    got, grade, limit, _, _, s = only(invoices=sales(6, 10_000.0, 0))
    assert (got, grade) == (80.0, "A")
    assert s.monthly_sales[0] == 10_000.0  # 60,000 over 6 months
    assert limit == 20_000.0  # 10,000 x (30 + 30)/30 x 1.0


def test_longer_terms_and_a_lower_grade_scale_the_limit_and_it_is_rounded_down():
    got, grade, limit, *_ = only({"Terms (days)": 60}, invoices=sales(6, 10_000.0, 15))
    assert (got, grade) == (70.0, "B")
    assert limit == 22_000.0  # 10,000 x (60 + 30)/30 x 0.75 = 22,500, rounded down


def test_an_e_grade_gets_no_credit():
    got, grade, limit, _, _, s = only(invoices=[
        paid("OLD", 1000.0, days_before(300), 150),
        *[invoice(f"S{k}", 10_000.0, days_before(-k)) for k in range(1, 7)],  # not yet due
    ])
    assert got == 10.5  # P(150)
    assert (s.whole[0], grade) == (11.0, "E")  # shown rounded half up
    assert s.monthly_sales[0] == 10_000.0
    assert limit == 0.0


def test_only_sales_dated_in_the_last_6_calendar_months_count():
    start = months_before(AS_OF, 6)
    assert start == dt.date(2025, 12, 30)
    thirty = dt.timedelta(days=30)
    *_, s = only(invoices=[
        paid("OLD", 6_000.0, start + thirty, 0),  # dated on the start day: not counted
        paid("NEW", 6_000.0, start + dt.timedelta(days=1) + thirty, 0),
        invoice("CN", -600.0, days_before(10), Settled_Date=days_before(5)),  # not a sale
    ])
    assert s.monthly_sales[0] == 1_000.0
    assert s.recommended_limit[0] == 2_000.0


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [(12_345.0, 12_000.0), (22_500.0, 22_000.0), (987.0, 980.0), (99_999.0, 99_000.0),
     (100_000.0, 100_000.0), (1_234_567.0, 1_200_000.0), (45.6, 45.0), (0.0, 0.0)],
)
def test_limits_are_rounded_down_to_two_significant_figures(raw, rounded):
    assert round_limit(np.array([raw])).tolist() == [rounded]


def test_six_months_before_a_month_end_is_clamped_to_the_shorter_month():
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2024, 8, 31), 6) == dt.date(2024, 2, 29)
    assert months_before(dt.date(2026, 3, 15), 6) == dt.date(2025, 9, 15)


# --- adjustments ---------------------------------------------------------------------


def test_disputed_invoices_count_only_through_their_lateness():
    invoices = [paid(f"I{k}", 100.0, days_before(100 + k), 10 if k < 2 else 0,
                     Disputed="Yes" if k < 2 else "No") for k in range(4)]
    got, _, _, days, reasons, s = only(invoices=invoices)
    assert days == 5.0  # (2 x 100 x 10) / 400
    assert got == pytest.approx(80 - 5 * 10 / 15)
    assert "disputes" not in s.adjustments
    assert reasons == ["pays on average 5 days beyond terms"]


def test_a_balance_long_past_due_lowers_the_score_through_the_base_only():
    got, grade, _, _, reasons, s = only(invoices=[
        one_payment(0),
        invoice("O1", 700.0, days_before(45)),
        invoice("O2", 300.0, days_before(10)),
    ])
    dw = (700 * 45 + 300 * 10) / 2000  # 17.25 days, both open items past due
    assert s.weighted_days_beyond_terms[0] == pytest.approx(dw)
    assert got == pytest.approx(70 - (dw - 15) * 10 / 7)  # 66.79
    assert (s.whole[0], grade) == (67.0, "C")
    assert "overdue" not in s.adjustments  # not counted a second time
    assert reasons == ["pays on average on terms (17 days beyond terms counting the open "
                       "invoices already past due)"]


def test_the_longer_an_invoice_stays_open_past_due_the_lower_the_score():
    scores = [only(invoices=[one_payment(0), invoice("O1", 1000.0, days_before(late))])[0]
              for late in (0, 1, 30, 60, 120)]
    assert scores[0] == 80.0
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 5
    assert scores[-1] == pytest.approx(40.0)  # Dw = 60 days: the anchor at 60


def test_exposure_above_the_review_utilisation_lowers_the_score():
    got, _, _, _, reasons, s = only(
        {"Credit Limit": 1000, "Open Orders": 100},
        invoices=[one_payment(0), invoice("O1", 1100.0, days_before(-10))])
    assert s.adjustments["utilisation"][0] == pytest.approx(-10.0)  # 25 x (1.2 - 0.8)
    assert got == 70.0
    assert reasons[0] == "exposure (outstanding + open orders) is 120% of the credit limit"


@pytest.mark.parametrize(("open_amount", "points"),
                         [(800.0, 0.0), (5000.0, -15.0)])
def test_utilisation_counts_only_above_the_threshold_and_at_most_15_points(open_amount,
                                                                           points):
    *_, s = only({"Credit Limit": 1000},
                 invoices=[one_payment(0), invoice("O1", open_amount, days_before(-10))])
    assert s.adjustments["utilisation"][0] == points


def test_without_a_credit_limit_utilisation_does_not_count():
    got, *_ = only(invoices=[one_payment(0), invoice("O1", 1e6, days_before(-10))])
    assert got == 80.0


def test_the_review_utilisation_setting_is_the_threshold():
    *_, s = only({"Credit Limit": 1000},
                 invoices=[one_payment(0), invoice("O1", 800.0, days_before(-10))],
                 settings={"Review Utilisation %": 60})
    assert s.adjustments["utilisation"][0] == pytest.approx(-5.0)  # 25 x (0.8 - 0.6)


@pytest.mark.parametrize(("rating", "expected"), [(40, 70.0), (100, 85.0)])
def test_an_external_rating_is_blended_in_at_a_quarter(rating, expected):
    got, _, _, _, reasons, _ = only({"External Rating": rating}, invoices=[one_payment(0)])
    assert got == expected  # 0.75 x 80 + 0.25 x rating
    assert f"external rating {rating} blended in at 25% weight" in reasons


def test_an_adjustment_under_half_a_point_is_dropped_with_no_reason():
    got, _, _, _, reasons, s = only(
        {"Credit Limit": 1000},
        invoices=[one_payment(0), invoice("O1", 810.0, days_before(-10))])
    assert s.adjustments["utilisation"][0] == 0.0  # 25 x (0.81 - 0.80) = 0.25
    assert got == 80.0
    assert reasons == ["pays on average on terms"]


# --- many customers at once -----------------------------------------------------------


def test_every_customer_is_scored_in_one_pass_whatever_the_row_order():
    day = days_before(200)
    ledger = make_ledger(
        customers=[customer("C1"), customer("C2"), customer("C3"), customer("C4")],
        invoices=[
            paid("B1", 1000.0, day, 15, "C2"),
            paid("A1", 1000.0, day, 0, "C1"),
            paid("D1", 1000.0, day, -30, "C4"),
            invoice("X1", 500.0, days_before(5), "C3"),  # open only: no history
            paid("A2", 3000.0, day, 0, "C1"),
        ])
    s = score(ledger)
    assert s.score[[0, 1, 3]].tolist() == [80.0, 70.0, 100.0]
    assert np.isnan(s.score[2])
    assert s.grade.tolist() == ["A", "B", "", "A"]
    assert s.days_beyond_terms[[0, 1, 3]].tolist() == [0.0, 15.0, -30.0]
    assert s.reasons[2] == [NO_HISTORY]
    assert s.reasons[3] == ["pays on average 30 days early"]
    assert len(s) == 4 and len(s.reasons) == 4


def test_an_invoice_is_settled_by_a_credit_note_naming_it_or_for_its_amount_that_day():
    settled = {"Settled Date": days_before(10)}
    ledger = builders.make_ledger(
        customers=[customer("C1"), customer("C2")],
        invoices=[invoice("I1", 100.0, days_before(40), **settled),  # named by CN1
                  invoice("I2", 250.0, days_before(40), **settled),  # CN2: amount, that day
                  invoice("I3", 250.0, days_before(40), "C2", **settled),  # CN2 is C1's
                  invoice("I4", 250.0, days_before(40), **{"Settled Date": days_before(9)}),
                  invoice("I5", 250.0, days_before(40), Currency="USD", **settled),
                  invoice("I6", 251.0, days_before(40), **settled),
                  invoice("I7", 100.0, days_before(40), "C2", **settled),  # CN1 is C1's
                  invoice("I8", 100.0, days_before(40)),  # named, but not settled
                  invoice("CN1", -100.0, days_before(20), Reference="I1"),
                  invoice("CN2", -250.0, days_before(0), **{"Invoice Date": days_before(10)}),
                  invoice("CN3", -100.0, days_before(20), Reference="I8")],
        fx={"USD": 0.8})
    assert not ledger.issues
    by_number = dict(zip(ledger.invoices.invoice.tolist(),
                         settled_by_credit(ledger).tolist(), strict=True))
    assert [n for n, hit in by_number.items() if hit] == ["I1", "I2"]
