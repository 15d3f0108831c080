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
    from creditdesk_addin.lite_args import lite_arguments

    lite_arguments(lite)
    lite.set_defaults(run=_lite)


def _lite(args: argparse.Namespace) -> int:
    from creditdesk_addin import lite

    return lite.run(args)
