"""Statements by mail through the local stack (`creditdesk backend serve` as a child process,
its clock started on a Statement Day with `--now`; the CLI syncs the workbook against it):
two hourly ticks fired at once (SIGUSR1) mail each customer with a balance one statement per
currency, with the PDF attached, exactly once; Sync brings the Statement rows into the
workbook's History."""

from __future__ import annotations

import email
import io
import os
import signal
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import pytest
from pypdf import PdfReader

from creditdesk.app.workbook import Workbook
from creditdesk.domain.contract import HISTORY
from creditdesk.files.xlsx_write import write_workbook
from devkit.supervisor import LocalBackend
from tests.builders import customer, days_before, invoice, tables

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs SIGUSR1")]
ROOT = Path(__file__).resolve().parents[2]
# Wednesday 1 July 2026, 11:00 in London: Statement Day 1 is a business day, the Send Window
# (09:00-17:00) is open; the statements are June's
STATEMENT_DAY = "2026-07-01T10:00:00Z"
SENDER = "credit.control@acme.example"


def ledger(path: Path) -> Path:
    custs = [customer("DE1", Name="Zoë Müller GmbH", Language="de"),
             customer("UK1", Name="Wonka Trading Ltd", Email="ap@wonka.example.com"),
             customer("PAID", Name="Paid Up Ltd")]
    invs = [invoice("DE-1", 1234.56, days_before(10), "DE1", Reference="PO-4711"),
            invoice("DE-2", 300.0, days_before(5), "DE1", Currency="GBP"),
            invoice("UK-1", 80.25, days_before(40), "UK1"),
            invoice("P-1", 500.0, days_before(60), "PAID", Paid=500.0,
                    **{"Settled Date": days_before(50)})]
    write_workbook(path, tables(custs, invs, {
        "Company Name": "Acme Supplies Ltd", "Sender Email": SENDER,
        "Reply To": "ar@acme.example", "Time Zone": "Europe/London",
        "Send Window": "09:00-17:00", "Country": "GB", "Statement Day": 1},
        fx={"GBP": 1.17}, extra={"History": ([c.header for c in HISTORY.columns], [])}))
    return path


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "creditdesk.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"not within {seconds:.0f} s: {what}")


def statement_files(outbox: Path) -> list[Path]:
    return sorted(p for p in outbox.glob("*.eml") if "statement" in p.name)


def test_the_local_stack_mails_each_statement_once_with_its_pdf(tmp_path):
    workbook = ledger(tmp_path / "ledger.xlsx")
    outbox = tmp_path / "outbox"
    with LocalBackend(outbox, schedules=False,
                      extra_args=("--now", STATEMENT_DAY, "--verbose")) as b:
        env = {**os.environ, "CREDITDESK_URL": b.url, "CREDITDESK_API_KEY": b.api_key}
        r = cli("sync", str(workbook), "--days", "400", env=env)  # from before the 1 July
        assert r.returncode == 0, r.stderr
        # two ticks at once, as two overlapping invocations would be: both may find the
        # statements due; the claims let each statement go once
        b.signal(signal.SIGUSR1)
        time.sleep(0.2)  # two signals at once would be one
        b.signal(signal.SIGUSR1)
        wait_for(lambda: b.log_text().count("ran tick") == 2, 60, "both ticks ran")
        files = wait_for(lambda: len(statement_files(outbox)) >= 3 and statement_files(outbox),
                         90, "three statements in the outbox")
        time.sleep(5)  # a second work item, if any, has had time to send again
        assert statement_files(outbox) == files
        b.signal(signal.SIGUSR1)  # a later tick the same day: done for the month
        wait_for(lambda: b.log_text().count("ran tick") == 3, 60, "the third tick ran")
        time.sleep(3)
        assert statement_files(outbox) == files
        assert b.log_text().rstrip().count("ran tick: []") == 1  # the third found nothing due
        r = cli("sync", str(workbook), "--days", "400", env=env)  # from before the 1 July
        assert r.returncode == 0, r.stderr
    assert [p.name for p in files] == ["DE1-EUR-statement-2026-06.eml",
                                       "DE1-GBP-statement-2026-06.eml",
                                       "UK1-EUR-statement-2026-06.eml"]
    texts = {}
    for p in files:
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        assert msg["From"].addresses[0].addr_spec == SENDER
        assert str(msg["Reply-To"]) == "ar@acme.example"
        pdfs = [part for part in msg.iter_attachments()
                if part.get_content_type() == "application/pdf"]
        assert len(pdfs) == 1 and pdfs[0].get_filename() == p.stem + ".pdf"
        reader = PdfReader(io.BytesIO(pdfs[0].get_content()))
        texts[p.stem] = ("\n".join(page.extract_text() for page in reader.pages),
                         msg.get_body(("plain",)).get_content())
    pdf, mail = texts["DE1-EUR-statement-2026-06"]
    assert "Zoë Müller GmbH" in pdf and "DE-1" in pdf and "1,234.56" in pdf
    assert "DE-2" not in pdf  # the GBP invoice is on the GBP statement
    assert mail.startswith("Guten Tag") and "1.234,56" in mail
    assert "DE-2" in texts["DE1-GBP-statement-2026-06"][0]
    pdf, mail = texts["UK1-EUR-statement-2026-06"]
    assert "Wonka Trading Ltd" in pdf and "UK-1" in pdf and "80.25" in pdf
    assert "80.25" in mail
    # Sync wrote one Statement row per statement into the workbook's History
    history = Workbook.read(workbook).tables["history"]
    rows = [dict(zip(history.header, r, strict=True)) for r in zip(*history.columns,
                                                                    strict=True)]
    sent = sorted((r["Customer"], r["Currency"]) for r in rows if r["Type"] == "Statement")
    assert sent == [("DE1", "EUR"), ("DE1", "GBP"), ("UK1", "EUR")]
    assert "History: 3 row(s) added" in r.stdout and "(3 statement)" in r.stdout
