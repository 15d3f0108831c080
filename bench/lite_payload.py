"""Measure: how large a Refresh's Office.js request and response are, by invoice rows.

    .venv/bin/python -m bench.lite_payload [--write-docs] [--rows 2000,10000,...]

Excel on the web caps each Office.js request and response at 5 MB. In xlwings Lite, a script
that takes an ``xw.Book`` gets the values of every sheet its ``include=`` names in one read
(the request Excel answers), and its writes go back as actions (the response Excel applies).
This builds sample workbooks (``devkit.sample.sample_tables``, 25 invoices per customer),
turns each into the payload Excel's client sends (``devkit.officejs``, dates as ISO text and as
serial numbers), runs Refresh through the xlwings engine and measures both JSON texts as
JavaScript writes them (no spaces). A straight line through the points gives the invoice rows
at which each reaches 5 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # this measurement's engine only

LIMIT = 5_000_000  # bytes: "5 MB"; 5 MiB (5,242,880) would allow about 5% more
ROWS = (2_000, 10_000, 20_000, 40_000)


def measure(rows: int, dates: str, folder: Path) -> tuple[int, int]:
    import xlwings as xw

    from creditdesk.files.xlsx_write import write_workbook
    from creditdesk_addin import scripts
    from devkit.officejs import payload_from_file
    from devkit.sample import sample_tables

    path = folder / f"sample-{rows}.xlsx"
    if not path.exists():
        write_workbook(path, sample_tables(customers=rows // 25, invoices_per_customer=25.0))
    payload = payload_from_file(path, reader="calamine", dates=dates)
    keep = set(scripts.INCLUDE["refresh"])
    for s in payload["sheets"]:  # what include= leaves out arrives without values
        if s["name"] not in keep:
            s["values"] = [[]]
    request = json.dumps(payload, separators=(",", ":"))
    book = xw.Book(json=json.loads(request))
    scripts.refresh(book)
    response = json.dumps(book.json(), separators=(",", ":"), default=str)
    return len(request.encode()), len(response.encode())


def fit(points: list[tuple[int, int]]) -> tuple[float, float]:
    """Least squares: bytes = a + b * rows."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    b = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    return my - b * mx, b


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.lite_payload")
    p.add_argument("--rows", default=",".join(map(str, ROWS)))
    p.add_argument("--write-docs", action="store_true")
    args = p.parse_args(argv)
    rows = [int(x) for x in args.rows.split(",")]
    lines = ["| invoice rows | request, ISO dates | request, serial dates | response |",
             "|---:|---:|---:|---:|"]
    results: dict[str, list[tuple[int, int]]] = {"iso": [], "serial": [], "response": []}
    with tempfile.TemporaryDirectory() as tmp:
        for n in rows:
            iso_req, resp = measure(n, "iso", Path(tmp))
            serial_req, _ = measure(n, "serial", Path(tmp))
            results["iso"].append((n, iso_req))
            results["serial"].append((n, serial_req))
            results["response"].append((n, resp))
            lines.append(f"| {n:,} | {iso_req / 1e6:.2f} MB | {serial_req / 1e6:.2f} MB | "
                         f"{resp / 1e6:.2f} MB |")
    out = ["\n".join(lines), ""]
    for key, what in (("iso", "request, dates as ISO text"),
                      ("serial", "request, dates as serial numbers"),
                      ("response", "response (the actions)")):
        a, b = fit(results[key])
        at = (LIMIT - a) / b
        out.append(f"- {what}: {b:,.0f} bytes per invoice row + {a / 1e3:,.0f} KB; "
                   f"5 MB at about **{at:,.0f} invoice rows**")
    body = "\n".join(out)
    print(body)
    if args.write_docs:
        from bench.benchlib import write_docs

        write_docs("lite-payload", "Measured by `bench/lite_payload.py` (25 invoices per "
                   "customer, Refresh's `include=`):\n\n" + body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
