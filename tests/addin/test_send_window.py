"""The add-in's Send cannot misfire either: a workbook whose As Of Date is not today is not
sent, and outside the Send Window the backend holds the reminders and the sheet says until
when. Through the xlwings engine against the real backend app in process, both clocks set."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chalicelib.bootstrap import bootstrap, use
from creditdesk.api.client import Client
from creditdesk.files.xlsx_write import write_workbook
from creditdesk_addin import scripts
from devkit.officejs import payload_from_file
from tests.addin.engine import run, table
from tests.backend.fakes import FakeClock
from tests.builders import customer, days_before, invoice, tables

URL = "https://api.creditdesk.example"
LONDON = ZoneInfo("Europe/London")
DAY = dt.date(2026, 12, 7)  # a Monday
EVENING = dt.datetime(2026, 12, 7, 18, 31, tzinfo=LONDON)


@pytest.fixture
def backend(backend_app):
    key = backend_app.new_tenant()

    def connect(settings):
        return Client(settings.backend_url, key, transport=backend_app.transport(),
                      sleep=lambda s: None)
    return connect


def _ledger(tmp_path, as_of: dt.date):
    path = tmp_path / f"ledger-{as_of}.xlsx"
    write_workbook(path, tables(
        customers=[customer("C1"), customer("C2")],
        invoices=[invoice("I1", 1000.0, days_before(10, as_of)),
                  invoice("I2", 500.0, days_before(40, as_of), customer="C2")],
        settings={"Backend URL": URL, "As Of Date": as_of, "Time Zone": "Europe/London"}))
    return path


def test_a_week_old_workbook_is_not_sent(tmp_path, backend_app, backend):
    old = DAY - dt.timedelta(days=7)
    _, _, previewed = run(payload_from_file(_ledger(tmp_path, old)), scripts.preview_reminders)
    summary, _, after = run(previewed, scripts.send_reminders, backend=backend, now=EVENING)
    assert summary.startswith("Send reminders stopped: not sent: the workbook is as of "
                              "2026-11-30 (in the past), and today is 2026-12-07 in "
                              "Europe/London")
    assert "Clear Settings' As Of Date (blank means today)" in summary
    assert backend_app.ses_sent() == []
    assert [r["Status"] for r in table(after, "Reminders")] == [None, None]


def test_outside_the_window_the_sheet_says_when_they_go(tmp_path, backend_app, backend):
    _, _, previewed = run(payload_from_file(_ledger(tmp_path, DAY)), scripts.preview_reminders)
    with use(bootstrap(clock=FakeClock(EVENING.astimezone(dt.UTC)))):
        summary, _, after = run(previewed, scripts.send_reminders, backend=backend,
                                now=EVENING)
    assert backend_app.ses_sent() == []
    assert "Outside the Send Window (09:00-17:00 Europe/London): scheduled for 09:00 " \
           "Europe/London on Tue 8 Dec" in summary
    rows = table(after, "Reminders")
    assert [(r["Status"], r["Detail"]) for r in rows] == [
        ("queued", "scheduled for 09:00 Europe/London on Tue 8 Dec")] * 2
