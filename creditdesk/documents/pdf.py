"""Statements of account as PDF documents (bytes), with fpdf2.

fpdf2 is pure Python (and so is fontTools, which it uses for fonts), so the same code runs in
the CLI, in a Lambda (the backend mails statements) and anywhere a wheel installs; it embeds
TrueType fonts as subsets and writes real text, which pypdf (and a screen reader, and a
customer's copy and paste) reads back. The font is DejaVu Sans (``creditdesk/documents/fonts``,
Bitstream Vera licence, ``LICENSE-DejaVu.txt``), cut down (fontTools' subsetter) to Latin-1,
Latin Extended-A (the letters of Western, Central and Northern European names: é, ü, ø,
ł, ő, š, ...), Romanian ș ț, the typographic punctuation and the currency signs (£, €, ...),
415 glyphs, so that each file parses and embeds it quickly; a letter outside it (another
script) is left blank (``missing_letters`` names them, for the commands to say).

One statement per file: A4 portrait, the company's header, the customer's name and postal
address where a window envelope shows it (Settings' Envelope Window: UK DL or DIN 5008, with
the fold marks in the margin), the statement's account, period
and currency, the lines with their running balance, the closing balance, the ageing footer,
the payment details (left out when Settings has none) and a remittance slip at the foot of
the last page. Figures are written as ``1,234.56`` (``-1,234.56`` for a credit), dates as
ISO ``2026-11-24``, as the results workbook has them.

This package (``creditdesk.documents``) renders; it writes no file and imports no workbook
library, so the Lambda imports it (statements by mail, the debtor page's download). Writing
the PDFs into a folder is ``creditdesk.files.pdf_files``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from creditdesk.analysis.documents import BeforeAction, Company, Statement

FONTS = Path(__file__).with_name("fonts")
FONT = "DejaVu"
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹"}
MARGIN = 15.0  # mm
WIDTH = 210.0 - 2 * MARGIN
# date, type, reference, due, amount, balance (mm)
COLUMNS = (("Date", 24.0, "L"), ("Type", 30.0, "L"), ("Reference", 50.0, "L"),
           ("Due", 24.0, "L"), ("Amount", 26.0, "R"), ("Balance", 26.0, "R"))
ROW = 4.8  # mm, a table row
SLIP_HEIGHT = 40.0  # mm, the remittance slip at the foot of the last page
GREY, RULE, HEAD = (89, 89, 89), (191, 191, 191), (68, 114, 196)
BLACK, WHITE = (0, 0, 0), (255, 255, 255)
BOLD = 0.028  # mm of outline stroke per point of type: the bold weight
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def figure(x: float) -> str:
    """An amount as the statement prints it: 1,234.56; -1,234.56."""
    return f"{x:,.2f}"


def money(x: float, currency: str) -> str:
    """An amount with its currency: £1,234.56, €-50.00, CHF 75.00."""
    sign = SYMBOLS.get(currency)
    return f"{sign}{figure(x)}" if sign else f"{currency} {figure(x)}"


def clean(text: object) -> str:
    """Text from the workbook on one line: control characters (CR, LF, tabs) become spaces."""
    return _CONTROL.sub(" ", str(text if text is not None else "")).strip()


def reference(s: Statement) -> str:
    """What the customer quotes with the payment: the account and the statement's date."""
    return f"{s.account}-{s.end:%Y%m%d}"


