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
from tests.addin.engine import Excel, book_of

MAIN = generator.OUT / "main.py"


WHEEL = ("https://api.example/v1/addin/wheels/" + "ab" * 32
         + "/creditdesk-0.1.0-py3-none-any.whl")


def test_the_generated_main_py_is_current_and_no_placeholder_requirements_ship():
    assert MAIN.read_text(encoding="utf-8") == generator.main_py(), \
        "run: .venv/bin/python -m creditdesk_addin.lite"
    assert not (generator.OUT / "requirements.txt").exists()  # written with --url only


def test_requirements_name_xlwings_tzdata_and_the_wheels_real_address():
    req = generator.requirements_txt(WHEEL).splitlines()
    packages = [ln for ln in req if ln and not ln.startswith("#")]
    assert packages == [f"xlwings=={xw.__version__}", WHEEL, "tzdata"]
    for placeholder in ("", generator.WHEEL_PLACEHOLDER):
        with pytest.raises(ValueError):
            generator.requirements_txt(placeholder)


def test_without_an_address_only_main_py_is_written(tmp_path, capsys):
    assert generator.main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.py"]
    assert "give --url BACKEND_URL" in capsys.readouterr().err


def test_a_backend_that_serves_no_wheel_is_said_in_one_line(tmp_path, capsys):
    import httpx

    def answer(request):
        return httpx.Response(404, json={"error": "not_found", "message": "this backend was "
                                         "packaged without the add-in's wheel"})
    with pytest.raises(generator.LiteError, match=r"serves no add-in wheel .*package and "
                       r"deploy it again"):
        generator.wheel_url_from_backend("https://api.example",
                                         transport=httpx.MockTransport(answer))


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


@pytest.mark.parametrize("dates", ["iso", "serial"])
def test_a_button_runs_through_xlwings_lites_script_call(main_module, good, dates, in_lite):
    excel = Excel(payload_from_file(good, dates=dates))
    in_lite(excel)
    meta = {**excel.payload, "sheets": [{**s, "values": [[]]} for s in excel.payload["sheets"]]}
    book = book_of(meta)  # an async book: structure only
    asyncio.run(lite.custom_scripts_call(main_module, "refresh",
                                         typehint_to_value={xw.Book: book}))
    funcs = {a["func"] for a in excel.actions}
    assert {"setValues", "addTable", "addChart"} <= funcs
    assert main_module.credit_check("C2", 0).startswith("HOLD: exposure 125% of limit")
