"""``creditdesk demo``: registered with the ``creditdesk`` CLI through the
``creditdesk.commands`` entry point group, so the product package never imports the demo."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="build a sample workbook and run everything on it",
                          description="Build a realistic sample workbook, run ageing, credit "
                          "checks, scores and the reminder preview on it, and leave the "
                          "results where you can open them.")
    demo.add_argument("--out", type=Path, default=Path("demo-output"),
                      help="folder for the results (default: demo-output)")
    demo.add_argument("--offline", action="store_true",
                      help="do not start the local backend (no sending, drafts only)")
    demo.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from devkit.demo import run_demo

    run_demo(args.out, backend=not args.offline)
    return 0
