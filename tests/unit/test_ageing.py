"""Ageing as a controller checks it by hand. As-of date 2026-06-30 throughout."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditdesk.domain.ageing import ageing, position
from tests.builders import AS_OF, customer, days_before, invoice, make_ledger

LABELS = ["Not due", "1-30", "31-60", "61-90", "91-120", "Over 120"]


def buckets_of(ledger) -> dict[str, float]:
    a = ageing(ledger)
    return dict(zip(a.labels, a.total_buckets.tolist(), strict=True))


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [(-10, "Not due"), (0, "Not due"), (1, "1-30"), (30, "1-30"), (31, "31-60"),
     (60, "31-60"), (61, "61-90"), (90, "61-90"), (91, "91-120"), (120, "91-120"),
     (121, "Over 120"), (400, "Over 120")],
)
def test_each_bucket_edge_is_upper_inclusive(days_past_due, bucket):
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(days_past_due))])
    got = buckets_of(ledger)
    assert got[bucket] == 100.0
    assert sum(got.values()) == 100.0


def test_labels_follow_the_default_edges():
    assert ageing(make_ledger()).labels == LABELS


def test_custom_edges_make_custom_buckets():
    ledger = make_ledger(invoices=[invoice("I1", 50.0, days_before(15)),
                                   invoice("I2", 70.0, days_before(16))],
                         settings={"Bucket Edges": "15, 45"})
    assert buckets_of(ledger) == {"Not due": 0.0, "1-15": 50.0, "16-45": 70.0,
                                  "Over 45": 0.0}


def test_part_payment_leaves_amount_minus_paid():
    ledger = make_ledger(invoices=[invoice("I1", 1000.0, days_before(45), Paid=400.0)])
    a = ageing(ledger)
    assert a.outstanding.tolist() == [600.0]
    assert buckets_of(ledger)["31-60"] == 600.0


def test_credit_note_reduces_the_balance_and_is_shown_as_an_unapplied_credit():
    ledger = make_ledger(invoices=[invoice("I1", 1000.0, days_before(45)),
                                   invoice("CN1", -250.0, days_before(5))])
    got = buckets_of(ledger)
    assert got["31-60"] == 1000.0
    assert got["1-30"] == 0.0
    assert ageing(ledger).unapplied.tolist() == [-250.0]
    assert ageing(ledger).outstanding.tolist() == [750.0]


def test_items_dated_after_the_as_of_date_are_not_in_the_ledger():
    future = invoice("I2", 500.0, AS_OF + dt.timedelta(days=30),
                     **{"Invoice Date": AS_OF + dt.timedelta(days=1)})
    ledger = make_ledger(invoices=[invoice("I1", 100.0, days_before(10)), future])
    assert ageing(ledger).total == 100.0


def test_an_item_settled_on_or_before_the_as_of_date_is_not_outstanding():
    ledger = make_ledger(invoices=[
        invoice("I1", 100.0, days_before(40), **{"Settled Date": AS_OF}),
        invoice("I2", 200.0, days_before(40), **{"Settled Date": AS_OF + dt.timedelta(1)}),
    ])
    # I2 was still open on the as-of date: its full amount counts.
    assert ageing(ledger).total == 200.0


def test_amounts_convert_to_base_currency_with_the_fx_table():
    ledger = make_ledger(
        invoices=[invoice("I1", 1000.0, days_before(10), Currency="USD"),
                  invoice("I2", 100.0, days_before(70))],
        settings={"Base Currency": "EUR"}, fx={"USD": 0.9})
    got = buckets_of(ledger)
    assert got["1-30"] == pytest.approx(900.0)
    assert got["61-90"] == 100.0


def test_a_blank_currency_takes_the_customers_currency():
    ledger = make_ledger(customers=[customer("C1", Currency="USD")],
                         invoices=[invoice("I1", 1000.0, days_before(10))],
                         fx={"USD": 0.5})
    assert ageing(ledger).total == 500.0


def test_invoice_date_basis_ages_from_the_invoice_date():
    # invoice dated 40 days ago, due 10 days ago
    item = invoice("I1", 100.0, days_before(10), **{"Invoice Date": days_before(40)})
    due_basis = make_ledger(invoices=[item])
    inv_basis = make_ledger(invoices=[item], settings={"Ageing Basis": "Invoice Date"})
    assert buckets_of(due_basis)["1-30"] == 100.0
    assert buckets_of(inv_basis)["31-60"] == 100.0
    # overdue still means past the due date
    assert ageing(inv_basis).overdue.tolist() == [100.0]


def test_a_blank_due_date_is_the_invoice_date_plus_the_customers_terms():
    ledger = make_ledger(customers=[customer("C1", **{"Terms (days)": 14})],
                         invoices=[invoice("I1", 100.0, days_before(20),
                                           **{"Invoice Date": days_before(20),
                                              "Due Date": ""})])
    assert position(ledger).days_overdue.tolist() == [6]


def test_sums_are_not_rounded_inside():
    ledger = make_ledger(invoices=[invoice(f"I{i}", 0.005, days_before(5)) for i in range(3)])
    assert ageing(ledger).total == pytest.approx(0.015)


def test_customers_are_aged_separately():
    ledger = make_ledger(customers=[customer("C1"), customer("C2")],
                         invoices=[invoice("I1", 10.0, days_before(5)),
                                   invoice("I2", 20.0, days_before(95), customer="C2")])
    a = ageing(ledger)
    assert a.buckets[0].tolist() == [0, 10.0, 0, 0, 0, 0]
    assert a.buckets[1].tolist() == [0, 0, 0, 0, 20.0, 0]
    assert a.oldest_days_overdue.tolist() == [5, 95]


item = st.tuples(
    st.integers(-60, 400),  # days past due
    st.floats(-5000, 50000, allow_nan=False).map(lambda x: round(x, 2)),  # amount
    st.floats(0, 1, allow_nan=False),  # share paid
    st.sampled_from(["EUR", "USD"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(item, min_size=1, max_size=25))
def test_buckets_and_unapplied_credits_always_sum_to_outstanding(items):
    invoices = []
    expected = 0.0
    for k, (days, amount, share, ccy) in enumerate(items):
        paid = round(max(amount, 0) * share, 2)
        invoices.append(invoice(f"I{k}", amount, days_before(days), Paid=paid, Currency=ccy,
                                **{"Invoice Date": days_before(max(days, 0))}))
        expected += (amount - paid) * (0.8 if ccy == "USD" else 1.0)
    ledger = make_ledger(invoices=invoices, fx={"USD": 0.8})
    assert not ledger.issues
    a = ageing(ledger)
    assert np.isclose(a.buckets.sum(axis=1) + a.unapplied, a.outstanding).all()
    assert (a.buckets >= 0).all() and (a.unapplied <= 0).all() and (a.overdue >= 0).all()
    assert a.total == pytest.approx(expected, abs=1e-6)
