"""The fast path for table bodies (creditdesk.files.xlsx_bulk) against XlsxWriter's public API:
a column of one kind of value is written as a whole, a mixed column row by row, a table is
added without XlsxWriter visiting each of its cells, and the file reads the same as one
written cell by cell."""

from __future__ import annotations

import datetime as dt
import math
import zipfile

import numpy as np
import openpyxl
import pytest

from creditdesk.domain.errors import WorkbookError
from creditdesk.files import xlsx_book, xlsx_bulk
from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_write import write_workbook

N = 300  # rows of the long table: more than the one row XlsxWriter is shown of a table

# Every column of one kind (text, numbers of several types, dates, blanks): written whole.
PURE = (["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Paid", "Count",
         "Note", "Rate"],
        [[f"INV-{i:04d}", f"C-{i % 7}" if i % 11 else "=HYPERLINK(\"x\",\"y\")",
          dt.date(2026, 1, 1) + dt.timedelta(days=i), dt.date(2026, 2, 1),
          np.float64(i * 1.25 - 40), [1.5, math.nan, math.inf, None, 2][i % 5], i,
          [None, "", "  spaced  ", "a & b <c>"][i % 4], [0.1, -math.inf, math.nan][i % 3]]
         for i in range(N)])
# Mixed columns (a text in a number column, dates before 1900, ISO text in a date column,
# booleans), short rows and longer rows: written row by row.
MIXED = (["Customer", "Name", "Paused Until", "Credit Limit", "Do Not Chase", "Rating"],
         [["C-1", "Acme", dt.date(1899, 12, 1), 5000.0, True, np.int64(3)],
          ["C-2", "", "2026-12-01", "not a number", False],
          ["C-3", "+1-2", dt.datetime(2026, 12, 1, 9, 30), 10**20, None, 2.5, "extra"],
          ["C-4"]])


def cells(path) -> dict:
    book = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): (c.value, c.data_type, c.number_format)
            for ws in book for row in ws.iter_rows() for c in row if c.value is not None}


@pytest.fixture()
def both(tmp_path, monkeypatch):
    """Writes the same tables through the fast path and through the public API."""
    def write(tables: dict) -> tuple:
        bulk, plain = tmp_path / "bulk.xlsx", tmp_path / "plain.xlsx"
        write_workbook(bulk, tables)
        monkeypatch.setattr(xlsx_bulk, "BULK_BODIES", False)
        write_workbook(plain, tables)
        monkeypatch.setattr(xlsx_bulk, "BULK_BODIES", True)
        return bulk, plain
    return write


def test_whole_columns_and_mixed_rows_give_the_cells_of_a_cell_by_cell_write(both):
    bulk, plain = both({"Invoices": PURE, "Customers": MIXED})

    got = cells(bulk)
    assert got == cells(plain)
    assert got[("Invoices", f"A{N + 1}")] == (f"INV-{N - 1:04d}", "s", "General")
    assert got[("Invoices", "B13")] == ('=HYPERLINK("x","y")', "s", "General")  # text
    assert ("Invoices", "F3") not in got and ("Invoices", "F4") not in got  # nan, inf
    assert got[("Invoices", "I2")][0] == 0.1 and ("Invoices", "I3") not in got
    assert ("Invoices", "I4") not in got
    assert got[("Customers", "C2")][0] == "1899-12-01"  # Excel has no dates before 1900


def test_a_long_table_covers_all_its_rows_and_reads_back_whole(both):
    bulk, plain = both({"Invoices": PURE})

    for path in (bulk, plain):
        ws = openpyxl.load_workbook(path)["Invoices"]
        assert ws.tables["Invoices"].ref == f"A1:I{N + 1}"
        assert ws.tables["Invoices"].autoFilter.ref == f"A1:I{N + 1}"
    raw = read_workbook(bulk)["invoices"]
    assert len(raw.columns[0]) == N and raw.columns[0][-1] == f"INV-{N - 1:04d}"


