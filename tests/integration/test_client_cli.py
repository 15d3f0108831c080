"""`creditdesk sync` and `creditdesk send` against the real backend app in process (its
transport handed to ``main``), and the plugin hook that lets the backend add its operator
commands."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from creditdesk.cli import main as cli
from creditdesk.files.xlsx_write import write_workbook
from devkit.sample import sample_tables
from tests.support.transports import Wire

AS_OF = dt.date(2026, 11, 24)
# The sample is as of AS_OF, and the tests run at any hour: send it as of then, at once
# (tests/integration/test_send_checks.py covers the refusal and the Send Window).
ANYTIME = ("--as-of-ok", "--now")


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "ledger.xlsx"
    write_workbook(path, sample_tables(as_of=AS_OF, messy=True, hostile=True))
    return path


@pytest.fixture
def workbook(written, tmp_path) -> Path:
    """A test's own copy: sync writes the history into it."""
    path = tmp_path / written.name
    shutil.copy(written, path)
    return path


@pytest.fixture
def wire(backend_app, monkeypatch) -> Wire:
    """The wire to the app; the address and a tenant's key in the environment."""
    monkeypatch.setenv(cli.URL_ENV, backend_app.url)
    monkeypatch.setenv(cli.KEY_ENV, backend_app.new_tenant())
    return Wire(backend_app.transport())


def run(capsys, *args, transport=None):
    code = cli.main([str(a) for a in args], transport=transport)
    out, err = capsys.readouterr()
    return code, out, err


def test_sync_sends_the_snapshot_and_reports_what_the_backend_holds(capsys, wire, workbook):
    code, out, err = run(capsys, "sync", workbook, transport=wire)
    assert code == 0, err
    assert "snapshot " in out and "is active" in out and "60 customer(s)" in out
    assert "The backend's history since" in out
    sent = json.loads(wire.requests[0].content)
    assert {"Customers", "Invoices"} <= set(sent["tables"])


def test_sync_json_has_the_snapshot_and_the_history(capsys, wire, workbook):
    run(capsys, "send", workbook, *ANYTIME, "--yes", "--json", transport=wire)
    code, out, _ = run(capsys, "sync", workbook, "--json", transport=wire)
    doc = json.loads(out)
    assert code == 0 and doc["snapshot"]["status"] == "active"
    assert {e["type"] for e in doc["history"]} == {"reminder"}


def test_send_previews_submits_waits_and_reports_each_message_id(capsys, backend_app, wire,
                                                                workbook):
    code, out, err = run(capsys, "send", workbook, *ANYTIME, "--yes", transport=wire)
    assert code == 0, err
    assert "Reminders as of 2026-11-24: 20 to send" in out
    assert re.search(r"^Batch cd-20261124-[0-9a-f]{12}: 20 reminder\(s\) accepted", out, re.M)
    assert "Done: 20 sent, 0 skipped" in out
    sent = backend_app.ses_sent()
    assert len(sent) == 20 and all(f" sent     {m.id}" in out for m in sent)
    assert "Sending: 20/20: 20 sent" in err  # plain progress lines off a terminal


def test_the_same_workbook_sent_twice_sends_nothing_new(capsys, wire, workbook):
    run(capsys, "send", workbook, *ANYTIME, "--yes", transport=wire)
    code, out, _ = run(capsys, "send", workbook, *ANYTIME, "--yes", "--json", transport=wire)
    doc = json.loads(out)
    assert code == 0
    assert doc["batch"]["counts"]["sent"] == 0 and doc["batch"]["counts"]["skipped"] == 20


def test_send_json_keeps_stdout_to_one_document(capsys, wire, workbook):
    code, out, err = run(capsys, "send", workbook, *ANYTIME, "--yes", "--json", transport=wire)
    doc = json.loads(out)
    assert code == 0 and len(doc["reminders"]) == 20
    assert all(r["status"] == "sent" and r["message_id"] for r in doc["reminders"])
    assert "Reminders as of" in err


def test_send_without_a_terminal_or_yes_sends_nothing(capsys, wire, workbook, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, out, _ = run(capsys, "send", workbook, *ANYTIME, transport=wire)
    first, rest = out.split("\n", 1)
    assert code == 2
    assert first.startswith("creditdesk send: nothing will be sent: there is no terminal")
    assert "add --yes" in first
    assert "Reminders as of 2026-11-24: 20 to send" in rest  # the preview follows
    assert out.rstrip().endswith("Nothing was sent (no terminal to ask on; add --yes).")
    assert not [r for r in wire.requests if r.method == "POST"]


def test_send_asks_and_a_no_sends_nothing(capsys, wire, workbook, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty("n\n"))
    code, out, err = run(capsys, "send", workbook, *ANYTIME, transport=wire)
    assert code == 0 and "Nothing was sent." in out and "[y/N]" in err
    assert not wire.requests


def test_a_refused_key_is_one_line_and_exit_2(capsys, wire, workbook, monkeypatch):
    monkeypatch.setenv(cli.KEY_ENV, "not-the-key")
    code, out, err = run(capsys, "sync", workbook, transport=wire)
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "API key was refused" in err
    assert "not-the-key" not in err


def test_an_unreachable_backend_is_one_line_and_exit_2(capsys, workbook):
    code, _, err = run(capsys, "sync", workbook, "--url", "http://127.0.0.1:9",
                       "--api-key", "k")
    assert code == 2
    assert err.startswith("creditdesk: cannot reach the Creditdesk backend at "
                          "http://127.0.0.1:9")


def test_no_url_is_a_usage_error(capsys, workbook, monkeypatch):
    monkeypatch.delenv(cli.URL_ENV, raising=False)
    code, _, err = run(capsys, "send", workbook, *ANYTIME, "--api-key", "k")
    assert code == 2 and "set CREDITDESK_URL" in err


def _plugin_dist(tmp_path: Path, module: str, body: str) -> Path:
    """A tiny installed distribution with a ``creditdesk.commands`` entry point."""
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(body))
    info = tmp_path / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[creditdesk.commands]\nhello = {module}:register\n")
    return tmp_path


def test_plugins_add_command_groups_through_entry_points(capsys, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(_plugin_dist(tmp_path, "cd_plugin_ok", """
        def register(sub):
            p = sub.add_parser("hello", help="say hello")
            p.add_argument("name")
            p.set_defaults(run=lambda args: print(f"hello {args.name}") or 0)
    """)))
    code, out, _ = run(capsys, "hello", "world")
    assert code == 0 and out == "hello world\n"


def test_a_plugin_that_cannot_load_says_why_when_used(capsys, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(_plugin_dist(tmp_path, "cd_plugin_broken", """
        import not_installed_anywhere  # noqa
        def register(sub): ...
    """)))
    code, _, err = run(capsys, "hello", "x")
    assert code == 2 and "not available here" in err and "not_installed_anywhere" in err
