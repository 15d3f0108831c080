"""Statements and letters written as PDF files into a folder (``creditdesk statements -o``,
``creditdesk letters -o``). The documents themselves are rendered by ``creditdesk.documents``
(which the Lambda imports too); this module only names and writes the files."""

from __future__ import annotations

from pathlib import Path

from creditdesk.analysis.documents import LettersReport, StatementsReport
from creditdesk.documents.letter_pdf import (
    batch_file_name,
    batch_pdf,
    letter_file,
    letter_file_name,
)
from creditdesk.documents.pdf import quiet_fonts, statement_file_name, statement_pdf
from creditdesk.domain.errors import WorkbookError


def file_paths(folder: Path, names: list[str], force: bool) -> list[Path]:
    """The files to write in ``folder``, a name that repeats made unique (``-2``, ``-3``
    before its last ``-part``); refused (nothing written) when one exists, unless ``force``."""
    if not folder.is_dir():
        raise WorkbookError(f"cannot write into '{folder}': not a folder")
    paths, seen = [], set()
    for name in names:
        unique, n = name, 1
        while unique in seen:
            n += 1
            stem, _, last = name.rpartition("-")
            unique = f"{stem}-{n}-{last}"
        seen.add(unique)
        paths.append(folder / unique)
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise WorkbookError(f"{existing[0]} exists (and {len(existing) - 1} more); use "
                            "--force to overwrite")
    return paths


def write_statement_pdfs(report: StatementsReport, folder: Path, *, force: bool = False
                         ) -> list[Path]:
    """One PDF per statement in ``folder`` (CUSTOMER-CURRENCY-statement.pdf; two keys that
    make the same safe name get -2, -3, ...). An existing file is overwritten only with
    ``force``; nothing is written when one would be refused."""
    paths = file_paths(folder, [statement_file_name(s) for s in report.statements], force)
    with quiet_fonts():
        for s, path in zip(report.statements, paths, strict=True):
            path.write_bytes(statement_pdf(s, report.company, report.kind))
    return paths


def write_letter_pdfs(report: LettersReport, folder: Path, *, force: bool = False
                      ) -> tuple[list[Path], Path | None]:
    """A PDF per letter (CUSTOMER-CURRENCY-letter.pdf) and the batch
    (letters-YYYYMMDD.pdf; none without letters) in ``folder``."""
    names = [letter_file_name(x) for x in report.letters]
    if report.letters:
        names.append(batch_file_name(report))
    paths = file_paths(folder, names, force)
    if not report.letters:
        return [], None
    day = report.date.isoformat()
    pages = []
    with quiet_fonts():
        for letter, path in zip(report.letters, paths, strict=False):
            data, n = letter_file(letter, report.company, day)
            path.write_bytes(data)
            pages.append(n)
        paths[-1].write_bytes(batch_pdf(report, pages))
    return paths[:-1], paths[-1]


