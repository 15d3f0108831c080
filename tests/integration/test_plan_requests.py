"""A plan asked for on the debtor's page arrives in the workbook's Plans table as Proposed on
`creditdesk sync`: its id derived from the event's (a second sync adds nothing), its
instalments, start and invoices from the request, what those owe split as `plan propose`
does; the table is added when the workbook has none; `plan list` shows it, and once its
Status is Active the customer is chased on the instalments. Against the real backend app in
process (tests/support/backend.py): the page over HTTP, the CLI as a user runs it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from creditdesk.cli import main as cli
from creditdesk.domain.contract import HISTORY
from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_write import write_workbook
from tests.builders import customer, invoice, tables
from tests.support import page

TODAY = dt.date.today()  # the page and the backend date things by the real clock
START = TODAY + dt.timedelta(days=20)


def _workbook(path: Path, *, plans: bool) -> Path:
    extra = {"History": ([c.header for c in HISTORY.columns], [])}
    if plans:
        from creditdesk.domain.contract import PLANS

        extra["Plans"] = ([c.header for c in PLANS.columns],
                          [["PLAN-1", "C2", "I3", TODAY, "Monthly", 2, "Cancelled", None,
                            None]])
    t = tables(customers=[customer("C1"), customer("C2")],
               invoices=[invoice("I1", 300.0, TODAY - dt.timedelta(days=40)),
                         invoice("I2", 700.0, TODAY - dt.timedelta(days=20)),
                         invoice("I3", 50.0, TODAY - dt.timedelta(days=20), customer="C2")],
               settings={"Time Zone": "UTC", "As Of Date": None})
    write_workbook(path, {**t, **extra})
    book = openpyxl.load_workbook(path)
    book.create_sheet("My notes")["A1"] = "keep me"
    book.save(path)
    return path


@pytest.fixture
def env(backend_app, monkeypatch):
    from chalicelib.bootstrap import bootstrap
    from chalicelib.services import tenancy

    tenant, key = tenancy.create_tenant(bootstrap(), "Acme")
    monkeypatch.setenv(cli.URL_ENV, backend_app.url)
    monkeypatch.setenv(cli.KEY_ENV, key)
    backend_app.tenant = tenant
    return backend_app


def run(capsys, env, *args):
    code = cli.main([str(a) for a in args], transport=env.transport())
    out, err = capsys.readouterr()
    return code, out, err


def ask_for_a_plan(env, customer_id: str, instalments: int, start: dt.date) -> None:
    page.ask_for_a_plan(env, env.tenant, customer_id, instalments, start)


def _plans(path: Path) -> list[dict]:
    raw = read_workbook(path)["plans"]
    return [dict(zip(raw.header, r, strict=True)) for r in zip(*raw.columns, strict=True)]


@pytest.mark.parametrize("has_plans_table", [True, False])
def test_a_plan_asked_for_on_the_page_arrives_proposed_once_and_drives_chasing_when_active(
        capsys, env, tmp_path, has_plans_table):
    wb = _workbook(tmp_path / "ledger.xlsx", plans=has_plans_table)
    code, out, err = run(capsys, env, "sync", wb)  # the snapshot the page shows
    assert code == 0, err
    assert "Plans:" not in out  # nothing asked for yet
    ask_for_a_plan(env, "C1", 4, START)

    code, out, err = run(capsys, env, "sync", wb)
    assert code == 0, err
    assert list(read_workbook(wb)["history"].columns[2]).count("Plan") == 1  # the event
    assert "Plans: 1 plan(s) asked for on the debtor's page added to " + \
        ("its Plans table" if has_plans_table else "a new Plans table") in out
    mine = [p for p in _plans(wb) if p["Customer"] == "C1"]
    assert len(mine) == 1
    plan = mine[0]
    assert plan["Plan"].startswith("REQ-pg") and plan["Status"] == "Proposed"
    assert (plan["Instalments"], plan["Frequency"], plan["Invoices"]) == (4, "Monthly",
                                                                          "I1; I2")
    assert plan["Start Date"] == START
    assert plan["Amounts"] == "250.00; 250.00; 250.00; 250.00" and plan["Currency"] == "EUR"
    assert f"{plan['Plan']}  C1" in out and "4 monthly from " + START.isoformat() in out
    assert openpyxl.load_workbook(wb)["My notes"]["A1"].value == "keep me"
    if has_plans_table:  # appended in place: the controller's own row is still there
        assert [p["Plan"] for p in _plans(wb)] == ["PLAN-1", plan["Plan"]]
        assert "nothing else in it changed but the Plans table (below)" in out
    else:
        assert wb.with_name("ledger.backup.xlsx").exists()
        assert "rewritten to add the table" in out and "nothing else" not in out

    code, out, err = run(capsys, env, "sync", wb, "--json")  # again: nothing new
    assert code == 0, err
    doc = json.loads(out)["plans"]
    assert (doc["requests"], doc["rows_added"], doc["already"]) == (1, 0, 1)
    assert len([p for p in _plans(wb) if p["Customer"] == "C1"]) == 1

    code, out, err = run(capsys, env, "plan", "list", wb, "--json")
    assert code == 0, err
    (listed,) = [p for p in json.loads(out)["plans"] if p["plan"] == plan["Plan"]]
    assert (listed["typed_status"], listed["customer"]) == ("Proposed", "C1")

    def chased() -> list[dict]:
        code, out, err = run(capsys, env, "remind", wb, "--json")
        assert code == 0, err
        return [r for r in json.loads(out)["reminders"] if r["customer"] == "C1"]

    assert chased()  # Proposed changes nothing: I1 and I2 are overdue
    book = openpyxl.load_workbook(wb)
    ws = book["Plans"]
    col = [c.value for c in ws[1]].index("Status") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == plan["Plan"])
    ws.cell(row, col).value = "Active"  # the controller accepts it
    book.save(wb)
    code, out, err = run(capsys, env, "plan", "list", wb, "--json")
    (listed,) = [p for p in json.loads(out)["plans"] if p["plan"] == plan["Plan"]]
    assert (listed["status"], listed["next_date"]) == ("Active", START.isoformat())
    assert chased() == []  # chased on the instalments now: the first falls in 20 days


def test_a_request_the_workbook_cannot_take_is_said_and_history_still_written(
        capsys, env, tmp_path):
    wb = _workbook(tmp_path / "ledger.xlsx", plans=False)
    assert run(capsys, env, "sync", wb)[0] == 0
    ask_for_a_plan(env, "C2", 3, START)
    book = openpyxl.load_workbook(wb)  # I3 paid in the workbook since
    ws = book["Invoices"]
    head = [c.value for c in ws[1]]
    r = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "I3")
    ws.cell(r, head.index("Paid") + 1).value = 50.0
    book.save(wb)
    code, out, err = run(capsys, env, "sync", wb)
    assert code == 0, err
    assert "Plans: not proposed: the plan C2 asked for on" in out
    assert "none of its invoices (I3) is open in the workbook any more" in out
    assert "plans" not in read_workbook(wb)  # no table added for nothing
    assert "Plan" in read_workbook(wb)["history"].columns[2]


def test_a_macro_workbook_without_a_plans_table_is_not_rewritten(capsys, env, tmp_path):
    """The History is appended in place (macros and all); the plans need a Plans table,
    which a rewrite would add but a macro workbook is never rewritten: the output says."""
    wb = tmp_path / "ledger.xlsm"
    _workbook(tmp_path / "ledger.xlsx", plans=False).rename(wb)
    assert run(capsys, env, "sync", wb)[0] == 0
    ask_for_a_plan(env, "C1", 2, START)
    before = wb.read_bytes()
    code, out, err = run(capsys, env, "sync", wb, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["written"]["rows_added"] == 1 and doc["plans"]["rows_added"] == 0
    assert "macro workbook cannot be rewritten" in doc["plans"]["not_written"]
    assert "add one (copy the Plans sheet of 'creditdesk new')" in doc["plans"]["not_written"]
    assert "plans" not in read_workbook(wb) and wb.read_bytes() != before
    code, out, err = run(capsys, env, "sync", wb)  # the text says it too, and adds nothing
    assert "Plans: the plan(s) asked for on the debtor's page were NOT written" in out
