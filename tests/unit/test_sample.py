"""devkit.sample: one generator, two sizes, one vocabulary."""

from __future__ import annotations

from creditdesk.domain.ledger import build_ledger, raw_tables
from devkit.sample import (
    CUSTOMER_HEADER,
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
