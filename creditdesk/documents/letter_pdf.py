"""Printed letters as PDF files (issue 12, item 3), laid out as the statements are
(``creditdesk.documents.pdf``: the same page, font, header and window-envelope address).

A letter: the company's header; the customer's name and postal address in the envelope's
window (Settings' Envelope Window: UK DL or DIN 5008) with the fold marks in the margin; the
date, account, reference and amount due beside it; the subject; the reminder's text as its
template made it, the invoice tables in a fixed-width face so their columns line up; how the
interest and compensation were computed, invoice by invoice; the payment details. The batch
is one PDF for printing: a cover list (customer, level, currency, total, pages), then every
letter, each starting on a new page.

A letter before action (docs/letters.md) adds the date to reply by beside the address, and
reads in order: the template's text up to {before_action} (``Letter.text``), the
before-action section (its paragraphs, how the interest and compensation were computed, how
to pay, what is enclosed), then the rest of the template (``Letter.closing``: the sign-off).
Under the Protocol (an Individual or Sole Trader) it goes on with a page of what to do (with
the reply address) and the up-to-date statement of account, as the statement's own pages,
with the interest and compensation claimed as its lines and the amount claimed.
"""

from __future__ import annotations

import re

from creditdesk.analysis.documents import BeforeAction, Company, Letter, LettersReport
from creditdesk.documents.pdf import (
    BLACK,
    FONTS,
    GREY,
    MARGIN,
    WIDTH,
    Pdf,
    address_block,
    clean,
    facts_block,
    missing_letters,
    money,
    new_pdf,
    payment_details,
    safe_name,
    statement_pages,
)
from creditdesk.documents.pdf import header as page_header

MONO = "DejaVuMono"
_TABLE_LINE = re.compile(r"\S {2,}\S")  # columns set apart by runs of spaces


def letter_file_name(letter: Letter) -> str:
    return f"{safe_name(letter.customer)}-{safe_name(letter.currency)}-letter.pdf"


def batch_file_name(report: LettersReport) -> str:
    return f"letters-{report.date:%Y%m%d}.pdf"


def _new() -> Pdf:
    pdf = new_pdf()
    pdf.add_font(MONO, "", str(FONTS / "DejaVuSansMono.ttf"))
    pdf.alias_nb_pages()
    return pdf


def letter_pdf(letter: Letter, company: Company, day_text: str) -> bytes:
    """One letter as the bytes of a PDF file."""
    return letter_file(letter, company, day_text)[0]


def letter_file(letter: Letter, company: Company, day_text: str) -> tuple[bytes, int]:
    """The letter's PDF and its number of pages."""
    pdf = _new()
    pdf.set_title(clean(f"{letter.subject} ({letter.name})"))
    pdf.set_author(clean(company.name))
    _letter_pages(pdf, letter, company, day_text)
    return bytes(pdf.output()), pdf.pages_count


COVER_ROWS = 40  # letters listed on a cover page


