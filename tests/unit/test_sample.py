"""devkit.sample: one generator, two sizes, one vocabulary."""

from __future__ import annotations

from creditdesk.domain.ledger import build_ledger, raw_tables
from devkit.sample import (
    CUSTOMER_HEADER,
    HOSTILE_NAMES,
    HOSTILE_REFERENCE,
    INVOICE_HEADER,
    full_sheet_tables,
    policy_tables,
    sample_tables,
)


def test_both_sizes_speak_the_same_tables():
    small = raw_tables(sample_tables(customers=20))
    full = full_sheet_tables(invoices=3000, customers=200)
    assert set(small) == set(full)
    for key in small:
        assert small[key].header == full[key].header, key
    assert small["customers"].header == CUSTOMER_HEADER
    assert small["invoices"].header == INVOICE_HEADER
    policy = raw_tables(policy_tables())
    for key in policy:
        assert small[key].columns == full[key].columns == policy[key].columns


def test_the_full_sheet_has_exactly_the_rows_asked_and_reads_cleanly():
    for open_items in (False, True):
        tables = full_sheet_tables(invoices=3000, customers=200, open_items=open_items)
        ledger = build_ledger(tables)
        assert len(tables["invoices"]) == 3000 and not ledger.issues


def test_the_same_seed_gives_the_same_tables():
    assert sample_tables(customers=15, seed=3) == sample_tables(customers=15, seed=3)
    a, b = (full_sheet_tables(invoices=500, customers=50, seed=3) for _ in range(2))
    assert all(a[k].columns == b[k].columns for k in a)


_FORMULA_START = ("=", "+", "-", "@")


def _formula_like(tables) -> set[str]:
    return {v for _, rows in tables.values() for row in rows for v in row
            if isinstance(v, str) and v.startswith(_FORMULA_START)}


def test_the_demo_a_user_opens_first_has_no_injection_test_customers():
    """The demo's sample (messy: the bad rows of a real export, shown on the Issues sheet)
    names no customer like a formula; those are the tests' (hostile)."""
    demo = sample_tables(messy=True)
    assert _formula_like(demo) == set()
    names = [r[1] for r in demo["Customers"][1]]
    assert all(not n.startswith(_FORMULA_START) for n in names)


def test_the_tests_data_keeps_them():
    hostile = sample_tables(messy=True, hostile=True)
    assert _formula_like(hostile) >= {*HOSTILE_NAMES, HOSTILE_REFERENCE}
    # and they change nothing else: the same ledger, names and one reference apart
    demo = sample_tables(messy=True)
    assert len(hostile["Invoices"][1]) == len(demo["Invoices"][1])
    assert [r[0] for r in hostile["Customers"][1]] == [r[0] for r in demo["Customers"][1]]
