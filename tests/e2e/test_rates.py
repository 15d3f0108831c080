"""`creditdesk rates update` as a controller runs it: the central bank's published file in,
the workbook's Rates table out, and every calculation on that workbook using it; the
installed package never changed."""

import datetime as dt
import hashlib
import json
from pathlib import Path

import openpyxl
import pytest

from creditdesk.cli.main import main
from creditdesk.domain import interest
from creditdesk.files.xlsx_write import write_workbook
from tests import rate_files as rf
from tests.builders import customer, invoice, tables

AS_OF = dt.date(2026, 9, 30)
DATA = Path(interest.__file__).parent / "data"
# one level, with interest: every overdue invoice is claimed with it
LEVELS = (["Level", "Name", "Days After Due", "Template", "Channel", "Add Interest"],
          [[1, "Final demand", 1, "final_demand", "Email", "Yes"]])


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *args):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def ledger(tmp_path) -> Path:
    """£10,000 due 15 July 2026: late from 16 July, so the Bank Rate of 30 June 2026 counts,
    after the shipped table's checked_until (19 March 2026)."""
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, tables(
        customers=[customer("C1", Currency="GBP")],
        invoices=[invoice("I1", 10_000.0, dt.date(2026, 7, 15), Currency="GBP")],
        settings={"As Of Date": AS_OF, "Late Payment Law": "UK", "Base Currency": "GBP"},
        extra={"Dunning Levels": LEVELS}))
    return path


def _package() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in DATA.glob("*.csv")}


def test_a_stale_table_is_updated_into_the_workbook_and_every_calculation_uses_it(
        capsys, tmp_path, ledger):
    before = run_json(capsys, "remind", ledger)
    assert before["reminders"][0]["interest"] == pytest.approx(3.22 * 77)  # 11.75%: stale
    assert any("checked only until 2026-03-19" in i["message"] for i in before["issues"])
    package = _package()
    page = tmp_path / "Bank Rate.csv"
    page.write_text(rf.boe_bank_rate_page(), encoding="utf-8")
    new = tmp_path / "ledger-rates.xlsx"

    code, out, err = run(capsys, "rates", "update", page, "--into", ledger, "-o", new,
                         "--checked-until", "2026-09-30")

    assert code == 0, err
    assert out.splitlines()[:4] == [
        f"Read {page}: the Bank of England's Bank Rate changes, 2006-08-03 to 2026-05-07 "
        "(40 row(s)).",
        "New or changed Bank of England Bank Rate:",
        "  from 2026-05-07: 3.5% (was 3.75%)",
        "Known complete up to 2026-09-30 (the day given); before: 2026-03-19."]
    assert _package() == package  # the installed package is never changed
    rows = list(openpyxl.load_workbook(new)["Rates"].values)
    assert rows[0] == ("Law", "Effective Date", "Rate", "Checked Until", "Source")
    assert rows[-1][:4] == ("UK", dt.datetime(2026, 5, 7), 3.5, dt.datetime(2026, 9, 30))
    assert len(rows) == 41
    after = run_json(capsys, "remind", new)
    assert after["reminders"][0]["interest"] == pytest.approx(3.15 * 77)  # 11.50%
    assert not any("checked only" in i["message"] for i in after["issues"])
    doc = run_json(capsys, "interest", "--amount", "10000", "--due", "2026-07-15", "--paid",
                   "2026-09-30", "--law", "UK", "--workbook", new)
    assert (doc["rate"], doc["warnings"]) == (11.5, [])
    shipped = run_json(capsys, "interest", "--amount", "10000", "--due", "2026-07-15",
                       "--paid", "2026-09-30", "--law", "UK")
    assert shipped["rate"] == 11.75 and shipped["warnings"]


def test_the_daily_series_is_complete_up_to_its_last_day(capsys, tmp_path, ledger):
    daily = tmp_path / "Bank Rate _ Bank of England Database.csv"
    daily.write_text(rf.boe_iudbedr_daily(), encoding="utf-8")
    new = tmp_path / "new.xlsx"
    doc = run_json(capsys, "rates", "update", daily, "--into", ledger, "-o", new)
    assert doc["read"] == "the Bank of England's daily Bank Rate (IUDBEDR)"
    assert (doc["first"], doc["last"], doc["checked_until"]) == (
        "2025-01-02", "2026-06-30", "2026-06-30")
    assert doc["added"] == [{"date": "2026-05-07", "rate": 3.5, "was": 3.75}]
    assert run_json(capsys, "remind", new)["reminders"][0]["interest"] == pytest.approx(
        3.15 * 77)


