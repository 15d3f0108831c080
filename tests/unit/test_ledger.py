"""Bad input: every unusable cell is an issue naming sheet, row and column; good rows go on."""

import datetime as dt

import numpy as np
import pytest

from creditdesk.domain.errors import WorkbookError
from creditdesk.domain.ledger import RawTable, build_ledger, raw_tables
from tests.builders import customer, days_before, invoice, make_ledger, tables


def issues_of(ledger):
    return [(i.sheet, i.row, i.column) for i in ledger.issues]


def one_issue(ledger):
    assert len(ledger.issues) == 1, ledger.issues
    return ledger.issues[0]


def good(n="I0", customer="C1"):
    return invoice(n, 100.0, days_before(10), customer=customer)


def test_text_in_a_number_column_names_the_cell_and_keeps_the_other_rows():
    ledger = make_ledger(invoices=[good(), invoice("I1", "abc", days_before(10))])
    issue = one_issue(ledger)
    assert (issue.sheet, issue.row, issue.column) == ("Invoices", 3, "Amount")
    assert "'abc' is not a number" in issue.message
    assert ledger.invoices.invoice.tolist() == ["I0"]


def test_numbers_typed_as_text_with_thousands_separators_are_read():
    ledger = make_ledger(invoices=[invoice("I1", "1,234.50", days_before(10)),
                                   invoice("I2", " 99 ", days_before(10))])
    assert not ledger.issues
    assert ledger.invoices.amount.tolist() == [1234.5, 99.0]


@pytest.mark.parametrize("bad", ["2026-02-30", "31/13/2026", "yesterday", -5, 0])
def test_impossible_or_unreadable_dates_are_issues(bad):
    ledger = make_ledger(invoices=[good(), invoice("I1", 10.0, days_before(5),
                                                   **{"Due Date": bad})])
    issue = one_issue(ledger)
    assert (issue.row, issue.column) == (3, "Due Date")
    assert "date" in issue.message


@pytest.mark.parametrize("value", [dt.date(2026, 5, 31), dt.datetime(2026, 5, 31, 13, 5),
                                   46173, 46173.0, "2026-05-31", "2026-05-31T00:00:00"])
def test_dates_arrive_as_excel_dates_serial_numbers_or_iso_text(value):
    ledger = make_ledger(invoices=[invoice("I1", 10.0, days_before(5),
                                           **{"Due Date": value})])
    assert not ledger.issues
    assert ledger.invoices.due_date[0] == dt.date(2026, 5, 31)


def test_a_missing_customer_and_an_unknown_customer_are_issues():
    ledger = make_ledger(invoices=[good(), invoice("I1", 10.0, days_before(5), customer=""),
                                   invoice("I2", 10.0, days_before(5), customer="C9")])
    assert issues_of(ledger) == [("Invoices", 3, "Customer"), ("Invoices", 4, "Customer")]
    assert "blank" in ledger.issues[0].message
    assert "unknown customer 'C9'" in ledger.issues[1].message


def test_a_duplicate_invoice_number_keeps_the_first_and_flags_the_second():
    ledger = make_ledger(invoices=[good("I1"), good("I2"), good("I1")])
    issue = one_issue(ledger)
    assert (issue.row, issue.column) == (4, "Invoice")
    assert "first on row 2" in issue.message
    assert ledger.invoices.invoice.tolist() == ["I1", "I2"]


def test_negative_paid_is_an_issue():
    issue = one_issue(make_ledger(invoices=[invoice("I1", 10.0, days_before(5), Paid=-3)]))
    assert (issue.row, issue.column) == (2, "Paid")


def test_a_due_date_before_the_invoice_date_is_an_issue():
    issue = one_issue(make_ledger(invoices=[invoice(
        "I1", 10.0, days_before(5), **{"Invoice Date": days_before(1)})]))
    assert issue.column == "Due Date" and "before the invoice date" in issue.message


def test_a_currency_without_an_fx_rate_is_an_issue_and_the_item_stays_not_converted():
    ledger = make_ledger(invoices=[good(), invoice("I1", 10.0, days_before(5),
                                                   Currency="JPY")])
    issue = one_issue(ledger)
    assert (issue.row, issue.column) == (3, "Currency")
    assert issue.message == ("no FX rate for JPY: 1 item in JPY (the first on this row) is "
                             "shown in JPY and counted as not converted, outside the EUR "
                             "totals, until a rate is added to FX")
    assert ledger.invoices.invoice.tolist() == ["I0", "I1"]
    assert ledger.invoices.converted.tolist() == [True, False]


@pytest.mark.parametrize(("email", "words"), [
    ("not-an-address", "not a valid e-mail address"),
    ("ap@acme.example.com\nBcc: victim@x.com", "line break"),
    ("a@x.example.com; b@y.example.com", "one address only"),
])
def test_invalid_email_addresses_are_issues(email, words):
    ledger = make_ledger(customers=[customer("C1"), customer("C2", Email=email)],
                         invoices=[good()])
    issue = one_issue(ledger)
    assert (issue.sheet, issue.row, issue.column) == ("Customers", 3, "Email")
    assert words in issue.message
    assert issue.message.endswith("ignored: no e-mail reminders to this customer until it is "
                                  "fixed")
    # the address is left out, the customer kept
    assert ledger.customers.ids.tolist() == ["C1", "C2"]
    assert ledger.customers.email.tolist() == ["ap@c1.example.com", ""]


