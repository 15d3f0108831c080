"""The add-in's tests run the scripts through the real xlwings engine: ``xw.Book(json=...)``
on payloads shaped as Excel's Office.js client sends them (the code path of xlwings Lite).
That engine lives in ``xlwings.pro``, which the noncommercial license key unlocks; it is set
here, for the tests only: no product path needs it."""

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import sys
import types

import pytest

from creditdesk_addin import session
from tests.addin.engine import Excel
from tests.e2e.test_cli import bad, good  # noqa: F401  (the CLI tests' workbook files)


@pytest.fixture(autouse=True)
def _fresh_session():
    session.forget()
    yield
    session.forget()


@pytest.fixture
def in_lite(monkeypatch):
    """sys.platform and the js/pyodide modules as xlwings Lite has them."""
    def install(excel: Excel) -> None:
        js = types.ModuleType("js")
        js.xlwings = excel
        js.Object = types.SimpleNamespace(fromEntries=dict)
        ffi = types.ModuleType("pyodide.ffi")
        ffi.to_js = lambda obj, dict_converter=None: obj
        pyodide = types.ModuleType("pyodide")
        pyodide.ffi = ffi
        monkeypatch.setitem(sys.modules, "js", js)
        monkeypatch.setitem(sys.modules, "pyodide", pyodide)
        monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
        monkeypatch.setattr(sys, "platform", "emscripten")
    return install
