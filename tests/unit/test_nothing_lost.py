"""Nothing lost (issue 9, item 5): a problem in a cell that is not a key never drops a
customer or an invoice; the bad value is ignored with an issue naming the cell and the
consequence, and the balance stays in ageing, checks, KPIs and reminders."""

import numpy as np
import pytest

from creditdesk.analysis.report import Analysis
from creditdesk.domain.ageing import ageing
from creditdesk.domain.credit import credit_check
from creditdesk.domain.dunning import SkipCode, select
from creditdesk.domain.kpis import kpis
from creditdesk.domain.settings import Settings
from tests.builders import customer, days_before, invoice, make_ledger


def one(ledger, column):
    found = [i for i in ledger.issues if i.column == column]
    assert len(found) == 1, ledger.issues
    return found[0]


def test_a_bad_email_keeps_the_customer_and_its_balance_and_says_no_reminders_until_fixed():
    ledger = make_ledger(customers=[customer("C1", Email="accounts@example")],
                         invoices=[invoice("I1", 50000.0, days_before(45))])
    issue = one(ledger, "Email")
    assert (issue.sheet, issue.row) == ("Customers", 2)
    assert issue.message.endswith("ignored: no e-mail reminders to this customer until it is "
                                  "fixed")
    assert ageing(ledger).outstanding.tolist() == [50000.0]
    assert credit_check(ledger).exposure.tolist() == [50000.0]
    assert kpis(ledger).receivables == 50000.0
    sel = select(ledger)
    (skip,) = sel.skipped()
    assert skip.code is SkipCode.NO_ADDRESS
    assert skip.reason.startswith("no usable e-mail address (in Customers: ")


def test_a_rating_of_0_is_ignored_and_the_customer_kept():
    ledger = make_ledger(customers=[customer("C1", **{"External Rating": 0})],
                         invoices=[invoice("I1", 100.0, days_before(10))])
    issue = one(ledger, "External Rating")
    assert issue.message == ("rating 0 is outside 1-100; ignored: the payment score is made "
                             "without it")
    assert np.isnan(ledger.customers.external_rating[0])
    assert ageing(ledger).outstanding.tolist() == [100.0]
    assert len(select(ledger).reminders()) == 1


def test_a_default_currency_without_a_rate_keeps_its_invoices_not_converted():
    ledger = make_ledger(customers=[customer("C1"), customer("C2", Currency="USD")],
                         invoices=[invoice("I1", 100.0, days_before(10)),
                                   invoice("I2", 2000.0, days_before(10), customer="C2")])
    assert [(i.sheet, i.row, i.column) for i in ledger.issues] == [
        ("Customers", 3, "Currency"), ("Invoices", 3, "Currency")]
    a = ageing(ledger)
    assert a.outstanding.tolist() == [100.0, 0.0]
    assert a.not_converted["USD"].tolist() == [0.0, 2000.0]
    doc = Analysis(ledger).ageing_report()
    assert [r.customer for r in doc.customers] == ["C1", "C2"]
    assert doc.total.not_converted == {"USD": 2000.0}
    r = credit_check(ledger)
    assert r.decision[1] == "Review"
    assert "2,000.00 USD not in the exposure: no FX rate into EUR" in r.reasons[1]
    reminders = {m.currency: m for m in select(ledger).reminders()}
    assert reminders["USD"].amount == 2000.0  # chased in its own currency


def test_a_bad_limit_open_orders_and_terms_are_ignored_with_their_consequence():
    ledger = make_ledger(customers=[customer("C1", **{"Credit Limit": -5, "Open Orders": "x",
                                                      "Terms (days)": "soon"})],
                         invoices=[invoice("I1", 100.0, days_before(10),
                                           **{"Due Date": ""})])
    messages = {i.column: i.message for i in ledger.issues}
    assert messages["Credit Limit"].endswith("ignored: no credit limit (the credit check asks "
                                             "for a review) until it is fixed")
    assert messages["Open Orders"].endswith("ignored: no open orders are counted until it is "
                                            "fixed")
    assert messages["Terms (days)"].endswith("the Default Terms (days) are used until it is "
                                             "fixed")
    assert ledger.invoices.due_date[0] == np.datetime64(days_before(40)) + 30  # default 30
    assert credit_check(ledger).decision[0] == "Review"


