"""Builds the desktop workbook ``workbook_templates/Creditdesk.xlsm``: buttons, macros and the
Creditdesk tables, ready for desktop Excel with a local Python (classic xlwings).

    python -m workbook_templates.xlsm [--out workbook_templates/Creditdesk.xlsm]   (make addin)

What it holds:

- **Start**: one button per script (``BUTTONS``; adding a script's button is one line there),
  each assigned to an argument-less macro ``CD_<Name>`` that runs the script through
  xlwings' ``RunPython "import creditdesk_addin.desktop as cd; cd.refresh()"``, plus
  **Import functions** (Windows: the ``CD_*`` Excel functions) and **Restart Python** (after
  an upgrade).
- **Read me** and the contract tables, as ``workbook_templates/generate.py`` writes them.
- **xlwings.conf**: the settings xlwings reads from the workbook (``XLWINGS_CONF``): where the
  user's Python is (the folder the one-line install of docs/addin.md makes), the module of
  the functions, one Python for buttons and functions.
- The VBA project, written without Excel (``workbook_templates.vbaproject``) from xlwings' own
  standalone project of the pinned xlwings version (its ``xlwings`` module with
  ``RunPython``, its ``Dictionary`` class), the modules in ``addin/vba/`` (``Creditdesk.bas``
  is generated from ``BUTTONS`` here) and one document module per sheet code name.

The file is reproducible: the same code and the same xlwings give the same bytes; a test
checks the shipped file is current.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import io
import os
import re
import secrets
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from creditdesk_addin import lite, scripts
from workbook_templates.vbaproject import (
    CLASS,
    PROCEDURAL,
    Module,
    Project,
    document_module,
    module_from_source,
)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "workbook_templates" / "Creditdesk.xlsm"
VBA_DIR = ROOT / "addin" / "vba"
CREDITDESK_BAS = VBA_DIR / "Creditdesk.bas"
CREATED = dt.datetime(2025, 1, 1)
XLWINGS = lite.XLWINGS  # the pinned xlwings: its VBA is embedded, its DLL name in it


@dataclass(frozen=True)
class Button:
    """A button on the Start sheet and the macro behind it."""

    caption: str
    macro: str  # an argument-less Sub of Creditdesk.bas
    body: str  # the macro's VBA statements
    what: str  # the line next to the button

    @classmethod
    def script(cls, name: str, caption: str) -> Button:
        """The button of ``creditdesk_addin.desktop.<name>()`` (a script of ``scripts``)."""
        doc = (scripts.SCRIPTS[name].__doc__ or "").strip().splitlines()[0]
        what = doc.split(":", 1)[1].strip() if ":" in doc else doc
        macro = "CD_" + "".join(w.capitalize() for w in name.split("_"))
        return cls(caption, macro,
                   f'RunPython "import creditdesk_addin.desktop as cd; cd.{name}()"',
                   what[:1].upper() + what[1:])


# One line per script button; the Lite pane's buttons are the same list (lite.BUTTONS).
BUTTONS: list[Button] = [Button.script(name, caption) for name, caption in lite.BUTTONS]
TOOLS: list[Button] = [
    Button("Import functions", "CD_ImportFunctions",
           '#If Mac Then\n'
           '    MsgBox "On a Mac, the Creditdesk functions come with xlwings Lite; '
           'the buttons work here.", vbInformation, "Creditdesk"\n'
           '#Else\n'
           '    ImportPythonUDFs\n'
           '#End If',
           "Windows: makes CD_CREDIT_CHECK and the other functions available in this "
           "workbook (once, and after an upgrade)."),
    Button("Restart Python", "CD_RestartPython",
           '#If Mac Then\n'
           '    MsgBox "On a Mac every click starts a fresh Python: nothing to restart.", '
           'vbInformation, "Creditdesk"\n'
           '#Else\n'
           '    KillPy\n'
           '    MsgBox "Python will start again with the next click or recalculation.", '
           'vbInformation, "Creditdesk"\n'
           '#End If',
           "After upgrading Creditdesk: stops the Python that serves this workbook, so "
           "the next click uses the new version."),
]

# The settings xlwings reads from the workbook's xlwings.conf sheet (column A: the setting,
# column B: its value; environment variables are expanded). The interpreters are where the
# install of docs/addin.md puts them.
XLWINGS_CONF: list[tuple[str, str]] = [
    ("Interpreter_Win", r"%USERPROFILE%\.creditdesk\venv\Scripts\pythonw.exe"),
    ("Interpreter_Mac", "$HOME/.creditdesk/venv/bin/python"),
    ("UDF Modules", "creditdesk_addin.desktop"),
    ("Use UDF Server", "True"),
    ("ADD_WORKBOOK_TO_PYTHONPATH", "False"),
]
CONF_SHEET = "xlwings.conf"
START_SHEET = "Start"


# ---------------------------------------------------------------------------------------
# The VBA


def vba_module() -> str:
    """``addin/vba/Creditdesk.bas``: one argument-less Sub per button."""
    out = [
        'Attribute VB_Name = "Creditdesk"',
        "' Creditdesk's buttons for desktop Excel (classic xlwings): each macro runs one",
        "' script of addin/creditdesk_addin/scripts.py on this workbook (docs/addin.md).",
        "' Generated by `python -m workbook_templates.xlsm` (make addin) from BUTTONS in",
        "' workbook_templates/xlsm.py, which also puts it into Creditdesk.xlsm: do not",
        "' edit here.",
        "Option Explicit",
    ]
    for b in [*BUTTONS, *TOOLS]:
        body = "\n".join(ln if ln.startswith("#") else ("    " + ln.strip())
                         for ln in b.body.splitlines())
        out += ["", f"Sub {b.macro}()", body, "End Sub"]
    return "\n".join(out) + "\n"


def xlwings_folder() -> Path:
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("xlwings is not installed: pip install -e '.[addin]'")
    return Path(next(iter(spec.submodule_search_locations)))


def installed_xlwings() -> str:
    text = (xlwings_folder() / "__init__.py").read_text(encoding="utf-8")
    m = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    return m.group(1) if m else "unknown"


def standalone_project() -> Project:
    """The VBA project of xlwings' ``quickstart_standalone.xlsm`` (the installed xlwings)."""
    path = xlwings_folder() / "quickstart_standalone.xlsm"
    with zipfile.ZipFile(path) as z:
        return Project.read(z.read("xl/vbaProject.bin"))


