"""`creditdesk sync` writes the backend's audit trail into the workbook's Audit table (with
the History, in one write), each entry once; a credit limit changed in the workbook shows on
the Audit sheet after the next sync with its old and new value; the results workbook has the
Audit sheet, and the Credit sheet reviews the raise. Against the real backend app in process
(tests/support/backend.py)."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from creditdesk.app.workbook import Workbook
from creditdesk.cli import main as cli
from creditdesk.domain.audit import AUDIT_HEADER
from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_write import write_workbook
from devkit.sample import sample_tables

AS_OF = dt.datetime.now(ZoneInfo("Europe/London")).date()


@pytest.fixture
def env(backend_app, monkeypatch):
    monkeypatch.setenv(cli.URL_ENV, backend_app.url)
    monkeypatch.setenv(cli.KEY_ENV, backend_app.new_tenant())
    return backend_app


def run(capsys, backend_app, *args):
    code = cli.main([str(a) for a in args], transport=backend_app.transport())
    out, err = capsys.readouterr()
    return code, out, err


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _audit_rows(path: Path) -> list[dict]:
    raw = read_workbook(path).get("audit")
    if raw is None or not len(raw):
        return []
    return [dict(zip(raw.header, r, strict=True)) for r in zip(*raw.columns, strict=True)]


def _set_limit(path: Path, customer: str, limit: float) -> None:
    book = openpyxl.load_workbook(path)
    ws = book["Customers"]
    header = [c.value for c in ws[1]]
    col = header.index("Credit Limit") + 1
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 1).value == customer:
            ws.cell(r, col).value = limit
    book.save(path)


def test_sync_writes_the_audit_once_and_results_review_the_raise(capsys, env, tmp_path):
    tables = sample_tables(customers=12, as_of=AS_OF)
    tables["Audit"] = (list(AUDIT_HEADER), [])
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, tables)
    doc = Workbook.read(path).analysis.check_doc()
    target = next(c for c in doc["customers"]
                  if c["decision"] == "Approve" and c["credit_limit"])
    cid, old = target["customer"], target["credit_limit"]

    code, out, err = run(capsys, env, "sync", path)
    assert code == 0, err
    assert "Audit: 1 change(s) added to the Audit table." in out
    first = _audit_rows(path)
    assert [(r["Subject"], r["Field"]) for r in first] == [("ledger", "initial")]

    _set_limit(path, cid, old * 2)
    code, out, err = run(capsys, env, "sync", path, "--json")
    assert code == 0, err
    written = json.loads(out)["audit_written"]
    assert written["rows_added"] == 1 and written["present"]
    rows = _audit_rows(path)
    assert len(rows) == 2 and rows[0] == first[0]
    change = rows[1]
    assert (change["Subject"], change["Field"]) == (cid, "Credit Limit")
    assert float(change["Old"]) == old and float(change["New"]) == old * 2
    assert len(change["Key"]) == 12 and change["Date"] >= first[0]["Date"]

    before = _members(path)
    code, out, _ = run(capsys, env, "sync", path)
    assert code == 0 and "Audit: no new changes." in out
    assert _members(path) == before  # nothing twice

    results = tmp_path / "results.xlsx"
    code, _, err = run(capsys, env, "ageing", path, "-o", results)
    assert code == 0, err
    book = openpyxl.load_workbook(results)
    audit = [[c.value for c in r] for r in book["Audit"].iter_rows(min_row=3)]
    assert audit[0] == ["Date (UTC)", "Key", "Subject", "Field", "Old", "New", "Flag"]
    assert audit[2][2:] == [cid, "Credit Limit", change["Old"], change["New"], "Review"]
    assert audit[1][-1] in (None, "")
    credit = [[c.value for c in r] for r in book["Credit"].iter_rows()]
    head = next(i for i, r in enumerate(credit) if "Decision" in r)
    row = next(r for r in credit[head:] if r[0] == cid)
    decision = row[credit[head].index("Decision")]
    reasons = row[credit[head].index("Reasons")]
    assert decision == "Review"
    assert f"credit limit raised from {old:,.2f} to {old * 2:,.2f} on {change['Date'][:16]} " \
           "UTC (+100%, more than the 50% Limit Raise Review)" in reasons


def test_a_workbook_without_an_audit_table_still_syncs_its_history(capsys, env, tmp_path):
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, sample_tables(customers=12, as_of=AS_OF))
    code, out, err = run(capsys, env, "sync", path)
    assert code == 0, err
    assert "Audit: the workbook has no Audit table" in out
    assert "audit" not in read_workbook(path)
