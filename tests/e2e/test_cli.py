"""The CLI as a user runs it, on real workbook files."""

import datetime as dt
import email
import email.policy
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from creditdesk.cli.main import main
from creditdesk.files.xlsx_write import write_workbook
from tests.builders import AS_OF, customer, days_before, invoice, tables

EVIL = '=HYPERLINK("http://evil.example","click")'


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *args):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def good(tmp_path) -> Path:
    """Two customers, worked by hand (as of 2026-06-30):
    C1: I1 1,000.00 due 30 days ago (1-30), I2 500.00 due 31 days ago (31-60), part-paid 200
        -> 300.00; CN1 -100.00 not due; total 1,200.00
    C2 (USD at 0.5): I3 USD 2,000.00 due 121 days ago (Over 120) -> 1,000.00 base
    """
    path = tmp_path / "good.xlsx"
    write_workbook(path, tables(
        customers=[customer("C1", **{"Credit Limit": 5000}),
                   customer("C2", Name=EVIL, Currency="USD", **{"Credit Limit": 800})],
        invoices=[invoice("I1", 1000.0, days_before(30)),
                  invoice("I2", 500.0, days_before(31), Paid=200.0),
                  invoice("CN1", -100.0, AS_OF + dt.timedelta(days=5),
                          **{"Invoice Date": days_before(1)}),
                  invoice("I3", 2000.0, days_before(121), customer="C2")],
        fx={"USD": 0.5}))
    return path


@pytest.fixture
def bad(tmp_path) -> Path:
    """Every kind of bad row, and good rows between them."""
    path = tmp_path / "bad.xlsx"
    write_workbook(path, tables(
        customers=[customer("C1"), customer("C2", Email="not an address"),
                   customer("C3", Email="x@y.example.com\nBcc: z@w.example.com"),
                   customer("C1", Name="again")],
        invoices=[
            invoice("OK1", 100.0, days_before(10)),                          # row 2
            invoice("B1", "one hundred", days_before(10)),                   # 3 Amount
            invoice("B2", 100.0, days_before(10), **{"Due Date": "2026-02-30"}),  # 4
            invoice("B3", 100.0, days_before(10), customer=""),             # 5 Customer
            invoice("B4", 100.0, days_before(10), customer="C404"),         # 6 Customer
            invoice("OK1", 50.0, days_before(10)),                           # 7 duplicate
            invoice("B6", 100.0, days_before(10), Paid=-5),                  # 8 Paid
            invoice("B7", 100.0, days_before(10),
                    **{"Invoice Date": days_before(5)}),                     # 9 due < inv
            invoice("B8", 100.0, days_before(10), Currency="XYZ"),          # 10 Currency
            invoice("OK2", 200.0, days_before(40)),                          # 11
        ]))
    return path


def test_ageing_json_matches_the_hand_computed_figures(capsys, good):
    doc = run_json(capsys, "ageing", good)
    assert doc["as_of"] == "2026-06-30" and doc["base_currency"] == "EUR"
    assert doc["buckets"] == ["Not due", "1-30", "31-60", "61-90", "91-120", "Over 120"]
    by = {c["customer"]: c for c in doc["customers"]}
    # the credit note CN1 is an unapplied credit, not a negative Not due bucket
    assert by["C1"]["buckets"] == [0.0, 1000.0, 300.0, 0.0, 0.0, 0.0]
    assert by["C1"]["unapplied_credits"] == -100.0
    assert by["C1"]["outstanding"] == 1200.0
    assert by["C2"]["buckets"] == [0.0, 0.0, 0.0, 0.0, 0.0, 1000.0]
    assert by["C2"]["name"] == EVIL
    assert doc["total"] == {"outstanding": 2200.0, "overdue": 2300.0,
                            "buckets": [0.0, 1000.0, 300.0, 0.0, 0.0, 1000.0],
                            "unapplied_credits": -100.0, "not_converted": {}}
    assert doc["kpis"]["percent_overdue"] == 100.0  # every debt is overdue; never above 100
    assert doc["issues"] == []


