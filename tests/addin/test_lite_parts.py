"""The Lite buttons on Excel on the web, whose Office.js requests and responses are capped at
5 MB: main.py's scripts take an ``xw.BookAsync`` (structure only), read the included sheets in
parts and write in parts, through xlwings' own async API, and give the results of a book read
in one go. The xlwings Lite client (``js.xlwings``: getRangeValues, runActions) is played by
a stand-in that answers from the payload and measures every request and response."""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import json
import sys

import pytest
import xlwings as xw
from xlwings.pro import udfs_officejs as lite

from creditdesk.files.xlsx_write import write_workbook
from creditdesk_addin import lite as generator
from creditdesk_addin import lite_io, scripts, session
from devkit.officejs import payload_from_file
from devkit.sample import sample_tables
from tests.addin.engine import Excel, book_of, run, table

MAIN = generator.OUT / "main.py"


@pytest.fixture
def main_module(monkeypatch):
    monkeypatch.setattr(xw, "script", lite.script, raising=False)
    monkeypatch.setattr(xw, "func", lite.xlfunc, raising=False)
    monkeypatch.setattr(xw, "arg", lite.xlarg, raising=False)
    spec = importlib.util.spec_from_file_location("creditdesk_lite_main_parts", MAIN)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "creditdesk_lite_main_parts", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def ledger(tmp_path):
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, sample_tables(customers=60, messy=True))
    return path


def structure_only(payload: dict) -> dict:
    """What an async book gets: sheets, tables and names, no values."""
    meta = copy.deepcopy(payload)
    for s in meta["sheets"]:
        s["values"] = [[]]
    return meta


def click(main_module, excel: Excel, name: str) -> dict:
    book = book_of(structure_only(excel.payload))
    asyncio.run(lite.custom_scripts_call(main_module, name,
                                         typehint_to_value={xw.Book: book}))
    assert book.json()["actions"] == []  # all went out in parts
    return excel.payload


def results(payload: dict, given: dict) -> dict:
    names = {t["name"] for s in given["sheets"] for t in s["tables"]}
    return {t["name"]: table(payload, t["name"]) for s in payload["sheets"]
            for t in s["tables"] if t["name"] not in names}


