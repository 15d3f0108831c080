"""Creditdesk: credit management and debt collection rules for workbooks.

The public surface is re-exported here. Pure Python plus numpy and pydantic: it imports
neither xlwings nor boto3 nor chalice, and runs inside xlwings Lite (Pyodide).
"""

from .contract import TABLES
from .errors import CreditdeskError, WorkbookError
from .issues import Issue
from .ledger import Ledger, RawTable, build_ledger, raw_tables
from .settings import Settings

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
