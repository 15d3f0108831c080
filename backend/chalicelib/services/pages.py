"""Page tokens: the ``next`` of a page, opaque to the client (URL-safe base64 of compact
JSON). A token that does not decode is ``BadToken``; each listing checks that a decoded token
is one it gave out."""

from __future__ import annotations

import base64
import json
from typing import Any

from .errors import BadToken


def encode_token(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError
    except (ValueError, UnicodeError, TypeError):
        raise BadToken("next is not a token this API gave out", "next") from None
    return data