class Pdf:
    """What a Creditdesk PDF adds to fpdf2's ``FPDF`` (``new_pdf`` makes one of both): A4
    portrait with the one embedded face; bold is drawn by stroking the letters' outline in
    their own colour as well as filling them (``put(bold=True)``), which spares each file
    parsing and embedding a second font (half of a statement's time)."""

    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 8)
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.footer_text = ""
        self.currency = ""  # the table's, for its header on a new page

    def add_font(self, *args: Any, **kwargs: Any) -> None:
        """fpdf2's, with the glyphs' stored bounding boxes kept (fontTools' recalcBBoxes
        off): the font's subset is then written from the glyphs' own bytes instead of each
        glyph being decoded and encoded again, a third of a statement's time."""
        super().add_font(*args, **kwargs)
        for font in self.fonts.values():
            if hasattr(font, "ttfont"):
                font.ttfont.recalcBBoxes = False

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.put(WIDTH / 2, 4, self.footer_text, 7.5, colour=GREY)
        self.put(WIDTH / 2, 4, f"Page {self.page_no()} of {{nb}}", 7.5, colour=GREY,
                 align="R")

    def put(self, w: float, h: float, text: str, size: float = 9.0, *, bold: bool = False,
            colour: tuple[int, int, int] = BLACK, align: str = "L", fill: bool = False
            ) -> None:
        """A cell of text at the current position (workbook text on one line)."""
        self.set_font(FONT, "", size)
        self.set_text_color(*colour)
        if not bold:
            self.cell(w, h, clean(text), align=align, fill=fill)
            return
        with self.local_context(text_mode="FILL_STROKE", line_width=size * BOLD,
                                draw_color=colour):
            self.cell(w, h, clean(text), align=align, fill=fill)

    def text_at(self, x: float, y: float, w: float, text: str, size: float = 9.0,
                bold: bool = False, align: str = "L", h: float = 4.6,
                colour: tuple[int, int, int] = BLACK) -> None:
        self.set_xy(x, y)
        self.put(w, h, text, size, bold=bold, colour=colour, align=align)


@functools.cache
def _document_class() -> type:
    # fpdf2 is imported when a PDF is made: xlwings Lite imports this package without it
    from fpdf import FPDF

    return type("CreditdeskPdf", (Pdf, FPDF), {})


def new_pdf() -> Any:
    """A new, empty document (``Pdf`` on fpdf2's ``FPDF``)."""
    return _document_class()()


def statement_title(kind: str) -> str:
    return "Statement of account" if kind == "activity" else "Statement of open items"


def statement_pdf(s: Statement, company: Company, kind: str = "activity") -> bytes:
    """One statement of account as the bytes of a PDF file."""
    title = statement_title(kind)
    pdf = new_pdf()
    pdf.set_title(f"{title}: {clean(s.name)} ({s.currency})")
    pdf.set_author(clean(company.name))
    pdf.alias_nb_pages()
    statement_pages(pdf, s, company, kind)
    return bytes(pdf.output())


def statement_pages(pdf: Pdf, s: Statement, company: Company, kind: str = "activity",
                    claim: BeforeAction | None = None) -> None:
    """The statement's pages, from a new page on, in ``pdf`` (its own file, or enclosed
    after a letter before action: ``claim``, whose interest and compensation follow the
    closing balance as lines, with how each was computed, to the amount claimed)."""
    title = statement_title(kind)
    pdf.add_page()  # (closes the page before, with its own footer)
    pdf.footer_text = clean(f"{company.name} · {title} · {s.account} · {s.end.isoformat()}")
    header(pdf, company, title)
    bottom = address_block(pdf, s.name, s.address, company)
    _facts(pdf, s, kind, claim)
    pdf.set_y(max(92.0, bottom + 5))
    _lines(pdf, s, kind)
    _closing(pdf, s)
    if claim is not None:
        _charges(pdf, s, claim)
    _ageing(pdf, s)
    payment_details(pdf, company)
    _slip(pdf, s, company, claim)
    pdf.set_auto_page_break(True, margin=MARGIN + 8)  # (the slip turned it off)


