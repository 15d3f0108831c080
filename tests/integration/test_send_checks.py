"""`creditdesk send` cannot misfire: a workbook whose As Of Date is not today is refused, a
send outside the Send Window (or on a public holiday) is scheduled for when it opens and the
hourly tick releases it, and the preview shows each level in full (without a terminal:
test_client_cli.py). Against the real backend app in process; the clocks of both
sides are set to the moment each test is about."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chalicelib.bootstrap import bootstrap, use
from creditdesk.api.client import Client
from creditdesk.app import sending
from creditdesk.cli import main as cli
from creditdesk.files.xlsx_write import write_workbook
from devkit.sample import sample_tables
from tests.backend.fakes import FakeClock
from tests.support.backend import LambdaContext

LONDON = ZoneInfo("Europe/London")
DAY = dt.date(2026, 12, 7)  # a Monday
EVENING = dt.datetime(2026, 12, 7, 18, 31, tzinfo=LONDON)
MORNING = dt.datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)


def _workbook(folder: Path, as_of: dt.date | None, window: str = "09:00-17:00") -> Path:
    tables = sample_tables(customers=12, as_of=as_of or DAY)
    _header, rows = tables["Settings"]
    for row in rows:
        if row[0] == "As Of Date":
            row[1] = as_of
        if row[0] == "Send Window":
            row[1] = window
    if not any(r[0] == "Send Window" for r in rows):
        rows.append(["Send Window", window])
    path = folder / f"ledger-{as_of or 'blank'}-{window.replace(':', '')}.xlsx"
    write_workbook(path, tables)
    return path


@pytest.fixture
def at(monkeypatch, backend_app):
    """Set the time on both sides: the CLI's clock and the backend's."""
    stack = []

    def set_time(when: dt.datetime) -> FakeClock:
        monkeypatch.setattr(sending, "system_now", lambda: when.astimezone(dt.UTC))
        clock = FakeClock(when.astimezone(dt.UTC))
        ctx = use(bootstrap(clock=clock))
        ctx.__enter__()
        stack.append(ctx)
        return clock

    monkeypatch.setenv(cli.URL_ENV, backend_app.url)
    monkeypatch.setenv(cli.KEY_ENV, backend_app.new_tenant())
    yield set_time
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)


def run(capsys, backend_app, *args):
    code = cli.main([str(a) for a in args], transport=backend_app.transport())
    out, err = capsys.readouterr()
    return code, out, err


def test_a_workbook_a_week_old_is_not_sent(capsys, backend_app, at, tmp_path):
    at(MORNING)
    old = _workbook(tmp_path, DAY - dt.timedelta(days=7))
    code, out, err = run(capsys, backend_app, "send", old, "--yes")
    assert code == 2 and out == ""
    assert "as of 2026-11-30 (in the past)" in err and "today is 2026-12-07 in Europe/London" \
        in err
    assert "--as-of-ok" in err and "blank means today" in err
    assert backend_app.ses_sent() == []
    code, out, err = run(capsys, backend_app, "send", old, "--yes", "--as-of-ok")
    assert code == 0, err
    assert "Reminders as of 2026-11-30" in out and "Done: " in out
    assert len(backend_app.ses_sent()) > 0


def test_a_blank_as_of_date_is_today_where_the_team_is(capsys, backend_app, at, tmp_path):
    # 00:30 in London on the 8th is still the 7th in UTC: the team's day counts
    at(dt.datetime(2026, 12, 8, 0, 30, tzinfo=LONDON))
    blank = _workbook(tmp_path, None, window="00:00-24:00")
    code, out, err = run(capsys, backend_app, "send", blank, "--yes")
    assert code == 0, err
    assert "Reminders as of 2026-12-08" in out


def test_outside_the_send_window_the_batch_waits_for_the_tick(capsys, backend_app, at,
                                                              tmp_path):
    clock = at(EVENING)
    wb = _workbook(tmp_path, DAY)
    code, out, err = run(capsys, backend_app, "send", wb, "--yes")
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("Batch "))
    assert "scheduled for 09:00 Europe/London on Tue 8 Dec: outside the Send Window " \
           "(09:00-17:00 Europe/London, business days in GB)" in line
    assert backend_app.ses_sent() == []
    batch_id = line.split()[1].rstrip(":")
    tick = backend_app.app.handler_map["tick"]
    event = {"version": "0", "id": "e", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "1", "time": "2026-12-08T08:00:00Z", "region": "eu-west-2",
             "resources": [], "detail": {}}
    clock.t = dt.datetime(2026, 12, 8, 8, 59, tzinfo=LONDON).astimezone(dt.UTC)
    tick(event, LambdaContext())
    backend_app.run_workers()
    assert backend_app.ses_sent() == []  # not yet
    clock.t = dt.datetime(2026, 12, 8, 9, 5, tzinfo=LONDON).astimezone(dt.UTC)
    tick(event, LambdaContext())
    backend_app.run_workers()
    with Client(backend_app.url, os.environ[cli.KEY_ENV],
                transport=backend_app.transport()) as cd:
        batch = cd.batch(batch_id)
    assert batch.status == "done" and batch.not_before is None
    assert batch.counts.sent == batch.counts.total == len(backend_app.ses_sent()) > 0


def test_a_public_holiday_and_the_weekend_are_skipped(capsys, backend_app, at, tmp_path):
    at(dt.datetime(2026, 12, 24, 17, 30, tzinfo=LONDON))  # Christmas Eve, after hours
    wb = _workbook(tmp_path, dt.date(2026, 12, 24))
    code, out, err = run(capsys, backend_app, "send", wb, "--yes")
    assert code == 0, err
    # 25th Christmas, 26th-27th the weekend, 28th the Boxing Day holiday in lieu
    assert "scheduled for 09:00 Europe/London on Tue 29 Dec" in out


def test_now_sends_at_once_outside_the_window(capsys, backend_app, at, tmp_path):
    at(EVENING)
    code, out, err = run(capsys, backend_app, "send", _workbook(tmp_path, DAY), "--yes",
                         "--now")
    assert code == 0, err
    assert "scheduled" not in out and "Done: " in out
    assert len(backend_app.ses_sent()) > 0


def test_the_preview_shows_each_level_in_full(capsys, backend_app, at, tmp_path):
    at(MORNING)
    wb = _workbook(tmp_path, DAY)
    _code, out, err = run(capsys, backend_app, "send", wb, "--yes", "--json")
    doc = json.loads(out)
    levels = sorted({r["level"] for r in doc["reminders"]}) if doc["reminders"] else []
    from creditdesk.app.workbook import Workbook

    preview = Workbook.read(wb).preview["reminders"]
    assert len(preview) > 0
    for lv in sending.levels(preview):
        assert f"Level {lv.level}: {lv.count} reminder(s), {lv.totals_text()}. " \
               "One of them in full:" in err
        assert f"  Subject: {lv.sample['subject']}" in err
        for line in lv.sample["text"].splitlines():
            assert f"  | {line}".rstrip() in err
    assert levels == [lv.level for lv in sending.levels(preview)]