def test_check_json_gives_decisions_with_reasons(capsys, good):
    doc = run_json(capsys, "check", good)
    by = {c["customer"]: c for c in doc["customers"]}
    assert by["C2"]["decision"] == "Hold"
    assert by["C2"]["exposure"] == 1000.0 and by["C2"]["credit_limit"] == 800.0
    assert "exposure 125% of limit (1,000.00 of 800.00 EUR)" in by["C2"]["reasons"]
    assert by["C1"]["decision"] == "Review"  # an invoice over 30 days past due
    assert {"customer", "exposure", "credit_limit", "decision", "reasons"} <= set(by["C1"])


def test_an_order_is_checked_for_one_customer(capsys, good):
    doc = run_json(capsys, "check", good, "--customer", "C1", "--order", "3900")
    assert (doc["decision"], doc["exposure"]) == ("Hold", 5100.0)
    code, out, _ = run(capsys, "check", good, "--customer", "C1", "--order", "100")
    assert code == 0 and out.startswith("REVIEW: ")


def test_remind_json_lists_reminders_and_skipped_customers(capsys, good):
    doc = run_json(capsys, "remind", good)
    r, r2 = doc["reminders"]
    assert (r["customer"], r["currency"], r["level"], r["to"]) == ("C1", "EUR", 2,
                                                                   "ap@c1.example.com")
    assert [i["invoice"] for i in r["invoices"]] == ["I2", "I1", "CN1"]
    assert r["amount"] == 1200.0 and r["interest"] == 0.0 and r["compensation"] == 0.0
    assert r["subject"] == "Reminder: €1,200.00 overdue - account C1 - Your Company Ltd"
    # C2 owes USD 2,000 for 121 days, but nothing was sent yet: the first reminder goes first
    assert (r2["customer"], r2["currency"], r2["level"], r2["amount"]) == ("C2", "USD", 2,
                                                                           2000.0)
    assert EVIL in r2["text"] and "&lt;" not in r2["text"]
    assert doc["skipped"] == []


def test_score_json_has_a_row_per_customer(capsys, good):
    doc = run_json(capsys, "score", good)
    assert {c["customer"] for c in doc["customers"]} == {"C1", "C2"}
    for c in doc["customers"]:
        assert {"score", "grade", "recommended_limit", "reasons"} <= set(c)
        assert c["score"] is None  # nothing settled yet
        assert c["reasons"]


def test_bad_rows_are_issues_naming_the_cell_and_the_good_rows_still_count(capsys, bad):
    doc = run_json(capsys, "ageing", bad)
    got = {(i["sheet"], i["row"], i["column"]) for i in doc["issues"]}
    assert got == {
        ("Customers", 3, "Email"), ("Customers", 4, "Email"), ("Customers", 5, "Customer"),
        ("Invoices", 3, "Amount"), ("Invoices", 4, "Due Date"), ("Invoices", 5, "Customer"),
        ("Invoices", 6, "Customer"), ("Invoices", 7, "Invoice"), ("Invoices", 8, "Paid"),
        ("Invoices", 9, "Due Date"), ("Invoices", 10, "Currency"),
    }
    assert all(i["message"] for i in doc["issues"])
    # OK1 + OK2, and the rows whose problem is not in a key: B2 (due date from the terms),
    # B6 (Paid read as 0), B7 (due date from the terms); B8 stays in XYZ, not converted
    assert doc["total"]["outstanding"] == 600.0
    assert doc["total"]["not_converted"] == {"XYZ": 100.0}


@pytest.mark.parametrize("command", ["check", "remind", "score"])
def test_every_command_reports_the_same_issues(capsys, bad, command):
    doc = run_json(capsys, command, bad)
    assert len(doc["issues"]) == 11


def test_results_workbook_is_written_and_the_input_is_untouched(capsys, good, tmp_path):
    before = hashlib.sha256(good.read_bytes()).hexdigest()
    out = tmp_path / "results.xlsx"
    code, text, err = run(capsys, "ageing", good, "-o", out)
    assert code == 0, err
    assert f"Results written to {out}" in text
    assert hashlib.sha256(good.read_bytes()).hexdigest() == before
    wb = openpyxl.load_workbook(out)
    assert {"Dashboard", "Ageing", "Credit", "Reminders", "Issues"} <= set(wb.sheetnames)
    cells = [c for row in wb["Ageing"].iter_rows() for c in row if c.value == EVIL]
    assert cells and all(c.data_type == "s" for c in cells)


def test_writing_the_results_over_the_input_is_refused(capsys, good):
    code, out, err = run(capsys, "ageing", good, "-o", good)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1


