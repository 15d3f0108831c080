"""Payment plans in the add-in, through the xlwings engine: Propose plan writes a Proposed row
into the Plans table from the selected cells (errors name the sheet, cells and value), and
Sync brings the plans asked for on the debtor's page into Plans as Proposed, once. The
backend is the real app in process (tests.support.backend)."""

import datetime as dt

import openpyxl
import pytest

from creditdesk.api.client import Client
from creditdesk.domain.contract import PLANS
from creditdesk.files.xlsx_write import write_workbook
from creditdesk_addin import scripts
from devkit.officejs import payload_from_file
from tests.addin.engine import run, table
from tests.builders import customer, days_before, invoice, tables
from tests.support.page import ask_for_a_plan
from tests.support.transports import Wire

AS_OF = dt.date.today()  # the backend and the page date things by the real clock
URL = "https://api.creditdesk.example"
START = AS_OF + dt.timedelta(days=14)


def _ledger(path, *, plans: bool = False, entry=None):
    extra = {"Plans": ([c.header for c in PLANS.columns],
                       [["PLAN-1", "C2", "I3", AS_OF, "Monthly", 2, "Cancelled", None,
                         None]])} if plans else {}
    write_workbook(path, {**tables(
        customers=[customer("C1"), customer("C2")],
        invoices=[invoice("I1", 300.0, days_before(40, AS_OF)),
                  invoice("I2", 700.0, days_before(20, AS_OF)),
                  invoice("I3", 50.0, days_before(20, AS_OF), customer="C2")],
        settings={"Backend URL": URL, "As Of Date": AS_OF, "Time Zone": "UTC"}), **extra})
    if entry is not None:
        book = openpyxl.load_workbook(path)
        ws = book.create_sheet("My plan")
        for j, v in enumerate(entry, start=1):
            ws.cell(1, j).value = v
            if isinstance(v, dt.date):
                ws.cell(1, j).number_format = "yyyy-mm-dd"
        book.save(path)
    return path


def _selecting(path, address: str) -> dict:
    payload = payload_from_file(path)
    names = [s["name"] for s in payload["sheets"]]
    payload["book"]["active_sheet_index"] = names.index("My plan")
    payload["book"]["selection"] = address
    return payload


def test_propose_plan_writes_a_proposed_row_from_the_selected_cells(tmp_path):
    path = _ledger(tmp_path / "ledger.xlsx", plans=True,
                   entry=["C1", 4, START, "Weekly", "I2"])
    summary, _, after = run(_selecting(path, "A1:E1"), scripts.propose_plan)
    assert summary.startswith("Plan PLAN-2 for C1: 4 weekly instalment(s) from "
                              f"{START.isoformat()} (175.00; 175.00; 175.00; 175.00 EUR) on "
                              "I2, Proposed"), summary
    rows = table(after, "Plans")
    assert [r["Plan"] for r in rows] == ["PLAN-1", "PLAN-2"]  # the controller's row kept
    assert rows[0]["Status"] == "Cancelled"
    new = rows[1]
    assert (new["Customer"], new["Invoices"], new["Frequency"], new["Instalments"],
            new["Status"]) == ("C1", "I2", "Weekly", 4, "Proposed")
    assert new["Start Date"].date() == START
    # three cells: monthly, every open invoice of C1; a workbook with no Plans table gets one
    path2 = _ledger(tmp_path / "bare.xlsx", entry=["C1", 2, START])
    summary, _, after = run(_selecting(path2, "A1:C1"), scripts.propose_plan)
    (new,) = table(after, "Plans")
    assert (new["Plan"], new["Invoices"], new["Frequency"], new["Amounts"]) == (
        "PLAN-1", "I1; I2", "Monthly", "500.00; 500.00")


@pytest.mark.parametrize(("entry", "address", "said"), [
    (["C1", 4], "A1:B1", "the selection (sheet 'My plan', A1:B1) holds 2 value(s)"),
    (["C1", "four", START], "A1:C1", "value 2 (the number of instalments): 'four' is not a "
                                      "whole number"),
    (["C1", 4, "next week"], "A1:C1", "value 3 (the first instalment's date)"),
    (["C9", 4, START], "A1:C1", "no customer 'C9' in the Customers table"),
    (["C1", 4, START, "Daily"], "A1:D1", "'Daily' is not one of Weekly, Fortnightly, Monthly"),
])
def test_propose_plan_says_what_is_wrong_with_the_selection(tmp_path, entry, address, said):
    path = _ledger(tmp_path / "ledger.xlsx", entry=entry)
    summary, _, after = run(_selecting(path, address), scripts.propose_plan)
    assert summary.startswith("Propose plan stopped: ") and said in summary, summary
    assert "Plans" not in {s["name"] for s in after["sheets"]}


@pytest.fixture
def tenant(backend_app):
    from chalicelib.bootstrap import bootstrap
    from chalicelib.services import tenancy

    return tenancy.create_tenant(bootstrap(), "Acme")


def test_sync_brings_a_plan_asked_for_on_the_page_into_plans_as_proposed_once(
        tmp_path, backend_app, tenant):
    wire = Wire(backend_app.transport())

    def backend(settings):
        return Client(settings.backend_url, tenant[1], transport=wire, sleep=lambda s: None)

    path = _ledger(tmp_path / "ledger.xlsx")
    summary, _, synced = run(payload_from_file(path), scripts.sync, backend=backend)
    assert "plan(s) asked for" not in summary
    ask_for_a_plan(backend_app, tenant[0], "C1", 3, START)
    summary, _, synced = run(synced, scripts.sync, backend=backend)
    assert "1 plan(s) asked for on the debtor's page added to Plans as Proposed" in summary
    (plan,) = table(synced, "Plans")
    assert plan["Plan"].startswith("REQ-pg") and plan["Status"] == "Proposed"
    assert (plan["Customer"], plan["Invoices"], plan["Instalments"], plan["Amounts"]) == (
        "C1", "I1; I2", 3, "333.33; 333.33; 333.34")
    assert plan["Start Date"].date() == START
    summary, _, twice = run(synced, scripts.sync, backend=backend)
    assert "plan(s) asked for" not in summary
    assert len(table(twice, "Plans")) == 1


def test_preview_reminders_lists_a_kept_plans_mail_as_the_plans(tmp_path):
    """The add-in renders through the same code as the CLI: a kept plan's courtesy note is
    the plan_courtesy mail, with its subject on the Reminders sheet."""
    from tests.builders import d

    path = tmp_path / "plan.xlsx"
    plans = ([c.header for c in PLANS.columns],
             [["P1", "C1", "I1", d("2026-07-15"), "Monthly", 2, "Active", None, None]])
    write_workbook(path, tables(customers=[customer("C1")],
                                invoices=[invoice("I1", 500.0, d("2026-06-30"))],
                                settings={"As Of Date": d("2026-07-12")},
                                extra={"Plans": plans}))
    _, _, after = run(payload_from_file(path), scripts.preview_reminders)
    (row,) = table(after, "Reminders")
    assert row["Customer"] == "C1" and row["Amount"] == 250.0
    assert row["Subject"] == ("Payment plan P1: instalment 1 of 2, €250.00 due 15 July 2026 "
                              "- account C1 - Your Company Ltd")
