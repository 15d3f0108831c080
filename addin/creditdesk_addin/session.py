"""What the add-in remembers between clicks in one Python session.

The last ledger a script loaded is kept per workbook, so the Excel functions
(``CD.CREDIT_CHECK`` and the others) answer from it without reading the tables again on every
call: one read per Refresh, not one per formula. In xlwings Lite, scripts and functions run in
the same Python, so a Refresh is what loads the ledger the functions see; on desktop Excel the
functions read the calling workbook once themselves when nothing is loaded yet (and share the
scripts' ledger when xlwings' "Use UDF Server" is on).
"""

from __future__ import annotations

from typing import Any

from creditdesk.analysis.report import Analysis

_analyses: dict[str, Analysis] = {}
_last: list[str] = []


def remember(book_name: str, analysis: Analysis) -> None:
    _analyses[book_name] = analysis
    if book_name in _last:
        _last.remove(book_name)
    _last.append(book_name)


def recall(book_name: str | None = None) -> Analysis | None:
    """The ledger loaded for ``book_name``; without a name, the one loaded last."""
    if book_name is not None and book_name in _analyses:
        return _analyses[book_name]
    if book_name is None and _last:
        return _analyses[_last[-1]]
    return None


def forget() -> None:
    _analyses.clear()
    _last.clear()


def book_key(book: Any) -> str:
    try:
        return str(book.fullname or book.name)
    except Exception:
        return str(book.name)
