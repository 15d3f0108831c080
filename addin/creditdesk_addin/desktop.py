"""Desktop Excel with a local Python (classic xlwings): the buttons and the functions.

Buttons: the workbook's macros call ``RunPython`` (see ``addin/vba/Creditdesk.bas``)::

    RunPython "import creditdesk_addin.desktop as cd; cd.refresh()"

and each entry point below runs the script of ``creditdesk_addin.scripts`` on the calling workbook.

Functions (Windows: xlwings' "Import Functions" with ``creditdesk_addin.desktop`` in UDF Modules):
``CD_CREDIT_CHECK``, ``CD_AGEING_BUCKET``, ``CD_LATE_INTEREST``, ``CD_LATE_COMPENSATION`` and
``CD_SCORE``, the same implementations xlwings Lite shows as ``CD.CREDIT_CHECK`` and so on.
Classic xlwings has no custom functions on macOS; there, use xlwings Lite for them.

From Python, with the workbook open in Excel (Windows or macOS)::

    python -m creditdesk_addin.desktop refresh path/to/workbook.xlsx

runs a script on that workbook through ``Book.set_mock_caller()``, as a button would.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import xlwings as xw

from creditdesk_addin import functions as fn
from creditdesk_addin import scripts, session

# -- buttons (RunPython) --------------------------------------------------------------------


def _caller() -> Any:
    return xw.Book.caller()


def refresh() -> str:
    return scripts.refresh(_caller())


def preview_reminders() -> str:
    return scripts.preview_reminders(_caller())


def send_reminders() -> str:
    return scripts.send_reminders(_caller())


def sync() -> str:
    return scripts.sync(_caller())


def score() -> str:
    return scripts.score(_caller())


# -- functions (@xw.func) -------------------------------------------------------------------


def _loader(caller: Any) -> fn.Loader:
    """Reads the calling workbook once when no script has loaded a ledger yet."""
    def load() -> Any:
        from creditdesk.analysis.report import Analysis
        from creditdesk.domain.ledger import build_ledger
        from creditdesk_addin.workbook import read_tables

        book = caller.sheet.book
        a = Analysis(build_ledger(read_tables(book)))
        session.remember(session.book_key(book), a)
        return a
    return load if caller is not None else None  # type: ignore[return-value]


def _doc(name: str) -> str:
    return (fn.FUNCTIONS[name].__doc__ or "").strip()


def _help(name: str, arg: str) -> str:
    return fn.ARGUMENT_HELP[name][arg]


@xw.func(volatile=True, category="Creditdesk")
@xw.arg("customer", doc=_help("credit_check", "customer"))
@xw.arg("order_amount", doc=_help("credit_check", "order_amount"))
def cd_credit_check(customer, order_amount=0.0, caller=None):
    return fn.credit_check(customer, order_amount, load=_loader(caller))


@xw.func(volatile=True, category="Creditdesk")
@xw.arg("date", doc=_help("ageing_bucket", "date"))
@xw.arg("as_of", doc=_help("ageing_bucket", "as_of"))
def cd_ageing_bucket(date, as_of=None):
    return fn.ageing_bucket(date, as_of)


@xw.func(category="Creditdesk")
@xw.arg("amount", doc=_help("late_interest", "amount"))
@xw.arg("due", doc=_help("late_interest", "due"))
@xw.arg("paid", doc=_help("late_interest", "paid"))
@xw.arg("law", doc=_help("late_interest", "law"))
@xw.arg("contract_rate", doc=_help("late_interest", "contract_rate"))
def cd_late_interest(amount, due, paid=None, law=None, contract_rate=None):
    return fn.late_interest(amount, due, paid, law, contract_rate)


@xw.func(category="Creditdesk")
@xw.arg("amount", doc=_help("late_compensation", "amount"))
@xw.arg("due", doc=_help("late_compensation", "due"))
@xw.arg("paid", doc=_help("late_compensation", "paid"))
@xw.arg("law", doc=_help("late_compensation", "law"))
def cd_late_compensation(amount, due, paid=None, law=None):
    return fn.late_compensation(amount, due, paid, law)


@xw.func(volatile=True, category="Creditdesk")
@xw.arg("customer", doc=_help("score", "customer"))
@xw.arg("detail", doc=_help("score", "detail"))
def cd_score(customer, detail="score", caller=None):
    return fn.customer_score(customer, detail, load=_loader(caller))


# The docstrings are the help Excel shows: the shared implementations' own.
for _f, _name in ((cd_credit_check, "credit_check"), (cd_ageing_bucket, "ageing_bucket"),
                  (cd_late_interest, "late_interest"),
                  (cd_late_compensation, "late_compensation"), (cd_score, "score")):
    _f.__doc__ = _doc(_name)
    if hasattr(_f, "__xlfunc__"):
        _f.__xlfunc__["ret"]["doc"] = _f.__doc__


# -- running a script from Python -----------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m creditdesk_addin.desktop",
        description="Run a Creditdesk button on a workbook open in desktop Excel, as if its "
        "button were clicked (xlwings Book.set_mock_caller).")
    p.add_argument("script", choices=sorted(scripts.SCRIPTS))
    p.add_argument("workbook", help="path of the workbook (opened in Excel if not open)")
    args = p.parse_args(argv)
    book = xw.Book(args.workbook)
    book.set_mock_caller()
    print(globals()[args.script]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
