"""Writes the blank contract workbook: ``python -m workbook_templates.generate [out.xlsx]``.

The default output is ``workbook_templates/creditdesk.xlsx``, next to this script. The file is
reproducible (a fixed creation date), so regenerating it changes it only when the contract,
the default settings, the default dunning levels or the default templates change.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from creditdesk.files.xlsx_write import write_template

HERE = Path(__file__).resolve().parent
CREATED = dt.datetime(2025, 1, 1)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else HERE / "creditdesk.xlsx"
    write_template(out, created=CREATED)
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
