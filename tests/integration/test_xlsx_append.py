"""``files.xlsx_append``: rows into an Excel table of a real workbook file, in place."""

from __future__ import annotations

import datetime as dt
import zipfile
from xml.etree import ElementTree

import pytest

from creditdesk.domain.errors import WorkbookError
from creditdesk.files.xlsx_append import append_rows, backup_path
from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_write import write_template

HOSTILE = '=HYPERLINK("http://evil.example","pay")'


@pytest.fixture
def fresh(tmp_path):
    path = tmp_path / "book.xlsx"
    write_template(path)
    return path


def test_rows_go_into_the_empty_table_of_a_new_workbook(fresh):
    done = append_rows(fresh, "History", [
        {"Date": dt.date(2026, 12, 7), "Customer": HOSTILE, "Type": "Reminder", "Level": 1,
         "Note": " two\nlines ", "Event Id": "e1"},
        {"Date": dt.date(2026, 12, 8), "Customer": "C2", "Type": "Note", "Note": "a\x01b",
         "Event Id": "e2"}])
    assert done.rows == 2 and done.sheet == "History" and done.added_columns == []
    assert backup_path(fresh).exists()
    import openpyxl

    ws = openpyxl.load_workbook(fresh)["History"]
    assert ws.tables["History"].ref == "A1:L3"  # the template's blank row is used first
    assert ws["A2"].value == dt.datetime(2026, 12, 7) and ws["A2"].is_date
    assert ws["B2"].value == HOSTILE and ws["B2"].data_type == "s"  # text, not a formula
    assert ws["H2"].value == " two\nlines " and ws["H3"].value == "a\ufffdb"
    assert ws["D2"].value == 1
    h = read_workbook(fresh)["history"]
    assert len(h) == 2 and h.columns[h.header.index("Event Id")] == ["e1", "e2"]


def test_the_next_rows_go_below_and_nothing_else_changes(fresh):
    append_rows(fresh, "History", [{"Date": dt.date(2026, 12, 7), "Customer": "C1",
                                    "Type": "Note", "Event Id": "e1"}])
    with zipfile.ZipFile(fresh) as z:
        before = {n: z.read(n) for n in z.namelist()}
    append_rows(fresh, "history", [{"Date": dt.date(2026, 12, 9), "Customer": "C3",
                                    "Type": "Note", "Event Id": "e3"}])
    with zipfile.ZipFile(fresh) as z:
        after = {n: z.read(n) for n in z.namelist()}
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"xl/worksheets/sheet9.xml", "xl/tables/table8.xml"}
    for name in changed:  # well-formed XML
        ElementTree.fromstring(after[name])
    assert read_workbook(fresh)["history"].columns[1] == ["C1", "C3"]


def test_no_rows_changes_nothing(fresh):
    before = fresh.read_bytes()
    assert append_rows(fresh, "History", []).rows == 0
    assert fresh.read_bytes() == before and not backup_path(fresh).exists()


def test_a_workbook_without_the_table_or_not_xlsx_is_refused(tmp_path, fresh):
    with pytest.raises(WorkbookError, match="has no Excel table named Ledger"):
        append_rows(fresh, "Ledger", [{"A": 1}])
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"")
    with pytest.raises(WorkbookError, match=r"only \.xlsx and \.xlsm"):
        append_rows(xls, "History", [{"Date": dt.date(2026, 1, 1)}])


def test_two_tables_are_written_in_one_write_or_not_at_all(fresh):
    from creditdesk.files.xlsx_append import append_tables

    history = [{"Date": dt.date(2026, 12, 7), "Customer": "C1", "Type": "Note",
                "Event Id": "e1"}]
    audit = [{"Date": "2026-12-07 09:00:00", "Key": "abc", "Subject": "C1",
              "Field": "Credit Limit", "Old": "100", "New": HOSTILE}]
    done = append_tables(fresh, {"History": history, "Audit": audit})
    assert (done["History"].rows, done["Audit"].rows) == (1, 1)
    assert done["History"].backup == done["Audit"].backup == backup_path(fresh)
    tables = read_workbook(fresh)
    assert tables["audit"].columns[5] == [HOSTILE] and len(tables["history"]) == 1

    import openpyxl

    book = openpyxl.load_workbook(fresh)
    below = int(book["Audit"].tables["Audit"].ref.split(":")[1][1:]) + 1
    book["Audit"][f"A{below}"] = "in the way"
    book.save(fresh)
    before = fresh.read_bytes()
    with pytest.raises(WorkbookError, match="Audit"):
        append_tables(fresh, {"History": history, "Audit": audit})
    assert fresh.read_bytes() == before  # the History did not get its row either
