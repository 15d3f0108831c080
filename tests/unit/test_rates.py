"""creditdesk.domain.rates: a workbook's Rates table laid over the shipped tables, and the
central banks' published files."""

import datetime as dt

import pytest

from creditdesk.domain import rates
from creditdesk.domain.interest import rate_table, reference_rate, statutory_interest
from tests import rate_files as rf
from tests.builders import make_ledger

RATES_HEADER = ["Law", "Effective Date", "Rate", "Checked Until", "Source"]
d = dt.date


def ledger_with(rows):
    return make_ledger(extra={"Rates": (RATES_HEADER, rows)})


def test_a_typed_row_extends_the_shipped_table_and_how_long_it_is_known_complete():
    ledger = ledger_with([["UK", d(2026, 5, 7), 3.5, d(2026, 8, 1), "BoE"]])
    uk = ledger.rates["UK"]
    assert "EU" not in ledger.rates  # no rows: the shipped table
    assert reference_rate("UK", d(2026, 7, 1), uk) == (3.5, d(2026, 6, 30), None)
    assert reference_rate("UK", d(2026, 1, 1), uk)[0] == 3.75  # the shipped rows stay
    assert uk.checked_until == d(2026, 8, 1) and uk.source == "BoE"
    r = statutory_interest(10_000, d(2026, 7, 15), d(2026, 9, 30), "UK", rates=uk)
    assert (r.rate, r.warning) == (11.5, None)


def test_a_row_on_a_shipped_date_replaces_it_and_equal_rates_collapse():
    table = rates.merge(rate_table("UK"), [(d(2025, 12, 18), 3.8), (d(2026, 1, 8), 3.8)])
    changes = dict(rates.changes_of(table))
    assert changes[d(2025, 12, 18)] == 3.8 and d(2026, 1, 8) not in changes


@pytest.mark.parametrize("row, column, words", [
    (["FR", d(2026, 5, 7), 3.5, None, ""], "Law", "'FR' is not a law: UK or EU"),
    (["UK", d(2026, 5, 7), 350, None, ""], "Rate", "350 is not a reference rate in percent"),
    (["UK", "", 3.5, None, ""], "Effective Date", "Effective Date is blank"),
])
def test_a_row_that_cannot_be_used_is_an_issue_and_the_rest_counts(row, column, words):
    ledger = ledger_with([row, ["UK", d(2026, 6, 18), 3.25, None, ""]])
    issue = next(i for i in ledger.issues if i.sheet == "Rates")
    assert (issue.row, issue.column) == (2, column) and words in issue.message
    assert reference_rate("UK", d(2026, 7, 1), ledger.rates["UK"])[0] == 3.25


def test_two_rates_of_a_law_on_one_day_keep_the_first():
    ledger = ledger_with([["UK", d(2026, 5, 7), 3.5, None, ""],
                          ["uk", d(2026, 5, 7), 3.25, None, ""]])
    assert [i.message for i in ledger.issues] == [
        "a second UK rate on 2026-05-07 (the first, on row 2, is used)"]
    assert dict(rates.changes_of(ledger.rates["UK"]))[d(2026, 5, 7)] == 3.5


@pytest.mark.parametrize("text, law, daily", [
    (rf.boe_bank_rate_page(), "UK", False),
    (rf.boe_iudbedr_daily(), "UK", True),
    (rf.ecb_data_portal(), "EU", False),
    (rf.ecb_sdmx_csv(), "EU", False),
])
def test_each_published_shape_is_read(text, law, daily):
    p = rates.published(text)
    assert (p.law, p.daily) == (law, daily)
    cut = rf.UK_CUT if law == "UK" else rf.EU_CUT
    assert p.changes()[-1] == cut
    assert [r for r in p.rows if r[0] == d(2025, 12, 18)] in ([], [(d(2025, 12, 18), 3.75)])


def test_a_daily_series_replaces_the_changes_of_the_days_it_covers():
    """A change the table has on a day the series covers, which the series does not show,
    was wrong: it goes; before and after the series, the table's changes stay."""
    base = rates.merge(rate_table("UK"), [(d(2025, 10, 1), 3.9)])
    u = rates.update(base, rates.published(rf.boe_iudbedr_daily()))
    changes = dict(rates.changes_of(u.table))
    assert d(2025, 10, 1) not in changes and changes[d(2026, 5, 7)] == 3.5
    assert changes[d(2006, 8, 3)] == 4.75 and u.table.checked_until == d(2026, 6, 30)
    assert (u.added, u.removed, u.older) == ([rf.UK_CUT], [(d(2025, 10, 1), 3.9)], 0)


def test_rows_older_than_the_table_are_left_out():
    u = rates.update(rate_table("EU"), rates.published(rf.ecb_data_portal()), d(2026, 6, 30))
    assert u.older == 7 and u.table.first_date == d(2006, 3, 8)
    assert dict(rates.changes_of(u.table))[d(2007, 6, 13)] == 4.0  # a minimum bid rate, kept
    assert (u.added, u.removed) == ([rf.EU_CUT], [])
    assert u.table.checked_until == d(2026, 6, 30)


def test_the_rates_table_rows_carry_checked_until_and_source_on_the_last():
    new = rates.merge(rate_table("UK"), [rf.UK_CUT], d(2026, 9, 30))
    rows = rates.table_rows("UK", new, "BoE file")
    assert rows[-1] == ["UK", d(2026, 5, 7), 3.5, d(2026, 9, 30), "BoE file"]
    assert all(r[3] is None for r in rows[:-1])
    back = ledger_with(rows).rates["UK"]
    assert rates.changes_of(back) == rates.changes_of(new)
    assert back.checked_until == new.checked_until
