"""Statutory late-payment interest: every number here is worked out by hand in the comments.

Reference rates used below (from creditdesk/data/*.csv):
  Bank Rate 0.50% from 2017-11-02, 3.50% from 2022-12-15, 5.00% from 2023-06-22,
  5.25% from 2023-08-03, 4.75% from 2024-11-07, 3.75% from 2025-12-18.
  ECB MRO 4.00% from 2023-06-21, 4.50% from 2023-09-20, 4.25% from 2024-06-12,
  2.15% from 2025-06-11.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditdesk.domain.interest import (
    LAWS,
    InterestResult,
    compensation_for,
    interest_columns,
    parse_rate_table,
    rate_table,
    reference_rate,
    round_money,
    round_money_array,
    statutory_interest,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


# ------------------------------------------------------------------------------------------
# The gov.uk worked example


def test_the_govuk_worked_example_is_reproduced_to_the_penny():
    # gov.uk, "Late commercial payments: charging interest and debt recovery", Interest:
    #   owed £1,000, base rate 0.5%: annual interest £85 (1,000 x 0.085), daily 23p
    #   (85 / 365 = 0.23), after 50 days £11.50 (50 x 0.23).
    # A real debt with those figures: due 31 Jan 2018, late from 1 Feb 2018 (first half of
    # 2018), so the reference date is 31 Dec 2017, when Bank Rate was 0.50%.
    # Paid 22 Mar 2018: 28 days of February + 22 of March = 50 days.
    r = statutory_interest(1000.0, d("2018-01-31"), d("2018-03-22"), "UK")
    assert r.reference_date == d("2017-12-31")
    assert r.rate == 8.5
    assert r.days == 50
    annual = 1000.0 * r.rate / 100
    assert annual == 85.0  # £85
    daily = round_money(annual / 365)
    assert daily == 0.23  # 23p a day
    assert round_money(50 * daily) == 11.50  # the published £11.50
    # Creditdesk follows the published method: the daily interest rounded to the penny,
    # times the days (exact arithmetic would give 1,000 x 0.085 x 50 / 365 = 11.6438...).
    assert r.interest == pytest.approx(11.50, abs=1e-9)
    assert round_money(r.interest) == 11.50
    # £1,000 is in the £1,000-£9,999.99 band: £70.
    assert r.compensation == 70.0
    assert r.compensation_currency == "GBP"
    assert r.warning is None


# ------------------------------------------------------------------------------------------
# UK reference dates


def test_a_uk_debt_late_on_30_june_uses_the_rate_of_the_previous_31_december():
    # Due 29 Jun 2023, late on 30 Jun 2023 (first half) -> 31 Dec 2022: 3.50% + 8 = 11.50%.
    # £2,000 paid 29 Jul 2023: 30 days. 2,000 x 11.5 / 100 x 30 / 365 = 6,900 / 365 = 18.904...
    r = statutory_interest(2000.0, d("2023-06-29"), d("2023-07-29"), "UK")
    assert r.reference_date == d("2022-12-31")
    assert r.rate == 11.5
    assert r.days == 30
    assert round_money(r.interest) == 18.90


def test_a_uk_debt_late_on_1_july_uses_the_rate_of_30_june_of_that_year():
    # Due 30 Jun 2023, late on 1 Jul 2023 (second half) -> 30 Jun 2023: 5.00% + 8 = 13.00%
    # (Bank Rate rose to 5.00% on 22 Jun 2023 and to 5.25% only on 3 Aug 2023).
    # £2,000 paid 30 Jul 2023: 30 days. Daily 2,000 x 13 / 100 / 365 = 0.7123 -> 0.71;
    # 30 x 0.71 = £21.30.
    r = statutory_interest(2000.0, d("2023-06-30"), d("2023-07-30"), "UK")
    assert r.reference_date == d("2023-06-30")
    assert r.rate == 13.0
    assert round_money(r.interest) == 21.30


def test_a_uk_debt_late_on_1_january_uses_the_rate_of_the_31_december_just_before():
    # Due 31 Dec 2023, late on 1 Jan 2024 -> 31 Dec 2023: 5.25% + 8 = 13.25%.
    # A debt due one day earlier is late on 31 Dec 2023 (second half) -> 30 Jun 2023: 13.00%.
    jan = statutory_interest(1000.0, d("2023-12-31"), d("2024-01-31"), "UK")
    dec = statutory_interest(1000.0, d("2023-12-30"), d("2024-01-31"), "UK")
    assert (jan.reference_date, jan.rate) == (d("2023-12-31"), 13.25)
    assert (dec.reference_date, dec.rate) == (d("2023-06-30"), 13.0)


def test_the_uk_rate_stays_fixed_for_the_whole_debt_and_a_leap_year_still_counts_365_days():
    # Late from 1 Jul 2023 at 13.00% until paid on 30 Jun 2024: 366 days (29 Feb 2024 in
    # between), all at 13.00% although Bank Rate was 5.25% on 31 Dec 2023.
    # Daily 2,000 x 13 / 100 / 365 = 0.7123 -> 0.71; 366 x 0.71 = £259.86 (366 days: the
    # divisor stays 365 and every day counts).
    r = statutory_interest(2000.0, d("2023-06-30"), d("2024-06-30"), "UK")
    assert r.days == 366
    assert r.periods == ((d("2023-07-01"), d("2024-06-30"), 366, 13.0),)
    assert round_money(r.interest) == 259.86


def test_the_december_2025_cut_sets_the_uk_rate_for_debts_late_in_early_2026():
    # Bank Rate was cut to 3.75% on 18 Dec 2025, so 31 Dec 2025 -> 3.75% + 8 = 11.75%.
    rate, ref, warning = reference_rate("UK", d("2026-02-01"))
    assert (rate, ref, warning) == (3.75, d("2025-12-31"), None)


# ------------------------------------------------------------------------------------------
# EU reference dates and half-years


def test_an_eu_debt_late_on_30_june_uses_the_ecb_rate_of_1_january():
    # Late on 30 Jun 2024 -> 1 Jan 2024: MRO 4.50% (since 20 Sep 2023) + 8 = 12.50%.
    # €1,000 paid on 30 Jun 2024: 1 day. 1,000 x 12.5 / 100 / 365 = 0.3424... -> €0.34.
    r = statutory_interest(1000.0, d("2024-06-29"), d("2024-06-30"), "EU")
    assert (r.reference_date, r.rate, r.days) == (d("2024-01-01"), 12.5, 1)
    assert round_money(r.interest) == 0.34
    assert (r.compensation, r.compensation_currency) == (40.0, "EUR")


def test_an_eu_debt_late_on_1_july_uses_the_ecb_rate_of_1_july():
    # Late on 1 Jul 2024 -> 1 Jul 2024: MRO 4.25% (since 12 Jun 2024) + 8 = 12.25%.
    r = statutory_interest(1000.0, d("2024-06-30"), d("2024-07-01"), "EU")
    assert (r.reference_date, r.rate, r.days) == (d("2024-07-01"), 12.25, 1)


def test_an_eu_debt_late_on_1_january_uses_the_ecb_rate_of_that_1_january():
    # Late on 1 Jan 2024 -> 1 Jan 2024: 12.50%. Late on 31 Dec 2023 -> 1 Jul 2023: MRO 4.00%
    # (since 21 Jun 2023) + 8 = 12.00%.
    jan = statutory_interest(1000.0, d("2023-12-31"), d("2024-01-01"), "EU")
    dec = statutory_interest(1000.0, d("2023-12-30"), d("2023-12-31"), "EU")
    assert (jan.reference_date, jan.rate) == (d("2024-01-01"), 12.5)
    assert (dec.reference_date, dec.rate) == (d("2023-07-01"), 12.0)


def test_eu_lateness_spanning_1_july_applies_each_half_years_rate_to_its_own_days():
    # €10,000 due 15 Jun 2024, paid 15 Jul 2024: 30 days late.
    #   16-30 Jun 2024: 15 days at 12.50% -> 10,000 x 12.5 / 100 x 15 / 365 = 51.369...
    #   1-15 Jul 2024:  15 days at 12.25% -> 10,000 x 12.25 / 100 x 15 / 365 = 50.342...
    #   total 37,125 / 365 = 101.712... -> €101.71
    # (One rate for all 30 days would give 102.74 at 12.50% or 100.68 at 12.25%.)
    r = statutory_interest(10_000.0, d("2024-06-15"), d("2024-07-15"), "EU")
    assert r.days == 30
    assert r.periods == (
        (d("2024-06-16"), d("2024-06-30"), 15, 12.5),
        (d("2024-07-01"), d("2024-07-15"), 15, 12.25),
    )
    assert r.rate == 12.5  # the first half-year's
    assert r.reference_date == d("2024-01-01")
    assert r.interest == pytest.approx(37_125 / 365, rel=1e-15)
    assert round_money(r.interest) == 101.71
    assert r.compensation == 40.0


def test_eu_lateness_over_three_half_years_has_three_periods():
    # €5,000 due 15 Dec 2023, paid 10 Jul 2024: 208 days late.
    #   16-31 Dec 2023: 16 days at 12.00%  -> 5,000 x 12 / 100 x 16 / 365    =   9,600 / 365
    #   Jan-Jun 2024:  182 days at 12.50%  -> 5,000 x 12.5 / 100 x 182 / 365 = 113,750 / 365
    #   1-10 Jul 2024:  10 days at 12.25%  -> 5,000 x 12.25 / 100 x 10 / 365 =   6,125 / 365
    #   total 129,475 / 365 = 354.726... -> €354.73
    r = statutory_interest(5000.0, d("2023-12-15"), d("2024-07-10"), "EU")
    assert r.days == 208
    assert [(p[2], p[3]) for p in r.periods] == [(16, 12.0), (182, 12.5), (10, 12.25)]
    assert round_money(r.interest) == 354.73


def test_the_ecb_rates_on_each_1_january_and_1_july_match_irelands_published_rates():
    # Ireland's Department of Enterprise publishes the ECB MRO rate "as at 1 January and
    # 1 July" it uses for its late payment interest rate (ECB rate + 8 points).
    published = {
        "2013-01-01": 0.75, "2013-07-01": 0.50, "2014-01-01": 0.25, "2014-07-01": 0.15,
        "2015-01-01": 0.05, "2015-07-01": 0.05, "2016-01-01": 0.05, "2016-07-01": 0.00,
        "2017-01-01": 0.00, "2018-07-01": 0.00, "2020-01-01": 0.00, "2022-07-01": 0.00,
        "2023-01-01": 2.50, "2023-07-01": 4.00, "2024-01-01": 4.50, "2024-07-01": 4.25,
        # 2025-2026 from the ECB's decisions: 3.15% since 18 Dec 2024, 2.15% since 11 Jun 2025
        "2025-01-01": 3.15, "2025-07-01": 2.15, "2026-01-01": 2.15,
    }
    for day, rate in published.items():
        assert reference_rate("EU", d(day))[:2] == (rate, d(day)), day


def test_the_uk_rates_on_each_31_december_and_30_june_match_the_bank_rate_history():
    expected = {
        "2008-12-31": 2.00, "2009-06-30": 0.50, "2016-06-30": 0.50, "2016-12-31": 0.25,
        "2017-12-31": 0.50, "2019-12-31": 0.75, "2020-06-30": 0.10, "2021-12-31": 0.25,
        "2022-06-30": 1.25, "2022-12-31": 3.50, "2023-06-30": 5.00, "2023-12-31": 5.25,
        "2024-06-30": 5.25, "2024-12-31": 4.75, "2025-06-30": 4.25, "2025-12-31": 3.75,
    }
    for ref, rate in expected.items():
        late_day = d(ref) + timedelta(days=1)
        assert reference_rate("UK", late_day)[:2] == (rate, d(ref)), ref


# ------------------------------------------------------------------------------------------
# Compensation


@pytest.mark.parametrize(
    ("amount", "fixed"),
    [(0.01, 40.0), (999.99, 40.0), (1000.0, 70.0), (9999.99, 70.0), (10_000.0, 100.0),
     (250_000.0, 100.0)],
)
def test_uk_compensation_follows_the_band_of_the_debt(amount, fixed):
    # Under £1,000 -> £40; £1,000 to £9,999.99 -> £70; £10,000 or more -> £100.
    r = statutory_interest(amount, d("2024-01-31"), d("2024-03-01"), "UK")
    assert r.compensation == fixed
    assert compensation_for("UK", amount) == fixed


def test_uk_bands_are_read_on_the_amount_rounded_to_pence():
    # £999.995 (say, after currency conversion) is £1,000.00 to the penny: £70.
    assert compensation_for("UK", 999.995) == 70.0
    assert compensation_for("UK", 999.994) == 40.0
    assert compensation_for("UK", 9999.995) == 100.0


def test_the_uk_band_uses_the_amount_in_pounds_when_the_invoice_is_in_another_currency():
    # USD 1,200 invoice worth £950: interest on USD 1,200, compensation £40 (under £1,000).
    r = statutory_interest(1200.0, d("2024-01-31"), d("2024-03-01"), "UK",
                           amount_in_law_currency=950.0)
    assert r.compensation == 40.0
    assert r.compensation_currency == "GBP"
    # Interest is in USD, on the USD amount: 30 days at 13.25% (31 Dec 2023: 5.25% + 8).
    # Daily 1,200 x 13.25 / 100 / 365 = 0.4356 -> 0.44; 30 x 0.44 = 13.20
    assert round_money(r.interest) == 13.20


def test_eu_compensation_is_40_euro_whatever_the_size():
    for amount in (0.01, 999.99, 50_000.0):
        assert statutory_interest(amount, d("2024-01-31"), d("2024-02-01"), "EU"
                                  ).compensation == 40.0


# ------------------------------------------------------------------------------------------
# Contract rate, not late, credit notes


def test_a_contract_rate_replaces_the_statutory_rate_but_compensation_is_still_due():
    # £5,000 due 1 Mar 2024, paid 13 May 2024: 30 + 30 + 13 = 73 days at 10%.
    # Daily 5,000 x 10 / 100 / 365 = 1.3699 -> 1.37; 73 x 1.37 = £100.01; compensation £70.
    r = statutory_interest(5000.0, d("2024-03-01"), d("2024-05-13"), "UK", contract_rate=10.0)
    assert r.days == 73
    assert r.rate == 10.0
    assert r.reference_date is None
    assert round_money(r.interest) == 100.01
    assert r.compensation == 70.0
    assert r.warning is None


def test_an_eu_contract_rate_applies_to_every_day_across_half_years():
    # €10,000, 30 days across 1 Jul 2024 at a contract 9%: 10,000 x 9 / 100 x 30 / 365
    # = 27,000 / 365 = 73.972... -> €73.97, one period.
    r = statutory_interest(10_000.0, d("2024-06-15"), d("2024-07-15"), "EU", contract_rate=9.0)
    assert r.periods == ((d("2024-06-16"), d("2024-07-15"), 30, 9.0),)
    assert round_money(r.interest) == 73.97
    assert r.compensation == 40.0


@pytest.mark.parametrize("paid", ["2024-03-01", "2024-02-15"])
def test_nothing_is_due_when_paid_on_or_before_the_due_date(paid):
    r = statutory_interest(5000.0, d("2024-03-01"), d(paid), "UK")
    assert r == InterestResult("UK", 0.0, 0, 0.0, 0.0, "GBP", None)


@pytest.mark.parametrize("amount", [-500.0, 0.0])
def test_credit_notes_and_zero_amounts_carry_no_interest_and_no_compensation(amount):
    r = statutory_interest(amount, d("2024-01-01"), d("2024-03-01"), "EU")
    assert (r.interest, r.compensation, r.periods) == (0.0, 0.0, ())
    assert r.days == 60  # still 60 days past due, nothing to claim


def test_an_unknown_law_is_refused_naming_the_allowed_values():
    with pytest.raises(ValueError, match="'UK', 'EU'"):
        statutory_interest(100.0, d("2024-01-01"), d("2024-02-01"), "US")
    with pytest.raises(ValueError, match="'UK', 'EU'"):
        interest_columns(np.array([1.0]), np.array(["2024-01-01"], "datetime64[D]"),
                         np.datetime64("2024-02-01"), "None")
    with pytest.raises(ValueError, match="'UK', 'EU'"):
        reference_rate("FR", d("2024-01-01"))


def test_the_law_may_be_written_in_lower_case():
    assert statutory_interest(100.0, d("2024-01-01"), d("2024-02-01"), " uk ").law == "UK"


def test_bad_amounts_and_negative_contract_rates_are_refused():
    with pytest.raises(ValueError, match="amount"):
        statutory_interest(float("nan"), d("2024-01-01"), d("2024-02-01"), "UK")
    with pytest.raises(ValueError, match="contract_rate"):
        statutory_interest(100.0, d("2024-01-01"), d("2024-02-01"), "UK", contract_rate=-1)


def test_a_debt_older_than_the_rate_table_is_refused_rather_than_guessed():
    # The UK table starts on 2006-08-03: a debt late in 2006's first half needs 31 Dec 2005.
    with pytest.raises(ValueError, match="starts on 2006-08-03"):
        statutory_interest(100.0, d("2006-03-01"), d("2006-04-01"), "UK")


# ------------------------------------------------------------------------------------------
# Out-of-date tables


STALE_UK = """\
# source: https://example.test/bank-rate
# checked_until: 2024-03-31
effective_date,rate_percent
2023-08-03,5.25
"""


def test_a_reference_date_after_checked_until_uses_the_last_rate_and_warns():
    stale = parse_rate_table(STALE_UK, "test table")
    # Late on 1 Jul 2024 -> 30 Jun 2024, after 31 Mar 2024: last known 5.25% + 8 = 13.25%.
    r = statutory_interest(1000.0, d("2024-06-30"), d("2024-07-30"), "UK", rates=stale)
    assert r.rate == 13.25
    assert r.warning is not None
    assert "checked only until 2024-03-31" in r.warning
    assert "2024-06-30" in r.warning
    # Late on 1 Apr 2024 -> 31 Dec 2023, within the checked range: no warning.
    assert statutory_interest(1000.0, d("2024-03-31"), d("2024-04-30"), "UK",
                              rates=stale).warning is None
    assert reference_rate("UK", d("2024-07-01"), rates=stale)[0] == 5.25
    # The shipped table is untouched: no global override.
    assert rate_table("UK").name != "test table"


def test_the_vectorised_calculation_reports_an_out_of_date_table_once_with_a_count():
    stale = parse_rate_table(STALE_UK, "test table")
    due = np.array(["2024-03-31", "2024-06-30", "2024-07-15"], dtype="datetime64[D]")
    _, _, warnings = interest_columns(np.array([1.0, 2.0, 3.0]), due,
                                      np.datetime64("2024-09-01"), "UK", rates=stale)
    assert len(warnings) == 1
    assert "for 2 items" in warnings[0]


def test_the_shipped_tables_warn_for_reference_dates_far_in_the_future():
    for law in LAWS:
        table = rate_table(law)
        rate, _, warning = reference_rate(law, d("2100-08-01"))
        assert rate == table.last_rate
        assert warning is not None and table.checked_until.isoformat() in warning


def test_a_contract_rate_never_needs_the_rate_table():
    r = statutory_interest(1000.0, d("2100-01-01"), d("2100-02-01"), "EU", contract_rate=8.0)
    assert r.warning is None


def test_the_shipped_tables_are_sorted_checked_and_cover_2008_onwards():
    for law in LAWS:
        t = rate_table(law)
        assert t.source.startswith("https://")
        assert np.all(np.diff(t.effective.astype(np.int64)) > 0)
        assert t.first_date <= d("2007-12-31")  # rates in force on 31 Dec 2007 / 1 Jan 2008
        assert t.checked_until >= d("2026-01-01")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("effective_date,rate_percent\n2024-01-01,5\n", "checked_until"),
        ("# checked_until: 2024-12-31\ndate,rate\n2024-01-01,5\n", "header"),
        ("# checked_until: 2024-12-31\neffective_date,rate_percent\n2024-01-01,five\n",
         "line 3"),
        ("# checked_until: 2024-12-31\neffective_date,rate_percent\n2024-02-01,5\n"
         "2024-01-01,4\n", "date order"),
        ("# checked_until: 2023-12-31\neffective_date,rate_percent\n2024-01-01,5\n",
         "before the last change"),
    ],
)
def test_a_malformed_rate_table_is_refused_with_the_line_at_fault(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rate_table(text, "t.csv")


# ------------------------------------------------------------------------------------------
# Vectorised == scalar


def test_columns_give_the_same_numbers_as_one_invoice_at_a_time():
    amount = np.array([1000.0, 10_000.0, 5000.0, -20.0, 999.99, 2000.0])
    due = np.array(["2018-01-31", "2024-06-15", "2023-12-15", "2024-01-01", "2024-07-20",
                    "2024-07-10"], dtype="datetime64[D]")
    as_of = np.datetime64("2024-07-10")
    for law in LAWS:
        interest, comp, warnings = interest_columns(amount, due, as_of, law)
        assert warnings == []
        for i in range(len(amount)):
            r = statutory_interest(amount[i], due[i].item(), as_of.item(), law)
            assert (interest[i], comp[i]) == (r.interest, r.compensation)


def test_columns_leave_items_without_a_due_date_or_amount_blank_and_say_so():
    amount = np.array([100.0, np.nan, 100.0, 100.0])
    due = np.array(["2024-01-01", "2024-01-01", "NaT", "2005-01-01"], dtype="datetime64[D]")
    interest, comp, warnings = interest_columns(amount, due, np.datetime64("2024-03-01"), "UK",
                                                amount_in_law_currency=amount)
    assert interest[0] > 0 and comp[0] == 40.0
    assert np.isnan(interest[1:]).all() and np.isnan(comp[1:]).all()
    assert any("2 item(s) without a due date or amount" in w for w in warnings)
    assert any("1 item(s) became late too long ago" in w for w in warnings)


def test_a_missing_amount_in_the_law_currency_blanks_only_the_compensation():
    interest, comp, _ = interest_columns(
        np.array([100.0]), np.array(["2024-01-01"], "datetime64[D]"),
        np.datetime64("2024-03-01"), "UK", amount_in_law_currency=np.array([np.nan]))
    assert interest[0] > 0 and np.isnan(comp[0])


def test_columns_accept_python_dates_and_empty_arrays():
    i, c, w = interest_columns(np.array([100.0]), np.array([date(2024, 1, 1)]),
                               date(2024, 3, 1), "EU")
    assert i[0] == statutory_interest(100.0, date(2024, 1, 1), date(2024, 3, 1), "EU").interest
    i, c, w = interest_columns(np.array([]), np.array([], "datetime64[D]"),
                               np.datetime64("2024-03-01"), "EU")
    assert (i.shape, c.shape, w) == ((0,), (0,), [])


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="shape"):
        interest_columns(np.array([1.0, 2.0]), np.array(["2024-01-01"], "datetime64[D]"),
                         np.datetime64("2024-03-01"), "UK")


def test_a_hundred_thousand_items_are_computed_in_one_call():
    rng = np.random.default_rng(7)
    n = 100_000
    amount = rng.uniform(-1000, 20_000, n)
    due = np.datetime64("2008-01-01") + rng.integers(0, 6500, n).astype("timedelta64[D]")
    for law in LAWS:
        interest, comp, _ = interest_columns(amount, due, np.datetime64("2026-01-15"), law)
        assert np.isfinite(interest).all() and np.isfinite(comp).all()
        for i in range(0, n, 9973):
            r = statutory_interest(amount[i], due[i].item(), date(2026, 1, 15), law)
            assert (interest[i], comp[i]) == (r.interest, r.compensation)


amounts = st.one_of(
    st.floats(-1e6, 1e7, allow_nan=False),
    st.integers(-100_000, 10_000_000).map(lambda c: c / 100),
    st.sampled_from([999.99, 999.995, 1000.0, 9999.99, 9999.995, 10_000.0]),
)
days_2007_2028 = st.dates(date(2007, 1, 1), date(2028, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(amounts, days_2007_2028, amounts), min_size=1, max_size=25),
    as_of=days_2007_2028,
    law=st.sampled_from(LAWS),
    contract=st.one_of(st.none(), st.floats(0, 30)),
)
def test_columns_equal_the_one_invoice_calculation_for_any_items(rows, as_of, law, contract):
    amount = np.array([r[0] for r in rows])
    due = np.array([r[1] for r in rows], dtype="datetime64[D]")
    law_amount = np.array([r[2] for r in rows])
    interest, comp, warnings = interest_columns(amount, due, np.datetime64(as_of), law,
                                                contract, law_amount)
    any_warning = False
    for i, (a, due_i, la) in enumerate(rows):
        r = statutory_interest(a, due_i, as_of, law, contract, la)
        assert interest[i] == r.interest
        assert comp[i] == r.compensation
        any_warning |= r.warning is not None
    assert bool(warnings) == any_warning


# ------------------------------------------------------------------------------------------
# Rounding


@pytest.mark.parametrize(
    ("x", "rounded"),
    [(2.675, 2.68), (1.005, 1.01), (0.125, 0.13), (-2.675, -2.68), (11.643835616438356, 11.64),
     (0.004999, 0.0), (-0.001, 0.0), (1e15 + 0.5, 1e15 + 0.5), (123.0, 123.0)],
)
def test_money_is_rounded_half_up_on_its_shortest_decimal_form(x, rounded):
    # 2.675 is stored as 2.67499999...; round(2.675, 2) gives 2.67, a calculator 2.68.
    assert round_money(x) == rounded
    assert round_money_array(np.array([x]))[0] == rounded


def test_rounding_leaves_nan_and_infinity_alone():
    assert np.isnan(round_money(float("nan")))
    assert round_money(float("inf")) == float("inf")
    out = round_money_array(np.array([np.nan, -np.inf]))
    assert np.isnan(out[0]) and out[1] == -np.inf


def test_rounding_a_numpy_float_works_like_a_python_float():
    assert round_money(np.float64(2.675)) == 2.68


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(-1e9, 1e9),
    st.integers(-10**12, 10**12).map(lambda m: m / 1000),
), min_size=1, max_size=50))
def test_rounding_columns_equals_rounding_one_value_at_a_time(values):
    out = round_money_array(np.array(values))
    assert [float(v) for v in out] == [round_money(v) for v in values]


def test_a_published_eu_example_is_reproduced():
    # fiscavo.com, "Late-Payment Interest in the EU & UK" (a worked example): EUR 4,500,
    # reference rate 3% + 8 = 11%, 30 days overdue: 4,500 x 11% x 30/365 = EUR 40.68, plus
    # the EUR 40 fixed sum. The 11% is given directly (as a rate, the arithmetic is the law's).
    r = statutory_interest(4500.0, d("2025-03-01"), d("2025-03-31"), "EU", contract_rate=11.0)
    assert r.days == 30
    assert round_money(r.interest) == 40.68
    assert r.compensation == 40.0 and r.compensation_currency == "EUR"
