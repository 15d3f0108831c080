"""The add-in's tests run the scripts through the real xlwings engine: ``xw.Book(json=...)``
on payloads shaped as Excel's Office.js client sends them (the code path of xlwings Lite).
That engine lives in ``xlwings.pro``, which the noncommercial license key unlocks; it is set
here, for the tests only: no product path needs it."""

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import pytest

from creditdesk_addin import session
from tests.e2e.test_cli import bad, good  # noqa: F401  (the CLI tests' workbook files)


@pytest.fixture(autouse=True)
def _fresh_session():
    session.forget()
    yield
    session.forget()
