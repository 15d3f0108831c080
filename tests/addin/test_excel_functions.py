"""The Excel functions behave like Excel's own: real errors (never a sentence in a numeric
column), error cells in arguments give #N/A, ranges spill, help fits Excel's 255 characters,
and on desktop they answer from the last Refresh or read only the tables they need.

The Lite path runs through xlwings' own ``custom_functions_call`` (what xlwings Lite runs when
Excel calls ``=CD.LATE_INTEREST(...)``), with arguments shaped as Office.js sends them."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import types

import pytest
import xlwings as xw
from xlwings.pro import udfs_officejs as lite

from creditdesk_addin import desktop, scripts, session
from creditdesk_addin import functions as fn
from creditdesk_addin import lite as generator
from devkit.officejs import payload_from_file
from tests.addin.engine import book_of, run

ERROR_CELL = {"type": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}
NA = {"type": "Error", "errorType": "NotAvailable"}
VALUE = {"type": "Error", "errorType": "Value"}
NUM = {"type": "Error", "errorType": "Num"}
DUE, PAID = 46203, 46280  # 2026-06-30 and 2026-09-15 as Excel serials (Lite sends these)


def _load(monkeypatch, path, name):
    """A module loaded with the decorators of xlwings Lite (which record what classic
    xlwings records: names, arguments and their options, help)."""
    monkeypatch.setattr(xw, "script", lite.script, raising=False)
    monkeypatch.setattr(xw, "func", lite.xlfunc, raising=False)
    monkeypatch.setattr(xw, "arg", lite.xlarg, raising=False)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def main_module(monkeypatch):
    return _load(monkeypatch, generator.OUT / "main.py", "creditdesk_lite_main_fx")


def _call(module, name, *args):
    data = {"func_name": name, "args": list(args), "version": xw.__version__,
            "client": "Office.js", "runtime": "1.4", "culture_info_name": "en-GB",
            "date_format": "dd/mm/yyyy"}
    return asyncio.run(lite.custom_functions_call(data, module))


def _m(*values):
    """A range argument as Office.js sends it: rows of cells."""
    return [list(v) if isinstance(v, list | tuple) else [v] for v in values]


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), [
    ("late_interest", [[[ERROR_CELL]], [[DUE]], [[PAID]], [["UK"]], None]),
    ("late_interest", [[[5000]], [[ERROR_CELL]], None, [["UK"]], None]),
    ("late_compensation", [[[5000]], [[DUE]], [[ERROR_CELL]], [["UK"]]]),
    ("ageing_bucket", [[[ERROR_CELL]], [[DUE]]]),
    ("credit_check", [[[ERROR_CELL]], None]),
    ("customer_score", [[["C1"]], [[ERROR_CELL]]]),
])
def test_an_error_cell_in_any_argument_gives_na(main_module, name, args):
    assert _call(main_module, name, *args) == [[NA]]


def test_wrong_arguments_give_value_and_num_errors(main_module):
    assert _call(main_module, "late_interest", [["lots"]], [[DUE]], [[PAID]], [["UK"]],
                 None) == [[VALUE]]
    assert _call(main_module, "late_interest", [[5000]], [["soon"]], [[PAID]], [["UK"]],
                 None) == [[VALUE]]
    assert _call(main_module, "late_interest", [[5000]], [[DUE]], [[PAID]], [["US"]],
                 None) == [[VALUE]]
    assert _call(main_module, "late_interest", [[5000]], [[DUE]], [[PAID]], [["UK"]],
                 [[-2]]) == [[NUM]]
    assert _call(main_module, "late_compensation", [[True]], [[DUE]], [[PAID]],
                 [["UK"]]) == [[VALUE]]
    assert _call(main_module, "ageing_bucket", [["soon"]], None) == [[VALUE]]
    assert fn.late_interest(float("inf"), "2026-06-30", "2026-09-15", "UK") == fn.NUM


def test_before_a_refresh_and_for_unknown_customers_the_answer_is_na(main_module, good):
    assert _call(main_module, "credit_check", [["C1"]], None) == [[NA]]
    assert _call(main_module, "customer_score", [["C1"]], None) == [[NA]]
    run(payload_from_file(good), scripts.refresh)
    assert _call(main_module, "credit_check", [["C404"]], None) == [[NA]]
    assert _call(main_module, "customer_score", [["C404"]], None) == [[NA]]
    assert _call(main_module, "customer_score", [["C1"]], [["mood"]]) == [[VALUE]]
    answer = _call(main_module, "credit_check", [["C1"]], [[3900]])
    assert answer[0][0].startswith("HOLD: exposure 102% of limit")


def test_a_score_never_answers_with_text(good):
    run(payload_from_file(good), scripts.refresh)
    a = session.recall()
    for customer in a.ledger.customers.ids:
        for detail in ("score", "limit"):
            v = fn.customer_score(customer, detail)
            assert isinstance(v, float) or v == fn.NA, (customer, detail, v)


# -- ranges --------------------------------------------------------------------------------


def test_a_column_of_amounts_spills_one_answer_per_row(main_module):
    amounts = _m(5000, ERROR_CELL, "", 7000, "lots")
    out = _call(main_module, "late_interest", amounts, [[DUE]], [[PAID]], [["UK"]], None)
    one = fn.late_interest(5000, DUE, PAID, "UK")
    assert out[0] == [one] and out[1] == [NA] and out[4] == [VALUE]
    assert out[2] == [0.0]  # a blank amount is 0, as in Excel's arithmetic
    assert out[3] == [fn.late_interest(7000, DUE, PAID, "UK")]
    assert not any(isinstance(row[0], str) for row in out)  # nothing a SUM would skip


def test_ranges_broadcast_as_in_excel():
    grid = fn.late_compensation([[5000], [500]], [[DUE, DUE + 60]], PAID, "UK")
    assert grid == [[70.0, 70.0], [40.0, 40.0]]
    ragged = fn.late_compensation([[5000], [500], [200_000]], [[DUE], [DUE]], PAID, "UK")
    assert ragged == [[70.0], [40.0], [fn.NA]]  # beyond the shorter range
    assert fn.ageing_bucket([DUE - 31, DUE, None], DUE) == [["31-60"], ["Not due"], [None]]


def test_a_blank_row_answers_blank(main_module):
    out = _call(main_module, "ageing_bucket", _m(DUE - 31, "", DUE), [[DUE]])
    assert out == [["31-60"], [""], ["Not due"]]


# -- help ------------------------------------------------------------------------------------


def test_every_description_and_argument_help_fits_excels_255_characters(main_module):
    meta = lite.custom_functions_meta(main_module)["functions"]
    assert len(meta) == len(fn.FUNCTIONS)
    for f in meta:
        assert 0 < len(f["description"]) <= fn.DESCRIPTION_LIMIT, f["name"]
        for p in f["parameters"]:
            assert 0 < len(p["description"]) <= fn.DESCRIPTION_LIMIT, (f["name"], p["name"])
    for name in fn.FUNCTIONS:
        assert desktop.FUNCTIONS[name].__doc__ == fn.description(name)
        assert len(fn.description(name)) <= fn.DESCRIPTION_LIMIT


# -- desktop ---------------------------------------------------------------------------------


def test_desktop_functions_ask_xlwings_for_ranges_as_rows_and_errors_as_text(monkeypatch):
    module = _load(monkeypatch, desktop.__file__, "creditdesk_desktop_decorated")
    for name, f in module.FUNCTIONS.items():
        info = f.__xlfunc__
        args = [a for a in info["args"] if a["name"] != "caller"]
        assert [a["name"] for a in args] == list(fn.ARGUMENT_HELP[name])
        for a in args:
            assert a["options"]["ndim"] == 2 and a["options"]["err_to_str"] is True
            assert a["doc"] == fn.ARGUMENT_HELP[name][a["name"]]
        assert info["ret"]["doc"] == fn.description(name)


def test_desktop_turns_an_excel_error_into_a_com_error_value_on_windows(monkeypatch):
    made = []

    class VARIANT:
        def __init__(self, vt, value):
            made.append((vt, value))
            self.vt, self.value = vt, value

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "pythoncom", types.SimpleNamespace(VT_ERROR=10))
    win32com = types.ModuleType("win32com")
    win32com.client = types.SimpleNamespace(VARIANT=VARIANT)
    monkeypatch.setitem(sys.modules, "win32com", win32com)
    monkeypatch.setitem(sys.modules, "win32com.client", win32com.client)
    out = desktop.cd_late_interest([[5000], ["lots"]], [[DUE]], [[PAID]], [["UK"]])
    assert isinstance(out[0][0], float)
    assert (out[1][0].vt, out[1][0].value) == (10, -2146826273)  # #VALUE!
    assert desktop.cd_ageing_bucket([["#N/A"]]).value == -2146826246  # an error cell: #N/A
    assert len(made) == 2


def test_desktop_functions_answer_from_the_last_refresh_without_reading(good, monkeypatch):
    from creditdesk_addin import workbook

    reads = []
    monkeypatch.setattr(workbook, "read_tables",
                        lambda book, specs=(): reads.append(specs) or {})
    run(payload_from_file(good), scripts.refresh)  # the script's own read (scripts imported it)
    caller = types.SimpleNamespace(sheet=types.SimpleNamespace(book=None))
    assert desktop.cd_credit_check([["C2"]], None, caller=caller).startswith("HOLD")
    assert reads == []


def test_without_a_refresh_a_desktop_function_reads_only_the_tables_it_needs(good,
                                                                             monkeypatch):
    from creditdesk_addin import workbook

    book = book_of(payload_from_file(good))
    real = workbook.read_tables
    reads = []

    def read_tables(b, specs):
        reads.append([s.name for s in specs])
        return real(b, specs)
    monkeypatch.setattr(workbook, "read_tables", read_tables)
    caller = types.SimpleNamespace(sheet=types.SimpleNamespace(book=book))
    assert desktop.cd_credit_check([["C2"]], None, caller=caller).startswith(
        "HOLD: exposure 125% of limit")
    assert desktop.cd_score([["C1"]], None, caller=caller) is not None
    # once; Payments, as promises are judged by what was paid by their date; Rates for interest
    assert reads == [["Customers", "Invoices", "Payments", "Settings", "FX", "History",
                      "Rates"]]


def test_a_function_whose_workbook_cannot_be_read_answers_na(monkeypatch):
    class Busy:
        @property
        def sheet(self):
            raise RuntimeError("Excel is busy")
    assert desktop.cd_credit_check([["C1"]], None, caller=Busy()) == fn.NA
