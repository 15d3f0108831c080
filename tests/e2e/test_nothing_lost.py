"""Nothing lost, end to end (issue 9, item 5): a workbook file with a bad e-mail, a rating of
0 and a default currency without an FX rate keeps all three customers' balances in ageing,
credit checks and reminders, each problem named; `creditdesk` as a user runs it."""

import json
from pathlib import Path

import openpyxl
import pytest

from creditdesk.cli.main import main
from creditdesk.files.xlsx_write import write_workbook
from tests.builders import customer, days_before, invoice, tables


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def flawed(tmp_path) -> Path:
    """C1's e-mail has no dot in its domain, C2's rating is 0, C3 is billed in USD and the
    FX table has no USD rate. Before: all three customers, and their 80,000 of invoices,
    vanished from every figure, leaving three "unknown customer" issues."""
    path = tmp_path / "flawed.xlsx"
    write_workbook(path, tables(
        customers=[customer("C1", Email="accounts@example", **{"Credit Limit": 60000}),
                   customer("C2", **{"External Rating": 0, "Credit Limit": 30000}),
                   customer("C3", Currency="USD", **{"Credit Limit": 20000})],
        invoices=[invoice("I1", 50000.0, days_before(45), customer="C1"),
                  invoice("I2", 20000.0, days_before(10), customer="C2"),
                  invoice("I3", 10000.0, days_before(10), customer="C3")]))
    return path


def run_json(capsys, *args):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def where(doc):
    return {(i["sheet"], i["row"], i["column"]): i["message"] for i in doc["issues"]}


def test_ageing_keeps_every_balance_and_names_each_problem(capsys, flawed):
    doc = run_json(capsys, "ageing", flawed)
    by = {c["customer"]: c for c in doc["customers"]}
    assert by["C1"]["outstanding"] == 50000.0 and by["C1"]["overdue"] == 50000.0
    assert by["C2"]["outstanding"] == 20000.0
    assert by["C3"]["outstanding"] == 0.0 and by["C3"]["not_converted"] == {"USD": 10000.0}
    assert doc["total"]["outstanding"] == 70000.0
    assert doc["total"]["not_converted"] == {"USD": 10000.0}
    assert doc["kpis"]["receivables"] == 70000.0
    issues = where(doc)
    assert set(issues) == {("Customers", 2, "Email"), ("Customers", 3, "External Rating"),
                           ("Customers", 4, "Currency"), ("Invoices", 4, "Currency")}
    assert issues[("Customers", 2, "Email")].endswith(
        "ignored: no e-mail reminders to this customer until it is fixed")
    assert issues[("Customers", 3, "External Rating")] == (
        "rating 0 is outside 1-100; ignored: the payment score is made without it")
    assert "counted as not converted" in issues[("Invoices", 4, "Currency")]


def test_credit_checks_keep_every_customer(capsys, flawed):
    doc = run_json(capsys, "check", flawed)
    by = {c["customer"]: c for c in doc["customers"]}
    assert set(by) == {"C1", "C2", "C3"}
    assert by["C1"]["exposure"] == 50000.0 and by["C1"]["decision"] == "Review"
    assert by["C2"]["exposure"] == 20000.0
    assert by["C3"]["decision"] == "Review"
    assert "10,000.00 USD not in the exposure: no FX rate into EUR" in by["C3"]["reasons"]
    assert len(doc["issues"]) == 4


def test_reminders_go_where_they_can_and_the_bad_address_is_the_stated_reason(capsys,
                                                                              flawed):
    doc = run_json(capsys, "remind", flawed)
    sent = {(r["customer"], r["currency"]): r for r in doc["reminders"]}
    assert set(sent) == {("C2", "EUR"), ("C3", "USD")}
    assert sent[("C3", "USD")]["amount"] == 10000.0
    (skip,) = doc["skipped"]
    assert skip["customer"] == "C1"
    assert skip["reason"].startswith("no usable e-mail address (in Customers: ")


def test_the_results_workbook_shows_the_unapplied_and_not_converted_columns(capsys, flawed,
                                                                             tmp_path):
    out = tmp_path / "results.xlsx"
    code, _, err = run(capsys, "ageing", flawed, "-o", out)
    assert code == 0, err
    ws = openpyxl.load_workbook(out)["Ageing"]
    header = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(header, r, strict=True))
            for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["C3"]["Not Converted"] == "USD 10,000.00"
    assert rows["C1"]["Unapplied Credits (EUR)"] == 0


def test_a_ledger_read_in_the_wrong_base_currency_says_so_first_and_exits_3(capsys, tmp_path):
    """A GBP ledger with Base Currency EUR and no FX table: every invoice is outside the EUR
    totals. Before: a table of zeros and exit status 0."""
    path = tmp_path / "gbp.xlsx"
    write_workbook(path, tables(
        invoices=[invoice("I1", 100.0, days_before(10), Currency="GBP"),
                  invoice("I2", 200.0, days_before(40), Currency="GBP")]))
    code, out, err = run(capsys, "ageing", path)
    assert code == 3
    assert err.splitlines()[0] == (
        f"creditdesk: {path}: most invoice rows could not be used: 2 of 2 (2 in GBP without "
        "an FX rate into EUR, outside its totals); check Base Currency, FX and the issues")
    assert "Not converted (no FX rate into EUR, in no figure above): GBP 300.00" in out
    code, out, err = run(capsys, "ageing", path, "--json")
    assert code == 3 and json.loads(out)["total"]["not_converted"] == {"GBP": 300.0}


def test_the_same_ledger_without_a_base_currency_is_read_in_gbp(capsys, tmp_path):
    path = tmp_path / "gbp.xlsx"
    write_workbook(path, tables(
        invoices=[invoice("I1", 100.0, days_before(10), Currency="GBP")],
        settings={"Base Currency": ""}))
    doc = run_json(capsys, "ageing", path)
    assert doc["base_currency"] == "GBP" and doc["total"]["outstanding"] == 100.0


def test_new_takes_the_base_currency(capsys, tmp_path):
    path = tmp_path / "usd.xlsx"
    code, _, err = run(capsys, "new", path, "--base-currency", "usd")
    assert code == 0, err
    assert run_json(capsys, "ageing", path)["base_currency"] == "USD"
    blank = tmp_path / "blank.xlsx"
    run(capsys, "new", blank)
    assert run_json(capsys, "ageing", blank)["base_currency"] == "GBP"  # Country GB
    code, _, err = run(capsys, "new", tmp_path / "x.xlsx", "--base-currency", "pounds")
    assert code == 2 and "three-letter" in err
