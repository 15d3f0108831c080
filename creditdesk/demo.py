"""``creditdesk demo``: a sample workbook, everything run on it, results to open."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from .ledger import build_ledger
from .report import Analysis
from .sample import sample_tables
from .xlsx_read import read_workbook
from .xlsx_write import write_results, write_workbook

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


def run_demo(out: Path, as_of: dt.date = DEMO_AS_OF) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    workbook = out / "creditdesk-demo.xlsx"
    results = out / "creditdesk-results.xlsx"
    mail_dir = out / "reminders"
    print(f"1/4 Building a sample workbook: {workbook}")
    write_workbook(workbook, sample_tables(as_of=as_of, messy=True))
    print("2/4 Reading it back and checking every row")
    analysis = Analysis(build_ledger(read_workbook(workbook)))
    print("3/4 Ageing, KPIs, credit checks, scores and today's reminders")
    docs = analysis.all_docs()
    write_results(results, docs)
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
    a, c, rem = docs["ageing"], docs["check"], docs["remind"]
    decisions = [r["decision"] for r in c["customers"]]
    print("4/4 Done.\n")
    print(f"As of {a['as_of']}: receivables {a['base_currency']} "
          f"{a['total']['outstanding']:,.2f}, of which overdue {a['total']['overdue']:,.2f}; "
          f"DSO {a['kpis']['dso_countback'] or 0:.1f} days (countback).")
    print(f"Credit: {decisions.count('Hold')} on hold, {decisions.count('Review')} to review, "
          f"{decisions.count('Approve')} approved.")
    print(f"Reminders: {len(rem['reminders'])} ready, {len(rem['skipped'])} skipped with a "
          f"reason; {len(docs['issues'])} issue(s) in the workbook.")
    print(f"\nOpen these:\n  {results}  (Dashboard, Ageing with chart, Credit, Scores, "
          f"Reminders, Issues)\n  {workbook}  (the sample input)\n  {mail_dir}/  (each "
          "reminder as an .eml e-mail draft)")
    return {"workbook": workbook, "results": results, "reminders": mail_dir}
