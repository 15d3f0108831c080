"""``creditdesk addin ...``: registered with the ``creditdesk`` CLI through the
``creditdesk.commands`` entry point group (``addin = "creditdesk_addin.commands:register"``),
so the domain package never imports the add-in. Light on purpose: the CLI loads every group
on each run, and the add-in's code is imported only when an ``addin`` command runs."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("addin", help="the Excel add-in's files (xlwings Lite)",
                       description="The Excel add-in's files.")
    asub = a.add_subparsers(dest="addin_command", metavar="COMMAND", parser_class=type(a))
    asub.required = True
    lite = asub.add_parser(
        "lite", help="write xlwings Lite's main.py and requirements.txt",
        description="Write xlwings Lite's main.py and requirements.txt. requirements.txt gets "
        "the address of the Creditdesk wheel the backend serves (--url): nothing else has to "
        "be hosted.")
    lite_arguments(lite)
    lite.set_defaults(run=_lite)


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
    p.add_argument("--out", type=_path, default=None,
                   help="folder for main.py and requirements.txt (default: "
                   "addin/xlwings_lite in a checkout, else ./xlwings_lite)")


def _path(text: str):
    from pathlib import Path

    return Path(text)


def _lite(args: argparse.Namespace) -> int:
    from creditdesk_addin import lite

    return lite.run(args)
