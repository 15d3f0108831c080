"""``creditdesk demo``: a sample workbook, everything run on it, results to open; then the
local backend started, the workbook synced and today's reminders sent through it, into an
outbox folder of real e-mails; then the hourly tick of the Statement Day, which mails each
customer with a balance a statement of account with its PDF.

The backend's clock is started on the Statement Day after the as-of date (``backend serve
--now``: the first weekday of the next month, 10:00 UTC, inside the Send Window), so the
statements go out whatever day the demo is run on.

What it sends, and the snapshot it syncs, come from the application layer
(``creditdesk.app``), as the CLI's and the add-in's do. The local backend runs as a child
process (``devkit.supervisor.LocalBackend``): this package never imports backend code.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from pathlib import Path
from typing import Any

from creditdesk.app.drafts import write_drafts
from creditdesk.app.reminders import new_batch_id, outgoing
from creditdesk.app.workbook import Workbook
from creditdesk.files.xlsx_write import write_results, write_workbook
from devkit.sample import sample_tables
from devkit.supervisor import BackendNotStarted, LocalBackend

DEMO_AS_OF = dt.date(2026, 11, 24)
STEPS = 7


def statement_day(as_of: dt.date) -> dt.date:
    """The demo's Statement Day: the first weekday of the month after ``as_of``."""
    day = (as_of.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _with_statement_day(tables: dict, day: dt.date) -> dict:
    """The sample's tables with its Settings' Statement Day set to ``day``'s day of the
    month."""
    header, rows = tables["Settings"]
    rows = [r for r in rows if str(r[0]).strip().casefold() != "statement day"]
    return {**tables, "Settings": (header, [*rows, ["Statement Day", day.day]])}


def _wait_for_statements(cd: Any, timeout: float = 90.0) -> list[Any]:
    """The backend's statement events once their number has stopped growing (the work item
    mails them one after another), or what there is after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    seen: list[Any] = []
    steady = 0
    while time.monotonic() < deadline:
        now = cd.history(type="statement")
        steady = steady + 1 if now and len(now) == len(seen) else 0
        seen = now
        if steady >= 3:
            break
        time.sleep(0.5)
    return seen


def _send_through_backend(wb: Workbook, docs: dict, outbox: Path) -> dict[str, Any]:
    """Steps 4-6 of the demo: start the local backend, sync, send (twice at once), send
    again; what happened, for the summary."""
    from creditdesk.api.client import Client

    outbox.mkdir(parents=True, exist_ok=True)
    for old in outbox.glob("*.eml"):
        old.unlink()
    reminders = outgoing(docs["remind"]["reminders"]).send
    day = wb.analysis.ledger.as_of_date
    stmt_day = statement_day(day)
    print(f"4/{STEPS} Starting the local backend (an AWS emulator and the Creditdesk API on "
          f"127.0.0.1), its clock at {stmt_day:%d %B %Y} 10:00 UTC, the Statement Day")
    t0 = time.monotonic()
    with LocalBackend(outbox, extra_args=("--now", f"{stmt_day}T10:00:00Z")) as b:
        print(f"    API at {b.url}, ready in {time.monotonic() - t0:.1f} s")
        with Client(b.url, b.api_key) as cd:
            snap = cd.sync_snapshot(wb.snapshot())
            print(f"5/{STEPS} Synced the workbook (snapshot {snap.version}: {snap.customers} "
                  f"customers, {snap.invoices} invoices); sending {len(reminders)} "
                  "reminders from two clients at once, as a double click would")
            batches: list[Any] = [None, None]

            def send(i: int) -> None:
                with Client(b.url, b.api_key) as c:
                    first = c.submit_reminders(reminders, batch_id=new_batch_id(day))
                    batches[i] = c.wait_for_batch(first.batch_id, timeout=120, poll=0.2)

            threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if None in batches:
                raise BackendNotStarted("the backend did not finish the batches")
            sent_at_once = sum(x.counts.sent for x in batches)
            print(f"    both clients done: {batches[0].counts.sent} + "
                  f"{batches[1].counts.sent} = {sent_at_once} sent, "
                  f"{sum(x.counts.skipped for x in batches)} skipped as already sent")
            print(f"6/{STEPS} Sending the same workbook again")
            again = cd.submit_reminders(reminders, batch_id=new_batch_id(day))
            again = cd.wait_for_batch(again.batch_id, timeout=120, poll=0.2)
            print(f"    {again.counts.sent} sent, {again.counts.skipped} skipped as already "
                  "sent: nothing new")
            print(f"7/{STEPS} The hourly tick of the Statement Day, twice at once: a "
                  "statement of account to each customer with a balance")
            b.signal(signal.SIGUSR1)
            time.sleep(0.2)  # two signals at once would be one
            b.signal(signal.SIGUSR1)
            statements = _wait_for_statements(cd)
            twice = len(statements) - len({(e.customer, e.currency) for e in statements})
            print(f"    {len(statements)} statement(s) mailed with the PDF attached"
                  + (", each once" if not twice else f"; {twice} SENT TWICE"))
            history = cd.history(type="reminder")
    mails = sorted(outbox.glob("*.eml"))
    return {"reminders": len(reminders), "sent_at_once": sent_at_once,
            "sent_again": again.counts.sent, "history": len(history),
            "statements": len(statements), "statement_day": stmt_day,
            "mails": len(mails) - len(statements)}


def run_demo(out: Path, as_of: dt.date = DEMO_AS_OF, backend: bool = True
             ) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    workbook = out / "creditdesk-demo.xlsx"
    results = out / "creditdesk-results.xlsx"
    mail_dir = out / "reminders"
    outbox = out / "outbox"
    print(f"1/{STEPS} Building a sample workbook: {workbook}")
    write_workbook(workbook, _with_statement_day(sample_tables(as_of=as_of, messy=True),
                                                 statement_day(as_of)))
    print(f"2/{STEPS} Reading it back and checking every row")
    wb = Workbook.read(workbook)
    analysis = wb.analysis
    print(f"3/{STEPS} Ageing, KPIs, credit checks, scores and today's reminders")
    docs = analysis.all_docs()
    write_results(results, docs, source_name=workbook.name)
    mail_dir.mkdir(exist_ok=True)
    for old in mail_dir.glob("*.eml"):
        old.unlink()
    write_drafts(docs["remind"]["reminders"], analysis.ledger.settings, mail_dir)
    sent: dict[str, Any] | None = None
    why_not = ""
    if backend:
        try:
            sent = _send_through_backend(wb, docs, outbox)
        except Exception as exc:  # the demo still leaves the offline results
            why_not = str(exc) or type(exc).__name__
    else:
        why_not = "--offline"
    a, c, rem = docs["ageing"], docs["check"], docs["remind"]
    decisions = [r["decision"] for r in c["customers"]]
    print("Done.\n")
    print(f"As of {a['as_of']}: receivables {a['base_currency']} "
          f"{a['total']['outstanding']:,.2f}, of which overdue {a['total']['overdue']:,.2f}; "
          f"DSO {a['kpis']['dso_countback'] or 0:.1f} days (countback).")
    print(f"Credit: {decisions.count('Hold')} on hold, {decisions.count('Review')} to review, "
          f"{decisions.count('Approve')} approved.")
    print(f"Reminders: {len(rem['reminders'])} ready, {len(rem['skipped'])} skipped with a "
          f"reason; {len(docs['issues'])} issue(s) in the workbook.")
    if sent is not None:
        print(f"Backend: {sent['mails']} e-mails sent through the local backend and recorded "
              f"in its history ({sent['history']} reminder events); sent twice at once and "
              f"then again, nothing was sent twice.")
        print(f"Statements: {sent['statements']} mailed on the Statement Day "
              f"({sent['statement_day']:%d %B %Y}), one per customer and currency with a "
              "balance, the PDF attached.")
    else:
        print(f"Backend: not used ({why_not}); the reminders are drafts only.")
    print(f"\nOpen these:\n  {results}  (Dashboard with the age chart, Ageing, Credit, Scores, "
          f"Reminders, Not chased, Issues)\n  {workbook}  (the sample input)")
    if sent is not None:
        print(f"  {outbox}/  (the e-mails the backend sent, one .eml each: reminders, and "
              "statements with their PDF)")
    print(f"  {mail_dir}/  (each reminder as an .eml draft, as previewed)")
    return {"workbook": workbook, "results": results, "reminders": mail_dir,
            "outbox": outbox}
