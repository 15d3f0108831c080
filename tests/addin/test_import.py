"""The Import button through the xlwings engine: an export pasted into Excel goes into
Customers and Invoices exactly as `creditdesk import` puts it into a file."""

import json

import openpyxl
import pytest

from creditdesk.cli.main import main
from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_write import write_workbook
from creditdesk_addin import scripts
from creditdesk_addin.workbook import read_tables
from devkit.officejs import empty_payload, payload_from_file, sheet_entry
from tests import exports as ex
from tests.addin.engine import book_of, cell, run, table

FORMULA_NAME = '=HYPERLINK("http://evil.example","pay here")'


@pytest.fixture
def mine(tmp_path):
    """A controller's workbook: typed e-mails, limits, notes and a column of their own."""
    path = tmp_path / "mine.xlsx"
    write_workbook(path, {
        "Customers": (["Customer", "Name", "Email", "Credit Limit", "My Notes"],
                      [["BLU001", "Bluegate Joinery", "ap@typed.example", 9000, "call Tom"],
                       ["OLD01", "Gone Away Ltd", "", None, ""]]),
        "Invoices": (["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Paid",
                      "Disputed", "My Column"],
                     [["INV-0412", "BLU001", "2026-10-12", "2026-11-11", 1500.0, 100.0, "Yes",
                       "keep me"],
                      ["OLD-1", "OLD01", "2026-01-01", "2026-02-01", 75.0, None, "", ""]]),
        "Settings": (["Setting", "Value"], [["Base Currency", "GBP"], ["As Of Date",
                                                                       "2026-11-30"]]),
    })
    return path


@pytest.fixture
def xero(tmp_path):
    path = tmp_path / "Aged Receivables Detail.xlsx"
    ex.write_xero_detail_xlsx(path)
    return path


def pasted(path) -> list[list]:
    """An export's cells as Excel holds them once pasted (what Office.js sends)."""
    return payload_from_file(path)["sheets"][0]["values"]


def with_sheet(payload: dict, name: str, values: list[list], active: bool = False) -> dict:
    payload["sheets"].append(sheet_entry(name, values))
    if active:
        payload["book"]["active_sheet_index"] = len(payload["sheets"]) - 1
    return payload


def contract(payload: dict) -> dict:
    """Customers and Invoices as the add-in reads them (the file reader's cell types)."""
    tables = read_tables(book_of(payload))
    return {k: (tables[k].header, tables[k].columns) for k in ("customers", "invoices",
                                                               "payments")}


