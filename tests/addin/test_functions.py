"""The Excel functions: one implementation behind CD.* (xlwings Lite) and CD_* (desktop)."""

import datetime as dt

import pytest

from creditdesk_addin import functions as fn
from creditdesk_addin import scripts
from devkit.officejs import payload_from_file
from tests.addin.engine import run


@pytest.fixture
def refreshed(good):
    run(payload_from_file(good), scripts.refresh)
    return good


def test_credit_check_answers_for_an_order_as_the_cli_does(refreshed, capsys):
    from creditdesk.cli.main import main

    assert main(["check", str(refreshed), "--customer", "C1", "--order", "3900"]) == 0
    assert fn.credit_check("C1", 3900) == capsys.readouterr().out.strip()
    assert fn.credit_check("C1", 3900).startswith("HOLD: exposure 102% of limit")
    assert fn.credit_check("C1", "").startswith("REVIEW: ")
    assert fn.credit_check("C404", 10) == fn.NA  # unknown customer
    assert fn.credit_check("C1", "lots") == fn.VALUE  # not a number


@pytest.mark.parametrize("amount", [-5, 1e300, 1e12])
def test_an_order_that_cannot_be_one_answers_num(refreshed, amount):
    """As the CLI refuses it: never a percentage of hundreds of digits in a cell."""
    assert fn.credit_check("C1", amount) == fn.NUM


def test_functions_that_need_the_ledger_answer_na_before_a_refresh():
    assert fn.credit_check("C1", 100) == fn.NA
    assert fn.customer_score("C1") == fn.NA


def test_a_function_can_load_the_ledger_itself_once(good):
    from creditdesk.analysis.report import Analysis
    from creditdesk.domain.ledger import build_ledger
    from creditdesk_addin.workbook import read_tables
    from tests.addin.engine import book_of

    loads = []

    def load():
        loads.append(1)
        a = Analysis(build_ledger(read_tables(book_of(payload_from_file(good)))))
        from creditdesk_addin import session
        session.remember("good.xlsx", a)
        return a
    assert fn.credit_check("C2", 0, load=load).startswith("HOLD: exposure 125% of limit")
    assert fn.credit_check("C1", 0, load=load).startswith("REVIEW")
    assert len(loads) == 1


@pytest.mark.parametrize(("days", "bucket"), [(0, "Not due"), (-3, "Not due"), (1, "1-30"),
                                              (30, "1-30"), (31, "31-60"), (120, "91-120"),
                                              (121, "Over 120")])
def test_ageing_bucket_edges_are_upper_inclusive(days, bucket):
    as_of = dt.date(2026, 6, 30)
    assert fn.ageing_bucket(as_of - dt.timedelta(days=days), as_of) == bucket


def test_ageing_bucket_takes_excel_serials_and_iso_text():
    # xlwings Lite hands dates to functions as serial numbers: 46203 = 2026-06-30
    assert fn.ageing_bucket(46203 - 31, 46203) == "31-60"
    assert fn.ageing_bucket("2026-05-30", "2026-06-30") == "31-60"
    assert fn.ageing_bucket("soon", "2026-06-30") == fn.VALUE


def test_ageing_bucket_uses_the_ledgers_as_of_date_and_edges(refreshed):
    assert fn.ageing_bucket(dt.date(2026, 5, 30)) == "31-60"


def test_statutory_interest_and_compensation_match_the_domain():
    from creditdesk.domain.interest import round_money, statutory_interest

    r = statutory_interest(5000, dt.date(2026, 6, 30), dt.date(2026, 9, 15), "UK")
    assert fn.late_interest(5000, "2026-06-30", "2026-09-15", "UK") == round_money(r.interest)
    assert fn.late_compensation(5000, "2026-06-30", "2026-09-15", "uk") == 70.0
    assert fn.late_compensation(500, "2026-06-30", "2026-09-15", "EU") == 40.0
    assert fn.late_interest(5000, "2026-06-30", "2026-06-30", "UK") == 0.0
    assert fn.late_interest(5000, "2026-06-30", "2026-09-15", "", 10) == fn.VALUE  # no law
    assert fn.late_interest(5000, "2026-06-30", "2026-09-15", "US") == fn.VALUE


def test_score_gives_the_score_grade_limit_and_reasons(tmp_path):
    from creditdesk.files.xlsx_write import write_workbook
    from devkit.sample import sample_tables

    path = tmp_path / "s.xlsx"
    write_workbook(path, sample_tables(customers=20))
    _, _, after = run(payload_from_file(path), scripts.score)
    from tests.addin.engine import table
    row = table(after, "Scores")[0]
    assert fn.customer_score(row["Customer"]) == row["Score"]
    assert fn.customer_score(row["Customer"], "grade") == row["Grade"]
    assert fn.customer_score(row["Customer"], "limit") == row["Recommended Limit (GBP)"]
    assert fn.customer_score(row["Customer"], "reasons") == row["Reasons"]
    assert fn.customer_score(row["Customer"], "mood") == fn.VALUE


def test_late_interest_uses_the_workbooks_rates_table(tmp_path):
    """A Rates table (as creditdesk rates update writes it) counts in a cell, as in the CLI."""
    from creditdesk.files.xlsx_write import write_workbook
    from tests.builders import invoice, tables

    path = tmp_path / "rates.xlsx"
    write_workbook(path, tables(
        invoices=[invoice("I1", 100.0, dt.date(2026, 7, 15))],
        settings={"As Of Date": dt.date(2026, 9, 30), "Late Payment Law": "UK"},
        extra={"Rates": (["Law", "Effective Date", "Rate", "Checked Until"],
                         [["UK", dt.date(2026, 5, 7), 3.5, dt.date(2026, 9, 30)]])}))
    assert fn.late_interest(10_000, "2026-07-15", "2026-09-30", "UK") == 247.94  # shipped
    run(payload_from_file(path), scripts.refresh)
    assert fn.late_interest(10_000, "2026-07-15", "2026-09-30", "UK") == 242.55  # 11.50%
    assert fn.late_interest(10_000, "2026-07-15", "2026-09-30", "EU") == 214.12  # shipped, 10.15%
