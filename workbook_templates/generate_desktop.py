"""Writes the desktop starter workbook: ``python -m workbook_templates.generate_desktop [out]``.

``workbook_templates/creditdesk-desktop.xlsx`` is the contract workbook of ``generate.py``
plus two sheets for classic xlwings: **Start** (the buttons to make and what each does) and
**xlwings.conf** (the settings xlwings reads from the workbook: the UDF module for the
``CD_*`` functions, and "Use UDF Server" so buttons and functions share one Python and the
functions answer from the last Refresh), without macros: for your own workbook. The ready
workbook with buttons and macros is ``Creditdesk.xlsm`` (``python -m workbook_templates.xlsm``);
the file is reproducible (a fixed creation date).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from creditdesk.files.xlsx_write import template_tables, write_workbook

HERE = Path(__file__).resolve().parent
CREATED = dt.datetime(2025, 1, 1)
BUTTONS = [
    ("CD_ImportExport", "Import", "An export pasted onto the Import sheet into Customers and "
     "Invoices"),
    ("CD_Refresh", "Refresh", "Ageing, Credit and Dashboard from Customers and Invoices"),
    ("CD_PreviewReminders", "Preview reminders", "Today's reminders on the Reminders sheet"),
    ("CD_SendReminders", "Send reminders", "Hands the ticked reminders to the backend"),
    ("CD_Sync", "Sync", "Ledger to the backend; history, promises, disputes back"),
    ("CD_Score", "Score", "Payment scores, grades and recommended limits"),
    ("CD_Statements", "Statements", "Statements of account for the As Of Date's month"),
    ("CD_ProposePlan", "Propose plan", "A Proposed payment plan from the selected cells: "
     "customer, instalments, start date (frequency, invoices)"),
    ("CD_Handoff", "Hand-off", "The customer in Hand-off!B2 to an agency or solicitors"),
]
XLWINGS_CONF = [  # xlwings reads the first two columns of this sheet as its settings
    ["UDF Modules", "creditdesk_addin.desktop"],
    ["Use UDF Server", "True"],
]


def desktop_tables() -> dict:
    tables = {"Start": (["Macro", "Button", "What it does"],
                        [list(b) for b in BUTTONS])}
    tables.update(template_tables())
    return tables


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else HERE / "creditdesk-desktop.xlsx"
    tables = desktop_tables()
    write_workbook(out, tables, readme=True, created=CREATED,
                   widths={"Start": {"Macro": 22, "Button": 20, "What it does": 60},
                           "Templates": {"Subject": 45, "Body": 80},
                           "Settings": {"Setting": 28, "Value": 18, "Notes": 50}})
    _add_conf_sheet(out)
    print(f"Wrote {out}")
    return 0


def _add_conf_sheet(path: Path) -> None:
    """The xlwings.conf sheet: plain cells (no table, no header), as xlwings expects."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("xlwings.conf")
    for row in XLWINGS_CONF:
        ws.append(row)
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 20
    wb.properties.created = CREATED
    wb.properties.modified = CREATED
    wb.save(path)


if __name__ == "__main__":
    raise SystemExit(main())
