"""Each results table is defined once (creditdesk.analysis.tables): the results workbook,
the add-in's sheets and the CLI's text all follow that definition."""

import dataclasses

import openpyxl
import pytest

from creditdesk.analysis import tables
from creditdesk.analysis.report import Analysis
from creditdesk.cli.main import main
from creditdesk.domain.ledger import build_ledger
from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_write import write_results
from creditdesk_addin import scripts
from devkit.officejs import payload_from_file, sheet_entry, table_entry
from tests.addin.engine import book_of, run, table


def renamed(spec: tables.TableSpec, key: str, header: str) -> tables.TableSpec:
    return dataclasses.replace(spec, columns=tuple(
        dataclasses.replace(c, header=header) if c.key == key else c for c in spec.columns))


def file_table(path, sheet: str, name: str) -> list[tuple]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [tuple(c.value for c in row) for row in ws[ws.tables[name].ref]]


def results_file(workbook, tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, Analysis(build_ledger(read_workbook(workbook))).results())
    return path


def test_a_header_changed_in_the_definition_changes_the_file_the_add_in_and_the_cli(
        good, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tables, "AGEING", renamed(tables.AGEING, "outstanding", "Balance"))
    monkeypatch.setattr(tables, "CREDIT", renamed(tables.CREDIT, "decision", "Verdict"))

    on_file = file_table(results_file(good, tmp_path), "Ageing", "Ageing")
    credit_file = file_table(tmp_path / "results.xlsx", "Credit", "Credit")
    _, _, after = run(payload_from_file(good), scripts.refresh)
    capsys.readouterr()
    assert main(["ageing", str(good)]) == 0
    text = capsys.readouterr().out

    assert on_file[0][2] == "Balance (EUR)" and "Outstanding (EUR)" not in on_file[0]
    assert on_file[-1][2] == "=SUBTOTAL(109,Ageing[[Balance (EUR)]])"  # the total row too
    assert "Verdict" in credit_file[0] and "Decision" not in credit_file[0]
    assert "Balance (EUR)" in table(after, "Ageing")[0]
    assert "Verdict" in table(after, "Credit")[0]
    assert text.splitlines()[1].split()[-1] == "Balance"


def test_the_credit_sheet_is_the_same_in_the_file_and_in_excel(good, tmp_path):
    on_file = file_table(results_file(good, tmp_path), "Credit", "Credit")
    _, _, after = run(payload_from_file(good), scripts.refresh)
    in_excel = table(after, "Credit")

    assert list(in_excel[0]) == list(on_file[0])
    assert [tuple(r.values()) for r in in_excel] == [
        tuple(None if v == "" else v for v in row) for row in on_file[1:]]


@pytest.mark.parametrize("name", ["Ageing", "Scores", "Issues"])
def test_the_other_result_tables_have_the_same_headers_in_the_file_and_in_excel(
        name, good, tmp_path):
    on_file = file_table(results_file(good, tmp_path), name, name)
    script = scripts.score if name == "Scores" else scripts.refresh
    _, _, after = run(payload_from_file(good), script)

    assert list(table(after, name)[0]) == list(on_file[0])


def test_not_chased_is_the_same_table_on_its_own_sheet_as_in_the_file(good, tmp_path):
    on_file = file_table(results_file(good, tmp_path), "Not chased", "NotChased")
    _, _, after = run(payload_from_file(good), scripts.preview_reminders)

    in_excel = table(after, "NotChased")
    assert [tuple(r.values()) for r in in_excel] == on_file[1:]
    assert list(in_excel[0]) == list(on_file[0])


def test_the_reminder_sheets_of_the_add_in_are_those_of_the_results_workbook(good, tmp_path):
    """One table per sheet, on the same sheets as in the file: filtering the reminders by
    level never hides a row of the invoices in them or of the customers not chased."""
    path = results_file(good, tmp_path)
    _, _, after = run(payload_from_file(good), scripts.preview_reminders)

    book = book_of(after)
    in_excel = {s.name: [t.name for t in s.tables] for s in book.sheets}
    on_file = {ws.title: list(ws.tables) for ws in openpyxl.load_workbook(path)}
    for sheet in ("Reminders", "Reminder invoices", "Not chased"):
        assert in_excel[sheet] == on_file[sheet], sheet
        assert len(in_excel[sheet]) == 1
    lines = book.sheets["Reminder invoices"]
    assert lines.range("A1").value == "Invoices in the reminders (4)"
    assert [t.range.row for t in lines.tables] == [2]
    assert book.sheets["Not chased"].range("A1").value == "Customers not chased (0)"


def test_a_reminders_sheet_of_the_old_layout_is_named_for_what_to_do(good, tmp_path):
    """An earlier Creditdesk kept three tables side by side on the Reminders sheet."""
    payload = payload_from_file(good)
    payload["sheets"].append(sheet_entry(
        "Reminders", [["Send", "Customer", None, "Invoice"], ["Yes", "C1", None, "I1"]],
        [table_entry("Reminders", 1, 1, 2, 2), table_entry("ReminderInvoices", 1, 4, 2, 4)]))
    summary, _, _ = run(payload, scripts.preview_reminders)
    assert summary.startswith("Preview reminders stopped: the Reminders sheet has the layout "
                              "of an earlier Creditdesk")
    assert "delete the Reminders sheet" in summary


def test_a_column_the_definition_no_longer_has_leaves_no_stale_header_beside_the_table(
        good, monkeypatch):
    wider = dataclasses.replace(tables.CREDIT, columns=(
        *tables.CREDIT.columns, tables.Column("Summary", key="summary")))
    with monkeypatch.context() as m:
        m.setattr(tables, "CREDIT", wider)
        _, _, before = run(payload_from_file(good), scripts.refresh)
    assert "Summary" in table(before, "Credit")[0]

    _, _, after = run(before, scripts.refresh)

    sheet = book_of(after).sheets["Credit"]
    assert sheet.range((1, len(tables.CREDIT.columns) + 1)).value is None
    assert "Summary" not in table(after, "Credit")[0]