def header(pdf: Pdf, company: Company, title: str = "") -> None:
    """The company's name and contact on the left, ``title`` on the right, a rule below."""
    pdf.text_at(MARGIN, MARGIN, WIDTH * 0.6, company.name, 15, bold=True, h=7)
    contact = " · ".join(clean(x) for x in (company.email, company.phone) if x)
    if contact:
        pdf.text_at(MARGIN, MARGIN + 8, WIDTH * 0.6, contact, 8.5, colour=GREY)
    if title:
        pdf.text_at(MARGIN + WIDTH * 0.5, MARGIN, WIDTH * 0.5, title, 14, bold=True,
                    align="R", h=7, colour=HEAD)
    pdf.set_draw_color(*HEAD)
    pdf.set_line_width(0.5)
    pdf.line(MARGIN, MARGIN + 14, MARGIN + WIDTH, MARGIN + 14)
    pdf.set_line_width(0.2)


@dataclass(frozen=True)
class Window:
    """Where a window envelope shows the address on an A4 sheet (mm from the top left), and
    where the sheet is folded to fit it."""

    x: float
    address_y: float  # the first line of the address
    folds: tuple[float, ...]
    return_y: float | None = None  # a return-address line above the address (DIN 5008)


WINDOWS = {
    # A4 folded in three into a DL envelope, window on the left: 20 mm in, 50 mm down.
    "UK DL": Window(20.0, 50.0, (99.0, 198.0)),
    # DIN 5008 form B: the address field 45 mm down, 20 mm in; its first 17.7 mm are the
    # return-address zone; folds at 105 and 210 mm.
    "DIN 5008": Window(20.0, 62.7, (105.0, 210.0), return_y=56.0),
}
LINE = 5.0  # mm, an address line


def window(company: Company) -> Window:
    return WINDOWS.get(company.envelope_window, WINDOWS["UK DL"])


def address_block(pdf: Pdf, name: str, address: list[str], company: Company) -> float:
    """Name and address where the envelope's window shows them (Settings' Envelope Window),
    the fold marks in the left margin; returns where the address ends."""
    w = window(company)
    if w.return_y is not None:
        pdf.text_at(w.x, w.return_y, 85, f"{company.name}", 7, colour=GREY, h=4)
    pdf.set_draw_color(*GREY)
    for y in w.folds:
        pdf.line(4, y, 8, y)
    y = w.address_y
    lines = address[:7]
    # the window takes six lines at 10 pt; a longer address is set closer
    size, step = (10.0, LINE) if len(lines) <= 5 else (8.5, 27.0 / (len(lines) + 1))
    pdf.text_at(w.x, y, 85, name, size, bold=True, h=step)
    for line in lines:
        y += step
        pdf.text_at(w.x, y, 85, line, size, h=step)
    return y + step


def _facts(pdf: Pdf, s: Statement, kind: str, claim: BeforeAction | None = None) -> None:
    """Account, currency, date and period, on the right beside the address."""
    facts = [("Account", s.account), ("Currency", s.currency),
             ("Statement date", s.end.isoformat())]
    if kind == "activity":
        facts.append(("Period", f"{s.start.isoformat()} to {s.end.isoformat()}"))
    else:
        facts.append(("Open items at", s.end.isoformat()))
    facts.append(("Balance" if claim else "Amount due", money(s.amount_due, s.currency)))
    if claim is not None:
        facts.append(("Amount claimed", money(claim.claimed, s.currency)))
    facts_block(pdf, facts)


def facts_block(pdf: Pdf, facts: list[tuple[str, str]]) -> None:
    """Labelled facts on the right, beside the address; the last one (what is due) bold."""
    y, x = 50.0, 120.0
    for k, (label, value) in enumerate(facts):
        pdf.text_at(x, y, 30, label, 8.5, colour=GREY)
        pdf.text_at(x + 30, y, 45, value, 9, bold=k == len(facts) - 1, align="R")
        y += 5.5


def _table_head(pdf: Pdf, currency: str) -> None:
    pdf.set_fill_color(*HEAD)
    for name, w, align in COLUMNS:
        label = f"{name} ({currency})" if align == "R" else name
        pdf.put(w, ROW + 0.8, label, 8.5, bold=True, colour=WHITE, align=align, fill=True)
    pdf.ln(ROW + 0.8)


