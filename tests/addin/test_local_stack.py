"""The add-in's Send button against the real backend: the local stack (`creditdesk backend
serve`: the Chalice app on moto, over HTTP), through the xlwings engine, with the address from
the workbook's Settings and the key from the environment, as a user's Excel has them. What
SES accepted is read from the outbox, where the stack writes every message it sends."""

from __future__ import annotations

import datetime as dt
import email
import functools
from email import policy
from pathlib import Path

import pytest

from creditdesk.files.xlsx_write import write_workbook
from creditdesk_addin import scripts
from devkit.officejs import payload_from_file
from devkit.supervisor import LocalBackend
from tests.addin.engine import cell, run, table
from tests.builders import customer, days_before, invoice, tables

pytestmark = pytest.mark.slow
AS_OF = dt.date.today()  # the backend keys reminders by the tenant's day: today
FORMULA_NAME = '=HYPERLINK("http://evil.example","pay here")'


# The tests run at any hour: send at once (the Send Window: tests/addin/test_send_window.py).
send_now = functools.partial(scripts.send_reminders, at_once=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with LocalBackend(tmp_path_factory.mktemp("outbox"), timeout=120) as b:
        yield b


@pytest.fixture
def ledger(stack, tmp_path, monkeypatch, request):
    """Three customers owing money, their own to each test (a reminder sent today is never
    sent again, whichever batch asks); the third is named like a formula."""
    monkeypatch.setenv(scripts.API_KEY_VARIABLE, stack.api_key)
    tag = request.node.name[-12:].replace("_", "").lower()
    path = tmp_path / "ledger.xlsx"
    ids = [f"{tag}-{i}" for i in (1, 2, 3)]
    write_workbook(path, tables(
        customers=[customer(ids[0], Email=f"ap@{ids[0]}.addin.example.com"),
                   customer(ids[1], Email=f"ap@{ids[1]}.addin.example.com"),
                   customer(ids[2], Name=FORMULA_NAME, Email=f"ap@{ids[2]}.addin.example.com")],
        invoices=[invoice(f"{tag}-N1", 1000.0, days_before(10, AS_OF), customer=ids[0]),
                  invoice(f"{tag}-N2", 500.0, days_before(40, AS_OF), customer=ids[1]),
                  invoice(f"{tag}-N3", 700.0, days_before(20, AS_OF), customer=ids[2])],
        settings={"Backend URL": stack.url, "As Of Date": AS_OF}))
    return path, ids


def outbox(stack, ids) -> dict[str, email.message.EmailMessage]:
    """The messages SES accepted for these customers, by message id."""
    out = {}
    for p in Path(stack.info["outbox"]).glob("*.eml"):
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        if any(f"@{c}.addin.example.com" in str(msg["To"]) for c in ids):
            out[str(msg["Message-ID"]).strip().strip("<>").split("@")[0]] = msg
    return out


def test_send_twice_sends_once_through_the_real_backend(stack, ledger):
    path, ids = ledger
    _, _, previewed = run(payload_from_file(path), scripts.preview_reminders)
    summary, _, sent = run(previewed, send_now)
    rows = table(sent, "Reminders")
    assert [r["Status"] for r in rows] == ["sent"] * 3, summary
    mails = outbox(stack, ids)
    assert len(mails) == 3
    assert {r["Message Id"] for r in rows} == set(mails)  # the ids SES gave, on the sheet
    for r in rows:
        assert mails[r["Message Id"]]["To"] == f"ap@{r['Customer']}.addin.example.com"
    assert summary.startswith(f"Batch {cell(previewed, 'Reminders', 2, 2)}: 3 reminder(s) "
                              "handed over (3 sent)")

    again, _, _ = run(sent, send_now)  # the sheet says they went
    assert again.startswith("Nothing to send: 3 reminder(s) of batch")
    stale, _, after = run(previewed, send_now)  # Excel lost the first statuses
    assert [r["Status"] for r in table(after, "Reminders")] == ["sent"] * 3, stale
    assert outbox(stack, ids).keys() == mails.keys()  # nothing new went out


def test_a_customer_named_like_a_formula_stays_text_in_the_workbook_and_the_mail(stack,
                                                                               ledger):
    path, ids = ledger
    _, actions, previewed = run(payload_from_file(path), scripts.preview_reminders)
    _, _, sent = run(previewed, send_now)
    row = next(r for r in table(sent, "Reminders") if r["Customer"] == ids[2])
    assert row["Name"] == FORMULA_NAME and row["Status"] == "sent"
    written = [v for a in actions if a.get("func") == "setValues"
               for line in a["values"] for v in line if isinstance(v, str)]
    assert "'" + FORMULA_NAME in written  # written with Excel's text prefix: never a formula
    html = outbox(stack, ids)[row["Message Id"]].get_body(("html",)).get_content()
    # text, not markup: the backend's sanitiser (nh3) leaves quotes in text as they are
    assert 'Dear Accounts team at =HYPERLINK("http://evil.example","pay here")' in html
    assert 'href="http://evil.example' not in html  # escaped where it lands: no live link
