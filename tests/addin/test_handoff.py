"""The add-in's Hand-off: Refresh lists who the hand-off rule suggests on the Hand-off sheet
(as `check --json` does), and the Hand-off button sets the typed customer's Collection Status
and adds a Hand-off row to History in Excel, after which the customer is no longer chased."""

from __future__ import annotations

import json

import openpyxl
import pytest

from creditdesk.cli.main import main
from creditdesk.files.xlsx_write import write_workbook
from creditdesk_addin import scripts
from devkit.officejs import payload_from_file
from tests.addin.engine import cell, run, table
from tests.integration.test_handoff_pack import KEY, _tables


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, _tables())
    return path


def _typed(payload: dict, customer: str, to: str) -> dict:
    """The payload with the customer and target typed into Hand-off!B2:B3."""
    for s in payload["sheets"]:
        if s["name"] == "Hand-off":
            s["values"][1][1], s["values"][2][1] = customer, to
    return payload


def test_refresh_lists_the_rule_and_the_button_hands_the_customer_off(workbook, capsys):
    assert main(["check", str(workbook), "--json"]) == 0
    (want,) = json.loads(capsys.readouterr().out)["handoff"]
    _, _, after = run(payload_from_file(workbook), scripts.refresh)
    (row,) = table(after, "Handoff")
    assert (row["Customer"], row["Oldest Invoice"], row["Oldest Days Overdue"]) == (
        want["customer"], want["oldest_invoice"], want["oldest_days_overdue"])
    assert row["Overdue (EUR)"] == pytest.approx(want["overdue"])
    assert cell(after, "Hand-off", 1, 1).startswith("Due for hand-off")
    assert cell(after, "Hand-off", 2, 1) == "Customer to hand off"

    summary, _, done = run(_typed(after, KEY, "legal"), scripts.handoff)
    assert summary.startswith(f"Handed off {KEY} to solicitors: Collection Status Legal"), \
        summary
    customers = {r["Customer"]: r for r in table(done, "Customers")}
    assert customers[KEY]["Collection Status"] == "Legal"
    assert not customers["C2"]["Collection Status"]
    last = table(done, "History")[-1]
    assert (last["Customer"], last["Type"]) == (KEY, "Hand-off")
    assert "solicitors" in last["Note"]
    assert [r for r in table(done, "Handoff") if r["Customer"]] == []  # no longer suggested
    summary, _, previewed = run(done, scripts.preview_reminders)
    skipped = {r["Customer"]: r for r in table(previewed, "NotChased")}
    assert "Legal" in skipped[KEY]["Reason"]


@pytest.mark.parametrize(("customer", "to", "words"), [
    ("", "", "type the key of the customer to hand off in Hand-off!B2"),
    ("C9", "", "no customer 'C9'"),
    (KEY, "court", "Hand-off!B3 says 'court'")])
def test_the_button_says_what_is_missing_and_changes_nothing(workbook, customer, to, words):
    _, _, after = run(payload_from_file(workbook), scripts.refresh)
    summary, _, done = run(_typed(after, customer, to), scripts.handoff)
    assert summary.startswith("Hand-off stopped:") and words in summary, summary
    assert {r["Customer"]: r["Collection Status"] for r in table(done, "Customers")}[KEY] \
        in (None, "")


def test_a_customers_table_without_the_column_is_refused_in_words(tmp_path):
    path = tmp_path / "old.xlsx"
    write_workbook(path, _tables())
    book = openpyxl.load_workbook(path)
    ws = book["Customers"]
    heads = [c.value for c in ws[1]]
    ws.delete_cols(heads.index("Collection Status") + 1)
    t = next(iter(ws.tables.values()))
    t.ref = t.ref.replace(t.ref.split(":")[1],
                          openpyxl.utils.get_column_letter(len(heads) - 1)
                          + t.ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    t.tableColumns = t.tableColumns[:-1]
    t.autoFilter = None
    book.save(path)
    _, _, after = run(payload_from_file(path), scripts.refresh)
    summary, _, _ = run(_typed(after, KEY, ""), scripts.handoff)
    assert "has no Collection Status column" in summary, summary


def test_the_first_click_without_a_hand_off_sheet_makes_it_and_says_what_to_type(workbook):
    summary, _, after = run(payload_from_file(workbook), scripts.handoff)
    assert summary.startswith("Hand-off stopped: type the key of the customer"), summary
    assert cell(after, "Hand-off", 2, 1) == "Customer to hand off"
    assert [r["Customer"] for r in table(after, "Handoff")] == [KEY]
