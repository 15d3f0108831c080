"""The hand-off pack as one zip file for a collection agency or a solicitor
(``creditdesk handoff``; what each file holds and why: docs/handoff.md).

``handoff-CUSTOMER-YYYY-MM-DD.zip`` holds

- ``summary.pdf``: one page: who, how much, the oldest item, what was done when, the status;
- ``statement-activity-CCY.pdf`` and ``statement-open-items-CCY.pdf`` per currency
  (``creditdesk.documents.pdf``);
- ``open-items.csv``, ``interest.csv`` (principal, due date, days, rate, interest,
  compensation, law per invoice), ``contact-history.csv`` and ``debtor.csv``.

The CSVs are UTF-8 with a byte-order mark (Excel then reads accents right) and every text
cell that a spreadsheet could take for a formula (``=``, ``+``, ``-``, ``@``, tab, CR) starts
with ``'`` (``creditdesk.domain.cells.neutralise``); numbers are written as numbers. The zip
is written to a temporary file beside it and moved into place, so no half pack is left.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import secrets
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from creditdesk.analysis.documents import HandoffPack, StatementsReport
from creditdesk.documents.pdf import (
    GREY,
    HEAD,
    MARGIN,
    WIDTH,
    clean,
    header,
    money,
    new_pdf,
    quiet_fonts,
    safe_name,
    statement_pdf,
)
from creditdesk.domain.cells import neutralise
from creditdesk.domain.errors import WorkbookError

EVENT_ROW = 4.2  # mm: a contact on the summary; the latest that fit are listed, the CSV has all
TO_WORDS = {"agency": "a collection agency", "legal": "solicitors (legal action)"}


def pack_name(pack: HandoffPack) -> str:
    return f"handoff-{safe_name(pack.debtor.customer)}-{pack.as_of.isoformat()}.zip"


def csv_bytes(header_row: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file Excel opens as it is: UTF-8 with a BOM, text that could be a formula
    quoted with a leading '."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(header_row)
    for row in rows:
        w.writerow(["" if v is None else neutralise(v) if isinstance(v, str) else v
                    for v in row])
    return out.getvalue().encode("utf-8-sig")


def open_items_csv(pack: HandoffPack) -> bytes:
    return csv_bytes(
        ["Invoice", "Type", "Invoice Date", "Due Date", "Currency", "Amount", "Outstanding",
         "Days Past Due", "Disputed", "Reference"],
        ([x.invoice, x.type, x.invoice_date.isoformat(), x.due_date.isoformat(), x.currency,
          x.amount, x.outstanding, x.days_overdue, "Yes" if x.disputed else "No", x.reference]
         for x in pack.open_items))


def interest_csv(pack: HandoffPack) -> bytes:
    return csv_bytes(
        ["Invoice", "Currency", "Principal", "Due Date", "Days", "Rate (%)", "Interest",
         "Compensation", "Law"],
        ([x.invoice, x.currency, x.principal, x.due_date.isoformat(), x.days,
          "" if x.rate is None else x.rate, x.interest, x.compensation, x.law]
         for x in pack.claims))


def history_csv(pack: HandoffPack) -> bytes:
    return csv_bytes(
        ["Date", "Type", "Channel", "Level", "Currency", "Email", "Message Id",
         "Delivery Events", "Note", "Event Id", "Source"],
        ([e.date.isoformat(), e.type, e.channel, e.level, e.currency, e.email, e.message_id,
          "; ".join(e.deliveries), e.note, e.event_id, e.source] for e in pack.history))


def debtor_csv(pack: HandoffPack) -> bytes:
    d = pack.debtor
    return csv_bytes(["Field", "Value"], [
        ["Customer", d.customer], ["Name", d.name], ["Contact Name", d.contact_name],
        ["Account Number", d.account], ["Address", ", ".join(d.address)],
        *([f"Address (line {k})", line] for k, line in enumerate(d.address, 1)),
        ["Email", d.email], ["CC", d.cc], ["Phone", d.phone]])


def summary_pdf(pack: HandoffPack) -> bytes:
    """One A4 page: who, how much, the oldest item, what was done when, the status."""
    d, c = pack.debtor, pack.company
    pdf = new_pdf()
    pdf.set_title(f"Hand-off summary: {clean(d.name)}")
    pdf.set_author(clean(c.name))
    pdf.footer_text = clean(f"{c.name} · Hand-off summary · {d.account} · {pack.as_of}")
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(False)  # one page: what does not fit is in the CSVs
    pdf.add_page()
    header(pdf, c, "Hand-off summary")
    y = MARGIN + 18

    def line(label: str, value: str, size: float = 9.0, bold: bool = False) -> None:
        nonlocal y
        pdf.text_at(MARGIN, y, 42, label, 8.5, colour=GREY)
        pdf.text_at(MARGIN + 42, y, WIDTH - 42, value, size, bold=bold)
        y += 4.8

    def title(text: str) -> None:
        nonlocal y
        y += 2
        pdf.text_at(MARGIN, y, WIDTH, text, 10.5, bold=True, colour=HEAD, h=5.5)
        y += 6.5

    title("Debtor")
    line("Name", d.name, 10, bold=True)
    line("Account", d.account)
    if d.contact_name:
        line("Contact", d.contact_name)
    line("Address", ", ".join(d.address) or "(none in the workbook)")
    line("Email", d.email or "(none)")
    line("Phone", d.phone or "(none)")
    title("Hand-off")
    line("To", TO_WORDS[pack.to])
    line("Status", f"Collection Status set to {pack.status} on {pack.as_of.isoformat()}",
         bold=True)
    line("As of", pack.as_of.isoformat())
    title("How much")
    for t in pack.totals:
        line(f"Outstanding ({t.currency})", money(t.outstanding, t.currency))
        line(f"Overdue ({t.currency})", money(t.overdue, t.currency))
        line("Interest / compensation", f"{money(t.interest, t.currency)} / "
             f"{money(t.compensation, t.currency)}")
        line(f"Claim ({t.currency})", money(t.claim, t.currency), bold=True)
    if pack.oldest is not None:
        o = pack.oldest
        line("Oldest item", f"{o.invoice}, due {o.due_date.isoformat()}, {o.days_overdue} days "
             f"past due, {money(o.outstanding, o.currency)} outstanding")
    title("What was done when")
    line("Source", pack.history_source)
    room = int((297.0 - MARGIN - 10 - y) / EVENT_ROW) - 1  # a line for "the latest N of M"
    shown = pack.history[-room:] if room > 0 else []
    if len(pack.history) > len(shown):
        line("", f"the latest {len(shown)} of {len(pack.history)} contacts; all are in "
             "contact-history.csv")
    for e in shown:
        what = e.type + (f" level {e.level}" if e.level is not None else "")
        what += f" ({e.channel})" if e.channel else ""
        detail = e.note or e.email
        if e.deliveries:
            detail = (detail + "; " if detail else "") + ", ".join(e.deliveries)
        pdf.text_at(MARGIN, y, 22, e.date.isoformat(), 8)
        pdf.text_at(MARGIN + 22, y, 48, what, 8)
        pdf.text_at(MARGIN + 70, y, WIDTH - 70, detail[:110], 8, colour=GREY)
        y += EVENT_ROW
    if not pack.history:
        line("", "no contact recorded")
    return bytes(pdf.output())


def members(pack: HandoffPack, statements: Sequence[StatementsReport]) -> dict[str, bytes]:
    """The zip's files, by name, in the order they are stored."""
    out = {"summary.pdf": summary_pdf(pack)}
    for report in statements:
        for s in report.statements:
            out[f"statement-{report.kind}-{safe_name(s.currency)}.pdf"] = statement_pdf(
                s, report.company, report.kind)
    out["open-items.csv"] = open_items_csv(pack)
    out["interest.csv"] = interest_csv(pack)
    out["contact-history.csv"] = history_csv(pack)
    out["debtor.csv"] = debtor_csv(pack)
    return out


def write_pack(pack: HandoffPack, statements: Sequence[StatementsReport], folder: Path, *,
               force: bool = False) -> tuple[Path, list[str]]:
    """The zip in ``folder``; an existing one is replaced only with ``force``. Returns its
    path and its members' names."""
    if not folder.is_dir():
        raise WorkbookError(f"cannot write into '{folder}': not a folder")
    path = folder / pack_name(pack)
    if path.exists() and not force:
        raise WorkbookError(f"{path} exists; use --force to overwrite it")
    with quiet_fonts():
        files = members(pack, statements)
    tmp = folder / f".~{path.stem}.{secrets.token_hex(4)}.zip"
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
        os.replace(tmp, path)
    except OSError as exc:
        raise WorkbookError(f"cannot write '{path}': {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return path, list(files)
