"""The xlwings Lite code: generated from the add-in, registered by xlwings' own Lite code."""

import asyncio
import importlib.util
import inspect
import sys

import pytest
import xlwings as xw
from xlwings.pro import udfs_officejs as lite

from creditdesk_addin import functions, scripts
from creditdesk_addin import lite as generator
from devkit.officejs import payload_from_file
from tests.addin.engine import book_of

MAIN = generator.OUT / "main.py"


def test_the_generated_main_py_and_requirements_are_current():
    assert MAIN.read_text(encoding="utf-8") == generator.main_py(), \
        "run: .venv/bin/python -m creditdesk_addin.lite"
    req = (generator.OUT / "requirements.txt").read_text(encoding="utf-8")
    assert req == generator.requirements_txt()
    assert f"xlwings=={xw.__version__}" in req and "tzdata" in req


@pytest.fixture
def main_module(monkeypatch):
    """main.py loaded with the decorators xlwings Lite uses (not the desktop no-ops)."""
    monkeypatch.setattr(xw, "script", lite.script, raising=False)
    monkeypatch.setattr(xw, "func", lite.xlfunc, raising=False)
    monkeypatch.setattr(xw, "arg", lite.xlarg, raising=False)
    spec = importlib.util.spec_from_file_location("creditdesk_lite_main", MAIN)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "creditdesk_lite_main", module)
    spec.loader.exec_module(module)
    return module


def test_each_script_is_a_button_with_its_docstring_and_only_the_sheets_it_needs(main_module):
    meta = {m["function_name"]: m for m in lite.custom_scripts_meta(main_module)}
    assert list(meta) == sorted(scripts.SCRIPTS)
    assert meta["refresh"]["name"] == "Refresh"
    assert meta["send_reminders"]["name"] == "Send reminders"
    for name, m in meta.items():
        sheets = scripts.INCLUDE[name]
        assert m.get("include") == (None if sheets is None else ",".join(sheets))
        doc = inspect.getdoc(getattr(main_module, name))
        assert doc.startswith("# " + scripts.SCRIPTS[name].__doc__.splitlines()[0])
    assert "Reminders" not in meta["refresh"]["include"]
    assert meta["import_export"]["name"] == "Import"  # every sheet: the export may be any


def test_the_functions_are_in_the_cd_namespace_with_their_help(main_module):
    meta = {f["name"]: f for f in lite.custom_functions_meta(main_module)["functions"]}
    assert set(meta) == {"CD.CREDIT_CHECK", "CD.AGEING_BUCKET", "CD.LATE_INTEREST",
                         "CD.LATE_COMPENSATION", "CD.SCORE"}
    check = meta["CD.CREDIT_CHECK"]
    assert check["description"].startswith("Credit decision for a customer")
    assert [(p["name"], p["description"]) for p in check["parameters"]] == [
        ("customer", functions.ARGUMENT_HELP["credit_check"]["customer"]),
        ("order_amount", functions.ARGUMENT_HELP["credit_check"]["order_amount"])]
    assert check["parameters"][1]["optional"] is True
    assert check["options"]["volatile"] is True
    assert meta["CD.LATE_INTEREST"]["description"] == functions.description(
        "late_interest")  # one paragraph: Excel shows it as it is


def test_a_button_runs_through_xlwings_lites_script_call(main_module, good):
    book = book_of(payload_from_file(good))
    asyncio.run(lite.custom_scripts_call(main_module, "refresh",
                                         typehint_to_value={xw.Book: book}))
    funcs = {a["func"] for a in book.json()["actions"]}
    assert {"setValues", "addTable", "addChart"} <= funcs
    assert main_module.credit_check("C2", 0).startswith("HOLD: exposure 125% of limit")