def test_cc_takes_several_addresses():
    ledger = make_ledger(customers=[customer("C1", CC="a@x.example.com; b@y.example.com")])
    assert not ledger.issues


def test_invoices_of_a_customer_whose_key_is_bad_say_why():
    ledger = make_ledger(customers=[customer("C1"), customer("C1", Name="again")],
                         invoices=[good(), good("I2", customer="C9")])
    assert issues_of(ledger) == [("Customers", 3, "Customer"), ("Invoices", 3, "Customer")]
    assert ledger.invoices.invoice.tolist() == ["I0"]


def test_a_bad_credit_limit_is_ignored_and_the_customer_kept():
    ledger = make_ledger(customers=[customer("C1", **{"Credit Limit": "lots"})],
                         invoices=[good()])
    assert issues_of(ledger) == [("Customers", 2, "Credit Limit")]
    assert ledger.issues[0].message == ("text 'lots' is not a number; ignored: no credit limit "
                                        "(the credit check asks for a review) until it is "
                                        "fixed")
    assert np.isnan(ledger.customers.credit_limit[0]) and len(ledger.invoices) == 1


def test_a_row_with_several_problems_reports_each_once_per_column():
    ledger = make_ledger(invoices=[invoice("I1", "x", days_before(3), **{"Due Date": "y"})])
    assert {i.column for i in ledger.issues} == {"Amount", "Due Date"}


def test_headers_match_ignoring_case_and_extra_spaces_and_column_order_is_free():
    t = tables(invoices=[good()])
    header, rows = t["Invoices"]
    t["Invoices"] = (["  due   DATE "] + [h for h in header if h != "Due Date"],
                     [[r[3], *r[:3], *r[4:]] for r in rows])
    ledger = build_ledger(raw_tables(t))
    assert not ledger.issues
    assert ledger.invoices.due_date[0] == days_before(10)


def test_a_missing_invoices_table_is_a_workbook_error():
    t = tables()
    del t["Invoices"]
    with pytest.raises(WorkbookError, match="no table or sheet named 'Invoices'"):
        build_ledger(raw_tables(t))


def test_a_missing_required_column_is_a_workbook_error_naming_it():
    t = tables(invoices=[good()])
    header, rows = t["Invoices"]
    t["Invoices"] = ([h for h in header if h != "Amount"], [r[:5] + r[6:] for r in rows])
    with pytest.raises(WorkbookError, match="no column 'Amount'"):
        build_ledger(raw_tables(t))


def test_a_bad_setting_keeps_its_default_and_says_so():
    ledger = make_ledger(settings={"Bucket Edges": "30,20", "Base Currency": "Euro"})
    assert [(i.sheet, i.column) for i in ledger.issues] == [("Settings", "Value")] * 2
    assert ledger.settings.bucket_edges == (30, 60, 90, 120)
    assert ledger.settings.base_currency == "GBP"  # Country GB
    assert ledger.issues[0].message == ("Base Currency: 'Euro' is not a three-letter currency "
                                        "code; using the currency of Country")


def test_a_table_not_starting_at_row_one_reports_worksheet_rows():
    t = tables(invoices=[good(), invoice("I1", "bad", days_before(3))])
    raws = raw_tables(t)
    inv = raws["invoices"]
    raws["invoices"] = RawTable(inv.name, "Ledger", inv.header, inv.columns, first_row=8)
    issue = one_issue(build_ledger(raws))
    assert (issue.sheet, issue.row) == ("Ledger", 9)


def test_empty_optional_tables_give_the_default_policy_and_templates():
    ledger = make_ledger(extra={"Dunning Levels": (["Level", "Name", "Days After Due",
                                                    "Template"], []),
                                "Templates": (["Template", "Subject", "Body"], [])})
    assert [lv.days for lv in ledger.levels] == [-5, 7, 21, 35]
    assert {t.name for t in ledger.templates} >= {lv.template for lv in ledger.levels}


def test_a_dunning_level_naming_an_unknown_template_is_an_issue():
    ledger = make_ledger(extra={"Dunning Levels": (
        ["Level", "Name", "Days After Due", "Template"],
        [[1, "First", 7, "first_reminder"], [2, "Second", 21, "nonexistent"]])})
    issue = one_issue(ledger)
    assert (issue.sheet, issue.row, issue.column) == ("Dunning Levels", 3, "Template")
    assert [lv.level for lv in ledger.levels] == [1]


def test_an_fx_rate_must_be_positive():
    ledger = make_ledger(fx={"USD": 0, "CHF": "n/a"})
    assert [(i.sheet, i.column) for i in ledger.issues] == [("FX", "Rate"), ("FX", "Rate")]