def repository_modules() -> list[Module]:
    """The modules of ``addin/vba``: ``*.bas`` standard modules, ``*.cls`` classes."""
    out = []
    for path in sorted(VBA_DIR.iterdir()):
        kind = {".bas": PROCEDURAL, ".cls": CLASS}.get(path.suffix.lower())
        if kind is not None:
            out.append(module_from_source(path.read_text(encoding="utf-8"), kind))
    return out


def vba_project(sheet_code_names: list[str], base: Project | None = None) -> Project:
    """xlwings' standalone project with its ``Module1`` replaced by the repository's
    modules, and a document module for the workbook and for each sheet."""
    base = base or standalone_project()
    version = installed_xlwings()
    if version != XLWINGS:
        raise SystemExit(f"xlwings {version} is installed, but the add-in pins {XLWINGS} "
                         "(creditdesk_addin.lite.XLWINGS and the addin extra): install "
                         f"xlwings=={XLWINGS}, or change the pin and build again")
    sheet = base.module("Sheet1")
    modules = [base.module("ThisWorkbook"),
               *(document_module(sheet, name) for name in sheet_code_names),
               base.module("xlwings"), base.module("Dictionary"), *repository_modules()]
    names = [m.name.casefold() for m in modules]
    if len(set(names)) != len(names):
        raise SystemExit(f"two VBA modules share a name: {sorted(names)}")
    return base.with_modules(modules)


# ---------------------------------------------------------------------------------------
# The workbook