def _row(pdf: Pdf, cells: Iterable[str], bold: bool = False, shade: bool = False) -> None:
    if pdf.will_page_break(ROW):
        pdf.add_page()
        pdf.set_y(MARGIN + 4)
        _table_head(pdf, pdf.currency)
    pdf.set_fill_color(242, 242, 242)
    for text, (_, w, align) in zip(cells, COLUMNS, strict=True):
        pdf.put(w, ROW, text, 8.5, bold=bold, align=align, fill=shade)
    pdf.ln(ROW)


def _lines(pdf: Pdf, s: Statement, kind: str) -> None:
    pdf.currency = s.currency
    _table_head(pdf, s.currency)
    if kind == "activity":
        _row(pdf, (s.start.isoformat(), "Opening balance", "", "", "",
                   figure(s.opening_balance)), bold=True)
    for k, ln in enumerate(s.lines):
        due = ln.due_date.isoformat() if ln.due_date else ""
        _row(pdf, (ln.date.isoformat(), ln.type, ln.reference, due, figure(ln.amount),
                   figure(ln.balance)), shade=k % 2 == 1)
    if not s.lines:
        _row(pdf, ("", "No transactions in the period" if kind == "activity"
                   else "No open items", "", "", "", ""))


def _closing(pdf: Pdf, s: Statement) -> None:
    pdf.set_draw_color(*RULE)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + WIDTH, pdf.get_y())
    _row(pdf, (s.end.isoformat(), "Closing balance", "", "", "", figure(s.closing_balance)),
         bold=True)
    pdf.ln(2)


def _charges(pdf: Pdf, s: Statement, claim: BeforeAction) -> None:
    """The interest and compensation added since the debt was incurred (the Protocol's
    3.2(a)), one line each with how it was computed, then the amount claimed."""
    if pdf.will_page_break(3 * ROW):
        pdf.add_page()
        pdf.set_y(MARGIN + 4)
    pdf.ln(1)
    pdf.set_x(MARGIN)
    pdf.put(WIDTH, ROW + 1, "Interest and charges added since the debt was incurred", 9,
            bold=True)
    pdf.ln(ROW + 1)
    balance = s.closing_balance
    if claim.not_claimed:
        balance -= claim.not_claimed
        _row(pdf, ("", "Not claimed", "items not yet due, or credits", "",
                   figure(-claim.not_claimed), figure(balance)))
    if not claim.charges:
        _row(pdf, ("", "None", "no interest or other charges are added", "", "",
                   figure(balance)))
    for k, c in enumerate(claim.charges):
        balance += c.amount
        _row(pdf, (c.date.isoformat(), c.type, c.reference, "", figure(c.amount),
                   figure(balance)), shade=k % 2 == 1)
        pdf.set_font(FONT, "", 7.5)
        pdf.set_text_color(*GREY)
        pdf.set_x(MARGIN + COLUMNS[0][1])
        pdf.multi_cell(WIDTH - COLUMNS[0][1], 3.6, clean(c.how), align="L")
        pdf.set_text_color(*BLACK)
        pdf.ln(0.8)
    pdf.set_draw_color(*RULE)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + WIDTH, pdf.get_y())
    _row(pdf, (s.end.isoformat(), "Amount claimed", "", "", "", figure(claim.claimed)),
         bold=True)
    pdf.ln(2)


def _ageing(pdf: Pdf, s: Statement) -> None:
    """The closing balance by age: one box per bucket, then the unapplied credits."""
    bands = s.ageing
    if not bands:
        return
    if pdf.will_page_break(16):
        pdf.add_page()
    y = pdf.get_y() + 2
    pdf.text_at(MARGIN, y, WIDTH, f"Ageing of the balance ({s.currency})", 9, bold=True)
    w = WIDTH / len(bands)
    pdf.set_draw_color(*RULE)
    for k, band in enumerate(bands):
        x = MARGIN + k * w
        pdf.rect(x, y + 5.5, w, 11)
        label = band.label if not band.label[0].isdigit() else f"{band.label} days"
        pdf.text_at(x, y + 6, w, label, 7.5, align="C", h=4.5, colour=GREY)
        pdf.text_at(x, y + 11, w, figure(band.amount), 9, bold=True, align="C", h=4.5)
    pdf.set_y(y + 19)


