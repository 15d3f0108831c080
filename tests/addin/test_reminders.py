"""Preview, Send and Sync against the real backend app in process (tests.support.backend),
through the xlwings engine, with the workbook as Excel leaves it after each click."""

import datetime as dt
import functools
import json

import pytest

from creditdesk.api.client import Client
from creditdesk.files.xlsx_write import write_workbook
from creditdesk_addin import scripts
from devkit.officejs import payload_from_file
from tests.addin.engine import cell, run, table
from tests.builders import customer, days_before, invoice, tables
from tests.support.transports import Wire

# The backend keys reminders by the tenant's day and stamps history with the real clock, so
# this ledger is as of today.
AS_OF = dt.date.today()

URL = "https://api.creditdesk.example"


# The tests run at any hour: send at once (the Send Window: tests/addin/test_send_window.py).
send_now = functools.partial(scripts.send_reminders, at_once=True)


@pytest.fixture
def key(backend_app) -> str:
    return backend_app.new_tenant()


@pytest.fixture
def wire(backend_app) -> Wire:
    return Wire(backend_app.transport())


@pytest.fixture
def backend(key, wire):
    """What the add-in's ``connect`` gives: a client for Settings' Backend URL."""
    def connect(settings):
        assert settings.backend_url == URL
        return Client(settings.backend_url, key, transport=wire, sleep=lambda s: None)
    return connect


@pytest.fixture
def api(key, wire) -> Client:
    """The same tenant's API, as another client (the debtor portal, a colleague) uses it."""
    return Client(URL, key, transport=wire, sleep=lambda s: None)


@pytest.fixture
def ledger(tmp_path):
    """Three customers owing money; C3 is named like a formula."""
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, tables(
        customers=[customer("C1"), customer("C2"),
                   customer("C3", Name='=HYPERLINK("http://evil.example","pay here")')],
        invoices=[invoice("I1", 1000.0, days_before(10, AS_OF)),
                  invoice("I2", 500.0, days_before(40, AS_OF), customer="C2"),
                  invoice("I3", 700.0, days_before(20, AS_OF), customer="C3")],
        settings={"Backend URL": URL, "As Of Date": AS_OF}))
    return path


def batch_posts(wire) -> list:
    return wire.posts("/v1/batches")


def sent_messages(backend_app) -> int:
    return len(backend_app.ses_sent())


def test_preview_fills_the_reminders_sheet_with_a_batch_id_and_every_row_ticked(ledger):
    summary, _, after = run(payload_from_file(ledger), scripts.preview_reminders)
    rows = table(after, "Reminders")
    assert [(r["Customer"], r["Send"], r["Status"]) for r in rows] == [
        ("C1", "Yes", None), ("C2", "Yes", None), ("C3", "Yes", None)]
    assert rows[2]["Name"] == '=HYPERLINK("http://evil.example","pay here")'
    batch = cell(after, "Reminders", 2, 2)
    assert batch.startswith(f"cd-{AS_OF:%Y%m%d}-") and len(batch) == 24
    assert summary.startswith(f"Preview as of {AS_OF}: 3 reminder(s) ready")
    assert [ln["Invoice"] for ln in table(after, "ReminderInvoices")] == ["I1", "I2", "I3"]


def test_send_twice_sends_once(ledger, backend_app, wire, backend):
    _, _, previewed = run(payload_from_file(ledger), scripts.preview_reminders)
    summary, _, sent = run(previewed, send_now, backend=backend)
    assert sent_messages(backend_app) == 3 and len(batch_posts(wire)) == 1
    rows = table(sent, "Reminders")
    assert [r["Status"] for r in rows] == ["sent"] * 3
    assert {r["Message Id"] for r in rows} == {m.id for m in backend_app.ses_sent()}
    assert summary.startswith(f"Batch {cell(previewed, 'Reminders', 2, 2)}: 3 reminder(s) "
                              "handed over (3 sent)")

    again, _, _ = run(sent, send_now, backend=backend)
    assert len(batch_posts(wire)) == 1  # the sheet says they went: nothing is handed over
    assert sent_messages(backend_app) == 3
    assert again.startswith("Nothing to send: 3 reminder(s) of batch")