def _start_sheet(wb, ws) -> None:
    title = wb.add_format({"bold": True, "font_size": 16})
    muted = wb.add_format({"font_color": "#595959", "italic": True})
    heading = wb.add_format({"bold": True, "bottom": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "vcenter"})
    caption = wb.add_format({"bold": True, "valign": "vcenter", "indent": 1})
    code = wb.add_format({"font_name": "Consolas", "font_color": "#595959",
                          "valign": "vcenter"})
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 22)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.hide_gridlines(2)
    ws.write_string(0, 0, "Creditdesk", title)
    ws.write_string(1, 0, "Click a button: it runs Creditdesk's Python on this workbook. The "
                    "summary appears in Dashboard!A2; rows that cannot be read are listed "
                    "on the Issues sheet.")
    ws.write_string(2, 0, "First time on this computer: install Python and Creditdesk with "
                    "the one command of docs/addin.md; this workbook finds them through "
                    "its xlwings.conf sheet.", muted)
    row = 4
    ws.write_string(row, 0, "Button", heading)
    ws.write_string(row, 1, "What it does", heading)
    ws.write_string(row, 2, "Macro", heading)
    for group in (BUTTONS, TOOLS):
        for b in group:
            row += 1
            ws.set_row(row, 30)
            ws.insert_button(row, 0, {"macro": b.macro, "caption": b.caption,
                                      "width": 160, "height": 34, "x_offset": 2,
                                      "y_offset": 3})
            ws.write_string(row, 0, b.caption, caption)  # under the button; printed
            ws.write_string(row, 1, b.what, wrap)
            ws.write_string(row, 2, b.macro, code)
        row += 1
    ws.activate()


def _conf_sheet(ws) -> None:
    """Plain cells from A1 down, no header: xlwings reads A1 to the first blank."""
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 60)
    for r, (key, value) in enumerate(XLWINGS_CONF):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)


def build(out: Path = OUT) -> Path:
    """Writes the workbook (to a temporary file next to ``out``, then moved into place)."""
    import xlsxwriter

    from creditdesk.files.xlsx_book import WORKBOOK_OPTIONS
    from creditdesk.files.xlsx_contract import (
        TEMPLATE_WIDTHS,
        add_contract_sheets,
        template_tables,
    )

    out = Path(out)
    if out.suffix.lower() != ".xlsm":
        raise SystemExit(f"cannot write '{out}': a workbook with macros ends in .xlsm")
    tmp = out.with_name(f".~{out.stem}.{secrets.token_hex(4)}.xlsm")
    try:
        wb = xlsxwriter.Workbook(str(tmp), {**WORKBOOK_OPTIONS, "in_memory": True})
        wb.set_properties({"title": "Creditdesk", "comments": "Written by Creditdesk",
                           "created": CREATED})
        _start_sheet(wb, wb.add_worksheet(START_SHEET))
        add_contract_sheets(wb, template_tables(), readme=True, widths=TEMPLATE_WIDTHS)
        _conf_sheet(wb.add_worksheet(CONF_SHEET))
        code_names = []
        for i, ws in enumerate(wb.worksheets()):
            ws.set_vba_name(f"Sheet{i + 1}")
            code_names.append(ws.vba_codename)
        project = vba_project(code_names)
        wb.add_vba_project(io.BytesIO(project.to_bytes()), is_stream=True)
        wb.set_vba_name("ThisWorkbook")
        wb.close()
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return out


def write(out: Path = OUT) -> list[Path]:
    """``addin/vba/Creditdesk.bas`` from ``BUTTONS``, then the workbook with it."""
    CREDITDESK_BAS.write_text(vba_module(), encoding="utf-8", newline="\n")
    return [CREDITDESK_BAS, build(out)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m workbook_templates.xlsm",
                                description="Writes addin/vba/Creditdesk.bas and the desktop "
                                "workbook with its buttons and VBA project.")
    p.add_argument("--out", type=Path, default=OUT, help=f"the workbook (default: {OUT})")
    args = p.parse_args(argv)
    for path in write(args.out):
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
