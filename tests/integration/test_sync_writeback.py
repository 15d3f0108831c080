"""`creditdesk sync WORKBOOK` writes the backend's history into the workbook's History table,
and nothing else: every other part of the file is byte for byte what it was (an extra sheet
with formulas and formats included), the write keeps a backup beside the file, a workbook
open in Excel is refused, and `remind` afterwards no longer offers what was just sent.
Against the real backend app in process (tests/support/backend.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from creditdesk.cli import main as cli
from creditdesk.files.xlsx_read import read_workbook
from creditdesk.files.xlsx_write import write_workbook
from devkit.sample import sample_tables

# As of today where the team is (the sample's Time Zone): the backend dates the history by
# its real clock, and a send is as of today. The tests run at any hour: --now.
AS_OF = dt.datetime.now(ZoneInfo("Europe/London")).date()
ANYTIME = ("--now",)


@pytest.fixture
def workbook(tmp_path) -> Path:
    """The sample ledger as a user keeps it: an extra sheet with formulas, a number format
    and a fill, saved by another program (openpyxl)."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill

    path = tmp_path / "ledger.xlsx"
    write_workbook(path, sample_tables(customers=12, as_of=AS_OF))
    book = openpyxl.load_workbook(path)
    notes = book.create_sheet("My notes")
    notes["A1"], notes["A2"], notes["A3"] = 10, 20.5, "=SUM(A1:A2)"
    notes["B1"] = "=Invoices!A2"
    notes["A2"].number_format = "0.000"
    notes["A1"].fill = PatternFill("solid", fgColor="FFFF00")
    notes["C1"] = "kept as typed"
    notes["C1"].font = Font(bold=True)
    book.save(path)
    return path


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


def _history_parts(path: Path) -> set[str]:
    """The History sheet's XML and its table's, by the workbook's own relationships."""
    from creditdesk.files.xlsx_append import find_table

    with zipfile.ZipFile(path) as z:
        t = find_table(z, "history")
        return {t.sheet_member, t.table_member}


def _events(capsys, env, path) -> list[dict]:
    from creditdesk.api.client import Client

    with Client(env.url, os.environ[cli.KEY_ENV], transport=env.transport()) as cd:
        return [e.model_dump(mode="json") for e in cd.history(type="reminder")]


def _reminding(capsys, env, path) -> set[tuple[str, str, int]]:
    code, out, err = run(capsys, env, "remind", path, "--json")
    assert code == 0, err
    return {(r["customer"], r["currency"], r["level"]) for r in json.loads(out)["reminders"]}


def test_sync_writes_the_history_and_nothing_else(capsys, env, workbook):
    offered = _reminding(capsys, env, workbook)
    kept = len(read_workbook(workbook)["history"])  # the sample's own history rows
    code, out, err = run(capsys, env, "send", workbook, "--yes", "--json", *ANYTIME)
    assert code == 0, err
    sent = json.loads(out)["reminders"]
    assert len(sent) == len(offered) > 0
    before = _members(workbook)

    code, out, err = run(capsys, env, "sync", workbook)
    assert code == 0, err
    assert f"History: {len(sent)} row(s) added to {workbook} ({len(sent)} reminder)" in out
    after = _members(workbook)
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed == _history_parts(workbook) and set(after) == set(before)
    backup = workbook.with_name("ledger.backup.xlsx")
    assert _members(backup) == before

    import openpyxl

    book = openpyxl.load_workbook(workbook)
    notes = book["My notes"]
    assert notes["A3"].value == "=SUM(A1:A2)" and notes["B1"].value == "=Invoices!A2"
    assert notes["A2"].number_format == "0.000" and notes["C1"].font.b
    assert notes["A1"].fill.fgColor.rgb.endswith("FFFF00")
    history = read_workbook(workbook)["history"]
    col = {h: c[kept:] for h, c in zip(history.header, history.columns, strict=True)}
    assert len(history) == kept + len(sent)
    assert sorted(col["Message Id"]) == sorted(r["message_id"] for r in sent)
    assert set(col["Type"]) == {"Reminder"}
    assert all(isinstance(d, dt.date) for d in col["Date"])  # real dates, not text
    # the sample's History has no Event Id (nor Amount) column: added, so the next sync
    # adds nothing
    assert "Column(s) added to its History table: Event Id, Amount." in out
    assert history.header[-2:] == ["Event Id", "Amount"] and len(history.header) == 10
    assert set(col["Event Id"]) == {e["id"] for e in _events(capsys, env, workbook)}
    assert book["History"].tables["History"].ref == f"A1:J{kept + len(sent) + 1}"

    assert _reminding(capsys, env, workbook).isdisjoint(offered)  # not offered again

    code, out, _ = run(capsys, env, "sync", workbook)
    assert code == 0 and f"History: no new rows; {workbook} is unchanged." in out
    assert _members(workbook) == after


def test_a_workbook_open_in_excel_is_refused_before_anything_is_sent(capsys, env, workbook):
    lock = workbook.with_name("~$" + workbook.name)
    lock.write_bytes(b"\x0bsomeone")
    before = workbook.read_bytes()
    code, out, err = run(capsys, env, "sync", workbook)
    assert code == 2 and out == ""
    assert f"'{workbook}' is open in Excel (its lock file ~$ledger.xlsx is beside it): " \
           "close it in Excel" in err
    assert workbook.read_bytes() == before
    assert not workbook.with_name("ledger.backup.xlsx").exists()


def test_something_below_the_table_stops_the_write(capsys, env, workbook):
    import openpyxl

    run(capsys, env, "send", workbook, "--yes", *ANYTIME)
    book = openpyxl.load_workbook(workbook)
    below = int(book["History"].tables["History"].ref.split(":")[1][1:]) + 1
    book["History"][f"B{below}"] = "a note below the table"
    book.save(workbook)
    before = workbook.read_bytes()
    code, _, err = run(capsys, env, "sync", workbook)
    assert code == 2
    assert f"sheet 'History' has something in row {below}, below its table" in err
    assert workbook.read_bytes() == before


def test_a_workbook_without_a_history_table_is_refused_before_the_sync(capsys, env,
                                                                       tmp_path):
    tables = sample_tables(customers=12, as_of=AS_OF)
    del tables["History"]
    path = tmp_path / "no-history.xlsx"
    write_workbook(path, tables)
    before = path.read_bytes()
    code, out, err = run(capsys, env, "sync", path)
    assert code == 2 and out == ""
    assert "has no Excel table named History: make the History range a table" in err
    assert path.read_bytes() == before
    from creditdesk.api.client import BackendError, Client

    with Client(env.url, os.environ[cli.KEY_ENV], transport=env.transport()) as cd, \
            pytest.raises(BackendError, match="no ledger snapshot yet"):
        cd.snapshot()  # nothing reached the backend