def test_a_second_click_on_a_stale_workbook_is_accepted_once_by_the_backend(
        ledger, backend_app, wire, backend, api):
    """Excel never applied the first click's statuses (a crash, a double click): the same
    batch id goes again and the backend accepts it once."""
    _, _, previewed = run(payload_from_file(ledger), scripts.preview_reminders)
    run(previewed, send_now, backend=backend)
    run(previewed, send_now, backend=backend)
    posts = batch_posts(wire)
    assert len(posts) == 2
    assert len({json.loads(p.content)["batch_id"] for p in posts}) == 1
    assert sent_messages(backend_app) == 3
    assert len(api.history(type="reminder")) == 3


def test_unticked_reminders_are_not_sent(ledger, wire, backend):
    _, _, previewed = run(payload_from_file(ledger), scripts.preview_reminders)
    sheet = next(s for s in previewed["sheets"] if s["name"] == "Reminders")
    sheet["values"][5][0] = "No"  # the controller unticks C2 (worksheet row 6)
    summary, _, sent = run(previewed, send_now, backend=backend)
    body = json.loads(batch_posts(wire)[0].content)
    assert [r["customer"] for r in body["reminders"]] == ["C1", "C3"]
    assert [r["Status"] for r in table(sent, "Reminders")] == ["sent", None, "sent"]
    assert "1 unticked" in summary


def test_a_reminder_that_no_longer_matches_the_ledger_is_not_sent(ledger, backend):
    _, _, previewed = run(payload_from_file(ledger), scripts.preview_reminders)
    invoices = next(s for s in previewed["sheets"] if s["name"] == "Invoices")
    invoices["values"][1][5] = 1500  # I1 grew after the preview
    _, _, sent = run(previewed, send_now, backend=backend)
    rows = table(sent, "Reminders")
    assert [r["Status"] for r in rows] == ["changed", "sent", "sent"]
    assert "preview again" in table(sent, "Issues")[0]["Message"]


def test_the_api_key_is_never_written_to_the_workbook_or_printed(ledger, key, backend, capsys,
                                                                 caplog):
    _, _, previewed = run(payload_from_file(ledger), scripts.preview_reminders)
    _, actions, sent = run(previewed, send_now, backend=backend)
    _, actions2, _ = run(sent, scripts.sync, backend=backend)
    out = capsys.readouterr()
    for text in (json.dumps(actions), json.dumps(actions2), out.out, out.err, caplog.text):
        assert key not in text


def test_send_without_a_backend_url_or_key_says_what_to_do(ledger, tmp_path, monkeypatch):
    _, _, previewed = run(payload_from_file(ledger), scripts.preview_reminders)
    monkeypatch.delenv(scripts.API_KEY_VARIABLE, raising=False)
    summary, _, _ = run(previewed, send_now)
    assert summary == ("Send reminders stopped: no API key: set CREDITDESK_API_KEY in your "
                       "user environment variables, then restart Excel")
    bare = tmp_path / "bare.xlsx"
    write_workbook(bare, tables(invoices=[invoice("I1", 1000.0, days_before(10, AS_OF))],
                                settings={"As Of Date": AS_OF}))
    _, _, previewed = run(payload_from_file(bare), scripts.preview_reminders)
    monkeypatch.setenv(scripts.API_KEY_VARIABLE, "cd_test_SECRET_key_0042")
    summary, _, _ = run(previewed, send_now)
    assert "Settings has no Backend URL" in summary


def test_send_before_preview_asks_for_a_preview(ledger, backend):
    summary, _, _ = run(payload_from_file(ledger), send_now, backend=backend)
    assert summary == ("Send reminders stopped: there is no Reminders sheet with a preview: "
                       "click Preview reminders first")


