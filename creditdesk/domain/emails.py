"""E-mail address checks: syntax by email-validator, plus the line-break rule headers need;
and the file name of a reminder's .eml (a draft, or the backend's outbox copy)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

_SPLIT = re.compile(r"[;,]")


@lru_cache(maxsize=65536)
def email_problem(address: str) -> str | None:
    """None when ``address`` is a usable single address, else what is wrong with it."""
    if "\r" in address or "\n" in address:
        return "e-mail address holds a line break"
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"'{address}' is not a valid e-mail address: {exc}"
    return None


def split_addresses(text: str) -> list[str]:
    """'a@x.com; b@y.com' -> ['a@x.com', 'b@y.com'] (line breaks are kept, to be reported)."""
    if "\r" in text or "\n" in text:
        return [text.strip(" ;,")]
    return [part.strip() for part in _SPLIT.split(text) if part.strip()]


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _safe_part(text: str) -> str:
    """``text`` as letters, digits, ``_`` and ``-`` (accents dropped: Zürich -> Zurich, at
    most 60 characters); when that changed it, 8 hex digits of its SHA-256 follow, so two
    keys that differ only in what was dropped (``A/B``, ``A:B``) never share a name."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    safe = _UNSAFE.sub("_", plain).strip("_-")[:60] or "x"
    if safe == text:
        return safe
    return f"{safe}~{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def mail_file_name(customer: str, currency: str, level: int) -> str:
    """``CUSTOMER-CURRENCY-levelN.eml``: a valid file name on Windows, macOS and Linux for any
    customer key (``/``, ``:``, control characters, non-ASCII), one per key."""
    return f"{_safe_part(str(customer))}-{_safe_part(str(currency))}-level{int(level)}.eml"