@pytest.mark.parametrize("dates", ["iso", "serial"])
@pytest.mark.parametrize("name", ["refresh", "preview_reminders", "score"])
def test_a_button_read_and_written_in_parts_gives_the_results_of_one_read(
        main_module, in_lite, ledger, monkeypatch, name, dates):
    payload = payload_from_file(ledger, dates=dates)
    _, _, eager = run(copy.deepcopy(payload), scripts.SCRIPTS[name])
    session.forget()
    monkeypatch.setattr(lite_io, "PART_BYTES", 20_000)
    monkeypatch.setattr(lite_io, "FIRST_PART_CELLS", 1_000)
    excel = Excel(payload)
    in_lite(excel)
    after = click(main_module, excel, name)
    assert results(after, payload) == results(eager, payload)
    assert len(excel.reads) > 5 and max(excel.reads) < 40_000  # sized from the last part
    assert max(excel.writes) <= 20_000
    assert len(excel.writes) >= -(-sum(excel.writes) // 20_000)  # as many parts as needed


def test_only_the_included_sheets_are_read(main_module, in_lite, ledger):
    excel = Excel(payload_from_file(ledger))
    read: list[str] = []
    real = excel.getRangeValues

    async def spy(sheet_name, address):
        read.append(sheet_name)
        return await real(sheet_name, address)
    excel.getRangeValues = spy
    in_lite(excel)
    click(main_module, excel, "refresh")
    assert set(read) <= set(scripts.INCLUDE["refresh"])
    assert {"Customers", "Invoices"} <= set(read)
    assert not {"Dunning Levels", "Templates", "Mappings"} & set(read)


@pytest.mark.parametrize("name", ["refresh", "score", "preview_reminders"])
def test_each_button_includes_what_it_needs_and_its_results_do_not_change(ledger, name):
    """include= narrows what Excel sends; a book of every sheet gives the same results."""
    full = payload_from_file(ledger)
    keep = set(scripts.INCLUDE[name])
    narrow = copy.deepcopy(full)
    for s in narrow["sheets"]:
        if s["name"] not in keep:
            s.update(values=[[]], tables=[], used_range_address=None)
    out = []
    for payload in (full, narrow):
        summary, _, after = run(payload, scripts.SCRIPTS[name])
        session.forget()
        out.append((summary, {k: v for k, v in results(after, full).items()}))
    assert out[0] == out[1]


def test_a_block_of_values_larger_than_a_part_goes_in_row_blocks():
    action = {"func": "setValues", "values": [[f"row {i}", i] for i in range(1000)],
              "sheet_position": 0, "start_row": 4, "start_column": 0, "row_count": 1000,
              "column_count": 2, "args": [None]}
    parts = lite_io.batches([action, {**action, "values": [["x", 1]], "row_count": 1}],
                            part_bytes=2_000)
    flat = [a for b in parts for a in b]
    assert all(len(json.dumps(b, separators=(",", ":"))) <= 2_000 for b in parts)
    assert [r for a in flat[:-1] for r in a["values"]] == action["values"]
    starts = [a["start_row"] for a in flat[:-1]]
    assert starts[0] == 4 and all(a["row_count"] == len(a["values"]) for a in flat)
    assert starts == sorted(starts) and starts[-1] + flat[-2]["row_count"] == 1004


@pytest.mark.parametrize("dates", ["iso", "serial"])
def test_the_import_button_reads_every_sheet_in_parts_and_imports_as_one_read(
        main_module, in_lite, tmp_path, monkeypatch, dates):
    """Import has no include=: the export may be on any sheet (here: the one the user is
    on, not named Import)."""
    from devkit.officejs import sheet_entry
    from tests import exports as ex

    xero = tmp_path / "Aged Receivables Detail.xlsx"
    ex.write_xero_detail_xlsx(xero)
    book = tmp_path / "ledger.xlsx"
    tables = sample_tables(customers=20)
    for row in tables["Invoices"][1]:  # every item settled: the pasted export (of other
        row[7] = row[7] or row[3]      # customers) takes no balance off, so it is let in
    write_workbook(book, tables)
    payload = payload_from_file(book, dates=dates)
    payload["sheets"].append(sheet_entry(
        "Pasted", payload_from_file(xero, dates=dates)["sheets"][0]["values"]))
    payload["book"]["active_sheet_index"] = len(payload["sheets"]) - 1
    summary, _, eager = run(copy.deepcopy(payload), scripts.import_export)
    assert summary.startswith("Imported 8 item(s) for 3 customer(s) from the Pasted sheet")
    session.forget()
    monkeypatch.setattr(lite_io, "PART_BYTES", 20_000)
    monkeypatch.setattr(lite_io, "FIRST_PART_CELLS", 1_000)
    excel = Excel(payload)
    in_lite(excel)
    after = click(main_module, excel, "import_export")
    for name in ("Customers", "Invoices", "Payments"):
        assert table(after, name) == table(eager, name), name
    # 6 invoices and credit notes; the overpayment and the prepayment are dated Payments
    assert len(table(after, "Invoices")) == len(table(payload, "Invoices")) + 6
    assert len(table(after, "Payments")) == 2


@pytest.mark.parametrize("dates", ["iso", "serial"])
def test_propose_plan_in_lite_reads_the_selection_on_any_sheet(main_module, in_lite, tmp_path,
                                                               dates):
    """Propose plan includes every sheet (the selection may be on any): the values of the
    selected cells arrive with the parts, a date as ISO text or as a serial number."""
    import datetime as dt

    import openpyxl

    from tests.builders import customer, d, invoice, tables

    path = tmp_path / "ledger.xlsx"
    write_workbook(path, tables(customers=[customer("C1")],
                                invoices=[invoice("I1", 300.0, d("2026-05-31"))]))
    book = openpyxl.load_workbook(path)
    ws = book.create_sheet("My plan")
    ws["A1"], ws["B1"], ws["C1"] = "C1", 3, dt.date(2026, 7, 15)
    ws["C1"].number_format = "yyyy-mm-dd"
    book.save(path)
    payload = payload_from_file(path, dates=dates)
    payload["book"]["active_sheet_index"] = [s["name"] for s in payload["sheets"]].index(
        "My plan")
    payload["book"]["selection"] = "A1:C1"
    excel = Excel(payload)
    in_lite(excel)
    (row,) = table(click(main_module, excel, "propose_plan"), "Plans")
    assert (row["Plan"], row["Customer"], row["Instalments"], row["Amounts"]) == (
        "PLAN-1", "C1", 3, "100.00; 100.00; 100.00")
    assert row["Start Date"].date() == dt.date(2026, 7, 15)
