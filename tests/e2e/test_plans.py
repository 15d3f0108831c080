"""`creditdesk plan propose` and `plan list` on a real workbook file, and the Plan status
sheet of the results workbook; a plan made Active changes what `remind` chases."""

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from creditdesk.cli.main import main
from creditdesk.files.xlsx_write import write_workbook
from tests.builders import customer, d, invoice, tables

AS_OF = d("2026-06-30")


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ledger(tmp_path) -> Path:
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, tables(
        customers=[customer("C1"), customer("C2")],
        invoices=[invoice("I1", 300.0, d("2026-03-31")), invoice("I2", 700.0, d("2026-04-30")),
                  invoice("I3", 50.0, d("2026-05-31"), customer="C2")],
        settings={"As Of Date": AS_OF}))
    book = openpyxl.load_workbook(path)
    book.create_sheet("My notes")["A1"] = "keep me"
    book.save(path)
    return path


def _plans_sheet(path: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(path)["Plans"]
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def test_propose_writes_a_proposed_row_and_carries_the_users_sheets(capsys, tmp_path, ledger):
    out = tmp_path / "with-plan.xlsx"
    code, text, err = run(capsys, "plan", "propose", ledger, "--customer", "C1",
                          "--instalments", 3, "--start", "2026-07-15", "-o", out)
    assert code == 0, err
    assert "plan PLAN-1 for C1" in text
    header, row = _plans_sheet(out)
    assert header[:3] == ("Plan", "Customer", "Invoices")
    assert row[:3] == ("PLAN-1", "C1", "I1; I2")
    assert row[4:8] == ("Monthly", 3, "Proposed", "333.33; 333.33; 333.34")
    assert row[3].date() == dt.date(2026, 7, 15)
    assert openpyxl.load_workbook(out)["My notes"]["A1"].value == "keep me"
    # a second proposal, into a new file: PLAN-2, only the invoice named
    out2 = tmp_path / "two.xlsx"
    code, _, err = run(capsys, "plan", "propose", out, "--customer", "C1", "--instalments", 2,
                       "--start", "2026-07-01", "--frequency", "weekly", "--invoices", "I2",
                       "-o", out2)
    assert code == 0, err
    assert [r[0] for r in _plans_sheet(out2)[1:]] == ["PLAN-1", "PLAN-2"]
    assert _plans_sheet(out2)[2][7] == "350.00; 350.00"


def test_propose_refuses_what_it_cannot_do_in_words(capsys, tmp_path, ledger):
    out = tmp_path / "x.xlsx"
    for args, words in [(("--customer", "C9"), "no customer 'C9'"),
                        (("--customer", "C1", "--invoices", "I3"), "not an open invoice of C1"),
                        (("--customer", "C1", "-o", ledger, "--force"), "must not be the")]:
        argv = ["plan", "propose", ledger, "--instalments", 3, "--start", "2026-07-15",
                *args]
        if "-o" not in args:
            argv += ["-o", out]
        code, _, err = run(capsys, *argv)
        assert code != 0 and words in err, err
        assert "Traceback" not in err
    assert not out.exists()


def test_an_active_plan_is_listed_and_drives_remind_and_the_results_sheet(
        capsys, tmp_path, ledger):
    proposed = tmp_path / "p.xlsx"
    assert run(capsys, "plan", "propose", ledger, "--customer", "C1", "--instalments", 2,
               "--start", "2026-06-01", "-o", proposed)[0] == 0
    book = openpyxl.load_workbook(proposed)
    book["Plans"]["G2"] = "Active"  # the customer agreed
    book.save(proposed)
    code, out, err = run(capsys, "plan", "list", proposed, "--json")
    assert code == 0, err
    (plan,) = json.loads(out)["plans"]
    assert (plan["typed_status"], plan["status"], plan["missed"]) == ("Active", "Active", 1)
    assert (plan["next_date"], plan["next_amount"]) == ("2026-06-01", 500.0)
    code, out, err = run(capsys, "plan", "list", proposed)
    assert "PLAN-1" in out and "2026-06-01" in out and "0/2" in out
    # chased on the missed instalment (1 Jun: 29 days), not on the due dates (91, 61 days)
    code, out, err = run(capsys, "remind", proposed, "--json")
    rem = [r for r in json.loads(out)["reminders"] if r["customer"] == "C1"]
    assert [ln["days_overdue"] for ln in rem[0]["invoices"]] == [29, 29]
    assert [ln["due_date"] for ln in rem[0]["invoices"]] == ["2026-06-01"] * 2  # instalment
    assert rem[0]["level"] == 2 and rem[0]["amount"] == 500.0  # the instalment missed
    results = tmp_path / "results.xlsx"
    assert run(capsys, "remind", proposed, "-o", results)[0] == 0
    ws = openpyxl.load_workbook(results)["Plan status"]
    assert ws["A1"].value.startswith("Payment plans: 1, 1 kept")
    header = [c.value for c in ws[3]]
    row = dict(zip(header, (c.value for c in ws[4]), strict=True))
    assert (row["Plan"], row["Status"], row["Missed"]) == ("PLAN-1", "Active", 1)


def test_the_plans_table_goes_to_the_backend_with_the_snapshot(capsys, tmp_path, ledger):
    from creditdesk.app.workbook import Workbook

    out = tmp_path / "p.xlsx"
    assert run(capsys, "plan", "propose", ledger, "--customer", "C1", "--instalments", 2,
               "--start", "2026-07-01", "-o", out)[0] == 0
    snap = Workbook.read(out).snapshot()
    plans = snap.tables["Plans"]
    assert plans.header[:2] == ["Plan", "Customer"] and plans.rows[0][:3] == ["PLAN-1", "C1",
                                                                             "I1; I2"]
    assert plans.rows[0][3] == "2026-07-01"
