"""Writes the blank contract workbook: ``python workbook_templates/generate.py [out.xlsx]``.

The default output is ``workbook_templates/creditdesk.xlsx``, next to this script. The file is
reproducible (a fixed creation date), so regenerating it changes it only when the contract,
the default settings, the default dunning levels or the default templates change.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):  # run as a script from a checkout: find the package
    sys.path.insert(0, str(HERE.parent))

from creditdesk.files.xlsx_write import write_template  # noqa: E402

CREATED = dt.datetime(2025, 1, 1)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else HERE / "creditdesk.xlsx"
    write_template(out, created=CREATED)
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