def test_a_refused_key_or_an_unreachable_backend_is_a_sentence(ledger, key, wire):
    _, _, previewed = run(payload_from_file(ledger), scripts.preview_reminders)

    def wrong_key(settings):
        return Client(URL, "wrong", transport=wire, sleep=lambda s: None)
    summary, _, after = run(previewed, send_now, backend=wrong_key)
    assert summary.startswith("Send reminders stopped: the API key was refused")
    wire.fail_next = ["refused"] * 10

    def down(settings):
        return Client(URL, key, transport=wire, sleep=lambda s: None, retries=1)
    summary, _, after = run(previewed, send_now, backend=down)
    assert summary.startswith("Send reminders stopped: cannot reach the Creditdesk backend")
    assert [r["Status"] for r in table(after, "Reminders")] == [None] * 3  # nothing went


def test_sync_pushes_the_ledger_and_brings_history_back_so_cool_downs_hold(ledger, wire,
                                                                           backend, api):
    _, _, previewed = run(payload_from_file(ledger), scripts.preview_reminders)
    _, _, sent = run(previewed, send_now, backend=backend)
    api.add_promise("C2", 500.0, AS_OF, note="=cmd|' /C calc'!A0")
    summary, _, synced = run(sent, scripts.sync, backend=backend)
    snap = json.loads(wire.posts("/v1/ledger")[-1].content)
    assert len(snap["tables"]["Invoices"]["rows"]) == 3
    first = days_before(40, AS_OF).isoformat()  # I1's invoice date: as ISO text
    assert snap["tables"]["Invoices"]["rows"][0][2] == first
    assert api.snapshot().status == "active" and api.snapshot().invoices == 3
    history = table(synced, "History")
    assert [(h["Customer"], h["Type"]) for h in history] == [
        ("C1", "Reminder"), ("C2", "Reminder"), ("C3", "Reminder"), ("C2", "Promise")]
    assert history[3]["Note"] == f"promised 500.00 by {AS_OF}: =cmd|' /C calc'!A0"
    assert "4 new history row(s) added" in summary

    # the next preview respects the cool-down of the reminders just sent
    _, _, again = run(synced, scripts.preview_reminders)
    assert table(again, "Reminders")[0]["Customer"] is None  # nothing to send today
    reasons = {r["Customer"]: r["Reason"] for r in table(again, "NotChased")}
    assert set(reasons) == {"C1", "C2", "C3"}

    # a second sync adds nothing twice
    summary, _, twice = run(synced, scripts.sync, backend=backend)
    assert "0 new history row(s) added" in summary
    assert len(table(twice, "History")) == 4


def test_text_from_the_backend_cannot_become_a_formula(ledger, backend, api):
    api.add_note("C1", "=1+1")
    _, actions, _ = run(payload_from_file(ledger), scripts.sync, backend=backend)
    cells = [v for a in actions if a["func"] == "setValues" for row in a["values"]
             for v in row]
    assert "'=1+1" in cells and "=1+1" not in cells


def test_a_reminder_whose_level_is_a_letter_is_not_emailed(tmp_path, backend_app, wire,
                                                           backend):
    """The add-in sends what the CLI sends (creditdesk.app.reminders): a level whose channel
    is Letter is printed, not e-mailed; the row says why."""
    levels = (["Level", "Name", "Days After Due", "Template", "Channel", "Add Interest"],
              [[1, "Courtesy note", -5, "courtesy", "Email", "No"],
               [2, "First reminder", 7, "first_reminder", "Letter", "No"]])
    path = tmp_path / "letters.xlsx"
    write_workbook(path, tables(
        customers=[customer("C1"), customer("C2")],
        invoices=[invoice("I1", 1000.0, days_before(-3, AS_OF)),  # due in 3 days
                  invoice("I2", 500.0, days_before(40, AS_OF), customer="C2")],
        settings={"Backend URL": URL, "As Of Date": AS_OF},
        extra={"Dunning Levels": levels}))
    _, _, previewed = run(payload_from_file(path), scripts.preview_reminders)
    assert [r["Channel"] for r in table(previewed, "Reminders")] == ["Email", "Letter"]
    summary, _, sent = run(previewed, send_now, backend=backend)
    assert "1 reminder(s) handed over (1 sent)" in summary
    rows = table(sent, "Reminders")
    assert [(r["Customer"], r["Status"]) for r in rows] == [("C1", "sent"), ("C2", "not sent")]
    assert rows[1]["Detail"] == "channel is Letter: not sent by e-mail"
    assert [r["customer"] for r in json.loads(batch_posts(wire)[0].content)["reminders"]] == [
        "C1"]
    assert sent_messages(backend_app) == 1
    assert "C2 EUR: cannot be sent: channel is Letter" in table(sent, "Issues")[0]["Message"]


