"""The options of ``creditdesk addin lite`` and ``python -m creditdesk_addin.lite``: apart, so
the CLI's plugin (``commands.py``) adds them without importing the add-in's code."""

from __future__ import annotations

import argparse
from pathlib import Path


def lite_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``creditdesk addin lite`` (and ``python -m creditdesk_addin.lite``)."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--url", help="the Creditdesk backend's address (as in Settings' "
                       "Backend URL): requirements.txt gets the wheel the backend serves")
    where.add_argument("--wheel-url", help="instead: the address of a Creditdesk wheel hosted "
                       "elsewhere (https, allowing xlwings Lite's origin: CORS)")
    p.add_argument("--origin", default="https://addin.xlwings.org",
                   help="xlwings Lite's address, checked against the wheel's CORS "
                   "(default https://addin.xlwings.org)")
    p.add_argument("--out", type=Path, default=None,
                   help="folder for main.py and requirements.txt (default: "
                   "addin/xlwings_lite in a checkout, else ./xlwings_lite)")

