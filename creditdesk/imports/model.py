"""What an import reads and what it gives back: sheets of cell values in; items, contacts,
notes and issues out. Pure data; no file is opened here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from creditdesk.domain.issues import Issue


@dataclass
class Sheet:
    """One sheet of an export (a CSV file is one sheet with no name): its rows of cell values
    from worksheet row ``first_row`` (1-based, as Excel shows it)."""

    source: str  # the file name, as the user gave it
    name: str  # the sheet's name; '' for a CSV file
    rows: list[list]
    first_row: int = 1

    @property
    def where(self) -> str:
        """How an issue names the sheet: the file, and the sheet inside a workbook."""
        return f"{self.source} [{self.name}]" if self.name else self.source


@dataclass(slots=True)
class Item:
    """One open item (or settled document) of the export, in the workbook contract's terms.
    (Slots: an import holds 100,000 of them, and the garbage collector walks fewer objects.)"""

    invoice: str
    customer: str  # the customer's key in the export (account number, else name)
    name: str  # the customer's name as the export shows it
    invoice_date: dt.date | None
    due_date: dt.date | None
    amount: float
    paid: float = 0.0
    currency: str = ""
    reference: str = ""
    kind: str = "invoice"  # invoice, credit note, payment, overpayment, prepayment, ...
    row: int = 0
    where: str = ""
    amount_known: bool = False  # the document's own total is known, not only what is open
    dated: bool = True  # the export gave its date (False: dated by its due date or the export's)

    @property
    def outstanding(self) -> float:
        return self.amount - self.paid


@dataclass(slots=True)
class Contact:
    """What the export knows about a customer beyond its items."""

    key: str
    name: str
    email: str = ""
    cc: str = ""
    terms: int | None = None
    credit_limit: float | None = None
    currency: str = ""
    row: int = 0
    where: str = ""


@dataclass
class ImportResult:
    format: str = ""  # the format's name, as printed: "Xero Aged Receivables Detail"
    format_id: str = ""  # as --format takes it: "xero-aged-detail"
    sources: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)  # rows skipped, columns matched, choices
    issues: list[Issue] = field(default_factory=list)  # problems a user should look at
    as_at: dt.date | None = None  # the export's own date ("As at 30 November 2026")
    currency: str = ""  # the export's single currency when it says one (column or symbols)
    currency_from: str = ""  # how that currency is known
    lists_items: bool = False  # the export is a list of open items (absence = settled)
    candidates: int = 0  # rows that looked like items
    unusable: int = 0  # of those, rows that could not be used at all
    matched: dict[str, str] = field(default_factory=dict)  # field -> the header it was read from

    def extend(self, other: ImportResult) -> None:
        """Another file's result added to this one (several SOURCE files in one import)."""
        if not self.format:
            self.format, self.format_id = other.format, other.format_id
        elif other.format and other.format not in self.format.split(" + "):
            self.format += " + " + other.format
            self.format_id += "+" + other.format_id
        self.sources += other.sources
        self.items += other.items
        self.contacts += other.contacts
        self.notes += other.notes
        self.issues += other.issues
        self.as_at = self.as_at or other.as_at
        if other.currency and not self.currency:
            self.currency, self.currency_from = other.currency, other.currency_from
        self.lists_items = self.lists_items or other.lists_items
        self.candidates += other.candidates
        self.unusable += other.unusable
        for k, v in other.matched.items():
            self.matched.setdefault(k, v)

    @property
    def mostly_unusable(self) -> bool:
        """Most of the rows that looked like items could not be used."""
        return self.candidates > 0 and self.unusable * 2 > self.candidates