@pytest.mark.parametrize("shape", ["portal", "sdmx"])
def test_the_ecb_rate_keeps_the_shipped_minimum_bid_years(capsys, tmp_path, shape):
    """The MRO fixed rate has no values 2000-2008 (variable-rate tenders): the shipped
    table's minimum bid rates of 2006-2008 stay; the 1999-2000 rows are older than it."""
    src = tmp_path / "ecb.csv"
    src.write_text(rf.ecb_data_portal() if shape == "portal" else rf.ecb_sdmx_csv(),
                   encoding="utf-8")
    doc = run_json(capsys, "rates", "update", src, "--checked-until", "2026-06-30")
    assert doc["law"] == "EU" and doc["older_left_out"] == 7
    assert doc["added"] == [{"date": "2026-04-22", "rate": 1.9, "was": 2.15}]
    assert doc["checked_until"] == "2026-06-30" and doc["into"] is None
    code, out, _ = run(capsys, "rates", "update", src)
    assert code == 0
    assert "Nothing written: add --into WORKBOOK -o NEW.xlsx" in out


def test_the_other_laws_rows_are_kept(capsys, tmp_path, ledger):
    ecb = tmp_path / "ecb.csv"
    ecb.write_text(rf.ecb_data_portal(), encoding="utf-8")
    boe = tmp_path / "boe.csv"
    boe.write_text(rf.boe_bank_rate_page(), encoding="utf-8")
    one, two = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    run_json(capsys, "rates", "update", ecb, "--into", ledger, "-o", one)
    run_json(capsys, "rates", "update", boe, "--into", one, "-o", two)
    laws = [r[0] for r in list(openpyxl.load_workbook(two)["Rates"].values)[1:]]
    assert laws.count("EU") == 44 and laws.count("UK") == 40


@pytest.mark.parametrize("content, words", [
    ("Customer,Amount\nC1,100\n", "no header row with a date column"),
    ("DATE,IUDBEDR\n02 Jan 2026,375\n", "line 2: 375 is not a reference rate in percent"),
    ("DATE,IUDBEDR\n31 Feb 2026,3.75\n", "line 2: '31 Feb 2026' is not a date"),
    ("DATE,VALUE\n2026-01-02,3.75\n", "give --law UK or EU"),
    (rf.ecb_sdmx_csv().replace("MRR_FR", "MLFR"), "several series"),
])
def test_a_file_that_is_not_a_rate_history_says_why(capsys, tmp_path, content, words):
    src = tmp_path / "rates.csv"
    src.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "rates", "update", src)
    assert code == 2 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1, err


def test_the_workbook_itself_is_never_written(capsys, tmp_path, ledger):
    src = tmp_path / "boe.csv"
    src.write_text(rf.boe_bank_rate_page(), encoding="utf-8")
    for args, words in ((["--into", ledger], "--into needs -o NEW.xlsx"),
                        (["--into", ledger, "-o", ledger], "-o must not be the --into"),
                        (["-o", tmp_path / "x.xlsx"], "-o needs --into")):
        code, _, err = run(capsys, "rates", "update", src, *args)
        assert code == 2 and words in err, err
    taken = tmp_path / "taken.xlsx"
    taken.write_bytes(b"mine")
    code, _, err = run(capsys, "rates", "update", src, "--into", ledger, "-o", taken)
    assert code == 2 and "use --force" in err and taken.read_bytes() == b"mine"


def test_the_workbooks_own_sheets_are_carried_into_the_output(capsys, tmp_path, ledger):
    """A Notes sheet and a sheet of formulas the user added survive `rates update --into`
    (the same carrying as `import --into`)."""
    wb = openpyxl.load_workbook(ledger)
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Ask C1 about the July invoice"
    notes["B1"] = "=1+1"
    mine = tmp_path / "mine.xlsx"
    wb.save(mine)
    page = tmp_path / "Bank Rate.csv"
    page.write_text(rf.boe_bank_rate_page(), encoding="utf-8")
    new = tmp_path / "new.xlsx"
    code, out, err = run(capsys, "rates", "update", page, "--into", mine, "-o", new,
                         "--checked-until", "2026-09-30")
    assert code == 0, err
    assert f"Your own sheets carried into {new} (values, formulas, number formats, " \
        "widths): Notes" in out
    after = openpyxl.load_workbook(new)["Notes"]
    assert (after["A1"].value, after["B1"].value) == ("Ask C1 about the July invoice", "=1+1")
