"""The bodies of queue messages: compact JSON (``dumps``), and the room a send message has
for its reminders."""

from __future__ import annotations

import json
from typing import Any

from .ports import MAX_MESSAGE_BYTES

MESSAGE_BUDGET = MAX_MESSAGE_BYTES - 16 * 1024  # room for the envelope
MAX_PER_MESSAGE = 50  # reminders in one send message


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