def batch_pdf(report: LettersReport, pages: list[int] | None = None) -> bytes:
    """Every letter of the report in one PDF, after a cover list with the pages each letter
    takes, for printing. ``pages``: each letter's number of pages, when known."""
    day = report.date.isoformat()
    if pages is None:
        pages = [letter_file(x, report.company, day)[1] for x in report.letters]
    pdf = _new()
    pdf.set_title(f"Letters of {day}")
    pdf.set_author(clean(report.company.name))
    pdf.footer_text = clean(f"{report.company.name} · letters of {day}")
    cover = max(1, -(-len(report.letters) // COVER_ROWS))
    first = [cover + 1 + sum(pages[:k]) for k in range(len(pages))]
    for k in range(cover):
        part = slice(k * COVER_ROWS, (k + 1) * COVER_ROWS)
        _cover(pdf, report, report.letters[part], first[part], pages[part])
    for letter in report.letters:
        _letter_pages(pdf, letter, report.company, day)
    return bytes(pdf.output())


def _cover(pdf: Pdf, report: LettersReport, letters: list[Letter], first: list[int],
           pages: list[int]) -> None:
    pdf.add_page()
    page_header(pdf, report.company, "Letters to print")
    pdf.text_at(MARGIN, 34, WIDTH, f"{len(report.letters)} letters of "
                f"{report.date.isoformat()}, one a customer and currency", 10)
    widths = (24.0, 62.0, 34.0, 16.0, 28.0, 16.0)
    heads = ("Customer", "Name", "Level", "Currency", "Total", "Pages")
    pdf.set_xy(MARGIN, 44)
    for w, h in zip(widths, heads, strict=True):
        pdf.put(w, 6, h, 8.5, bold=True, align="R" if h in ("Total", "Pages") else "L")
    pdf.ln(6)
    for letter, start, n in zip(letters, first, pages, strict=True):
        cells = (letter.customer, letter.name, letter.level_name, letter.currency,
                 f"{letter.total:,.2f}", f"{start}-{start + n - 1}" if n > 1 else str(start))
        pdf.set_x(MARGIN)
        for w, text, h in zip(widths, cells, heads, strict=True):
            pdf.put(w, 5, text, 8.5, align="R" if h in ("Total", "Pages") else "L")
        pdf.ln(5)


def _letter_pages(pdf: Pdf, letter: Letter, company: Company, day_text: str) -> None:
    pdf.add_page()  # (closes the page before, with its own footer)
    pdf.footer_text = clean(f"{company.name} · {letter.reference}")
    page_header(pdf, company)
    bottom = address_block(pdf, letter.name, letter.address, company)
    lba = letter.before_action
    facts = [("Date", day_text), ("Account", letter.account), ("Reference", letter.reference)]
    if lba:
        facts.append(("Reply by", lba.reply_by.isoformat()))
    facts_block(pdf, [*facts, ("Amount due", money(letter.total, letter.currency))])
    pdf.set_xy(MARGIN, max(98.0, bottom + 8))
    pdf.put(WIDTH, 6, letter.subject, 10.5, bold=True)
    pdf.ln(9)
    _body(pdf, letter.text)
    if lba:
        # body, the before-action section, how to pay, what is enclosed, then the sign-off
        _heading(pdf, f"Letter before action under {lba.rules}")
        _paragraphs(pdf, lba.paragraphs)
    if letter.computation:
        _computation(pdf, letter)
    elif lba:
        pdf.ln(2)
    payment_details(pdf, company)
    if lba:
        _enclosures(pdf, lba)
        if letter.closing:
            pdf.ln(2)
            _body(pdf, letter.closing)
        if lba.steps:
            _steps_page(pdf, letter, lba, company)
        if lba.statement is not None:
            statement_pages(pdf, lba.statement, company, "open-items", lba)


def _heading(pdf: Pdf, text: str) -> None:
    if pdf.will_page_break(14):
        pdf.add_page()
    pdf.ln(3)
    pdf.set_x(MARGIN)
    pdf.put(WIDTH, 5, text, 9.5, bold=True)
    pdf.ln(6)


def _paragraphs(pdf: Pdf, texts: list[str], size: float = 10.0, bullet: str = "") -> None:
    pdf.set_font("DejaVu", "", size)
    pdf.set_text_color(*BLACK)
    for k, text in enumerate(texts, 1):
        pdf.set_x(MARGIN)
        mark = f"{k}. " if bullet == "1" else bullet
        pdf.multi_cell(WIDTH, size / 2, clean(mark + text), align="L")
        pdf.ln(1.5)


def _enclosures(pdf: Pdf, lba: BeforeAction) -> None:
    if not lba.enclosures:
        return
    _heading(pdf, "Enclosed")
    _paragraphs(pdf, lba.enclosures, 9.0, "- ")


def _steps_page(pdf: Pdf, letter: Letter, lba: BeforeAction, company: Company) -> None:
    """An Individual's page: what to do now, by when, and where to reply."""
    pdf.add_page()
    page_header(pdf, company, "What you should do now")
    pdf.set_xy(MARGIN, 36)
    pdf.put(WIDTH, 6, f"Our letter {letter.reference} of the same date: {letter.name}, "
            f"account {letter.account}, {money(letter.total, letter.currency)}", 9.5)
    pdf.ln(8)
    pdf.set_x(MARGIN)
    pdf.put(WIDTH, 6, f"Please reply by {lba.reply_by.isoformat()} ({lba.reply_days} days "
            "from the date of the letter).", 10.5, bold=True)
    pdf.ln(9)
    _paragraphs(pdf, lba.steps, 10.0, "1")
    _heading(pdf, "Send the Reply Form (and the Financial Statement) to")
    _paragraphs(pdf, lba.reply_address, 10.0)
    _heading(pdf, "The forms enclosed with the letter")
    _paragraphs(pdf, lba.enclosures[1:], 9.0, "- ")
    pdf.set_x(MARGIN)
    pdf.set_text_color(*GREY)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(WIDTH, 4, clean(f"The forms are those of {lba.rules} ({lba.source})."),
                   align="L")
    pdf.set_text_color(*BLACK)


def _body(pdf: Pdf, text: str) -> None:
    """The reminder's text: paragraphs wrapped to the page, table lines in the fixed face."""
    for line in text.splitlines():
        pdf.set_x(MARGIN)
        if not line.strip():
            pdf.ln(2.5)
        elif _TABLE_LINE.search(line):
            pdf.set_font(MONO, "", 8)
            pdf.set_text_color(*BLACK)
            pdf.cell(WIDTH, 4, line.rstrip().replace("\t", " "))
            pdf.ln(4)
        else:
            pdf.set_font("DejaVu", "", 10)
            pdf.set_text_color(*BLACK)
            pdf.multi_cell(WIDTH, 5, clean(line))


def _computation(pdf: Pdf, letter: Letter) -> None:
    """How the interest and compensation were computed: each sentence kept on one page, the
    heading with the first."""
    pdf.set_font("DejaVu", "", 8.5)
    heights = [4.3 * len(pdf.multi_cell(WIDTH, 4.3, clean(x), dry_run=True, output="LINES"))
               for x in letter.computation]
    if pdf.will_page_break(8.5 + (heights[0] if heights else 0)):
        pdf.add_page()
    pdf.ln(3)
    pdf.set_x(MARGIN)
    pdf.put(WIDTH, 5, "How the interest and compensation were computed", 9, bold=True)
    pdf.ln(5.5)
    pdf.set_font("DejaVu", "", 8.5)
    pdf.set_text_color(*GREY)
    for sentence, height in zip(letter.computation, heights, strict=True):
        if pdf.will_page_break(height):
            pdf.add_page()
        pdf.set_x(MARGIN)
        pdf.set_font("DejaVu", "", 8.5)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(WIDTH, 4.3, clean(sentence))
    pdf.set_text_color(*BLACK)
    pdf.ln(3)


def letter_missing(letter: Letter) -> str:
    """The letters of the letter's text the fonts lack (they print blank)."""
    lba = letter.before_action
    more = [*lba.paragraphs, *lba.steps, *lba.reply_address] if lba else []
    return missing_letters([letter.name, *letter.address, letter.subject, letter.text,
                            letter.closing, *more])
