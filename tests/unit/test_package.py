"""The package loads its public names on first use: the Lambda handler imports
``creditdesk.api.models`` without the ledger, settings or numpy."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_importing_the_api_contract_loads_neither_the_ledger_nor_numpy():
    code = ("import sys, creditdesk.api.models; "
            "print(sorted(m for m in ('creditdesk.domain.ledger', 'creditdesk.domain.settings', "
            "'numpy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_the_public_names_are_there_on_first_use():
    import creditdesk
    from creditdesk import TABLES, Ledger, Settings, build_ledger
    from creditdesk.domain.ledger import Ledger as LedgerItself

    assert Ledger is LedgerItself and callable(build_ledger) and Settings and TABLES
    assert set(creditdesk.__all__) <= set(dir(creditdesk))
    for name in creditdesk.__all__:
        assert getattr(creditdesk, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        creditdesk.nothing  # noqa: B018
