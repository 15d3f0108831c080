"""Statements of account (issue 12, item 1): opening + lines = closing = the ageing's
outstanding on the last day, for every customer of the sample workbook; open items; one
statement per currency; dated payments, settlements and credits as lines."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditdesk.analysis.statements import statements_report
from creditdesk.domain.ageing import ageing
from creditdesk.domain.ledger import build_ledger, raw_tables
from creditdesk.domain.statements import statements
from devkit.sample import AS_OF, sample_tables
from tests.builders import AS_OF as JUNE_30
from tests.builders import customer, d, invoice, make_ledger, tables
from tests.unit.test_payments import payments

PERIODS = [(dt.date(2026, 11, 1), AS_OF), (dt.date(2026, 6, 1), dt.date(2026, 8, 31)),
           (dt.date(2025, 6, 1), AS_OF), (AS_OF, AS_OF)]


@pytest.fixture(scope="module")
def sample():
    return raw_tables(sample_tables())


def _cents(x: float) -> int:
    return round(x * 100)


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_every_sample_statement_adds_up_and_closes_on_the_ageing(sample, start, end):
    ledger = build_ledger(sample, as_of=end)
    report = statements_report(ledger, start)
    assert report.statements
    # the ageing's outstanding on the last day (base currency) and the day before the start
    closing_ageing = ageing(ledger).outstanding
    opening_ageing = ageing(build_ledger(sample, as_of=start - dt.timedelta(days=1))).outstanding
    closing, opening = np.zeros(len(ledger.customers)), np.zeros(len(ledger.customers))
    for s in report.statements:
        balance = _cents(s.opening_balance)
        for ln in s.lines:
            balance += _cents(ln.amount)
            assert _cents(ln.balance) == balance, (s.customer, ln)
            assert start <= ln.date <= end
        assert balance == _cents(s.closing_balance), s.customer
        assert sum(_cents(b.amount) for b in s.ageing) == _cents(s.closing_balance)
        c = ledger.customer_index[s.customer]
        rate = 1.0 if s.currency == "GBP" else ledger.fx[s.currency]
        closing[c] += s.closing_balance * rate
        opening[c] += s.opening_balance * rate
    assert np.allclose(closing, closing_ageing, atol=0.01 * len(ledger.currencies))
    assert np.allclose(opening, opening_ageing, atol=0.01 * len(ledger.currencies))


def test_every_customer_with_a_balance_or_activity_has_a_statement(sample):
    ledger = build_ledger(sample)
    found = {s.customer for s in statements_report(ledger, dt.date(2026, 11, 1)).statements}
    owing = {ledger.customers.ids[c] for c in np.flatnonzero(ageing(ledger).outstanding)}
    inv = ledger.invoices
    active = {ledger.customers.ids[c] for c in inv.customer[
        (inv.invoice_date >= np.datetime64("2026-11-01"))
        | (inv.settled_date >= np.datetime64("2026-11-01"))]}
    assert found == owing | active


def test_open_items_lists_exactly_the_unpaid_items(sample):
    header, rows = sample_tables()["Invoices"]
    col = {h: k for k, h in enumerate(header)}
    unpaid: dict[str, set[str]] = {}
    for r in rows:
        amount, paid = r[col["Amount"]], r[col["Paid"]] or 0.0
        open_ = (r[col["Settled Date"]] in ("", None)
                 and (amount - paid if amount > 0 else min(amount + paid, 0.0)) != 0)
        if open_:
            unpaid.setdefault(r[col["Customer"]], set()).add(r[col["Invoice"]])
    report = statements_report(build_ledger(sample), kind="open-items")
    listed = {s.customer: {ln.reference for ln in s.lines} for s in report.statements}
    assert listed == unpaid
    for s in report.statements:
        assert s.opening_balance == 0.0
        assert {ln.type for ln in s.lines} <= {"Invoice", "Credit note", "Payment"}


def test_a_customer_with_eur_and_gbp_invoices_gets_two_statements():
    ledger = make_ledger(
        customers=[customer("C1", Currency="GBP")],
        invoices=[invoice("G1", 500.0, JUNE_30, Currency="GBP"),
                  invoice("E1", 300.0, JUNE_30, Currency="EUR"),
                  invoice("E2", -50.0, JUNE_30, Currency="EUR")],
        fx={"GBP": 1.16})
    report = statements_report(ledger, d("2026-05-01"))
    by_ccy = {s.currency: s for s in report.statements}
    assert sorted(by_ccy) == ["EUR", "GBP"]
    assert [ln.reference for ln in by_ccy["EUR"].lines] == ["E1", "E2"]
    assert by_ccy["EUR"].closing_balance == 250.0
    assert by_ccy["GBP"].closing_balance == 500.0
    assert {b.label: b.amount for b in by_ccy["EUR"].ageing}["Unapplied credits"] == -50.0
    assert ageing(ledger).outstanding[0] == pytest.approx(250.0 + 500.0 * 1.16)


def test_dated_payments_and_payments_on_account_are_lines_on_their_dates():
    ledger = make_ledger(
        invoices=[invoice("I1", 1000.0, d("2026-06-09"), **{"Invoice Date": d("2026-05-10")}),
                  invoice("I2", 400.0, d("2026-07-15"), **{"Invoice Date": d("2026-06-15")}),
                  invoice("CN1", -60.0, d("2026-06-20"), **{"Invoice Date": d("2026-06-20")})],
        extra=payments((d("2026-05-20"), "C1", 200.0, "", "BACS 1", "I1"),
                       (d("2026-06-05"), "C1", 300.0, "", "BACS 2", "I1"),
                       (d("2026-06-25"), "C1", 100.0, "", "ON-ACC", "")))
    assert not ledger.issues
    (s,) = statements(ledger, d("2026-06-01"))
    assert s.opening == 800.0
    got = [(ln.date.isoformat(), ln.type, ledger.invoices.invoice[ln.item], ln.amount)
           for ln in s.lines]
    assert got == [("2026-06-05", "Payment", "I1", -300.0),
                   ("2026-06-15", "Invoice", "I2", 400.0),
                   ("2026-06-20", "Credit note", "CN1", -60.0),
                   ("2026-06-25", "Payment", "ON-ACC", -100.0)]
    assert s.closing == 800.0 - 300.0 + 400.0 - 60.0 - 100.0
    assert s.balances == [500.0, 900.0, 840.0, 740.0]


def test_a_settled_date_in_the_period_is_a_payment_of_what_was_left():
    ledger = make_ledger(invoices=[
        invoice("I1", 1000.0, d("2026-05-31"), Paid=1000.0, **{"Settled Date": d("2026-06-12"),
                                                              "Invoice Date": d("2026-05-01")}),
        invoice("I2", 250.0, d("2026-06-30"), Paid=250.0, **{"Settled Date": d("2026-06-02"),
                                                            "Invoice Date": d("2026-06-02")})])
    (s,) = statements(ledger, d("2026-06-01"))
    got = [(ln.date.isoformat(), ln.type, ln.amount) for ln in s.lines]
    assert s.opening == 1000.0
    assert got == [("2026-06-02", "Invoice", 250.0), ("2026-06-02", "Payment", -250.0),
                   ("2026-06-12", "Payment", -1000.0)]
    assert s.closing == 0.0
    # after the day they were settled: no balance, no transaction, no statement
    assert statements(ledger, d("2026-06-13")) == []


def test_a_used_credit_note_is_applied_and_the_ageing_footer_uses_the_workbook_buckets():
    ledger = make_ledger(
        invoices=[invoice("I1", 500.0, d("2026-04-30"), **{"Invoice Date": d("2026-04-01")}),
                  invoice("I2", 200.0, d("2026-07-10"), **{"Invoice Date": d("2026-06-10")}),
                  invoice("CN1", -100.0, d("2026-06-10"), Paid=100.0,
                          **{"Invoice Date": d("2026-06-10")})],
        settings={"Bucket Edges": "30,90"})
    report = statements_report(ledger, d("2026-06-01"))
    (s,) = report.statements
    assert [(ln.type, ln.amount) for ln in s.lines] == [
        ("Credit note", -100.0), ("Invoice", 200.0), ("Credit applied", 100.0)]
    assert [(b.label, b.amount) for b in s.ageing] == [
        ("Not due", 200.0), ("1-30", 0.0), ("31-90", 500.0), ("Over 90", 0.0),
        ("Unapplied credits", 0.0)]
    assert s.closing_balance == 700.0


def test_a_period_after_the_last_day_and_an_unknown_customer_are_refused(sample):
    ledger = build_ledger(sample)
    with pytest.raises(ValueError, match="after its last day"):
        statements(ledger, AS_OF + dt.timedelta(days=1))
    with pytest.raises(KeyError):
        statements_report(ledger, customer="nobody")
    (one,) = statements_report(ledger, customer="C-0002").statements
    assert one.customer == "C-0002" and one.start == dt.date(2026, 11, 1)


def test_the_address_columns_make_the_address_lines():
    ledger = make_ledger(customers=[customer(
        "C1", **{"Address Line 1": "Unit 4 Mill Yard", "Address Line 2": " ", "City": "Leeds",
                 "Region": "West Yorkshire", "Postcode": "LS1 4AB",
                 "Country": "United Kingdom"})],
        invoices=[invoice("I1", 10.0, JUNE_30)])
    (s,) = statements_report(ledger).statements
    assert s.address == ["Unit 4 Mill Yard", "Leeds", "West Yorkshire", "LS1 4AB",
                         "United Kingdom"]
    assert s.account == "C1" and s.name == "C1 Ltd"


def test_the_cli_doc_names_every_field_of_the_statements_document(sample):
    from creditdesk.analysis.documents import StatementsReport
    from tests.unit.test_docs import _json_sections, _keys, _model_fields, _names

    printed = statements_report(build_ledger(sample)).as_json()
    text = _json_sections()["statements"]
    assert _keys(printed) == _names(text) - {"as_of", "base_currency", "issues", "activity"}
    assert _keys(printed) == _model_fields(StatementsReport)


# -- any ledger: dated payments, settlements, credits ------------------------------------

DAY0 = dt.date(2026, 1, 1)


@st.composite
def ledgers(draw):
    n = draw(st.integers(1, 8))
    invoices, payments_rows = [], []
    for k in range(n):
        issued = DAY0 + dt.timedelta(days=draw(st.integers(0, 170)))
        amount = draw(st.sampled_from([100.0, 250.5, 1000.0, -80.0, -300.0]))
        row = invoice(f"I{k}", amount, issued + dt.timedelta(days=30),
                      customer=draw(st.sampled_from(["C1", "C2"])), **{"Invoice Date": issued})
        if draw(st.booleans()):
            row["Paid"] = abs(amount) * draw(st.sampled_from([0.5, 1.0]))
        if draw(st.booleans()):
            row["Settled Date"] = issued + dt.timedelta(days=draw(st.integers(0, 60)))
        if amount > 0 and draw(st.booleans()):
            day = issued + dt.timedelta(days=draw(st.integers(0, 60)))
            payments_rows.append((day, row["Customer"], draw(st.sampled_from([20.0, 50.0])),
                                  "", "", f"I{k}"))
        invoices.append(row)
    if draw(st.booleans()):
        payments_rows.append((DAY0 + dt.timedelta(days=draw(st.integers(0, 170))), "C1",
                              40.0, "", "ON-ACC", ""))
    extra = payments(*payments_rows) if payments_rows else None
    start = DAY0 + dt.timedelta(days=draw(st.integers(0, 180)))
    return tables([customer("C1"), customer("C2")], invoices, extra=extra), start


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_any_ledger_opens_on_the_day_before_and_closes_on_the_ageing(case):
    t, start = case
    raw = raw_tables(t)
    ledger = build_ledger(raw)
    before = ageing(build_ledger(raw, as_of=start - dt.timedelta(days=1))).outstanding
    after = ageing(ledger).outstanding
    got_open, got_close = np.zeros(2), np.zeros(2)
    for s in statements(ledger, start):
        assert s.opening + sum(ln.amount for ln in s.lines) == pytest.approx(s.closing)
        assert s.buckets.sum() + s.unapplied == pytest.approx(s.closing)
        assert all(start <= ln.date <= JUNE_30 for ln in s.lines)
        got_open[s.customer] += s.opening
        got_close[s.customer] += s.closing
    assert got_open == pytest.approx(before)
    assert got_close == pytest.approx(after)