def test_the_reminder_invoices_table_shows_each_invoices_reference_as_the_mail_does(tmp_path):
    from creditdesk.analysis.report import Analysis
    from creditdesk.domain.ledger import build_ledger, raw_tables

    book = tables(customers=[customer("C1"), customer("C2")],
                  invoices=[invoice("I1", 1000.0, days_before(10, AS_OF), Reference="PO-1001"),
                            invoice("I2", 500.0, days_before(40, AS_OF), customer="C2")],
                  settings={"Backend URL": URL, "As Of Date": AS_OF})
    path = tmp_path / "ledger.xlsx"
    write_workbook(path, book)
    _, _, after = run(payload_from_file(path), scripts.preview_reminders)
    lines = table(after, "ReminderInvoices")
    assert list(lines[0])[3:6] == ["Invoice", "Reference", "Invoice Date"]
    assert [(ln["Invoice"], ln["Reference"]) for ln in lines] == [("I1", "PO-1001"),
                                                                  ("I2", None)]
    mail = next(r for r in Analysis(build_ledger(raw_tables(book))).remind_doc()["reminders"]
                if r["customer"] == "C1")
    assert "PO-1001" in mail["text"] and "<td>PO-1001</td>" in mail["html"]

def set_cell(payload: dict, sheet: str, key: str, header: str, value) -> dict:
    """The payload with ``header`` of the row whose first cell is ``key`` set to ``value``
    (as the user types it into Excel)."""
    import copy

    out = copy.deepcopy(payload)
    values = next(s for s in out["sheets"] if s["name"] == sheet)["values"]
    j = values[0].index(header)
    next(r for r in values[1:] if r[0] == key)[j] = value
    return out


def test_sync_writes_the_audit_trail_once_and_a_limit_raise_is_reviewed(tmp_path, backend):
    """The Sync button brings the backend's audit trail into the Audit table (each entry
    once), and Refresh then reviews a limit raised by more than Limit Raise Review."""
    path = tmp_path / "limits.xlsx"
    write_workbook(path, tables(
        customers=[customer("C1", **{"Credit Limit": 10000}),
                   customer("C2", **{"Credit Limit": 10000})],
        invoices=[invoice("I1", 1000.0, days_before(10, AS_OF)),
                  invoice("I2", 500.0, days_before(10, AS_OF), customer="C2")],
        settings={"Backend URL": URL, "As Of Date": AS_OF}))
    summary, _, synced = run(payload_from_file(path), scripts.sync, backend=backend)
    assert "1 audit change(s)" in summary
    assert [(r["Subject"], r["Field"]) for r in table(synced, "Audit")] == [
        ("ledger", "initial")]
    raised = set_cell(synced, "Customers", "C1", "Credit Limit", 1_000_000)
    summary, _, again = run(raised, scripts.sync, backend=backend)
    rows = table(again, "Audit")
    assert [(r["Subject"], r["Field"], r["Old"], r["New"]) for r in rows][1:] == [
        ("C1", "Credit Limit", "10000", "1000000")]
    assert rows[1]["Key"]
    summary, _, twice = run(again, scripts.sync, backend=backend)
    assert "0 audit change(s)" in summary and len(table(twice, "Audit")) == 2
    _, _, refreshed = run(twice, scripts.refresh)
    credit = {r["Customer"]: r for r in table(refreshed, "Credit")}
    assert credit["C1"]["Decision"] == "Review" and credit["C2"]["Decision"] == "Approve"
    assert "credit limit raised from 10,000.00 to 1,000,000.00 on " in credit["C1"]["Reasons"]
