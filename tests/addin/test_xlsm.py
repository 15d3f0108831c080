"""The desktop workbook ``workbook_templates/Creditdesk.xlsm``, checked without Excel: its VBA
project through oletools, its buttons through the drawing XML and through LibreOffice's own
VBA import, its macros through the xlwings engine, and the xlwings version its VBA expects.

Needs oletools (the dev extra); the LibreOffice checks need ``soffice`` and ``pdftoppm`` (make
system-packages) and say so when they are skipped."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest
import xlwings as xw
from oletools.olevba import VBA_Parser

from creditdesk.files.xlsx_read import read_workbook
from creditdesk_addin import lite, scripts
from devkit import officejs
from devkit.officejs import payload_from_file
from tests.addin.engine import book_of
from workbook_templates import xlsm

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "workbook_templates" / "Creditdesk.xlsm"
RUNPYTHON = re.compile(r'^\s*RunPython "import ([\w.]+) as (\w+); \2\.(\w+)\(\)"\s*$')


def _modules(path: Path) -> dict[str, str]:
    """Module name -> source, as olevba decompresses them."""
    parser = VBA_Parser(str(path))
    try:
        assert parser.detect_vba_macros()
        return {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


def _subs(source: str) -> dict[str, str]:
    """Sub name -> its parameter list, for every Sub of a module."""
    return dict(re.findall(r"^(?:Public\s+)?Sub\s+(\w+)\s*\(([^)]*)\)", source, re.MULTILINE))


def _sub_body(source: str, name: str) -> list[str]:
    m = re.search(rf"^Sub {name}\(\)\r?\n(.*?)^End Sub", source, re.MULTILINE | re.DOTALL)
    assert m, name
    return [ln for ln in m.group(1).splitlines() if ln.strip()]


def _button_macros(path: Path) -> dict[str, list[str]]:
    """Sheet XML name -> the macros its form buttons are assigned to."""
    out: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            m = re.fullmatch(r"xl/worksheets/_rels/(sheet\d+)\.xml\.rels", name)
            if not m:
                continue
            for target in re.findall(r'Target="\.\./drawings/(vmlDrawing\d+\.vml)"',
                                     z.read(name).decode()):
                vml = z.read(f"xl/drawings/{target}").decode()
                out.setdefault(m.group(1), []).extend(
                    re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml))
    return out


def test_the_shipped_workbook_and_its_module_are_current(tmp_path):
    assert xlsm.CREDITDESK_BAS.read_text(encoding="utf-8") == xlsm.vba_module(), \
        "run: make addin (python -m workbook_templates.xlsm)"
    fresh = xlsm.build(tmp_path / "Creditdesk.xlsm")
    assert fresh.read_bytes() == SHIPPED.read_bytes(), \
        "run: make addin (python -m workbook_templates.xlsm)"
    with pytest.raises(SystemExit, match=r"ends in \.xlsm"):
        xlsm.build(tmp_path / "Creditdesk.xlsx")


def test_every_module_decompresses_and_every_sheet_has_its_document_module():
    code = _modules(SHIPPED)
    with zipfile.ZipFile(SHIPPED) as z:
        workbook = z.read("xl/workbook.xml").decode()
        sheets = sorted(n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
        code_names = [re.search(r'<sheetPr[^>]*codeName="(\w+)"', z.read(n).decode()).group(1)
                      for n in sheets]
        types = z.read("[Content_Types].xml").decode()
    assert 'codeName="ThisWorkbook"' in workbook
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert len(code_names) == len(set(code_names)) == workbook.count("<sheet ") > 2
    assert set(code) == {"ThisWorkbook", *code_names, "xlwings", "Dictionary", "Creditdesk"}
    for name in ["ThisWorkbook", *code_names]:
        assert f'Attribute VB_Name = "{name}"' in code[name]
    base = xlsm.standalone_project()
    assert code["xlwings"].replace("\r\n", "\n") == base.module("xlwings").source.decode(
        "cp1252").replace("\r\n", "\n")
    assert "Function RunPython(PythonCommand As String)" in code["xlwings"]
    assert code["Creditdesk"].replace("\r\n", "\n") == xlsm.vba_module()
    assert "Module1" not in code  # xlwings' sample module is replaced


def test_every_button_runs_an_argument_less_sub_of_the_project():
    code = _modules(SHIPPED)
    subs = _subs(code["Creditdesk"])
    buttons = _button_macros(SHIPPED)
    assert list(buttons) == ["sheet1"]  # all on Start, the first sheet
    assert buttons["sheet1"] == [b.macro for b in [*xlsm.BUTTONS, *xlsm.TOOLS]]
    for macro in buttons["sheet1"]:
        assert subs.get(macro) == "", f"{macro} is not an argument-less Sub"
    everywhere = [name for src in code.values() for name in _subs(src)]
    assert all(everywhere.count(m) == 1 for m in buttons["sheet1"])  # no ambiguous name


def test_there_is_a_button_for_every_script():
    assert sorted(b.macro for b in xlsm.BUTTONS) == sorted(
        "CD_" + "".join(w.capitalize() for w in name.split("_")) for name in scripts.SCRIPTS)
    assert [b.caption for b in xlsm.BUTTONS[:6]] == [
        "Import", "Refresh", "Preview reminders", "Send reminders", "Sync", "Score"]


def test_the_tool_buttons_call_argument_less_subs_of_xlwings():
    code = _modules(SHIPPED)
    xlwings_subs = _subs(code["xlwings"])
    for b in xlsm.TOOLS:
        body = _sub_body(code["Creditdesk"], b.macro)
        windows = body[body.index("#Else") + 1:body.index("#End If")]
        called = windows[0].strip()
        assert xlwings_subs.get(called) == "", called


@pytest.fixture
def mock_caller():
    books = []

    def set_caller(payload):
        book = book_of(payload)
        book.set_mock_caller()  # as `python -m creditdesk_addin.desktop` does with Excel
        books.append(book)
        return book
    yield set_caller
    if hasattr(xw.Book, "_mock_caller"):
        del xw.Book._mock_caller


def test_every_runpython_names_a_function_that_runs_on_a_copy_of_the_workbook(
        tmp_path, mock_caller):
    copy = tmp_path / "Creditdesk copy.xlsm"
    shutil.copy(SHIPPED, copy)
    code = _modules(copy)["Creditdesk"]
    seen = []
    for b in xlsm.BUTTONS:
        (line,) = _sub_body(code, b.macro)
        m = RUNPYTHON.match(line)
        assert m, line
        module, alias, function = m.groups()
        assert callable(getattr(importlib.import_module(module), function))
        book = mock_caller(payload_from_file(copy))
        command = line.strip().removeprefix("RunPython ").strip('"')
        namespace: dict = {}
        exec(command.replace(f"{alias}.{function}()", f"answer = {alias}.{function}()"),
             namespace)  # the Python that RunPython runs
        assert isinstance(namespace["answer"], str) and namespace["answer"]
        assert "Traceback" not in namespace["answer"]
        assert book.json()["actions"], f"{function} wrote nothing into the workbook"
        seen.append(function)
    assert sorted(seen) == sorted(scripts.SCRIPTS)


def test_the_workbook_holds_the_contract_tables_of_the_template():
    ours = read_workbook(SHIPPED)
    template = read_workbook(ROOT / "workbook_templates" / "creditdesk.xlsx")
    assert set(ours) == set(template)
    for key, table in template.items():
        assert (ours[key].header, ours[key].columns) == (table.header, table.columns), key
        assert (ours[key].sheet, ours[key].first_row) == (table.sheet, table.first_row), key


def test_the_xlwings_conf_sheet_points_xlwings_at_python_and_the_functions():
    payload = payload_from_file(SHIPPED)
    conf = next(s for s in payload["sheets"] if s["name"] == "xlwings.conf")["values"]
    settings = {row[0]: row[1] for row in conf if row and row[0]}
    assert list(settings) == [k for k, _ in xlsm.XLWINGS_CONF]  # from A1 down, no header
    assert settings["UDF Modules"] == "creditdesk_addin.desktop"
    assert settings["Use UDF Server"] == "True"
    assert settings["Interpreter_Win"].endswith(r"\Scripts\pythonw.exe")
    assert settings["Interpreter_Mac"].startswith("$HOME/")


# -- the xlwings version the VBA expects -------------------------------------------------


def test_the_embedded_vba_is_the_pinned_xlwings_and_the_installed_one():
    code = _modules(SHIPPED)["xlwings"]
    (embedded,) = re.findall(r'Public Const XLWINGS_VERSION As String = "([^"]+)"', code)
    dlls = set(re.findall(r'Lib "(xlwings(?:32|64)-[^"]+\.dll)"', code))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [d for d in pyproject["project"]["optional-dependencies"]["addin"]
            if d.startswith("xlwings")]
    assert pins == [f"xlwings=={embedded}"], "pin xlwings in the addin extra to the VBA's"
    assert xw.__version__ == embedded, (
        f"xlwings {xw.__version__} is installed, the workbook's VBA is {embedded}: "
        "install the pinned version, or change the pin and run make addin")
    assert dlls == {f"xlwings64-{embedded}.dll", f"xlwings32-{embedded}.dll"}
    assert lite.XLWINGS == officejs.XLWINGS_VERSION == embedded
    assert f"xlwings=={embedded}" in lite.requirements_txt("https://b.example/creditdesk.whl")


def test_building_against_another_xlwings_stops_with_what_to_do(monkeypatch):
    monkeypatch.setattr(xlsm, "installed_xlwings", lambda: "0.99.0")
    with pytest.raises(SystemExit, match=r"xlwings 0\.99\.0 is installed, but the add-in pins"):
        xlsm.vba_project(["Sheet1"])


# -- LibreOffice: opens it, draws it, finds the macros behind the buttons ------------------


def _soffice(tmp_path: Path, target: str, src: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: make system-packages")
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    run = subprocess.run(
        [soffice, "--headless", "--norestore",
         f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
         "--convert-to", target, "--outdir", str(out), str(src)],
        capture_output=True, text=True, timeout=180)
    result = out / f"{src.stem}.{target.split(':')[0]}"
    assert run.returncode == 0 and result.exists(), run.stdout + run.stderr
    return result


@pytest.mark.slow
def test_libreoffice_opens_the_workbook_and_prints_the_start_sheet(tmp_path):
    pdf = _soffice(tmp_path, "pdf", SHIPPED)
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.skip("poppler (pdftoppm, pdftotext) is not installed: make system-packages")
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    for b in [*xlsm.BUTTONS, *xlsm.TOOLS]:
        assert b.caption in text and b.macro in text
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "start")], check=True)
    png = next(tmp_path.glob("start*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000


@pytest.mark.slow
def test_libreoffice_reads_the_vba_project_and_ties_each_button_to_its_macro(tmp_path):
    ods = _soffice(tmp_path, "ods", SHIPPED)
    with zipfile.ZipFile(ods) as z:
        content = z.read("content.xml").decode()
        basic = {n for n in z.namelist() if n.startswith("Basic/VBAProject/")}
        module = z.read("Basic/VBAProject/Creditdesk.xml").decode()
    actions = re.findall(r'xlink:href="vnd\.sun\.star\.script:VBAProject\.(\w+)\.(\w+)\?', content)
    assert actions == [("Creditdesk", b.macro) for b in [*xlsm.BUTTONS, *xlsm.TOOLS]]
    assert {"Basic/VBAProject/xlwings.xml", "Basic/VBAProject/Dictionary.xml"} <= basic
    for b in xlsm.BUTTONS:
        assert f"Sub {b.macro}()" in module


# -- the one-command install puts Python where the workbook looks ---------------------------


def test_the_install_scripts_put_python_where_xlwings_conf_looks():
    folder = ROOT / "addin" / "install"
    ps1 = (folder / "install-creditdesk.ps1").read_text(encoding="utf-8")
    sh = (folder / "install-creditdesk.sh").read_text(encoding="utf-8")
    conf = dict(xlsm.XLWINGS_CONF)
    assert conf["Interpreter_Win"] == r"%USERPROFILE%\.creditdesk\venv\Scripts\pythonw.exe"
    assert 'Join-Path $env:USERPROFILE ".creditdesk\\venv"' in ps1
    assert conf["Interpreter_Mac"] == "$HOME/.creditdesk/venv/bin/python"
    assert 'VENV="$HOME/.creditdesk/venv"' in sh
    for script in (ps1, sh):
        assert lite.WHEEL_PLACEHOLDER in script and "creditdesk[addin] @ " in script
    assert "xlwings\" runpython install" in sh  # Excel for Mac starts Python through it
    if shutil.which("sh"):
        subprocess.run(["sh", "-n", str(folder / "install-creditdesk.sh")], check=True)
