"""Cells as finance users and accounting exports write them: currency, separators, signs,
text dates in either order, terms. The same rules read imports and the contract workbook."""

import datetime as dt

import numpy as np
import pytest

from creditdesk.domain.cells import (
    currency_of,
    decide_date_order,
    parse_number,
    parse_terms,
    to_date,
    to_number,
)
from tests.builders import customer, days_before, invoice, make_ledger


@pytest.mark.parametrize(("text", "value"), [
    ("£1,250.00", 1250.0), ("$2,350.50", 2350.5), ("EUR 12", 12.0), ("12.00 USD", 12.0),
    ("(120.00)", -120.0), ("120.00-", -120.0), ("-£50.00", -50.0), ("£(50.00)", -50.0),
    ("($2,150.50)", -2150.5), ("120.00 CR", -120.0), ("100.00 DR", 100.0),
    ("1.234,56", 1234.56), ("1 234,56", 1234.56), ("1'234.50", 1234.5), ("12,50", 12.5),
    ("1,250", 1250.0), ("\u2212" + "5", -5.0), ("\u00a01\u00a0000.00 ", 1000.0),
])
def test_amounts_with_currency_separators_and_negatives_are_read(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["abc", "GBP", "NOV 3", "1.2.3", "1,2,3", "12..5", "--",
                                  "XYZ 12"])
def test_text_that_is_not_an_amount_is_refused_with_the_text_shown(text):
    assert isinstance(parse_number(text), str) and text in parse_number(text)


def test_a_mapping_can_fix_the_separators():
    assert parse_number("1.250,00", decimal=",") == 1250.0
    assert parse_number("1,25", decimal=",") == 1.25
    assert parse_number("1,250", decimal=".") == 1250.0
    assert isinstance(parse_number("1.250,00", decimal="."), str)


def test_currency_is_named_by_symbol_or_code():
    assert [currency_of(t) for t in ["£1.00", "EUR 12", "$2,150.50", "12", "12 CHF"]] == [
        "GBP", "EUR", "USD", None, "CHF"]


def test_the_existing_number_rules_still_hold():
    arr, errors = to_number(["12", "(5.00)", "abc", True, dt.date(2026, 1, 1)])
    assert arr[:2].tolist() == [12.0, -5.0] and set(errors) == {2, 3, 4}


@pytest.mark.parametrize("text", ["03 Nov 2026", "3 November 2026", "November 3, 2026",
                                  "Nov 3rd, 2026", "3-Nov-26", "2026-11-03", "2026/11/03",
                                  " Tuesday, November 3, 2026 09:14 AM GMT-05:00",
                                  "03.11.2026 00:00:00"])
def test_text_dates_with_month_names_or_year_first_need_no_order(text):
    arr, errors = to_date([text] if "." not in text else [text.replace("03.11", "03.11")],
                          order="DMY" if "." in text else None)
    assert errors == {} and arr.tolist() == [dt.date(2026, 11, 3)]


def test_day_month_order_is_decided_per_column_from_its_own_dates():
    uk = ["03/11/2026", "25/11/2026"]
    us = ["11/03/2026", "11/25/2026"]
    assert decide_date_order(uk).order == "DMY" and decide_date_order(uk).note is None
    assert decide_date_order(us).order == "MDY"
    assert to_date(uk, "DMY")[0].tolist() == [dt.date(2026, 11, 3), dt.date(2026, 11, 25)]
    assert to_date(us, "MDY")[0].tolist() == [dt.date(2026, 11, 3), dt.date(2026, 11, 25)]


def test_an_ambiguous_column_uses_the_default_and_says_so():
    choice = decide_date_order(["03/11/2026", "04/11/2026"], "MDY", "QuickBooks writes US dates")
    assert choice.order == "MDY"
    assert "03/11/2026" in choice.note and "month/day/year" in choice.note
    assert "QuickBooks" in choice.note
    nothing = decide_date_order(["03/11/2026"])
    assert nothing.order is None and "Date Order" in nothing.note
    _, errors = to_date(["03/11/2026"], nothing.order)
    assert "could be day/month or month/day" in errors[0]


def test_a_column_mixing_both_orders_takes_the_order_of_most_and_refuses_the_rest():
    values = ["25/11/2026", "26/11/2026", "11/27/2026"]
    choice = decide_date_order(values)
    assert choice.order == "DMY" and "mixes" in choice.note
    arr, errors = to_date(values, choice.order)
    assert list(errors) == [2] and "day/month/year" in errors[2]
    assert np.isnat(arr[2])


@pytest.mark.parametrize(("text", "days"), [("Net 30", 30), ("30 days", 30), ("30", 30),
                                             (14.0, 14), ("net30", 30), ("2% 10 Net 30", 30),
                                             ("Due on receipt", 0), ("Net 15 days", 15)])
def test_terms_are_read_as_days(text, days):
    assert parse_terms(text) == days


def test_terms_that_are_not_days_are_refused():
    assert "not a number of days" in parse_terms("20th of following month")
    assert parse_terms("") is None


# -- the same rules in the contract workbook ------------------------------------------------


def test_the_workbook_reads_tolerant_amounts_text_dates_and_terms():
    ledger = make_ledger(
        customers=[customer("C1", **{"Terms (days)": "Net 14"})],
        invoices=[invoice("I1", "£1,250.00", days_before(10), **{"Invoice Date": "01 May 2026"}),
                  invoice("I2", "(50.00)", days_before(3), **{"Due Date": ""})])
    assert not ledger.issues, ledger.issues
    assert ledger.invoices.amount.tolist() == [1250.0, -50.0]
    assert ledger.customers.terms.tolist() == [14.0]
    assert ledger.invoices.invoice_date[0] == np.datetime64("2026-05-01")


def test_an_ambiguous_date_column_in_the_workbook_follows_date_order_and_says_so():
    rows = [invoice("I1", 10.0, days_before(1), **{"Invoice Date": "03/04/2026",
                                                   "Due Date": "05/06/2026"})]
    uk = make_ledger(invoices=rows)
    assert uk.invoices.invoice_date[0] == np.datetime64("2026-04-03")
    notes = [i for i in uk.issues if i.row is None]
    assert {i.column for i in notes} == {"Invoice Date", "Due Date"}
    assert all("day/month/year" in i.message and "Country is GB" in i.message for i in notes)
    us = make_ledger(invoices=rows, settings={"Date Order": "MDY"})
    assert us.invoices.invoice_date[0] == np.datetime64("2026-03-04")
    assert all("Date Order setting" in i.message for i in us.issues)
    decided = make_ledger(invoices=[*rows, invoice("I2", 5.0, days_before(1),
                                                   **{"Invoice Date": "25/04/2026",
                                                      "Due Date": "25/06/2026"})])
    assert not decided.issues  # the data decides: 25/04 can only be day first


def test_a_blank_row_inside_a_table_is_one_issue_not_one_per_column():
    blank = {"Invoice": "", "Customer": "", "Invoice Date": "", "Due Date": "", "Amount": ""}
    ledger = make_ledger(invoices=[invoice("I1", 10.0, days_before(1)), blank,
                                   invoice("I2", 20.0, days_before(1))])
    assert [(i.row, i.message) for i in ledger.issues] == [(3, "blank row (skipped)")]
    assert ledger.invoices.invoice.tolist() == ["I1", "I2"]
