"""``files.xlsx_update.update_tables``, the one writer of a workbook whose contract tables
change: the tables given replace the workbook's own (or are added), every other table and
the user's sheets are carried, a replaced file is backed up, and it refuses to write over a
macro workbook, a workbook open in Excel or an existing file without ``force``."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from creditdesk.domain.contract import PLANS
from creditdesk.domain.errors import WorkbookError
from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_update import update_tables
from creditdesk.files.xlsx_write import write_workbook
from tests.builders import customer, d, invoice, tables

HEADER = [c.header for c in PLANS.columns]
ROW = ["P1", "C1", "I1", d("2026-07-15"), "Monthly", 2, "Proposed", "150.00; 150.00", "EUR"]
XLSM = Path(__file__).resolve().parents[2] / "workbook_templates" / "Creditdesk.xlsm"


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, tables(customers=[customer("C1")],
                                invoices=[invoice("I1", 300.0, d("2026-05-31"))]))
    book = openpyxl.load_workbook(path)
    ws = book.create_sheet("My notes")
    ws["A1"], ws["A2"], ws["A3"] = 2, 3, "=A1*A2"
    book.save(path)
    return path


def _plans(path: Path) -> list[list]:
    raw = read_workbook(path)["plans"]
    return [list(r) for r in zip(*raw.columns, strict=True)]


def test_a_new_file_gets_the_table_added_and_everything_else_carried(source, tmp_path):
    out = tmp_path / "new.xlsx"
    done = update_tables(out, {"Plans": (HEADER, [ROW])}, source=source)
    assert done.added_tables == ["Plans"] and done.backup is None
    assert done.sheets_carried == ["My notes"]
    assert _plans(out)[0][:3] == ["P1", "C1", "I1"]
    before, after = read_workbook(source), read_workbook(out)
    assert list(after["invoices"].columns[0]) == list(before["invoices"].columns[0])
    assert openpyxl.load_workbook(out)["My notes"]["A3"].value == "=A1*A2"
    # a table given replaces the workbook's own rows
    again = tmp_path / "again.xlsx"
    done = update_tables(again, {"plans": (HEADER, [["P2", *ROW[1:]]])}, source=out)
    assert done.added_tables == [] and [r[0] for r in _plans(again)] == ["P2"]


def test_an_existing_file_needs_force_and_is_backed_up(source, tmp_path):
    out = tmp_path / "new.xlsx"
    out.write_bytes(source.read_bytes())
    old = out.read_bytes()
    with pytest.raises(WorkbookError, match="exists; use --force"):
        update_tables(out, {"Plans": (HEADER, [ROW])}, source=source)
    assert out.read_bytes() == old
    done = update_tables(out, {"Plans": (HEADER, [ROW])}, source=source, force=True)
    assert done.backup == tmp_path / "new.backup.xlsx" and done.backup.read_bytes() == old
    assert _plans(out)[0][0] == "P1"


def test_in_place_the_workbook_is_rewritten_after_a_backup(source):
    old = source.read_bytes()
    done = update_tables(source, {"Plans": (HEADER, [ROW])})
    assert done.backup is not None and done.backup.read_bytes() == old
    assert _plans(source)[0][0] == "P1"
    assert openpyxl.load_workbook(source)["My notes"]["A3"].value == "=A1*A2"
    assert not [p for p in source.parent.iterdir() if p.name.startswith(".~")]  # no temp left


def test_a_workbook_open_in_excel_is_not_written_over(source, tmp_path):
    out = tmp_path / "new.xlsx"
    shutil.copy2(source, out)
    (tmp_path / "~$new.xlsx").write_bytes(b"owner")
    old = out.read_bytes()
    with pytest.raises(WorkbookError, match=r"open in Excel .*~\$new\.xlsx"):
        update_tables(out, {"Plans": (HEADER, [ROW])}, source=source, force=True)
    assert out.read_bytes() == old and not (tmp_path / "new.backup.xlsx").exists()


def test_macro_workbooks_are_never_written_over(source, tmp_path):
    with pytest.raises(WorkbookError, match="macro workbook cannot be rewritten"):
        update_tables(tmp_path / "new.xlsm", {"Plans": (HEADER, [ROW])}, source=source)
    macros = tmp_path / "book.xlsm"
    shutil.copy2(XLSM, macros)
    with pytest.raises(WorkbookError, match="macro workbook cannot be rewritten"):
        update_tables(macros, {"Plans": (HEADER, [ROW])})  # in place
    target = tmp_path / "other.xlsx"
    shutil.copy2(source, target)
    with pytest.raises(WorkbookError, match="holds macros"):
        update_tables(target, {"Plans": (HEADER, [ROW])}, source=macros, force=True)
    # a new file from a macro workbook is written, the VBA project named as not carried
    done = update_tables(tmp_path / "fresh.xlsx", {"Plans": (HEADER, [])}, source=macros)
    assert "the VBA project (macros)" in done.lost
