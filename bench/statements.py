"""Benchmark: 1,000 one-page statements of account as PDF files, against the same statements
as plain text files, in the same run.

    .venv/bin/python -m bench.statements [--write-docs] [--count N] [--repeat N]

The ledger is the sample's (``devkit.sample.sample_tables``, 1,300 customers, seed 7, as of
2026-11-24); the statements are its activity statements for November (the period
``creditdesk statements`` takes by default), the first ``--count`` of them. Timed, in turn so a
slow spell of the machine hits each alike:

(a) the PDFs on both cores: two worker processes (started inside the timing) each render and
    write half of the statements with ``creditdesk.documents.pdf.statement_pdf``;
(b) the PDFs in this one process, the same way;
(c) the same statements as plain text files (every figure the PDF has, one line each), in
    this process: the cost of the files without the PDFs;

and, once, the documents themselves (``statements_report``: the ledger's statements for the
period, rounded). Checked before timing: each statement's opening balance plus its lines is
its closing balance to the cent; after: every PDF has one page and shows its closing balance.
Issue 12 target: (a) under 20 s on this machine's two cores.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import creditdesk
from bench.benchlib import best_median, machine, s, table, write_docs

COUNT, CUSTOMERS, SEED = 1_000, 1_300, 7
TARGET_SECONDS = 20.0
START = dt.date(2026, 11, 1)


def report(count: int):
    """The statements to write and the seconds it took to make their documents."""
    from creditdesk.analysis.statements import statements_report
    from creditdesk.domain.ledger import build_ledger, raw_tables
    from devkit.sample import sample_tables

    ledger = build_ledger(raw_tables(sample_tables(customers=CUSTOMERS, seed=SEED)))
    t = time.perf_counter()
    doc = statements_report(ledger, START)
    took = time.perf_counter() - t
    if len(doc.statements) < count:
        sys.exit(f"only {len(doc.statements)} statements in the sample; fewer than {count}")
    return doc.model_copy(update={"statements": doc.statements[:count]}), took


def check(doc) -> str:
    for st in doc.statements:
        total = round(st.opening_balance * 100) + sum(round(ln.amount * 100) for ln in st.lines)
        if total != round(st.closing_balance * 100):
            sys.exit(f"{st.customer} {st.currency}: opening + lines != closing")
    lines = [len(st.lines) for st in doc.statements]
    return (f"{len(doc.statements):,} statements, {sum(lines):,} lines (up to {max(lines)} "
            f"a statement); each adds up to its closing balance to the cent")


def text_file(st, company) -> str:
    """The plain text a statement's PDF shows, one figure a line."""
    out = [company.name, "Statement of account", st.name, *st.address,
           f"Account {st.account}", f"Currency {st.currency}",
           f"Period {st.start.isoformat()} to {st.end.isoformat()}",
           f"Opening balance {st.opening_balance:,.2f}"]
    for ln in st.lines:
        due = ln.due_date.isoformat() if ln.due_date else ""
        out.append(f"{ln.date.isoformat()}  {ln.type:<15} {ln.reference:<14} {due:<10} "
                   f"{ln.amount:>12,.2f} {ln.balance:>12,.2f}")
    out.append(f"Closing balance {st.closing_balance:,.2f}")
    out += [f"{b.label} {b.amount:,.2f}" for b in st.ageing]
    out.append(f"Remittance: account {st.account}, amount due {st.amount_due:,.2f}")
    return "\n".join(out) + "\n"


def write_pdfs(doc, folder: str) -> int:
    from creditdesk.documents.pdf import statement_file_name, statement_pdf

    for st in doc.statements:
        Path(folder, statement_file_name(st)).write_bytes(statement_pdf(st, doc.company))
    return len(doc.statements)


def write_texts(doc, folder: str) -> int:
    from creditdesk.documents.pdf import statement_file_name

    for st in doc.statements:
        name = statement_file_name(st).replace(".pdf", ".txt")
        Path(folder, name).write_text(text_file(st, doc.company), encoding="utf-8")
    return len(doc.statements)


