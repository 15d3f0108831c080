"""``creditdesk demo``: a sample workbook, everything run on it, results to open; then the
local backend started, the workbook synced and today's reminders sent through it, into an
outbox folder of real e-mails.

What it sends, and the snapshot it syncs, come from the application layer
(``creditdesk.app``), as the CLI's and the add-in's do. The local backend runs as a child
process (``python -m backend.ops serve``): this package never imports backend code.
``LocalBackend`` is also what the end-to-end tests and the benchmark use to start it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import IO, Any

from creditdesk.app.reminders import new_batch_id, outgoing
from creditdesk.app.workbook import Workbook
from creditdesk.files.xlsx_write import write_results, write_workbook
from devkit.sample import sample_tables

DEMO_AS_OF = dt.date(2026, 11, 24)


def preview_message(reminder: dict, sender: str, reply_to: str, company: str) -> EmailMessage:
    """A reminder as an unsent e-mail (Outlook opens ``X-Unsent: 1`` files as drafts)."""
    msg = EmailMessage()
    msg["Subject"] = reminder["subject"]
    msg["From"] = formataddr((company, sender))
    msg["To"] = reminder["to"]
    if reminder["cc"]:
        msg["Cc"] = reminder["cc"]
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg["X-Unsent"] = "1"
    msg.set_content(reminder["text"])
    msg.add_alternative(reminder["html"], subtype="html")
    return msg


class BackendNotStarted(RuntimeError):
    pass


class LocalBackend:
    """The local stack (``creditdesk backend serve``) as a child process::

        with LocalBackend(outbox) as b:
            client = Client(b.url, b.api_key)

    ``info`` is its ready line: ``{"url", "api_key", "aws_endpoint", "outbox"}``. Always
    stopped on exit (SIGTERM, then kill after ``grace`` seconds)."""

    def __init__(self, outbox: Path, *, schedules: bool = False, timeout: float = 90.0,
                 grace: float = 20.0, extra_args: tuple[str, ...] = ()) -> None:
        self.outbox = Path(outbox)
        self.schedules = schedules
        self.timeout = timeout
        self.grace = grace
        self.extra_args = extra_args
        self.proc: subprocess.Popen | None = None
        self.info: dict[str, str] = {}
        self._log: IO[bytes] | None = None

    @staticmethod
    def available() -> bool:
        try:
            return importlib.util.find_spec("backend.ops") is not None
        except (ImportError, ValueError):
            return False

    @property
    def url(self) -> str:
        return self.info["url"]

    @property
    def api_key(self) -> str:
        return self.info["api_key"]

    def log_text(self) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")

    def start(self) -> dict[str, str]:
        if not self.available():
            raise BackendNotStarted("the backend is not installed here (pip install -e "
                                    "'.[backend,local]')")
        args = [sys.executable, "-m", "backend.ops", "serve", "--outbox", str(self.outbox),
                *([] if self.schedules else ["--no-schedule"]), *self.extra_args]
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (lives as long as the child)
            prefix="creditdesk-backend-", suffix=".log", delete=False)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._log, env=env)
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(self.timeout)
        if not line or not line[0].strip():
            log = self.log_text().strip().splitlines()
            self.stop()
            raise BackendNotStarted("the local backend did not start"
                                    + (f": {log[-1]}" if log else ""))
        self.info = json.loads(line[0])
        return self.info

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self) -> int | None:
        p, self.proc = self.proc, None
        code = None
        if p is not None:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM if hasattr(signal, "SIGTERM") else signal.SIGINT)
                try:
                    code = p.wait(self.grace)
                except subprocess.TimeoutExpired:
                    p.kill()
                    code = p.wait(10)
            else:
                code = p.returncode
            if p.stdout:
                p.stdout.close()
        if self._log is not None:
            self._log.close()
            with contextlib.suppress(OSError):
                os.unlink(self._log.name)
            self._log = None
        return code

    def __enter__(self) -> LocalBackend:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _send_through_backend(wb: Workbook, docs: dict, outbox: Path) -> dict[str, Any]:
    """Steps 4-6 of the demo: start the local backend, sync, send (twice at once), send
    again; what happened, for the summary."""
    from creditdesk.api.client import Client

    outbox.mkdir(parents=True, exist_ok=True)
    for old in outbox.glob("*.eml"):
        old.unlink()
    reminders = outgoing(docs["remind"]["reminders"]).send
    day = wb.analysis.ledger.as_of_date
    print("4/6 Starting the local backend (an AWS emulator and the Creditdesk API on "
          "127.0.0.1)")
    t0 = time.monotonic()
    with LocalBackend(outbox) as b:
        print(f"    API at {b.url}, ready in {time.monotonic() - t0:.1f} s")
        with Client(b.url, b.api_key) as cd:
            snap = cd.sync_snapshot(wb.snapshot())
            print(f"5/6 Synced the workbook (snapshot {snap.version}: {snap.customers} "
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
            print("6/6 Sending the same workbook again")
            again = cd.submit_reminders(reminders, batch_id=new_batch_id(day))
            again = cd.wait_for_batch(again.batch_id, timeout=120, poll=0.2)
            print(f"    {again.counts.sent} sent, {again.counts.skipped} skipped as already "
                  "sent: nothing new")
            history = cd.history(type="reminder")
    mails = sorted(outbox.glob("*.eml"))
    return {"reminders": len(reminders), "sent_at_once": sent_at_once,
            "sent_again": again.counts.sent, "history": len(history), "mails": len(mails)}


def run_demo(out: Path, as_of: dt.date = DEMO_AS_OF, backend: bool = True
             ) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    workbook = out / "creditdesk-demo.xlsx"
    results = out / "creditdesk-results.xlsx"
    mail_dir = out / "reminders"
    outbox = out / "outbox"
    print(f"1/6 Building a sample workbook: {workbook}")
    write_workbook(workbook, sample_tables(as_of=as_of, messy=True))
    print("2/6 Reading it back and checking every row")
    wb = Workbook.read(workbook)
    analysis = wb.analysis
    print("3/6 Ageing, KPIs, credit checks, scores and today's reminders")
    docs = analysis.all_docs()
    write_results(results, docs, source_name=workbook.name)
    mail_dir.mkdir(exist_ok=True)
    for old in mail_dir.glob("*.eml"):
        old.unlink()
    s = analysis.ledger.settings
    for r in docs["remind"]["reminders"]:
        if r["channel"] != "Email":
            continue
        msg = preview_message(r, s.sender_email or "", s.reply_to or "", s.company_name)
        name = f"{r['customer']}-{r['currency']}-level{r['level']}.eml"
        (mail_dir / name).write_bytes(bytes(msg))
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
    else:
        print(f"Backend: not used ({why_not}); the reminders are drafts only.")
    print(f"\nOpen these:\n  {results}  (Dashboard with the age chart, Ageing, Credit, Scores, "
          f"Reminders, Not chased, Issues)\n  {workbook}  (the sample input)")
    if sent is not None:
        print(f"  {outbox}/  (the e-mails the backend sent, one .eml each)")
    print(f"  {mail_dir}/  (each reminder as an .eml draft, as previewed)")
    return {"workbook": workbook, "results": results, "reminders": mail_dir,
            "outbox": outbox}