def payment_details(pdf: Pdf, company: Company) -> None:
    if not company.payment_details:
        return
    lines = [clean(x) for x in str(company.payment_details).splitlines() if clean(x)]
    if pdf.will_page_break(6 + 4.6 * len(lines)):
        pdf.add_page()
    y = pdf.get_y()
    pdf.text_at(MARGIN, y, WIDTH, "How to pay", 9, bold=True)
    for line in lines:
        y += 4.6
        pdf.text_at(MARGIN, y, WIDTH, line, 9)
    pdf.set_y(y + 6)


def _slip(pdf: Pdf, s: Statement, company: Company, claim: BeforeAction | None = None
          ) -> None:
    """The remittance slip, at the foot of the last page below a cut line."""
    top = 297.0 - MARGIN - 4 - SLIP_HEIGHT
    if pdf.get_y() > top - 2:
        pdf.add_page()
    pdf.set_auto_page_break(False)  # the slip is placed, not flowed
    pdf.set_draw_color(*GREY)
    pdf.set_dash_pattern(dash=1.5, gap=1.2)
    pdf.line(MARGIN, top, MARGIN + WIDTH, top)
    pdf.set_dash_pattern()
    pdf.text_at(MARGIN, top + 1, WIDTH, "Remittance slip: please detach and return with your "
                "payment", 7.5, colour=GREY)
    y = top + 8
    pdf.text_at(MARGIN, y, WIDTH / 2, f"To: {company.name}", 10, bold=True, h=5)
    pdf.text_at(MARGIN, y + 6, WIDTH / 2, f"From: {s.name}", 9)
    due = (("Amount claimed", money(claim.claimed, s.currency)) if claim is not None else
           ("Amount due", money(s.amount_due, s.currency)))
    rows = (("Account", s.account), ("Reference", reference(s)), due, ("Amount paid", ""))
    for k, (label, value) in enumerate(rows):
        yy = y + k * 7
        pdf.text_at(105, yy, 35, label, 8.5, h=6, colour=GREY)
        pdf.set_draw_color(*RULE)
        pdf.rect(140, yy, 55, 6)
        pdf.text_at(141, yy, 53, value, 9.5, bold=k == 2, align="R", h=6)


# -- letters the font lacks ------------------------------------------------------------


@functools.cache
def font_letters() -> frozenset[int]:
    """The characters the embedded font has."""
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(FONTS / "DejaVuSans.ttf").getBestCmap())


def missing_letters(texts: Iterable[str]) -> str:
    """The letters of ``texts`` the font lacks (they print blank), in order: "東京"."""
    have = font_letters()
    seen = dict.fromkeys(ch for t in texts for ch in clean(t)
                         if ord(ch) not in have and not ch.isspace())
    return "".join(seen)


def statement_missing(s: Statement) -> str:
    return missing_letters([s.name, *s.address, *(ln.reference for ln in s.lines)])


@contextlib.contextmanager
def quiet_fonts() -> Iterator[None]:
    """fpdf2's warning per file about letters its font lacks, silenced: the commands say it
    once a document, in words (``missing_letters``)."""
    log = logging.getLogger("fpdf")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


# -- file names -------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str) -> str:
    """A file name part from a customer key: letters, digits, '.', '_' and '-' only."""
    return _UNSAFE.sub("_", text).strip("._") or "customer"


def statement_file_name(s: Statement) -> str:
    return f"{safe_name(s.customer)}-{safe_name(s.currency)}-statement.pdf"
