"""Reading an accounting system's export file into sheets of cell values for
``creditdesk.imports``: .xlsx, .xlsm, .xls and .ods through python-calamine (every worksheet,
from A1, so row numbers are the ones Excel shows), .csv and .txt through the standard csv
module with the encoding (BOM, UTF-8, UTF-16, else Windows-1252) and the delimiter (comma,
semicolon, tab, pipe) found from the bytes.

The extension decides nothing on its own: a '.xls' that is really a CSV file, an .xlsx or a
web page is recognised by its first bytes.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
from pathlib import Path

from creditdesk.domain.errors import WorkbookError
from creditdesk.imports.collector import paused
from creditdesk.imports.model import Sheet

_OLE = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP = b"PK\x03\x04"
MAX_BYTES = 512 * 1024 * 1024


def read_export(path: str | os.PathLike) -> list[Sheet]:
    """The file's sheets; ``WorkbookError`` (one line, naming the file) if it cannot be read.
    The garbage collector is paused while the rows are made (``imports.collector``)."""
    with paused():
        return _read_export(Path(path))


def _read_export(path: Path) -> list[Sheet]:
    if not path.exists():
        raise WorkbookError(f"cannot read '{path}': no such file")
    if path.is_dir():
        raise WorkbookError(f"cannot read '{path}': it is a folder, not an export file")
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise WorkbookError(f"cannot read '{path}': {exc.strerror or exc}") from None
    if not head:
        raise WorkbookError(f"cannot read '{path}': the file is empty")
    if head.startswith(_ZIP) or head.startswith(_OLE):
        return _workbook(path)
    if _looks_like_html(head):
        raise WorkbookError(f"cannot read '{path}': it is a web page (HTML) saved with a "
                            f"'{path.suffix}' name, as some systems export 'Excel' files; open "
                            "it in Excel and save it as .xlsx, or export CSV instead")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods") and b"\x00" in head and \
            not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise WorkbookError(f"cannot read '{path}': not a workbook or a text file")
    return [_csv(path)]


def _looks_like_html(head: bytes) -> bool:
    text = head.lstrip(codecs.BOM_UTF8).lstrip().lower()
    return text.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<workbook"))


# ---------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """An exported text file's bytes as text: by its byte-order mark, else UTF-8, else
    Windows-1252 (what Excel and older accounting systems write)."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    sample = text[:16384]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        return max(counts, key=counts.get) if any(counts.values()) else ","


def _csv(path: Path) -> Sheet:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise WorkbookError(f"cannot read '{path}': larger than {MAX_BYTES >> 20} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise WorkbookError(f"cannot read '{path}': {exc.strerror or exc}") from None
    text = decode_text(data)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as exc:
        raise WorkbookError(f"cannot read '{path}': not a CSV file ({exc})") from None
    return Sheet(path.name, "", rows, 1)


def _workbook(path: Path) -> list[Sheet]:
    import python_calamine as pc

    try:
        with path.open("rb") as f:
            book = pc.CalamineWorkbook.from_filelike(io.BytesIO(f.read()))
    except pc.PasswordError:
        raise WorkbookError(f"cannot read '{path}': the workbook is password protected; save "
                            "a copy without a password and use that") from None
    except OSError as exc:
        raise WorkbookError(f"cannot read '{path}': {exc.strerror or exc}") from None
    except BaseException as exc:
        if not (isinstance(exc, Exception) or type(exc).__name__ == "PanicException"):
            raise
        raise WorkbookError(f"cannot read '{path}': not a workbook calamine can read, or a "
                            f"damaged one ({' '.join(str(exc).split())[:120]})") from None
    out = []
    try:
        for meta in book.sheets_metadata:
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            try:
                rows = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            except BaseException as exc:
                if not (isinstance(exc, Exception) or type(exc).__name__ == "PanicException"):
                    raise
                raise WorkbookError(f"cannot read '{path}', sheet '{meta.name}': "
                                    f"{' '.join(str(exc).split())[:120]}") from None
            out.append(Sheet(path.name, meta.name, rows, 1))
    finally:
        with contextlib.suppress(Exception):
            book.close()
    return out