@pytest.mark.parametrize("fields", [{"Do Not Chase": "perhaps"},
                                    {"Paused Until": "next week"},
                                    {"Promise Date": "soon"}])
def test_an_unreadable_chasing_field_holds_the_reminders_and_says_why(fields):
    ledger = make_ledger(customers=[customer("C1", **fields)],
                         invoices=[invoice("I1", 100.0, days_before(10))])
    (column,) = fields
    assert one(ledger, column).message.endswith("not chased until it reads Yes or No"
                                                if column == "Do Not Chase"
                                                else "not chased until it is fixed")
    (skip,) = select(ledger).skipped()
    assert skip.reason == f"{column} in Customers could not be read; fix it there"
    assert ageing(ledger).outstanding.tolist() == [100.0]


def test_a_bad_cc_address_is_left_out_and_the_good_ones_kept():
    ledger = make_ledger(customers=[customer("C1", CC="ok@x.example.com; broken@")],
                         invoices=[invoice("I1", 100.0, days_before(10))])
    assert one(ledger, "CC").message.endswith("left out of CC until it is fixed")
    assert ledger.customers.cc.tolist() == ["ok@x.example.com"]


@pytest.mark.parametrize(("fields", "column"), [
    ({"Paid": "some"}, "Paid"), ({"Paid": -5}, "Paid"),
    ({"Settled Date": "later"}, "Settled Date"),
])
def test_an_unreadable_paid_or_settled_date_keeps_the_invoice_open_and_not_chased(fields,
                                                                                  column):
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(10), **fields)])
    assert one(ledger, column).message.endswith("it is not chased until it is fixed")
    assert ageing(ledger).outstanding.tolist() == [100.0]
    (skip,) = select(ledger).skipped()
    assert skip.code is SkipCode.ALL_DISPUTED
    assert "a cell to fix" in skip.reason


def test_an_unreadable_due_date_is_taken_from_the_terms():
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(10),
                                           **{"Due Date": "2026-02-30",
                                              "Invoice Date": days_before(40)})])
    assert one(ledger, "Due Date").message.endswith("ignored: due on the invoice date + the "
                                                    "customer's terms")
    assert ledger.invoices.due_date.tolist() == [days_before(10)]


def test_an_unreadable_disputed_flag_is_read_as_disputed():
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(10), Disputed="maybe")])
    assert one(ledger, "Disputed").message.endswith("read as Yes (disputed): not chased until "
                                                    "it reads Yes or No")
    assert ledger.invoices.disputed.tolist() == [True]


@pytest.mark.parametrize(("country", "base"), [("GB", "GBP"), ("US", "USD"), ("DE", "EUR"),
                                               ("FR", "EUR"), ("IE", "EUR")])
def test_a_blank_base_currency_is_the_countrys(country, base):
    assert Settings.model_validate({"Country": country}).base_currency == base
    ledger = make_ledger(settings={"Base Currency": "", "Country": country})
    assert ledger.settings.base_currency == base


def test_a_gbp_ledger_without_a_base_currency_setting_is_read_in_gbp():
    # before: the default base currency was EUR while the default Country is GB: every GBP
    # invoice was refused for want of a GBP rate
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(10), Currency="GBP")],
                         settings={"Base Currency": ""})
    assert not ledger.issues
    assert ageing(ledger).outstanding.tolist() == [100.0]
    assert ledger.mostly_unusable() is None


def test_a_country_without_a_known_currency_is_an_issue():
    ledger = make_ledger(settings={"Base Currency": "", "Country": "AQ"})
    (issue,) = ledger.issues
    assert issue.column == "Base Currency" and "set Base Currency" in issue.message
    assert ledger.settings.base_currency == "EUR"


def test_a_ledger_whose_rows_are_mostly_unusable_says_so():
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(10), Currency="GBP"),
                                   invoice("I2", 100.0, days_before(10), Currency="GBP"),
                                   invoice("I3", "x", days_before(10)),
                                   invoice("I4", 100.0, days_before(10))])
    assert ledger.mostly_unusable() == (
        "most invoice rows could not be used: 3 of 4 (1 left out (see the issues); 2 in GBP "
        "without an FX rate into EUR, outside its totals); check Base Currency, FX and the "
        "issues")
