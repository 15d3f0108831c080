"""Imports: an accounting system's export (rows of cell values) into the workbook contract.

Pure: sheets of cell values in, items, contacts, notes and issues out, then merged into a
workbook's tables; no file is read or written here (``creditdesk.files.exports`` reads the
files), so the add-in can run the same code on a pasted sheet. Imports only the domain.

    result = parse_export(sheets)               # the format detected from titles and headers
    result = parse_export(sheets, format="xero-aged-detail")
    result = parse_export(sheets, mapping=m)    # any other layout
    merged = merge(existing_tables, result)     # Customers and Invoices, what was typed kept
"""

from __future__ import annotations

from creditdesk.domain.issues import Issue
from creditdesk.imports.collector import paused
from creditdesk.imports.columns import Options
from creditdesk.imports.formats import FORMATS, Format, by_id
from creditdesk.imports.grid import Header, find_header, key, text_of, title_texts
from creditdesk.imports.mapping import (
    FIELDS,
    OPTIONS,
    ExportError,
    Mapping,
    build_mapping,
    find_mapping,
    mappings_from_table,
    parse_with_mapping,
)
from creditdesk.imports.merge import Merged, merge
from creditdesk.imports.model import Contact, ImportResult, Item, Sheet

__all__ = ["FIELDS", "FORMATS", "OPTIONS", "Contact", "ExportError", "Format", "ImportResult",
           "Item", "Mapping", "Merged", "Options", "Sheet", "build_mapping", "detect",
           "find_mapping", "mappings_from_table", "merge", "parse_export"]


def detect(sheet: Sheet) -> tuple[Format, Header] | None:
    """The format a sheet is in, from its title rows and headers; None if none fits."""
    best: tuple[int, int, Format, Header] | None = None
    for n, fmt in enumerate(FORMATS):
        header = find_header(sheet, fmt.header)
        if header is None:
            continue
        titles = [key(t) for t in title_texts(sheet, header.row)]
        titled = any(x in t for t in titles for x in fmt.titles)
        if fmt.needs_title and not titled:
            continue
        score = 2 + (3 if titled else 0)
        if best is None or score > best[0]:
            best = (score, -n, fmt, header)
    return (best[2], best[3]) if best else None


def _headers_seen(sheet: Sheet) -> tuple[int, list[str]] | None:
    for i, row in enumerate(sheet.rows[:40]):
        texts = [text_of(v) for v in row if isinstance(v, str) and v.strip()]
        if len(texts) >= 3:
            return sheet.first_row + i, texts
    return None


def _unknown(sheet: Sheet) -> ExportError:
    seen = _headers_seen(sheet)
    known = ", ".join(f"{f.name}" for f in FORMATS)
    if seen is None:
        return ExportError(f"{sheet.where}: no header row found; this is not an export "
                           f"Creditdesk knows ({known})")
    row, texts = seen
    shown = ", ".join(texts[:12]) + (", ..." if len(texts) > 12 else "")
    return ExportError(
        f"{sheet.where}: not an export Creditdesk knows ({known}). Its headers (row {row}): "
        f"{shown}. Say once which column is which, e.g. --mapping NAME --map "
        f"\"Invoice={texts[0]}\" --map \"Customer=...\" --map \"Invoice Date=...\" --map "
        "\"Amount=...\" (see docs/import.md), or name a format with --format")


def parse_export(sheets: list[Sheet], format: str | None = None, mapping: Mapping | None = None,
                 opts: Options | None = None) -> ImportResult:
    """Every sheet of one export file read into one result.

    Raises ``ExportError`` when no sheet is in a known format (or the one asked for), or a
    mapping does not fit; every other problem is an issue and every usable row is used.
    """
    with paused():
        return _parse_export(sheets, format, mapping, opts or Options())


def _parse_export(sheets: list[Sheet], format: str | None, mapping: Mapping | None,
                  opts: Options) -> ImportResult:
    sheets = [s for s in sheets if any(any(not _blank(v) for v in r) for r in s.rows)]
    if not sheets:
        raise ExportError("the file is empty")
    result = ImportResult()
    if mapping is not None:
        target = next((s for s in sheets if s.name.casefold() == mapping.sheet.casefold()),
                      None) if mapping.sheet else sheets[0]
        if target is None:
            raise ExportError(f"{sheets[0].source}: no sheet named '{mapping.sheet}' (the "
                              f"mapping '{mapping.name}' reads it)")
        result.extend(parse_with_mapping(target, mapping, opts))
        return result
    found = []
    for s in sheets:
        if format is not None:
            fmt = by_id(format)
            header = find_header(s, fmt.header)
            if header is not None:
                found.append((s, fmt, header))
        elif (hit := detect(s)) is not None:
            found.append((s, *hit))
    if not found:
        if format is not None:
            fmt = by_id(format)
            raise ExportError(f"{sheets[0].where}: no header row of a {fmt.name} "
                              "(see docs/import.md for the columns it needs)")
        raise _unknown(sheets[0])
    for s in sheets:
        if all(s is not f[0] for f in found):
            result.notes.append(Issue(s.where, None, None, "not an export Creditdesk knows "
                                      "(sheet skipped)"))
    for s, fmt, header in found:
        try:
            result.extend(fmt.parse(s, header, opts, fmt))
        except ValueError as exc:
            raise ExportError(f"{s.where}: cannot read it as a {fmt.name}: {exc}") from None
    return result


def _blank(v: object) -> bool:
    from creditdesk.domain.cells import is_blank

    return is_blank(v)
