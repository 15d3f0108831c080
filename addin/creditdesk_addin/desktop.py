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


def import_export() -> str:
    return scripts.import_export(_caller())


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


def statements() -> str:
    return scripts.statements(_caller())


def propose_plan() -> str:
    return scripts.propose_plan(_caller())


def handoff() -> str:
    return scripts.handoff(_caller())


# -- functions (@xw.func) -------------------------------------------------------------------

# An Excel error as COM hands it over (VT_ERROR with these codes; xlwings' own table).
_COM_ERRORS = {"#DIV/0!": -2146826281, "#N/A": -2146826246, "#NAME?": -2146826259,
               "#NULL!": -2146826288, "#NUM!": -2146826252, "#REF!": -2146826265,
               "#VALUE!": -2146826273}


def _com_error(error: fn.ExcelError) -> Any:
    """A real Excel error for a cell: a VT_ERROR variant on Windows (where classic xlwings
    has functions); elsewhere the error's text."""
    if sys.platform != "win32":
        return error
    import pythoncom
    from win32com.client import VARIANT

    return VARIANT(pythoncom.VT_ERROR, _COM_ERRORS.get(str(error), _COM_ERRORS["#N/A"]))


def _cell(value: Any) -> Any:
    """A function's answer with its Excel errors made real, a spilled range too."""
    if isinstance(value, fn.ExcelError):
        return _com_error(value)
    if isinstance(value, list):
        return [_cell(v) for v in value]
    return value


def _loader(caller: Any) -> fn.Loader:
    """When no script has loaded a ledger in this Python (the UDF server shares the buttons'
    ledger), reads the calling workbook once: only the tables a function needs."""
    def load() -> Any:
        from creditdesk.analysis.report import Analysis
        from creditdesk.domain.ledger import build_ledger
        from creditdesk_addin.workbook import read_tables

        book = caller.sheet.book
        a = Analysis(build_ledger(read_tables(book, fn.FUNCTION_TABLES)))
        session.remember(session.book_key(book), a)
        return a
    return load if caller is not None else None  # type: ignore[return-value]


def _help(name: str, arg: str) -> str:
    return fn.ARGUMENT_HELP[name][arg]


def _arg(name: str, arg: str) -> Any:
    """A range arrives as rows (ndim=2) and an error cell as its text (err_to_str)."""
    return xw.arg(arg, ndim=2, err_to_str=True, doc=_help(name, arg))


@xw.func(volatile=True, category="Creditdesk")
@_arg("credit_check", "customer")
@_arg("credit_check", "order_amount")
def cd_credit_check(customer, order_amount=0.0, caller=None):
    return _cell(fn.credit_check(customer, order_amount, load=_loader(caller)))


@xw.func(volatile=True, category="Creditdesk")
@_arg("ageing_bucket", "date")
@_arg("ageing_bucket", "as_of")
def cd_ageing_bucket(date, as_of=None):
    return _cell(fn.ageing_bucket(date, as_of))


@xw.func(category="Creditdesk")
@_arg("late_interest", "amount")
@_arg("late_interest", "due")
@_arg("late_interest", "paid")
@_arg("late_interest", "law")
@_arg("late_interest", "contract_rate")
def cd_late_interest(amount, due, paid=None, law=None, contract_rate=None):
    return _cell(fn.late_interest(amount, due, paid, law, contract_rate))


@xw.func(category="Creditdesk")
@_arg("late_compensation", "amount")
@_arg("late_compensation", "due")
@_arg("late_compensation", "paid")
@_arg("late_compensation", "law")
def cd_late_compensation(amount, due, paid=None, law=None):
    return _cell(fn.late_compensation(amount, due, paid, law))


@xw.func(volatile=True, category="Creditdesk")
@_arg("score", "customer")
@_arg("score", "detail")
def cd_score(customer, detail="score", caller=None):
    return _cell(fn.customer_score(customer, detail, load=_loader(caller)))


# The description Excel shows: the first paragraph of the shared implementation's docstring
# (255 characters at most); the rest of it is for developers.
FUNCTIONS = {"credit_check": cd_credit_check, "ageing_bucket": cd_ageing_bucket,
             "late_interest": cd_late_interest, "late_compensation": cd_late_compensation,
             "score": cd_score}
for _name, _f in FUNCTIONS.items():
    _f.__doc__ = fn.description(_name)
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
