"""The add-in reads a workbook exactly as the file reader does, through the xlwings engine."""

import datetime as dt

import openpyxl
import pytest

from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_write import write_workbook
from creditdesk_addin.workbook import neutralise, read_tables
from devkit.officejs import payload_from_file
from devkit.sample import sample_tables
from tests.addin.engine import book_of


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "sample.xlsx"
    write_workbook(path, sample_tables(customers=40, messy=True, hostile=True))
    return path


@pytest.fixture
def plain_sheets(tmp_path):
    """Contract tables as plain sheets (no Excel tables), one with a report title above its
    headers and an empty column on the left, as exports from an ERP look."""
    path = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(["Customer", "Name", "Credit Limit"])
    ws.append(["C1", "=HYPERLINK(\"http://x\",\"y\")", 1000])
    inv = wb.create_sheet("Invoices")
    inv["B1"] = "Open items export, 30 June 2026"
    inv.append([])
    inv.append([None, "Invoice", "Customer", "Invoice Date", "Due Date", "Amount"])
    inv.append([None, "I1", "C1", dt.datetime(2026, 5, 1), dt.datetime(2026, 5, 31), 100])
    inv.append([None, "I2", "C1", dt.datetime(2026, 4, 1), "not a date", "12,50"])
    for row in inv.iter_rows(min_row=4, min_col=4, max_col=5):
        for c in row:
            c.number_format = "yyyy-mm-dd"
    s = wb.create_sheet("Settings")
    s.append(["Setting", "Value"])
    s.append(["As Of Date", dt.datetime(2026, 6, 30)])
    s["B2"].number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def test_a_files_payload_is_the_same_read_with_openpyxl_or_calamine(good, bad, sample):
    for path in (good, bad, sample):
        assert payload_from_file(path) == payload_from_file(path, reader="calamine")


def test_a_payload_carries_dates_as_iso_text_and_tables_with_their_addresses(good):
    p = payload_from_file(good)
    invoices = next(s for s in p["sheets"] if s["name"] == "Invoices")
    assert invoices["tables"][0]["name"] == "Invoices"
    assert invoices["tables"][0]["range_address"] == "A1:J5"
    assert invoices["tables"][0]["data_body_range_address"] == "A2:J5"
    assert invoices["values"][1][2] == "2026-05-01T00:00:00.000Z"
    assert invoices["values"][1][5] == 1000  # JSON has whole numbers as whole numbers
    assert p["client"] == "Office.js"


@pytest.mark.parametrize("name", ["good", "bad", "sample", "plain_sheets"])
def test_the_add_in_reads_the_same_raw_tables_as_the_file_reader(name, request):
    path = request.getfixturevalue(name)
    from_book = read_tables(book_of(payload_from_file(path)))
    from_file = read_workbook(path)
    assert from_book == from_file
    assert from_book["invoices"].first_row == from_file["invoices"].first_row


def test_formula_like_text_gets_a_leading_quote_and_nothing_else_changes():
    for text in ("=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("'quoted'") == "''quoted'"
    for value in ("ACME Ltd", "", 12.5, None, "a=b"):
        assert neutralise(value) == value


def test_the_payload_carries_what_excels_office_js_client_sends(tmp_path):
    """Names, notes, the calculation mode, the used range and the tables' counts, read back
    through the xlwings engine as a script would; values anchored at A1."""
    import datetime as dt

    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.table import Table

    from devkit.officejs import payload_from_file
    from tests.addin.engine import book_of

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Invoices"
    ws["C5"], ws["D5"] = "Invoice", "Due Date"
    ws["C6"], ws["D6"] = "I1", dt.date(2026, 6, 30)
    ws["C7"], ws["D7"] = "I2", dt.date(2026, 7, 31)
    ws.add_table(Table(displayName="Invoices", ref="C5:D7"))
    ws["C6"].comment = Comment("check with AP", "controller")
    wb.defined_names["AsOf"] = DefinedName("AsOf", attr_text="Invoices!$D$6")
    path = tmp_path / "book.xlsx"
    wb.save(path)

    for dates, due in (("iso", "2026-06-30T00:00:00.000Z"), ("serial", 46203)):
        payload = payload_from_file(path, dates=dates)
        sheet = payload["sheets"][0]
        assert sheet["used_range_address"] == "C5:D7"
        assert len(sheet["values"]) == 7 and len(sheet["values"][0]) == 4  # from A1
        assert sheet["values"][5][3] == due
        (t,) = sheet["tables"]
        assert (t["row_count"], t["column_count"], t["columns"]) == (3, 2, ["Invoice",
                                                                            "Due Date"])
        assert payload["book"]["calculation"] == "Automatic"
        book = book_of(payload)
        s = book.sheets["Invoices"]
        assert s.used_range.address == "$C$5:$D$7"
        assert s["C6"].note is not None and s["C7"].note is None
        assert book.names["AsOf"].refers_to_range.address == "$D$6"
        assert book.app.calculation == "automatic"
        assert len(s.tables["Invoices"].rows) == 2
        assert s.tables["Invoices"].columns.api == ["Invoice", "Due Date"]
