"""Workbook files on disk: contract workbooks written and read back, unreadable files, and the
results workbook as Excel (here: openpyxl) sees it."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from creditdesk.domain.errors import WorkbookError
from creditdesk.domain.ledger import DEFAULT_LEVELS, build_ledger
from creditdesk.domain.settings import Settings
from creditdesk.domain.templates import DEFAULT_TEMPLATES
from creditdesk.files import xlsx_book, xlsx_bulk
from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_write import write_results, write_template, write_workbook

FORMULA_LIKE = ['=HYPERLINK("http://x","y")', "+1-2", "@SUM(A1)", "-3+4", "=1+1"]

CUSTOMERS = (
    ["Customer", "Name", "Email", "Currency", "Terms (days)", "Credit Limit", "Paused Until"],
    [
        ["C-1", "Acme Ltd", "ap@acme.example.com", "GBP", 30, 5000.0, ""],
        ["C-2", '=HYPERLINK("http://x","y")', "", "EUR", 14, "", dt.date(2026, 12, 1)],
        ["C-3", "+1-2", "", "", "", 1234.5, ""],
    ],
)
INVOICES = (
    ["Invoice", "Customer", "Invoice Date", "Due Date", "Currency", "Amount", "Paid"],
    [
        ["INV-1", "C-1", dt.date(2026, 9, 1), dt.date(2026, 10, 1), "GBP", 1200.0, 0.0],
        ["INV-2", "C-2", dt.date(2026, 10, 3), "", "EUR", 99.99, 10.0],
        ["CN-1", "C-1", dt.date(2026, 10, 9), dt.date(2026, 10, 9), "GBP", -50.0, ""],
    ],
)

MADE = dt.datetime(2026, 11, 24, 9, 30)  # a fixed 'Results made' time, so two writes compare equal


def contract_tables() -> dict:
    return {
        "Customers": CUSTOMERS,
        "Invoices": INVOICES,
        "Settings": (["Setting", "Value"], [["Base Currency", "GBP"], ["As Of Date", ""],
                                            ["Bucket Edges", "30,60,90"]]),
        "FX": (["Currency", "Rate"], [["EUR", 0.85]]),
        "Dunning Levels": (
            ["Level", "Name", "Days After Due", "Template", "Channel", "Add Interest"],
            [[1, "First reminder", 7, "first_reminder", "Email", "No"]],
        ),
    }


def rows_of(raw) -> list[list]:
    return [list(r) for r in zip(*raw.columns, strict=True)]


def same_value(written, read) -> bool:
    if written == "" or written is None:
        return read in ("", None)
    if isinstance(written, int | float) and not isinstance(written, bool):
        return float(read) == float(written)
    return read == written


# ---------------------------------------------------------------------------------------
# Contract workbooks round trip


def test_a_written_workbook_reads_back_with_the_same_headers_values_and_first_rows(tmp_path):
    path = tmp_path / "ledger.xlsx"
    tables = contract_tables()
    write_workbook(path, tables)

    read = read_workbook(path)

    assert set(read) == {"customers", "invoices", "settings", "fx", "dunning levels"}
    for name, (headers, rows) in tables.items():
        raw = read[name.lower()]
        assert raw.header == headers
        assert raw.sheet == name
        assert raw.first_row == 2
        got = rows_of(raw)
        assert len(got) == len(rows)
        for want_row, got_row in zip(rows, got, strict=True):
            assert all(same_value(w, g) for w, g in zip(want_row, got_row, strict=True)), (
                want_row, got_row)


def test_dates_come_back_as_dates_and_formula_like_text_as_the_same_text(tmp_path):
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, contract_tables())

    raw = read_workbook(path)
    invoices = dict(zip(raw["invoices"].header, raw["invoices"].columns, strict=True))
    customers = dict(zip(raw["customers"].header, raw["customers"].columns, strict=True))

    assert invoices["Invoice Date"][0] == dt.date(2026, 9, 1)
    assert customers["Paused Until"][1] == dt.date(2026, 12, 1)
    assert customers["Name"][1:] == ['=HYPERLINK("http://x","y")', "+1-2"]
    names = openpyxl.load_workbook(path)["Customers"]
    assert names["B3"].data_type == "s" and names["B3"].value == '=HYPERLINK("http://x","y")'


def test_the_excel_table_is_named_without_spaces_and_the_sheet_with_them(tmp_path):
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, contract_tables())

    book = openpyxl.load_workbook(path)

    assert book.sheetnames == ["Customers", "Invoices", "Settings", "FX", "Dunning Levels"]
    assert list(book["Dunning Levels"].tables) == ["DunningLevels"]
    assert book["Invoices"].freeze_panes == "A2"
    assert book["Invoices"]["C2"].is_date


def test_a_written_workbook_is_a_ledger_without_issues(tmp_path):
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, contract_tables())

    ledger = build_ledger(read_workbook(path), as_of=dt.date(2026, 11, 1))

    assert ledger.issues == []
    assert ledger.settings.bucket_edges == (30, 60, 90)
    assert list(ledger.customers.ids) == ["C-1", "C-2", "C-3"]
    assert len(ledger.invoices) == 3


def test_a_table_is_found_by_its_excel_table_name_on_any_sheet(tmp_path):
    path = tmp_path / "custom.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Policy 2026")
        ws.add_table(0, 0, 1, 3, {"name": "Dunning_Levels", "columns": [
            {"header": h} for h in ("Level", "Days After Due", "Template", "Name")]})
        ws.write_row(1, 0, [1, 10, "first_reminder", "Gentle"])

    read = read_workbook(path)

    raw = read["dunning levels"]
    assert raw.name == "Dunning Levels"
    assert raw.sheet == "Policy 2026"
    assert raw.header == ["Level", "Days After Due", "Template", "Name"]
    assert rows_of(raw) == [[1.0, 10.0, "first_reminder", "Gentle"]]


def test_an_excel_table_wins_over_a_sheet_of_the_same_name(tmp_path):
    path = tmp_path / "both.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        wb.add_worksheet("FX").write_row(0, 0, ["Currency", "Rate"])
        ws = wb.add_worksheet("Rates")
        ws.add_table(0, 0, 1, 1, {"name": "fx", "columns": [{"header": "Currency"},
                                                             {"header": "Rate"}]})
        ws.write_row(1, 0, ["USD", 0.8])

    raw = read_workbook(path)["fx"]

    assert raw.sheet == "Rates"
    assert rows_of(raw) == [["USD", 0.8]]


def test_a_table_not_starting_at_a1_gets_the_worksheet_row_of_its_first_data_row(tmp_path):
    path = tmp_path / "offset.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Sales ledger")
        ws.write_string(0, 0, "Exported from the ERP")
        ws.add_table(5, 3, 7, 6, {"name": "Invoices", "columns": [
            {"header": h} for h in ("Invoice", "Customer", "Invoice Date", "Amount")]})
        ws.write_row(6, 3, ["INV-1", "C-1", "2026-01-05", 100])
        ws.write_row(7, 3, ["INV-2", "C-1", "2026-01-06", "lots"])
        wb.add_worksheet("Customers").write_column(0, 0, ["Customer", "C-1"])

    tables = read_workbook(path)
    ledger = build_ledger(tables, as_of=dt.date(2026, 2, 1))

    assert tables["invoices"].first_row == 7
    assert [(i.sheet, i.row, i.column) for i in ledger.issues] == [
        ("Sales ledger", 8, "Amount")]


def test_a_plain_sheet_is_read_with_headers_matched_ignoring_case_and_spaces(tmp_path):
    path = tmp_path / "plain.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("CUSTOMERS")
        ws.write_row(3, 2, ["  customer ", "NAME", "Credit   limit"])
        ws.write_row(4, 2, ["C-1", "Acme", 100])
        ws.write_row(5, 2, ["C-2", "Bolt", None])
        ws.write_blank(40, 10, None, wb.add_format({"bold": True}))  # formatted, empty
        inv = wb.add_worksheet("invoices")
        inv.write_row(0, 0, ["Invoice", "Customer", "Invoice date", "Amount"])
        inv.write_row(1, 0, ["INV-1", "C-2", "2026-01-05", 10])
        inv.write_row(2, 0, ["INV-2", "C-9", "2026-01-05", 10])

    tables = read_workbook(path)
    ledger = build_ledger(tables, as_of=dt.date(2026, 2, 1))

    customers = tables["customers"]
    assert customers.sheet == "CUSTOMERS"
    assert customers.first_row == 5
    assert customers.header == ["customer", "NAME", "Credit   limit"]
    assert rows_of(customers) == [["C-1", "Acme", 100.0], ["C-2", "Bolt", ""]]
    assert list(ledger.customers.ids) == ["C-1", "C-2"]
    assert ledger.customers.credit_limit[0] == 100
    assert [(i.sheet, i.row, i.column) for i in ledger.issues] == [
        ("invoices", 3, "Customer")]


def test_empty_rows_and_columns_after_the_data_are_left_out(tmp_path):
    path = tmp_path / "trailing.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("FX")
        ws.write_row(0, 0, ["Currency", "Rate", None, ""])
        ws.write_row(1, 0, ["USD", 0.8])
        ws.write_row(2, 0, ["", ""])
        ws.write_string(9, 3, "")
        t = wb.add_worksheet("Table")
        t.add_table(0, 0, 3, 1, {"name": "Customers", "columns": [{"header": "Customer"},
                                                                   {"header": "Name"}]})
        t.write_row(1, 0, ["C-1", "Acme"])

    tables = read_workbook(path)

    assert tables["fx"].header == ["Currency", "Rate"]
    assert rows_of(tables["fx"]) == [["USD", 0.8]]
    assert rows_of(tables["customers"]) == [["C-1", "Acme"]]


def test_a_report_title_above_the_headers_is_skipped(tmp_path):
    path = tmp_path / "titled.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Invoices")
        ws.write_string(0, 0, "Aged receivables export, 24 Nov 2026")
        ws.write_row(2, 0, ["Invoice", "Customer", "Invoice Date", "Amount", "Reference"])
        ws.write_row(3, 0, ["INV-1", "C-1", "2026-01-05", 10, "PO-1"])

    raw = read_workbook(path)["invoices"]

    assert raw.header == ["Invoice", "Customer", "Invoice Date", "Amount", "Reference"]
    assert raw.first_row == 4
    assert rows_of(raw) == [["INV-1", "C-1", "2026-01-05", 10.0, "PO-1"]]


def test_a_table_that_is_not_in_the_workbook_is_absent(tmp_path):
    path = tmp_path / "few.xlsx"
    write_workbook(path, {"Customers": CUSTOMERS, "Notes": (["Text"], [["hello"]])})

    assert set(read_workbook(path)) == {"customers"}


def test_a_sheet_with_nothing_on_it_is_an_empty_table(tmp_path):
    path = tmp_path / "empty-sheet.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        wb.add_worksheet("History")

    raw = read_workbook(path)["history"]

    assert raw.header == [] and len(raw) == 0


def test_an_xlsx_saved_with_an_xls_extension_is_still_read(tmp_path):
    path = tmp_path / "export.xls"
    write_workbook(tmp_path / "export.xlsx", {"FX": (["Currency", "Rate"], [["USD", 0.8]])})
    (tmp_path / "export.xlsx").rename(path)

    assert rows_of(read_workbook(path)["fx"]) == [["USD", 0.8]]


def test_an_xlsm_workbook_is_read(tmp_path):
    path = tmp_path / "macro.xlsm"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("FX")
        ws.add_table(0, 0, 1, 1, {"name": "FX", "columns": [{"header": "Currency"},
                                                            {"header": "Rate"}]})
        ws.write_row(1, 0, ["USD", 0.8])

    assert rows_of(read_workbook(path)["fx"]) == [["USD", 0.8]]


# ---------------------------------------------------------------------------------------
# Files that cannot be read


def _text_as_xlsx(tmp_path: Path) -> Path:
    p = tmp_path / "notes.xlsx"
    p.write_text("Customer,Amount\nC-1,100\n")
    return p


def _truncated_zip(tmp_path: Path) -> Path:
    good = tmp_path / "good.xlsx"
    write_workbook(good, contract_tables())
    p = tmp_path / "truncated.xlsx"
    p.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return p


def _zip_without_a_workbook(tmp_path: Path) -> Path:
    p = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    return p


def _encrypted(tmp_path: Path) -> Path:
    # An encrypted .xlsx is an OLE compound file holding an EncryptedPackage stream.
    p = tmp_path / "locked.xlsx"
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)
                  + "EncryptedPackage".encode("utf-16-le") + bytes(512))
    return p


def _empty(tmp_path: Path) -> Path:
    p = tmp_path / "empty.xlsx"
    p.write_bytes(b"")
    return p


def _folder(tmp_path: Path) -> Path:
    p = tmp_path / "folder.xlsx"
    p.mkdir()
    return p


@pytest.mark.parametrize(("make", "words"), [
    (_text_as_xlsx, "not an Excel workbook"),
    (lambda tmp: tmp / "missing.xlsx", "no such file"),
    (_truncated_zip, "damaged"),
    (_zip_without_a_workbook, "damaged"),
    (_encrypted, "password protected"),
    (_empty, "empty"),
    (_folder, "folder"),
], ids=["text renamed .xlsx", "missing", "truncated zip", "zip without a workbook",
        "encrypted", "empty file", "folder"])
def test_an_unreadable_file_is_a_workbook_error_naming_the_file(tmp_path, make, words):
    path = make(tmp_path)

    with pytest.raises(WorkbookError) as err:
        read_workbook(path)

    message = str(err.value)
    assert path.name in message
    assert words in message
    assert "\n" not in message


# ---------------------------------------------------------------------------------------
# The blank contract workbook


def test_the_template_has_a_read_me_sheet_first_and_every_contract_table(tmp_path):
    path = tmp_path / "new.xlsx"
    write_template(path)

    book = openpyxl.load_workbook(path)

    assert book.sheetnames == ["Read me", "Customers", "Invoices", "Payments", "Settings", "FX",
                               "Dunning Levels", "Templates", "History", "Mappings", "Rates",
                               "Plans", "Audit"]
    text = " ".join(str(c.value) for row in book["Read me"].iter_rows() for c in row
                    if c.value)
    assert "Open items and settled history" in text
    assert "Negative = credit note or payment on account" in text


def test_the_template_reads_as_an_empty_ledger_with_the_default_settings(tmp_path):
    path = tmp_path / "new.xlsx"
    write_template(path)

    tables = read_workbook(path)
    ledger = build_ledger(tables, today=dt.date(2026, 1, 1))

    assert ledger.issues == []
    assert ledger.settings == Settings()
    assert len(ledger.customers) == 0 and len(ledger.invoices) == 0
    assert [lv.name for lv in ledger.levels] == [lv.name for lv in DEFAULT_LEVELS]
    assert [t.body for t in ledger.templates] == [t.body for t in DEFAULT_TEMPLATES]
    settings = dict(zip(*tables["settings"].columns[:2], strict=True))
    assert settings["As Of Date"] == ""
    assert settings["Bucket Edges"] == "30,60,90,120"


def test_the_generated_template_in_the_repository_is_up_to_date(tmp_path):
    import runpy

    script = Path(__file__).parents[2] / "workbook_templates" / "generate.py"
    fresh = tmp_path / "creditdesk.xlsx"
    runpy.run_path(str(script), run_name="generate")["main"]([str(fresh)])

    assert fresh.read_bytes() == script.with_name("creditdesk.xlsx").read_bytes(), (
        "run: python -m workbook_templates.generate")


# ---------------------------------------------------------------------------------------
# The results workbook


def sample_docs(names: list[str] | None = None) -> dict:
    names = names or ["Acme Ltd", FORMULA_LIKE[0], FORMULA_LIKE[1]]
    ids = ["C-1", "C-2", "@SUM(A1)"]
    labels = ["Not due", "1-30", "31-60", "61-90", "91-120", "Over 120"]
    ageing_rows = [
        {"customer": ids[i], "name": names[i], "outstanding": out, "overdue": over,
         "buckets": b, "unapplied_credits": cr, "open_items": n, "oldest_days_overdue": old}
        for i, (out, over, b, cr, n, old) in enumerate([
            (1500.0, 1000.0, [500.0, 1000.0, 0.0, 0.0, 0.0, 0.0], 0.0, 2, 20),
            (250.5, 250.5, [0.0, 0.0, 0.0, 0.0, 0.0, 250.5], 0.0, 1, 130),
            (-40.0, 0.0, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], -40.0, 1, 0),
        ])]
    head = {"as_of": "2026-11-24", "base_currency": "GBP", "issues": []}
    return {
        "ageing": {
            **head, "buckets": labels,
            "customers": ageing_rows,
            "total": {"outstanding": 1710.5, "overdue": 1250.5,
                      "buckets": [500.0, 1000.0, 0.0, 0.0, 0.0, 250.5],
                      "unapplied_credits": -40.0},
            "kpis": {"period_days": 90, "credit_sales": 9000.0, "gross_credit_sales": 9500.0,
                     "receivables": 1710.5,
                     "overdue": 1250.5, "dso_simple": 17.1, "dso_countback": 16.0,
                     "best_possible_dso": 4.6, "average_days_delinquent": 12.5,
                     "cei": 91.2, "average_days_to_pay": 35.0, "average_days_late": None,
                     "percent_overdue": 73.1},
        },
        "check": {**head, "customers": [
            {"customer": ids[0], "name": names[0], "outstanding": 1500.0,
             "open_orders": 200.0, "exposure": 1700.0, "credit_limit": 1000.0,
             "utilisation": 170.0, "score": 41.0, "decision": "Hold",
             "reasons": ["exposure 170% of limit", "1 invoice over 60 days"],
             "summary": "HOLD: exposure 170% of limit; 1 invoice over 60 days"},
            {"customer": ids[1], "name": names[1], "outstanding": 250.5, "open_orders": 0.0,
             "exposure": 250.5, "credit_limit": None, "utilisation": None, "score": None,
             "decision": "Review", "reasons": ["no credit limit set"],
             "summary": "REVIEW: no credit limit set"},
            {"customer": ids[2], "name": names[2], "outstanding": -40.0, "open_orders": 0.0,
             "exposure": -40.0, "credit_limit": 500.0, "utilisation": 0.0, "score": 88.0,
             "decision": "Approve", "reasons": [], "summary": "APPROVE"},
        ]},
        "score": {**head, "customers": [
            {"customer": ids[0], "name": names[0], "score": 41.0, "grade": "D",
             "recommended_limit": 800.0, "days_beyond_terms": 21.5,
             "limit_reason": "monthly sales 1,600.00 (9,600.00 over 6 months) x (30 + 30) / "
                             "30 days x 0.25 for grade D = 800.00",
             "reasons": ["pays 21 days late", "trend worsening"]},
            {"customer": ids[1], "name": names[1], "score": None, "grade": "n/a",
             "recommended_limit": None, "days_beyond_terms": None, "limit_reason": "",
             "reasons": ["no settled history"]},
        ]},
        "remind": {
            **head,
            "reminders": [{
                "customer": ids[0], "name": names[0], "currency": "GBP", "level": 2,
                "level_name": "First reminder", "channel": "Email",
                "template": "first_reminder", "language": "en", "to": "ap@acme.example.com",
                "cc": "", "subject": "=cmd|' /C calc'!A0", "text": "", "html": "",
                "invoices": [
                    {"invoice": "INV-1", "reference": "PO-77", "invoice_date": "2026-09-01",
                     "due_date": "2026-10-01", "days_overdue": 54, "status": "overdue",
                     "outstanding": 1000.0, "interest": 0.0, "compensation": 0.0},
                    {"invoice": "+INV-2", "invoice_date": "2026-10-20",
                     "due_date": "2026-11-19", "days_overdue": 5, "status": "overdue",
                     "outstanding": 500.0, "interest": 0.0, "compensation": 0.0}],
                "amount": 1500.0, "interest": 0.0, "compensation": 0.0, "total": 1500.0,
            }],
            "skipped": [{"customer": ids[0], "name": names[0], "currency": "EUR",
                         "reason": "nothing due for a reminder yet; next reminder (First "
                                   "reminder) on 2026-12-01", "code": "nothing_due"},
                        {"customer": ids[1], "name": names[1], "currency": "EUR",
                         "reason": "promise to pay until 2026-12-01", "code": "promise"}],
        },
        "issues": [{"sheet": "Invoices", "row": 7, "column": "Amount",
                    "message": "text 'lots' is not a number"},
                   {"sheet": "Settings", "row": None, "column": None,
                    "message": "=2+2 is not a setting"}],
    }


def sheet_rows(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def table_rows(ws, name: str) -> list[tuple]:
    ref = ws.tables[name].ref
    return [tuple(c.value for c in row) for row in ws[ref]]


def test_the_results_workbook_has_its_sheets_in_order_with_the_dashboard_first(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    book = openpyxl.load_workbook(path)

    assert book.sheetnames == ["Dashboard", "Ageing", "Credit", "Scores", "Reminders",
                               "Reminder invoices", "Not chased", "Plan status", "Hand-off",
                               "Audit",
                               "Issues"]
    assert book.active.title == "Dashboard"


def test_the_dashboard_shows_totals_every_kpi_with_its_unit_and_the_counts(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs(), source_name="ledger 2026.xlsx",
                  made=dt.datetime(2026, 11, 24, 9, 30, 15))

    rows = {r[0]: r[1:] for r in sheet_rows(openpyxl.load_workbook(path)["Dashboard"])
            if r[0]}

    assert rows["As of"][0] == dt.datetime(2026, 11, 24)
    assert rows["Base currency"][0] == "GBP"
    assert rows["Source workbook"][0] == "ledger 2026.xlsx"
    assert rows["Results made"][0] == dt.datetime(2026, 11, 24, 9, 30, 15)
    assert rows["Outstanding"][:2] == (1710.5, "GBP")
    assert rows["Over 120 days overdue"][:2] == (250.5, "GBP")
    assert rows["Customers with open items"][:2] == (3, "customers")
    assert rows["DSO (countback)"][:2] == (16.0, "days")
    assert rows["Collection effectiveness index (CEI)"][:2] == (91.2, "%")
    assert rows["Average days late"][0] == "n/a"
    assert rows["Credit sales in the period"][:2] == (9000.0, "GBP")
    assert (rows["Hold"][0], rows["Review"][0], rows["Approve"][0]) == (1, 1, 1)
    assert rows["Reminders ready to send"][0] == 1
    assert rows["Not chased"][0] == 2
    assert "1 to check, 1 simply not due yet" in rows["Not chased"][2]
    assert rows["Problems found in the workbook"][0] == 2


def test_dashboard_figures_are_right_aligned_with_the_unit_in_a_column_of_its_own(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    ws = openpyxl.load_workbook(path)["Dashboard"]
    figures = [row for row in ws.iter_rows(min_row=8) if _is_figure(row[1].value)]

    assert len(figures) > 20
    for label, value, unit, *_ in figures:
        assert value.alignment.horizontal in (None, "general", "right"), label.value
        assert unit.value is None or (unit.alignment.horizontal == "left"
                                      and unit.alignment.indent == 1), label.value
    assert ws["B3"].alignment.horizontal == ws["B6"].alignment.horizontal == "left"
    assert ws["B5"].value is None  # no source workbook named: blank


def _is_figure(v) -> bool:
    return v == "n/a" or (isinstance(v, int | float) and not isinstance(v, bool))


def test_the_dashboard_has_a_column_per_ageing_bucket_beside_the_receivables(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    book = openpyxl.load_workbook(path)
    ws = book["Dashboard"]
    (chart,) = ws._charts
    (series,) = chart.series
    labels = ws[series.cat.strRef.f.split("!")[1].replace("$", "")]
    values = ws[series.val.numRef.f.split("!")[1].replace("$", "")]

    assert not book["Ageing"]._charts
    assert chart.tagname == "barChart" and chart.type == "col"
    assert chart.grouping == "clustered"
    assert series.cat.strRef.f.startswith("Dashboard!")
    assert [c.value for (c,) in labels] == ["Not due", "1-30 days overdue",
                                            "31-60 days overdue", "61-90 days overdue",
                                            "91-120 days overdue", "Over 120 days overdue"]
    assert [c.value for (c,) in values] == [500, 1000, 0, 0, 0, 250.5]
    assert len(series.dPt) == 6  # a colour per bucket
    title = "".join(r.t for p in chart.title.tx.rich.p for r in p.r or [])
    assert title == "Receivables by age on 2026-11-24 (GBP)"
    # in column D, from the Receivables heading down: seen when the workbook opens, on
    # rows without notes
    start, end = chart.anchor._from, chart.anchor.to
    assert start.col == end.col == 3
    assert ws.cell(start.row + 1, 1).value == "Receivables"
    assert all(ws.cell(r, 4).value is None for r in range(start.row + 1, end.row + 2))


def test_the_ageing_sheet_is_a_table_with_money_headers_in_the_base_currency(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    ws = openpyxl.load_workbook(path)["Ageing"]
    rows = table_rows(ws, "Ageing")

    assert rows[0] == ("Customer", "Name", "Outstanding (GBP)", "Overdue (GBP)",
                       "Not due (GBP)", "1-30 days (GBP)", "31-60 days (GBP)",
                       "61-90 days (GBP)", "91-120 days (GBP)", "Over 120 days (GBP)",
                       "Unapplied Credits (GBP)", "Not Converted", "Open Items",
                       "Oldest Days Overdue")
    assert rows[1] == ("C-1", "Acme Ltd", 1500, 1000, 500, 1000, 0, 0, 0, 0, 0, None, 2, 20)
    assert ws["C2"].number_format == "#,##0.00;[Red]-#,##0.00"
    assert ws["C4"].value == -40  # shown red, with a minus
    assert ws["K4"].value == -40 and ws["E4"].value == 0  # a credit, not a negative bucket
    assert ws.freeze_panes == "C2"
    assert ws.tables["Ageing"].autoFilter is not None


def test_the_total_row_formulas_name_their_table_so_libreoffice_reads_them(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    ws = openpyxl.load_workbook(path)["Ageing"]
    total = table_rows(ws, "Ageing")[-1]
    columns = {c.name: c.totalsRowFunction for c in ws.tables["Ageing"].tableColumns}

    assert total[0] == "Total"
    assert total[2] == "=SUBTOTAL(109,Ageing[[Outstanding (GBP)]])"
    assert total[5] == "=SUBTOTAL(109,Ageing[[1-30 days (GBP)]])"
    assert total[-1] == "=SUBTOTAL(104,Ageing[[Oldest Days Overdue]])"
    assert columns["Not due (GBP)"] == "sum"  # Excel's total row menu still knows it
    assert all(c.font.b for c in ws[ws.max_row] if c.value is not None)


def test_a_column_reference_escapes_what_excel_escapes():
    assert xlsx_book.column_ref("Ageing", "Not due") == "Ageing[[Not due]]"
    assert xlsx_book.column_ref("T", "a'b[c]#d") == "T[[a''b'[c']'#d]]"


def test_the_cached_total_row_values_are_the_totals_of_the_document(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    ws = openpyxl.load_workbook(path, data_only=True)["Ageing"]

    assert table_rows(ws, "Ageing")[-1] == ("Total", None, 1710.5, 1250.5, 500, 1000, 0, 0,
                                            0, 250.5, -40, None, 4, 130)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_calculates_the_total_row_itself(tmp_path):
    """Cached totals made wrong on purpose; LibreOffice told to recalculate on load: what it
    shows is what it computed from the formulas (it used to show Err:508)."""
    docs = sample_docs()
    docs["ageing"]["total"] = {"outstanding": 1.0, "overdue": 2.0, "buckets": [3.0] * 6,
                               "unapplied_credits": 4.0}
    path = tmp_path / "results.xlsx"
    write_results(path, docs)
    profile = tmp_path / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items '
        'xmlns:oor="http://openoffice.org/2001/registry">'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
        '<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>'
        "</oor:items>\n")
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,"
                    "true,false,false,false,2", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)

    total = (tmp_path / "results-Ageing.csv").read_text().splitlines()[-1]

    assert total == "Total,,1710.5,1250.5,500,1000,0,0,0,250.5,-40,,4,130"


def test_credit_decisions_are_coloured_hold_red_review_amber_approve_green(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    ws = openpyxl.load_workbook(path)["Credit"]
    rules = {r.formula[0]: (str(cf.sqref), r.dxf.fill.bgColor.rgb)
             for cf in ws.conditional_formatting for r in cf.rules}
    rows = table_rows(ws, "Credit")

    assert rules == {'"Hold"': ("I2:I4", "FFFFC7CE"), '"Review"': ("I2:I4", "FFFFEB9C"),
                     '"Approve"': ("I2:I4", "FFC6EFCE")}
    assert rows[0][8] == "Decision"
    assert rows[1][8:10] == ("Hold", "exposure 170% of limit; 1 invoice over 60 days")
    assert rows[2][5:8] == (None, None, None)  # no limit, no utilisation, no score


def test_the_credit_sheet_wraps_its_reasons_and_leaves_out_the_summary(tmp_path):
    docs = sample_docs()
    long = ["exposure 169% of limit (23,696.88 of 14,000.00 GBP)", "payment score 35 below 50",
            "2 invoices disputed (17,672.97 GBP)", "1 invoice over 60 days"]
    docs["check"]["customers"][0]["reasons"] = long
    path = tmp_path / "results.xlsx"
    write_results(path, docs)

    ws = openpyxl.load_workbook(path)["Credit"]
    header = table_rows(ws, "Credit")[0]

    assert header == ("Customer", "Name", "Outstanding (GBP)", "Open Orders (GBP)",
                      "Exposure (GBP)", "Credit Limit (GBP)", "Utilisation %", "Score",
                      "Decision", "Reasons")
    assert ws["J2"].value == "; ".join(long)
    assert ws["J2"].alignment.wrap_text
    assert 20 <= ws.column_dimensions["J"].width <= 61
    assert ws.row_dimensions[2].height >= 30  # LibreOffice does not fit the row itself
    assert ws.row_dimensions[3].height is None  # one line: left alone


@pytest.mark.parametrize(("text", "width", "lines"), [
    (None, 10, 1), ("", 10, 1), ("short", 10, 1), ("a " * 30, 20, 3),
    ("x" * 45, 20, 3), ("one\ntwo", 60, 2),
])
def test_wrapped_text_lines_are_reckoned_generously(text, width, lines):
    assert xlsx_book.lines_of(text, width) == lines


def test_formula_like_text_from_the_ledger_is_stored_as_text_on_every_sheet(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    book = openpyxl.load_workbook(path)
    found = [c for ws in book for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value[:1] in "=+-@"
             and not c.value.startswith("=SUBTOTAL(")]

    assert {c.value for c in found} >= {*FORMULA_LIKE[:3], "=cmd|' /C calc'!A0", "+INV-2",
                                        "=2+2 is not a setting"}
    assert all(c.data_type == "s" for c in found)
    assert not [c for ws in book for row in ws.iter_rows() for c in row if c.hyperlink]


def test_the_reminders_and_their_invoices_have_a_sheet_each_so_no_filter_hides_the_other(
        tmp_path):
    """Side by side, filtering the reminders (by level, say) would hide worksheet rows, and
    with them invoice lines of other reminders. Each table on its own sheet, under its
    title, with its own frozen header."""
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    book = openpyxl.load_workbook(path)
    ws, lines_ws = book["Reminders"], book["Reminder invoices"]

    assert (list(ws.tables), list(lines_ws.tables)) == (["Reminders"], ["ReminderInvoices"])
    assert ws["A1"].value == "Reminders to send (1), amounts in the reminder's currency"
    assert lines_ws["A1"].value == "Invoices in the reminders (2)"
    reminders = table_rows(ws, "Reminders")
    head = dict(zip(reminders[0], reminders[1], strict=True))
    assert (head["Customer"], head["Currency"], head["Level"], head["To"], head["Invoices"],
            head["Amount"], head["Total"]) == ("C-1", "GBP", 2, "ap@acme.example.com", 2,
                                               1500, 1500)
    lines = table_rows(lines_ws, "ReminderInvoices")
    assert lines[0][:6] == ("Customer", "Currency", "Level", "Invoice", "Reference",
                            "Invoice Date")
    assert [r[3:5] for r in lines[1:]] == [("INV-1", "PO-77"), ("+INV-2", None)]
    assert lines[1][5] == dt.datetime(2026, 9, 1)
    assert lines_ws.cell(3, 6).is_date
    assert ws.freeze_panes == lines_ws.freeze_panes == "A3"
    assert ws.tables["Reminders"].ref.startswith("A2:")
    assert lines_ws.tables["ReminderInvoices"].ref.startswith("A2:")


def test_customers_not_chased_have_their_own_sheet_with_the_exceptions_first(tmp_path):
    docs = sample_docs()
    docs["remind"]["skipped"].append({"customer": "C-9", "name": "Zed", "currency": "GBP",
                                      "reason": "customer marked do-not-chase",
                                      "code": "do_not_chase"})
    path = tmp_path / "results.xlsx"
    write_results(path, docs)

    ws = openpyxl.load_workbook(path)["Not chased"]
    rows = table_rows(ws, "NotChased")

    assert ws["A1"].value == "Customers not chased (3)"
    assert ws["A2"].value == ("2 left out for a reason to check (listed first); 1 simply not "
                              "due for a reminder yet (listed last).")
    assert rows[0] == ("Customer", "Name", "Currency", "Kind", "Reason")
    assert rows[1:] == [
        ("C-2", FORMULA_LIKE[0], "EUR", "Exception", "promise to pay until 2026-12-01"),
        ("C-9", "Zed", "GBP", "Exception", "customer marked do-not-chase"),
        ("C-1", "Acme Ltd", "EUR", "Not due yet", "nothing due for a reminder yet; next "
         "reminder (First reminder) on 2026-12-01")]
    assert ws["E5"].alignment.wrap_text
    assert ws.freeze_panes == "A5"


def test_not_due_yet_is_told_from_a_real_exception_by_its_code_not_its_words(tmp_path):
    docs = sample_docs()
    skipped = docs["remind"]["skipped"]
    skipped[0]["reason"] = "every overdue invoice is disputed"  # the words do not decide
    skipped[1]["reason"] = "nothing due for a reminder yet"
    path = tmp_path / "results.xlsx"
    write_results(path, docs)

    rows = table_rows(openpyxl.load_workbook(path)["Not chased"], "NotChased")

    assert [(r[0], r[3]) for r in rows[1:]] == [("C-2", "Exception"), ("C-1", "Not due yet")]


def test_scores_show_the_current_credit_limit_next_to_the_recommended_one(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    ws = openpyxl.load_workbook(path)["Scores"]
    rows = table_rows(ws, "Scores")

    assert rows[0] == ("Customer", "Name", "Score", "Grade", "Credit Limit (GBP)",
                       "Recommended Limit (GBP)", "Limit Basis", "Days Beyond Terms",
                       "Reasons")
    assert rows[1][4:6] == (1000, 800)  # the limit from the credit check's document
    assert rows[1][6].startswith("monthly sales 1,600.00")  # how the 800 was reached
    assert rows[2][4:6] == (None, None)
    assert ws["I2"].alignment.wrap_text and ws["G2"].alignment.wrap_text


def test_every_results_sheet_prints_landscape_one_page_wide_with_its_header_row(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    book = openpyxl.load_workbook(path)
    titles = {ws.title: ws.print_title_rows for ws in book}

    for ws in book:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1), ws.title  # None: the default, 1
    assert book["Dashboard"].page_setup.fitToHeight in (None, 1)  # one page in all
    assert all(book[n].page_setup.fitToHeight == 0 for n in titles if n != "Dashboard")
    assert titles == {"Dashboard": None, "Ageing": "$1:$1", "Credit": "$1:$1",
                      "Scores": "$1:$1", "Reminders": "$2:$2", "Reminder invoices": "$2:$2",
                      "Not chased": "$4:$4", "Plan status": "$3:$3", "Hand-off": "$3:$3",
                      "Audit": "$3:$3",
                      "Issues": "$1:$1"}


def test_every_date_in_the_results_reads_the_same_in_every_locale(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    book = openpyxl.load_workbook(path)
    dates = [c for ws in book for row in ws.iter_rows() for c in row if c.is_date]

    assert len(dates) >= 6
    assert {c.number_format for c in dates} <= {"yyyy-mm-dd", "yyyy-mm-dd hh:mm"}
    assert book["Reminder invoices"]["F3"].number_format == "yyyy-mm-dd"  # invoice date
    assert book["Dashboard"]["B3"].number_format == "yyyy-mm-dd"  # as of


def test_table_headers_are_bold_in_their_cells_for_viewers_without_table_styles(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    book = openpyxl.load_workbook(path)
    headers = [c for ws in book for t in ws.tables.values()
               for c in ws[t.ref.split(":")[0]:t.ref.split(":")[1]][0]]

    assert len(headers) > 50
    assert all(c.font.b for c in headers)
    # the contract workbook keeps its plain headers
    write_workbook(tmp_path / "ledger.xlsx", contract_tables())
    assert not openpyxl.load_workbook(tmp_path / "ledger.xlsx")["Customers"]["A1"].font.b


def test_the_issues_sheet_lists_sheet_row_column_and_message(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    rows = table_rows(openpyxl.load_workbook(path)["Issues"], "Issues")

    assert rows == [("Sheet", "Row", "Column", "Message"),
                    ("Invoices", 7, "Amount", "text 'lots' is not a number"),
                    ("Settings", None, None, "=2+2 is not a setting")]


def test_issue_rows_are_aligned_left_like_their_header_and_the_column_beside(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, sample_docs())

    ws = openpyxl.load_workbook(path)["Issues"]

    assert ws["B2"].value == 7
    assert ws["B2"].alignment.horizontal == ws["C2"].alignment.horizontal == "left"


def test_a_ledger_without_issues_says_no_issues(tmp_path):
    path = tmp_path / "results.xlsx"
    write_results(path, {**sample_docs(), "issues": []})

    rows = table_rows(openpyxl.load_workbook(path)["Issues"], "Issues")

    assert rows[1:] == [(None, None, None, "No issues")]


def test_empty_documents_give_a_results_workbook_without_crashing(tmp_path):
    path = tmp_path / "results.xlsx"
    head = {"as_of": "2026-11-24", "base_currency": "EUR", "issues": []}
    kpis = {"period_days": 90, "credit_sales": 0.0, "gross_credit_sales": 0.0,
            "receivables": 0.0, "overdue": 0.0,
            **dict.fromkeys(["dso_simple", "dso_countback", "best_possible_dso",
                             "average_days_delinquent", "cei", "average_days_to_pay",
                             "average_days_late", "percent_overdue"])}
    docs = {"ageing": {**head, "buckets": ["Not due", "1-30", "Over 30"], "customers": [],
                       "total": {"outstanding": 0.0, "overdue": 0.0, "buckets": [0, 0, 0],
                                 "unapplied_credits": 0.0},
                       "kpis": kpis},
            "check": {**head, "customers": []}, "score": {**head, "customers": []},
            "remind": {**head, "reminders": [], "skipped": []}, "issues": []}

    write_results(path, docs)
    write_results(tmp_path / "nothing.xlsx", {})

    book = openpyxl.load_workbook(path)
    assert len(book["Dashboard"]._charts) == 1
    assert table_rows(book["Credit"], "Credit")[1:] == [(None,) * 10]
    assert book["Not chased"]["A2"].value == ("Every customer with something due gets a "
                                              "reminder.")
    assert openpyxl.load_workbook(tmp_path / "nothing.xlsx").sheetnames[0] == "Dashboard"


def test_the_bulk_path_writes_the_same_cells_as_the_plain_xlsxwriter_path(tmp_path,
                                                                           monkeypatch):
    docs = sample_docs()
    write_results(tmp_path / "bulk.xlsx", docs, made=MADE)
    monkeypatch.setattr(xlsx_bulk, "BULK_BODIES", False)
    write_results(tmp_path / "plain.xlsx", docs, made=MADE)

    def cells(path):
        book = openpyxl.load_workbook(path)
        return {(ws.title, c.coordinate): (c.value, c.data_type, c.number_format,
                                           c.alignment.horizontal, c.alignment.wrap_text,
                                           c.font.b)
                for ws in book for row in ws.iter_rows() for c in row if c.value is not None}

    assert cells(tmp_path / "bulk.xlsx") == cells(tmp_path / "plain.xlsx")
    write_workbook(tmp_path / "plain-ledger.xlsx", contract_tables())
    monkeypatch.setattr(xlsx_bulk, "BULK_BODIES", True)
    write_workbook(tmp_path / "bulk-ledger.xlsx", contract_tables())
    assert cells(tmp_path / "bulk-ledger.xlsx") == cells(tmp_path / "plain-ledger.xlsx")


def test_an_xlsxwriter_the_fast_path_was_not_made_for_is_written_through_its_public_api(
        tmp_path, monkeypatch):
    assert xlsx_bulk.supported()
    monkeypatch.setattr(xlsx_bulk, "_made", [])
    monkeypatch.setattr(xlsxwriter, "__version__", "4.0.0")

    assert not xlsx_bulk.supported() and xlsx_bulk.sheet_class() is None
    write_results(tmp_path / "results.xlsx", sample_docs())
    assert table_rows(openpyxl.load_workbook(tmp_path / "results.xlsx")["Ageing"], "Ageing")[1][0] \
        == "C-1"


def test_the_results_of_many_customers_are_written_in_full(tmp_path):
    docs = sample_docs()
    base = docs["check"]["customers"][0]
    docs["check"]["customers"] = [{**base, "customer": f"C-{i:05d}"} for i in range(5000)]
    path = tmp_path / "results.xlsx"

    write_results(path, docs)

    ws = openpyxl.load_workbook(path, read_only=True)["Credit"]
    rows = list(ws.iter_rows(min_row=5001, max_row=5001, values_only=True))
    assert rows[0][0] == "C-04999" and rows[0][8] == "Hold"


# ---------------------------------------------------------------------------------------
# Writing safely


def test_the_input_workbook_is_never_overwritten(tmp_path):
    source = tmp_path / "ledger.xlsx"
    write_workbook(source, contract_tables())
    before = source.read_bytes()

    with pytest.raises(WorkbookError, match="input workbook"):
        write_results(source, sample_docs(), source=source)
    with pytest.raises(WorkbookError, match="input workbook"):
        write_results(tmp_path / "sub" / ".." / "ledger.xlsx", sample_docs(),
                      source=str(source))
    with pytest.raises(WorkbookError, match="input workbook"):
        write_workbook(source, contract_tables(), source=source)

    assert source.read_bytes() == before


def test_a_failure_midway_leaves_no_file_and_keeps_an_existing_one(tmp_path, monkeypatch):
    from creditdesk.analysis import tables

    target = tmp_path / "results.xlsx"

    def broken(report):  # the Credit sheet fails, after the Dashboard and Ageing sheets
        raise AttributeError("a bug")

    with monkeypatch.context() as m:
        m.setattr(tables, "credit", broken)
        with pytest.raises(AttributeError):
            write_results(target, sample_docs())
    assert list(tmp_path.iterdir()) == []

    write_results(target, sample_docs())
    before = target.read_bytes()
    monkeypatch.setattr(tables, "credit", broken)
    with pytest.raises(AttributeError):
        write_results(target, sample_docs())
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_bytes() == before


def test_a_document_that_is_not_one_is_refused_before_anything_is_written(tmp_path):
    from pydantic import ValidationError

    broken = {**sample_docs(), "check": {"customers": [{"customer": "C-1"}, "not a dict"]}}

    with pytest.raises(ValidationError):
        write_results(tmp_path / "results.xlsx", broken)
    assert list(tmp_path.iterdir()) == []


def test_a_file_name_that_is_not_xlsx_or_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(WorkbookError, match=r"\.xlsx"):
        write_results(tmp_path / "results.xlsm", sample_docs())
    with pytest.raises(WorkbookError, match="does not exist"):
        write_results(tmp_path / "nowhere" / "results.xlsx", sample_docs())
    assert list(tmp_path.iterdir()) == []


def test_an_existing_results_file_is_replaced(tmp_path):
    target = tmp_path / "results.xlsx"
    target.write_text("old")

    write_results(target, sample_docs())

    assert openpyxl.load_workbook(target).sheetnames[0] == "Dashboard"


@pytest.mark.parametrize("which", ["sample", "template"])
def test_every_contract_sheet_prints_landscape_one_page_wide_with_its_header_row(
        tmp_path, which):
    """The demo's sample workbook (the first a user opens) and the blank template print as
    the results do: landscape, one page wide, the header row on every page."""
    from devkit.sample import sample_tables

    path = tmp_path / f"{which}.xlsx"
    if which == "sample":
        write_workbook(path, sample_tables(customers=30, messy=True, hostile=True), readme=True)
    else:
        write_template(path)

    book = openpyxl.load_workbook(path)

    for ws in book:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1), ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title  # as many pages down as it takes
        assert ws.oddFooter.right.text == "Page &P of &N", ws.title
        assert ws.print_title_rows == (None if ws.title == "Read me" else "$1:$1"), ws.title
    templates = book["Templates"]
    body = next(c for c in templates[2] if isinstance(c.value, str) and "\n" in c.value)
    assert body.alignment.wrap_text  # a template's body prints as the lines it has
    assert templates.column_dimensions[body.column_letter].width <= 81