def pdfs_on_two_cores(doc, folder: str) -> None:
    half = len(doc.statements) // 2
    parts = [doc.model_copy(update={"statements": doc.statements[:half]}),
             doc.model_copy(update={"statements": doc.statements[half:]})]
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        done = sum(pool.map(write_pdfs, parts, [folder, folder]))
    if done != len(doc.statements):
        sys.exit(f"{done} PDFs written, not {len(doc.statements)}")


def verify(doc, folder: str) -> str:
    from pypdf import PdfReader

    from creditdesk.documents.pdf import figure, statement_file_name

    pages = []
    for st in doc.statements:
        reader = PdfReader(Path(folder, statement_file_name(st)))
        pages.append(len(reader.pages))
        if f"Closing balance {figure(st.closing_balance)}" not in reader.pages[0].extract_text():
            sys.exit(f"{statement_file_name(st)}: its closing balance is not on its page")
    if set(pages) != {1}:
        sys.exit(f"not every PDF has one page: {sorted(set(pages))} pages")
    size = sum(Path(folder, statement_file_name(st)).stat().st_size for st in doc.statements)
    return f"every PDF has one page and shows its closing balance; {size / 1e6:.1f} MB in all"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write-docs", action="store_true",
                    help="rewrite the statements section of docs/performance.md")
    ap.add_argument("--count", type=int, default=COUNT, help="statements to write")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs of each")
    args = ap.parse_args()
    load = [os.getloadavg()[0]]
    doc, made = report(args.count)
    checked = check(doc)
    root = Path(tempfile.mkdtemp(prefix="cd-statements-"))
    try:
        runs = {"a": [], "b": [], "c": []}
        for _ in range(args.repeat):
            for key, fn in (("a", pdfs_on_two_cores), ("b", write_pdfs), ("c", write_texts)):
                folder = root / f"{key}{len(runs[key])}"
                folder.mkdir()
                print(f"timing ({key}) ...", flush=True)
                t = time.perf_counter()
                fn(doc, str(folder))
                runs[key].append(time.perf_counter() - t)
        verified = verify(doc, str(root / "a0"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    load.append(os.getloadavg()[0])
    _report(args, doc, made, checked, verified, runs, load)


def _report(args, doc, made, checked, verified, runs, load) -> None:
    n = len(doc.statements)
    (ab, am), (bb, bm), (cb, cm) = (best_median(runs[k]) for k in "abc")
    rows = [[f"(a) {n:,} PDFs, two worker processes", s(ab), s(am), f"{ab / cb:.1f}x",
             f"{ab / n * 1000:.1f} ms"],
            [f"(b) {n:,} PDFs, one process", s(bb), s(bm), f"{bb / cb:.1f}x",
             f"{bb / n * 1000:.1f} ms"],
            [f"(c) {n:,} plain text files, one process", s(cb), s(cm), "1.0x",
             f"{cb / n * 1000:.2f} ms"]]
    verdict = "met" if ab < TARGET_SECONDS else "MISSED"
    body = "\n".join([
        f"Measured by `bench/statements.py` ({n:,} activity statements of the sample ledger, "
        f"{CUSTOMERS:,} customers, seed {SEED}, {START:%B %Y}), creditdesk "
        f"{creditdesk.__version__}; best and median of {args.repeat}:",
        "", *machine("not pinned (2 cores usable)"),
        f"- load average (1 minute) when the run began and ended: {load[0]:.1f} and "
        f"{load[1]:.1f} (the work of every process on the machine, this run's included)",
        "", table(["what", "best", "median", "vs text", "a statement"], rows), "",
        f"- (a) {s(ab)} for {n:,} PDFs on two cores (under {TARGET_SECONDS:.0f} s: {verdict}); "
        f"a PDF costs {bb / cb:.1f}x its plain text file in one process.",
        f"- The documents themselves (`statements_report`, the whole ledger's statements for "
        f"the month): {s(made)}.",
        f"- Checked: {checked}; {verified}.",
    ])
    print(body)
    if args.write_docs:
        write_docs("statements", body)


if __name__ == "__main__":
    main()