def test_an_export_pasted_onto_the_import_sheet_gives_the_tables_the_cli_writes(
        mine, xero, tmp_path, capsys):
    out = tmp_path / "imported.xlsx"
    assert main(["import", str(xero), "--into", str(mine), "-o", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)

    summary, _, after = run(with_sheet(payload_from_file(mine), "Import", pasted(xero)),
                            scripts.import_export)

    assert summary.startswith("Imported 8 item(s) for 3 customer(s) from the Import sheet "
                              "(Xero Aged Receivables Detail, as at 2026-11-30): 5 added, "
                              "1 updated, 1 no longer in the export marked settled; 2 new "
                              "customer(s); 2 dated payment(s) in Payments.")
    assert summary.endswith("Click Refresh for the ageing.")
    assert cell(after, "Dashboard", 2, 1).endswith(summary)
    on_file = read_workbook(out)
    in_excel = contract(after)
    for key in ("customers", "invoices", "payments"):
        assert in_excel[key][0] == on_file[key].header, key
        assert in_excel[key][1] == on_file[key].columns, key
    customers = {r["Customer"]: r for r in table(after, "Customers")}
    assert (customers["BLU001"]["Email"], customers["BLU001"]["Credit Limit"],
            customers["BLU001"]["My Notes"]) == ("ap@typed.example", 9000, "call Tom")
    issues = table(after, "Issues")
    assert [i["Message"] for i in issues] == [i["message"] for i in doc["issues"]]
    report = table(after, "ImportReport")
    kinds = [r["Kind"] for r in report]
    assert kinds.count("Skipped") == len(doc["notes"]) and kinds.count("Issue") == len(issues)
    assert report[0]["Message"] == ("Read the Import sheet: Xero Aged Receivables Detail, as "
                                    "at 2026-11-30.")


def test_the_sheet_the_user_is_on_is_imported_into_a_workbook_without_tables(capsys):
    """A QuickBooks export pasted onto Sheet1 of an empty workbook, Import clicked there:
    Customers and Invoices are made; Refresh then ages them as the CLI does the export."""
    rows = ex.qbo_aging_rows()
    assert rows[6][4] == "Quarry Lane Cafe"
    for r in rows:  # a customer named like a formula stays text, wherever it lands
        r[4] = FORMULA_NAME if r[4] == "Quarry Lane Cafe" else r[4]
    payload = empty_payload()
    payload["sheets"] = [sheet_entry("Dashboard", [[]]), sheet_entry("Sheet1", rows)]
    payload["book"]["active_sheet_index"] = 1

    summary, actions, after = run(payload, scripts.import_export)

    assert summary.startswith("Imported ") and "from the Sheet1 sheet (QuickBooks" in summary
    cells = [v for a in actions if a["func"] == "setValues" for row in a["values"]
             for v in row]
    assert "'" + FORMULA_NAME in cells and FORMULA_NAME not in cells
    names = {r["Name"] for r in table(after, "Customers")}
    assert FORMULA_NAME in names
    assert table(after, "Settings") == [{"Setting": "Base Currency", "Value": "USD"}]
    _, _, refreshed = run(after, scripts.refresh)
    ages = {r["Name"]: r["Outstanding (USD)"] for r in table(refreshed, "Ageing")}  # $: USD
    assert ages == {"Bluegate Joinery LLC": ex.QBO_EXPECTED["Bluegate Joinery LLC"],
                    FORMULA_NAME: ex.QBO_EXPECTED["Quarry Lane Cafe"]}
    invoices = table(after, "Invoices")
    assert invoices and all(r["Invoice"] for r in invoices)


def test_without_an_export_the_button_says_where_to_paste_it(mine):
    summary, _, _ = run(payload_from_file(mine), scripts.import_export)
    assert summary == ("Import stopped: there is no export to read: paste it (title rows and "
                       "totals included) onto a sheet named Import, or go to the sheet that "
                       "holds it, then click Import again")
    summary, _, _ = run(with_sheet(payload_from_file(mine), "Import", [[]]),
                        scripts.import_export)
    assert summary.startswith("Import stopped: the Import sheet is empty: paste the export")


def test_an_unknown_layout_says_how_to_map_it_in_excel(mine):
    rows = [["Doc No", "Client", "Date", "Gross"], ["A-1", "Acme", "2026-11-01", "100.00"]]
    summary, _, after = run(with_sheet(payload_from_file(mine), "Import", rows),
                            scripts.import_export)
    assert summary.startswith("Import stopped: ") and "not an export Creditdesk knows" in summary
    assert "a mapping named Import in the Mappings table" in summary
    assert table(after, "Invoices")[0]["Invoice"] == "INV-0412"  # nothing was written


def test_a_mapping_saved_under_the_sheets_name_reads_any_layout(mine, tmp_path):
    rows = [["Doc No", "Client", "Date", "Gross"], ["A-1", "Acme", "2026-11-01", "100.00"],
            ["INV-0412", "BLU001", "2026-10-12", "1500.00"]]
    book = tmp_path / "mapped.xlsx"
    wb = openpyxl.load_workbook(mine)
    ws = wb.create_sheet("Mappings")
    ws.append(["Mapping", "Field", "Value"])
    for field, header in (("Invoice", "Doc No"), ("Customer", "Client"),
                          ("Invoice Date", "Date"), ("Amount", "Gross")):
        ws.append(["Import", field, header])
    wb.save(book)
    summary, _, after = run(with_sheet(payload_from_file(book), "Import", rows),
                            scripts.import_export)
    assert summary.startswith("Imported 2 item(s) for 2 customer(s) from the Import sheet")
    assert "A-1" in {r["Invoice"] for r in table(after, "Invoices")}


def test_a_filtered_export_pasted_in_excel_is_refused_and_nothing_is_written(mine, xero):
    """One contact's Aged Receivables pasted: it would settle every other customer's items
    (here all of Bluegate's 1,400.00 and Gone Away's 75.00); the Import button refuses, naming the
    figures, and Customers and Invoices stay as they were."""
    rows = pasted(xero)
    one = rows[:6] + rows[11:15]  # the title block, the header, Quarry Lane Cafe's rows
    assert one[6][0] == "Quarry Lane Cafe" and one[-1][0] == "Total Quarry Lane Cafe"
    before = payload_from_file(mine)
    summary, _, after = run(with_sheet(before, "Import", one), scripts.import_export)
    assert "would take 1,475.00 off the workbook's 1,475.00 open balance (100%)" in summary
    assert "--partial" in summary and "--settle-missing" in summary
    invoices = table(after, "Invoices")
    assert [r["Invoice"] for r in invoices] == ["INV-0412", "OLD-1"]
    assert all("Settled Date" not in r for r in invoices)  # the table was not written
    assert [r["Customer"] for r in table(after, "Customers")] == ["BLU001", "OLD01"]