def test_as_of_option_overrides_the_setting(capsys, good):
    doc = run_json(capsys, "ageing", good, "--as-of", "2026-07-01")
    assert doc["as_of"] == "2026-07-01"
    by = {c["customer"]: c for c in doc["customers"]}
    assert by["C1"]["buckets"][1:3] == [0.0, 1300.0]  # I1 is now 31 days past due


def test_interest_json(capsys):
    doc = run_json(capsys, "interest", "--amount", "1000", "--due", "2018-01-31", "--paid",
                   "2018-03-22", "--law", "uk")
    assert (doc["rate"], doc["days"], doc["interest"], doc["compensation"]) == (
        8.5, 50, 11.5, 70.0)


def test_new_writes_a_workbook_the_other_commands_read(capsys, tmp_path):
    path = tmp_path / "fresh.xlsx"
    code, _, err = run(capsys, "new", path)
    assert code == 0, err
    doc = run_json(capsys, "ageing", path)
    assert doc["customers"] == [] and doc["issues"] == []
    code, _, err = run(capsys, "new", path)
    assert code == 2 and "exists" in err


@pytest.mark.parametrize("args", [
    ["ageing"], ["nonsense"], ["ageing", "x.xlsx", "--as-of", "30/06/2026"],
    ["interest", "--amount", "ten", "--due", "2026-01-01", "--law", "UK"],
    ["interest", "--amount", "10", "--due", "2026-01-01", "--law", "FR"],
    ["check", "x.xlsx", "--order", "100"],
    ["check", "x.xlsx", "--customer", "C404"],
])
def test_usage_errors_exit_2_with_one_line(capsys, args, good):
    args = [str(good) if a == "x.xlsx" else a for a in args]
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err


def test_help_is_there_for_every_command(capsys):
    for command in ["new", "demo", "ageing", "check", "remind", "score", "interest", "rates",
                    "import"]:
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
        assert "usage: creditdesk " + command in capsys.readouterr().out


def _unreadable(tmp_path: Path) -> list[Path]:
    text = tmp_path / "notes.xlsx"
    text.write_text("this is not a workbook")
    truncated = tmp_path / "cut.xlsx"
    write_workbook(tmp_path / "whole.xlsx", tables())
    truncated.write_bytes((tmp_path / "whole.xlsx").read_bytes()[:2000])
    empty_zip = tmp_path / "empty.xlsx"
    with zipfile.ZipFile(empty_zip, "w"):
        pass
    return [text, truncated, empty_zip, tmp_path / "missing.xlsx"]


def test_unreadable_files_exit_2_with_one_line_naming_the_file(capsys, tmp_path):
    for path in _unreadable(tmp_path):
        code, out, err = run(capsys, "ageing", path, "--json")
        assert code == 2 and out == "", path
        lines = err.strip().splitlines()
        assert len(lines) == 1 and path.name in lines[0], err
        assert "Traceback" not in err


def test_a_workbook_without_an_invoices_table_exits_2(capsys, tmp_path):
    t = tables()
    del t["Invoices"]
    path = tmp_path / "noinv.xlsx"
    write_workbook(path, t)
    code, _, err = run(capsys, "ageing", path)
    assert code == 2 and "Invoices" in err


