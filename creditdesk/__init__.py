"""Creditdesk: credit management and debt collection rules for workbooks.

The public surface is re-exported here, loaded on first use (PEP 562), so that importing one
module (``creditdesk.api.models`` in the Lambda handler, say) does not import the whole package.
Pure Python plus numpy and pydantic: it imports neither xlwings nor boto3 nor chalice, and
runs inside xlwings Lite (Pyodide).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from creditdesk.domain.contract import TABLES
    from creditdesk.domain.errors import CreditdeskError, WorkbookError
    from creditdesk.domain.issues import Issue
    from creditdesk.domain.ledger import Ledger, RawTable, build_ledger, raw_tables
    from creditdesk.domain.settings import Settings

_WHERE = {
    "TABLES": "domain.contract",
    "CreditdeskError": "domain.errors",
    "WorkbookError": "domain.errors",
    "Issue": "domain.issues",
    "Ledger": "domain.ledger",
    "RawTable": "domain.ledger",
    "build_ledger": "domain.ledger",
    "raw_tables": "domain.ledger",
    "Settings": "domain.settings",
}

__all__ = [
    "TABLES",
    "CreditdeskError",
    "Issue",
    "Ledger",
    "RawTable",
    "Settings",
    "WorkbookError",
    "build_ledger",
    "raw_tables",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'creditdesk' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
