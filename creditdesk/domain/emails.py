"""E-mail address checks: syntax by email-validator, plus the line-break rule headers need."""

from __future__ import annotations

import re
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