def test_the_installed_command_runs_as_a_process(good, tmp_path):
    exe = Path(sys.executable).with_name("creditdesk")
    done = subprocess.run([exe, "remind", good, "--json"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["reminders"]
    done = subprocess.run([exe, "ageing", tmp_path / "missing.xlsx"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_demo_leaves_results_to_open(capsys, tmp_path):
    code, out, err = run(capsys, "demo", "--out", tmp_path / "demo")
    assert code == 0, err
    assert (tmp_path / "demo" / "creditdesk-results.xlsx").stat().st_size > 5000
    emls = list((tmp_path / "demo" / "reminders").glob("*.eml"))
    assert emls
    assert "Open these" in out
    wb = openpyxl.load_workbook(tmp_path / "demo" / "creditdesk-results.xlsx")
    assert wb.sheetnames[0] == "Dashboard"
    # the Statement Day's tick (twice at once) mailed each statement once, its PDF attached
    statements = sorted((tmp_path / "demo" / "outbox").glob("*-statement-2026-11.eml"))
    assert statements and f"Statements: {len(statements)} mailed on the Statement Day " \
        "(01 December 2026)" in out
    for p in statements:
        msg = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        pdfs = [a for a in msg.iter_attachments() if a.get_content_type() == "application/pdf"]
        assert len(pdfs) == 1 and pdfs[0].get_content()[:5] == b"%PDF-", p.name


@pytest.mark.parametrize("command", ["check", "remind", "score"])
def test_text_reports_fit_a_narrow_terminal_and_lose_no_words(command, bad, capsys,
                                                              monkeypatch):
    """Reasons, subjects and issues wrap under themselves at the terminal's width; the words
    are the ones --json gives, in order."""
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, command, bad, "--as-of", AS_OF)
    assert code == 0
    lines = out.splitlines()
    assert all(len(line) <= 80 or "@" in line for line in lines), max(lines, key=len)
    doc = run_json(capsys, command, bad, "--as-of", AS_OF)
    words = " ".join(out.split())
    texts = {"check": lambda: [c["summary"] for c in doc["customers"]],
             "remind": lambda: [r["reason"] for r in doc["skipped"]],
             "score": lambda: ["; ".join(c["reasons"]) for c in doc["customers"]]}[command]()
    texts += [i["message"] for i in doc["issues"][:20]]
    assert texts
    for text in texts:
        assert " ".join(text.split()) in words


# -- first contact: what a new user typed, and what they now see -------------------------

LONG_NAME = "Northwind Consolidated Wholesale Distribution Holdings Europe"[:60]  # 60 chars


def test_check_for_one_customer_needs_no_order(capsys, good):
    code, out, err = run(capsys, "check", good, "--customer", "C2")
    assert code == 0, err
    assert out.startswith("HOLD: exposure 125% of limit (1,000.00 of 800.00 EUR)")
    doc = run_json(capsys, "check", good, "--customer", "C2")
    assert (doc["decision"], doc["exposure"], doc["order_amount"]) == ("Hold", 1000.0, 0.0)


@pytest.mark.parametrize("amount", ["-5", "nan", "inf", "1e300", "1e12", "1,000,000,000,000"])
def test_an_order_that_cannot_be_one_is_refused(capsys, good, amount):
    code, out, err = run(capsys, "check", good, "--customer", "C1", "--order", amount)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and len(err) < 200, err


def test_no_percentage_runs_to_hundreds_of_digits(capsys, good):
    """The largest order taken, against the smallest limit a workbook has."""
    code, out, err = run(capsys, "check", good, "--customer", "C2", "--order", "999999999999")
    assert code == 0, err
    percentages = [w for w in out.split() if w.endswith("%")]
    assert percentages and all(len(p) < 20 for p in percentages), percentages


def test_a_negative_contract_rate_is_a_usage_error(capsys):
    code, out, err = run(capsys, "interest", "--amount", "1000", "--due", "2025-01-01",
                         "--law", "UK", "--contract-rate", "-3")
    assert code == 2 and out == ""
    assert "--contract-rate" in err and "negative" in err and "internal" not in err


@pytest.mark.parametrize("args", [
    ["--contract-rate", "850"],  # 8.50 meant
    ["--due", "2001-01-01", "--paid", "2002-01-01"],  # before the rate table starts
    ["--amount", "1e300"],
])
def test_interest_input_that_cannot_be_right_is_a_usage_error(capsys, args):
    base = {"--amount": "1000", "--due": "2025-01-01", "--paid": "2025-03-01", "--law": "UK"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    argv = [x for k, v in {**base, **given}.items() for x in (k, v)]
    code, out, err = run(capsys, "interest", *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "internal" not in err, err


def test_a_negative_amount_says_why_no_interest_is_due(capsys):
    code, out, err = run(capsys, "interest", "--amount", "-1000", "--due", "2025-01-01",
                         "--law", "UK")
    assert code == 2 and out == ""
    assert "negative" in err and "credit note" in err


def test_a_debt_paid_before_its_due_date_says_it_was_not_late(capsys):
    code, out, err = run(capsys, "interest", "--amount", "1000", "--due", "2025-01-01",
                         "--paid", "2024-12-01", "--law", "UK")
    assert code == 0, err
    assert out.startswith("Not late: paid on 2024-12-01, 31 days before the due date "
                          "2025-01-01. No interest and no fixed compensation are due.")
    assert "0 days late at 0%" not in out
    code, out, _ = run(capsys, "interest", "--amount", "1000", "--due", "2025-01-01",
                       "--paid", "2025-01-01", "--law", "EU")
    assert out.startswith("Not late: paid on 2025-01-01, on the due date.")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
def test_a_date_outside_a_sane_range_is_refused(capsys, good, day):
    for args in (["ageing", good, "--as-of", day],
                 ["interest", "--amount", "10", "--due", day, "--law", "UK"],
                 ["interest", "--amount", "10", "--due", "2025-01-01", "--paid", day,
                  "--law", "UK"]):
        code, out, err = run(capsys, *args)
        assert code == 2 and out == "", args
        assert "1900-01-01 to 2199-12-31" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["ageing", "check", "remind", "score"])
def test_writing_over_an_existing_file_asks_for_force(capsys, good, tmp_path, command):
    out = tmp_path / "results.xlsx"
    out.write_bytes(b"the controller's own file")
    code, text, err = run(capsys, command, good, "-o", out)
    assert code == 2 and text == ""
    assert err.strip() == f"creditdesk {command}: {out} exists; use --force to overwrite it"
    assert out.read_bytes() == b"the controller's own file"
    code, text, err = run(capsys, command, good, "-o", out, "--force")
    assert code == 0, err
    assert zipfile.is_zipfile(out)


@pytest.fixture
def wide(tmp_path) -> Path:
    """A 60-character name, a long customer key and nine-digit amounts."""
    path = tmp_path / "wide.xlsx"
    write_workbook(path, tables(
        customers=[customer("C-000000000042", Name=LONG_NAME,
                            **{"Credit Limit": 150_000_000}),
                   customer("C2", Name="Short Ltd", **{"Credit Limit": 5000})],
        invoices=[invoice("I1", 987_654_321.55, days_before(70), customer="C-000000000042"),
                  invoice("I2", -123_456_789.0, days_before(5), customer="C-000000000042"),
                  invoice("I3", 1000.0, days_before(5), customer="C2")]))
    return path


def _fields(line: str) -> list[str]:
    """A text report's line cut at its column gaps (two spaces or more)."""
    import re

    return re.split(r" {2,}", line.strip())


@pytest.mark.parametrize("command, headers", [
    ("check", ["Customer", "Name", "Exposure (EUR)", "Decision: reasons"]),
    ("score", ["Customer", "Name", "Score", "Grade", "Recommended Limit (EUR)"]),
    ("ageing", ["Customer", "Name", "Not due", "1-30 days", "31-60 days", "61-90 days",
                "91-120 days", "Over 120 days", "Unapplied Credits", "Outstanding"]),
])
def test_text_reports_have_headers_and_never_run_columns_together(capsys, wide, command,
                                                                  headers, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    code, out, err = run(capsys, command, wide)
    assert code == 0, err
    lines = out.splitlines()
    assert _fields(lines[1])[:len(headers)] == headers
    row = next(ln for ln in lines if ln.startswith("C-000000000042"))
    fields = _fields(row)
    assert fields[:2] == ["C-000000000042", LONG_NAME[:27] + "..."]
    if command == "check":
        assert fields[2] == "864,197,532.55"
        assert fields[3].startswith("HOLD: exposure 576% of limit")
    if command == "ageing":
        assert fields[2:] == ["0.00", "0.00", "0.00", "987,654,321.55", "0.00", "0.00",
                              "-123,456,789.00", "864,197,532.55"]
    if command == "score":
        assert fields[2:4] == ["-", "-"]


def test_the_reminders_text_keeps_its_columns_apart(capsys, wide):
    code, out, err = run(capsys, "remind", wide)
    assert code == 0, err
    lines = out.splitlines()
    assert _fields(lines[1]) == ["Customer", "Level", "Currency", "Total", "To, subject"]
    fields = _fields(next(ln for ln in lines if ln.startswith("C-000000000042")))
    assert fields[:4] == ["C-000000000042", "L2", "EUR", "864,197,532.55"]


@pytest.mark.parametrize("command", ["ageing", "check", "remind", "score"])
def test_report_help_reads_as_english(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    description = " ".join(out.split("\n\n")[1].split())
    assert description[0].isupper() and description.endswith("still used.")
    assert "Show preview" not in description and "why for a" not in description
    if command == "remind":
        assert description.startswith("Preview the reminders due today, one per customer "
                                       "and currency, and list the customers who are not "
                                       "chased, with the reason.")
