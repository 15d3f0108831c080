"""Benchmark: `creditdesk import` of a 100,000-line export into a contract workbook.

    .venv/bin/python bench/import.py [--write-docs] [--repeat N]

Two exports, seeded, written once into bench/.cache/: a Xero Aged Receivables Detail .xlsx
(title block, a contact heading and a total row per contact, number formats, dates as Excel
serials) and a QuickBooks Online A/R Aging Detail .csv (age-band sections, subtotals, money as
"1,200.00", US dates), each with 100,000 item lines for 5,000 customers. Timed in this process
(imports warm), alternately so a slow spell of the machine hits each alike:

(a) the whole import, ``creditdesk.cli.main.main(["import", FILE, "-o", OUT, "--json"])``:
    read, detect, parse, merge, write the workbook, the JSON report;
(b) read and parse alone, ``parse_export(read_export(FILE))``: the export read and parsed
    into items, contacts, notes and issues (what the plain read gives, and more);

each against the plain read of the same file, ``pandas.read_excel(FILE, engine="calamine")``
/ ``pandas.read_csv(FILE)``. The import's steps are timed one by one as well. Each figure is
wall-clock time, with this process's CPU time beside it (less disturbed by other work on a
busy machine; the targets are on wall-clock time). Checked before timing: the balances of the
written workbook per customer equal the generator's own sums to the cent. BRIEF §5 target:
under 5 s, within 2x of the plain read.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import gc
import io
import json
import os
import sys
import time
from pathlib import Path

import creditdesk
from bench.benchlib import CACHE, ROOT, best_median, machine, s, table, write_docs

LINES, CUSTOMERS, SEED = 100_000, 5_000, 11
TARGET_SECONDS, TARGET_RATIO = 5.0, 2.0
AS_AT = dt.date(2026, 11, 30)
XERO = CACHE / f"import-xero-detail-{LINES}-seed{SEED}.xlsx"
QBO = CACHE / f"import-qbo-aging-{LINES}-seed{SEED}.csv"


def _data():
    import numpy as np

    rng = np.random.default_rng(SEED)
    cust = np.sort(rng.integers(0, CUSTOMERS, LINES))
    age = rng.integers(-30, 200, LINES)
    amount = np.round(np.exp(rng.normal(6.5, 1.0, LINES)), 2)
    amount[rng.random(LINES) < 0.05] *= -1  # credit notes
    return cust, age, amount


def expected() -> dict[str, float]:
    cust, _, amount = _data()
    out: dict[str, float] = {}
    for c, a in zip(cust.tolist(), amount.tolist(), strict=True):
        out[f"Customer {c:05d} Ltd"] = out.get(f"Customer {c:05d} Ltd", 0.0) + a
    return {k: round(v, 2) for k, v in out.items()}


def make_xero() -> None:
    import xlsxwriter

    cust, age, amount = _data()
    wb = xlsxwriter.Workbook(str(XERO), {"constant_memory": True})
    ws = wb.add_worksheet("Aged Receivables Detail")
    money = wb.add_format({"num_format": "#,##0.00"})
    date = wb.add_format({"num_format": "d mmm yyyy"})
    bold = wb.add_format({"bold": True})
    for r, t in enumerate(["Aged Receivables Detail", "Bench Widgets Ltd",
                           "As at 30 November 2026", "Ageing by due date"]):
        ws.write_string(r, 0, t, bold)
    headers = ["Contact", "Invoice Date", "Due Date", "Invoice Number", "Invoice Reference",
               "Current", "< 1 Month", "1 Month", "2 Months", "3 Months", "Older", "Total"]
    for j, h in enumerate(headers):
        ws.write_string(5, j, h, bold)
    r = 6
    epoch = dt.datetime(1899, 12, 30)
    prev = -1
    total = 0.0
    for n in range(LINES):
        c = int(cust[n])
        if c != prev:
            if prev >= 0:
                ws.write_string(r, 0, f"Total Customer {prev:05d} Ltd", bold)
                ws.write_number(r, 11, round(total, 2), money)
                r += 1
            ws.write_string(r, 0, f"Customer {c:05d} Ltd", bold)
            r += 1
            prev, total = c, 0.0
        due = AS_AT - dt.timedelta(days=int(age[n]))
        inv = due - dt.timedelta(days=30)
        ws.write_number(r, 1, (dt.datetime.combine(inv, dt.time()) - epoch).days, date)
        ws.write_number(r, 2, (dt.datetime.combine(due, dt.time()) - epoch).days, date)
        ws.write_string(r, 3, f"INV-{n:06d}")
        a = float(amount[n])
        b = 0 if age[n] <= 0 else min(1 + int(age[n]) // 30, 5)
        for k in range(6):
            ws.write_number(r, 5 + k, a if k == b else 0.0, money)
        ws.write_number(r, 11, a, money)
        total += a
        r += 1
    ws.write_string(r, 0, f"Total Customer {prev:05d} Ltd", bold)
    ws.write_number(r, 11, round(total, 2), money)
    ws.write_string(r + 1, 0, "Total", bold)
    ws.write_number(r + 1, 11, round(float(amount.sum()), 2), money)
    wb.close()


def make_qbo() -> None:
    cust, age, amount = _data()
    order = sorted(range(LINES), key=lambda n: (-min(int(age[n]) // 30, 3), n))
    label = {3: "91 or more days past due", 2: "61 - 90 days past due",
             1: "31 - 60 days past due", 0: "1 - 30 days past due", -1: "Current"}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerows([["Bench Widgets Inc."], ["A/R Aging Detail"], ["As of November 30, 2026"], [],
                 ["", "Date", "Transaction type", "Num", "Customer full name",
                  "Location full name", "Due date", "Amount", "Open balance"]])
    section, sub = None, 0.0
    for n in order:
        band = -1 if age[n] <= 0 else min((int(age[n]) - 1) // 30, 3)
        if band != section:
            if section is not None:
                w.writerow([f"Total for {label[section]}"] + [""] * 6 + ["", f"{sub:,.2f}"])
            w.writerow([label[band]])
            section, sub = band, 0.0
        due = AS_AT - dt.timedelta(days=int(age[n]))
        inv = due - dt.timedelta(days=30)
        a = float(amount[n])
        kind = "Invoice" if a > 0 else "Credit Memo"
        w.writerow(["", inv.strftime("%m/%d/%Y"), kind, str(n), f"Customer {cust[n]:05d} Ltd",
                    "", due.strftime("%m/%d/%Y"), f"{a:,.2f}", f"{a:,.2f}"])
        sub += a
    w.writerow([f"Total for {label[section]}"] + [""] * 6 + ["", f"{sub:,.2f}"])
    w.writerow(["TOTAL"] + [""] * 6 + ["", f"${float(amount.sum()):,.2f}"])
    w.writerows([[], [" Monday, November 30, 2026 09:14 AM GMT-05:00"]])
    QBO.write_text(buf.getvalue(), encoding="utf-8-sig", newline="")


def check(book: Path) -> str:
    from creditdesk.files.xlsx_read import read_workbook

    raw = read_workbook(book)["invoices"]
    h = [x.casefold() for x in raw.header]
    got: dict[str, float] = {}
    cols = raw.columns
    for c, a, p in zip(cols[h.index("customer")], cols[h.index("amount")],
                       cols[h.index("paid")], strict=True):
        got[c] = got.get(c, 0.0) + a - (p if isinstance(p, float) else 0.0)
    want = expected()
    bad = [k for k in want if abs(round(got.get(k, 0.0), 2) - want[k]) > 0.005]
    if bad or len(got) != len(want) or len(cols[0]) != LINES:
        sys.exit(f"{book.name}: balances differ for {len(bad)} customers, e.g. {bad[:3]} "
                 f"({len(cols[0])} items)")
    return f"{len(cols[0]):,} items, {len(want):,} customers' balances equal to the cent"


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "unknown"


def _timed(fn) -> tuple[float, float]:
    """Wall-clock and CPU seconds (this process's) of one call."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


def alternately(fns: list, repeat: int) -> tuple[list[list[float]], list[list[float]]]:
    """Wall-clock and CPU seconds of ``repeat`` rounds of calls, one of each function per
    round, after one untimed round; a garbage collection before each call."""
    for fn in fns:
        fn()
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, ws, cs in zip(fns, wall, cpu, strict=True):
            gc.collect()
            w, c = _timed(fn)
            ws.append(w)
            cs.append(c)
    return wall, cpu


def steps(path: Path, out: Path, repeat: int
          ) -> list[tuple[str, list[float], list[float]]]:
    """The import's steps one by one, as ``creditdesk import`` runs them (the collector
    paused, as the command pauses it)."""
    from creditdesk.app.importing import import_sheets
    from creditdesk.files.exports import read_export
    from creditdesk.files.xlsx_write import template_tables, write_workbook
    from creditdesk.imports import merge, parse_export
    from creditdesk.imports.collector import paused

    state: dict = {}

    def read() -> None:
        state["sheets"] = read_export(path)

    def parse() -> None:
        state["result"] = parse_export(state["sheets"])

    def merged() -> None:
        state["merged"] = merge({}, state["result"])

    def write() -> None:
        if "run" not in state:  # the tables as the command writes them, made untimed
            state["run"] = import_sheets([state["sheets"]], {}, fresh=template_tables())
        write_workbook(out, state["run"].tables, readme=True)

    def report() -> None:
        json.dumps(state["run"].report(), ensure_ascii=False, indent=2, default=str)

    fns = [("read_export (python-calamine / csv)", read),
           ("parse_export (detect, sort the rows, read the columns, items)", parse),
           ("merge into the Customers and Invoices tables", merged),
           ("write_workbook (XlsxWriter, the bulk path of files/xlsx_bulk.py)", write),
           ("the JSON report", report)]
    got: list[tuple[str, list[float], list[float]]] = []
    for name, fn in fns:
        if fn is write:
            write()  # untimed: makes the tables
        ws, cs = [], []
        for _ in range(repeat):
            gc.collect()
            with paused():
                w, c = _timed(fn)
            ws.append(w)
            cs.append(c)
        got.append((name, ws, cs))
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write-docs", action="store_true",
                    help="rewrite the import section of docs/performance.md")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of each")
    args = ap.parse_args()
    import pandas as pd

    from creditdesk.cli.main import main as cli_main
    from creditdesk.files.exports import read_export
    from creditdesk.imports import parse_export

    CACHE.mkdir(parents=True, exist_ok=True)
    load = [_load()]
    src = Path(__file__)
    for path, make in ((XERO, make_xero), (QBO, make_qbo)):
        if not path.exists() or path.stat().st_mtime < src.stat().st_mtime:
            print(f"writing {path.relative_to(ROOT)} ...")
            make()
    rows = []
    checks = []
    verdicts = []
    step_rows = []
    for name, path, plain in (
            ("Xero Aged Receivables Detail .xlsx", XERO,
             lambda p=XERO: pd.read_excel(p, engine="calamine", header=None)),
            ("QuickBooks A/R Aging Detail .csv", QBO,
             lambda p=QBO: pd.read_csv(p, header=None, skiprows=4, dtype=str))):
        out = CACHE / f"imported-{path.stem}.xlsx"

        def imp(path: Path = path, out: Path = out) -> None:
            with open(os.devnull, "w") as f, contextlib.redirect_stdout(f):
                code = cli_main(["import", str(path), "-o", str(out), "--force", "--json"])
            if code != 0:
                sys.exit(f"creditdesk import {path.name} exited {code}")

        def read_parse(path: Path = path) -> None:
            result = parse_export(read_export(path))
            if len(result.items) != LINES:
                sys.exit(f"{path.name}: {len(result.items)} items read, not {LINES}")

        imp()
        checks.append(f"{name}: {check(out)}")
        with contextlib.redirect_stdout(io.StringIO()) as buf:
            cli_main(["import", str(path), "-o", str(out), "--force", "--json"])
        doc = json.loads(buf.getvalue())
        checks[-1] += f"; {len(doc['issues'])} issue(s), {len(doc['notes']):,} rows skipped"
        print(f"timing {path.name} ...")
        (t_imp, t_rp, t_plain), (c_imp, c_rp, c_plain) = alternately(
            [imp, read_parse, plain], args.repeat)
        ib, im = best_median(t_imp)
        rb, rm = best_median(t_rp)
        pb, pm = best_median(t_plain)
        ratio, rp_ratio = ib / pb, rb / pb
        ic, rc, pc = min(c_imp), min(c_rp), min(c_plain)
        size = path.stat().st_size / 1e6
        reader = ('pandas.read_excel(engine="calamine")' if path.suffix == ".xlsx"
                  else "pandas.read_csv")
        rows += [[f"(a) `creditdesk import` {name} ({size:.1f} MB) -o workbook --json",
                  s(ib), s(im), f"{ratio:.2f}x", s(ic), f"{ic / pc:.2f}x"],
                 ["(b) of which read and parse: `parse_export(read_export(FILE))`", s(rb),
                  s(rm), f"{rp_ratio:.2f}x", s(rc), f"{rc / pc:.2f}x"],
                 [f"plain read of the same file: `{reader}`", s(pb), s(pm), "1.00x", s(pc),
                  "1.00x"]]
        verdicts.append(
            f"{name}: (a) the whole import {s(ib)} (under {TARGET_SECONDS:g} s: "
            f"{'met' if ib < TARGET_SECONDS else 'MISSED'}), {ratio:.2f}x the plain read (at "
            f"most {TARGET_RATIO:g}x: {'met' if ratio <= TARGET_RATIO else 'MISSED'}; in CPU "
            f"time {ic / pc:.2f}x); (b) "
            f"read and parse {s(rb)}, {rp_ratio:.2f}x the plain read (at most "
            f"{TARGET_RATIO:g}x: {'met' if rp_ratio <= TARGET_RATIO else 'MISSED'}).")
        for step, ts, cs in steps(path, CACHE / f"steps-{path.stem}.xlsx",
                                  max(3, args.repeat // 2)):
            step_rows.append([f"{path.suffix[1:]}: {step}", s(min(ts)),
                              s(sorted(ts)[len(ts) // 2]), s(min(cs))])
    load.append(_load())
    result = table(["what (in process, imports warm)", "best", "median", "vs plain read",
                    "CPU best", "CPU vs plain read"], rows)
    step_table = table(["the import's steps, one by one", "best", "median", "CPU best"],
                       step_rows)
    print(result)
    print()
    print("\n".join(verdicts))
    print()
    print(step_table)
    if args.write_docs:
        body = "\n".join([
            f"Measured by `bench/import.py` ({LINES:,} item lines for {CUSTOMERS:,} customers "
            f"per export, seed {SEED}), creditdesk {creditdesk.__version__}; run alternately, "
            f"best and median of {args.repeat} after a warm-up, wall-clock; CPU: this "
            "process's CPU time (`time.process_time`), which the other work on a busy machine "
            "disturbs less (the targets are on the wall-clock figures):", "",
            *machine(f"not pinned ({len(os.sched_getaffinity(0))} cores usable)"
                     if hasattr(os, "sched_getaffinity") else ""),
            f"- load average (1 minute) when the run began and ended: {load[0]} and {load[1]}"
            " (the work of every process on the machine, this run's included)", "",
            result, "", *(f"- {v}" for v in verdicts), "",
            "Checked before timing: " + "; ".join(checks) + ".", "",
            step_table])
        write_docs("import", body)


if __name__ == "__main__":
    main()