def test_the_same_tables_give_the_same_file_contents_twice(tmp_path):
    made = dt.datetime(2026, 12, 1, 9, 0)
    for name in ("a.xlsx", "b.xlsx"):
        write_workbook(tmp_path / name, {"Invoices": PURE, "Customers": MIXED}, created=made)

    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def side_by_side(path, rows_left, rows_right) -> None:
    wb = xlsx_book.new_workbook(str(path))
    book = xlsx_book.Book(wb)
    ws = book.sheet("Two")
    cols = [xlsx_book.Col("Key"), xlsx_book.Col("Amount", "money")]
    book.table(ws, "Left", 0, 0, cols, rows_left)
    ws.write_string(3, 2, "between")  # a cell of XlsxWriter's own between the tables
    book.table(ws, "Right", 0, 3, cols, rows_right)
    xlsx_book.close_workbook(wb, path)


def test_two_tables_sharing_rows_keep_every_cell_in_column_order(tmp_path, monkeypatch):
    left = [[f"L{i}", float(i)] for i in range(40)]
    right = [[f"R{i}", -float(i)] for i in range(25)]
    side_by_side(tmp_path / "bulk.xlsx", left, right)
    monkeypatch.setattr(xlsx_bulk, "BULK_BODIES", False)
    side_by_side(tmp_path / "plain.xlsx", left, right)

    got = cells(tmp_path / "bulk.xlsx")
    assert got == cells(tmp_path / "plain.xlsx")
    assert got[("Two", "C4")][0] == "between" and got[("Two", "E26")][0] == -24
    ws = openpyxl.load_workbook(tmp_path / "bulk.xlsx")["Two"]
    assert ws.tables["Left"].ref == "A1:B41" and ws.tables["Right"].ref == "D1:E26"


def test_overlapping_tables_are_refused(tmp_path):
    wb = xlsx_book.new_workbook(str(tmp_path / "x.xlsx"))
    book = xlsx_book.Book(wb)
    ws = book.sheet("One")
    book.table(ws, "First", 0, 0, [xlsx_book.Col("A")], [["x"]] * 10)

    with pytest.raises(WorkbookError, match="overlap"):
        book.table(ws, "Second", 5, 0, [xlsx_book.Col("A")], [["y"]])
    wb.close()


TEXTS = [" leading", "trailing ", "a & b", "x < y > z", 'say "hi"', "two\nlines", "bell\x07",
         "_x0041_ stays as typed", "tab\tinside", "\ufffe", "plain", "Ünïcödé €", "=1+1"]


def shared_strings(path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/sharedStrings.xml")


def test_shared_strings_are_escaped_as_xlsxwriter_escapes_them(both):
    rows = [[f"C-{i}", t] for i, t in enumerate(TEXTS)]
    bulk, plain = both({"Customers": (["Customer", "Name"], rows)})

    assert shared_strings(bulk) == shared_strings(plain)
    raw = read_workbook(bulk)["customers"]
    # (a non-character is written as Excel writes it, _xFFFE_, which calamine leaves so)
    assert list(raw.columns[1]) == [t if t != "\ufffe" else "_xFFFE_" for t in TEXTS]


def test_a_name_written_like_rich_text_xml_stays_text_and_shifts_no_other_string(tmp_path):
    evil = "<r><t>a</t></r></si><si><r><t>b</t></r>"  # XlsxWriter writes this as it stands
    rows = [["C-1", evil], ["C-2", "Second Ltd"], ["C-3", "<r>x</r>"]]
    write_workbook(tmp_path / "book.xlsx", {"Customers": (["Customer", "Name"], rows)})

    raw = read_workbook(tmp_path / "book.xlsx")["customers"]
    assert list(raw.columns[1]) == [evil, "Second Ltd", "<r>x</r>"]
    assert b"<t>&lt;r&gt;&lt;t&gt;a" in shared_strings(tmp_path / "book.xlsx")
