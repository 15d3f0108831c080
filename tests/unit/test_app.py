"""The application layer (creditdesk.app): previewed reminders on their way to the backend, the
preview key, batch ids, and what a send or a sync takes from a workbook."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from creditdesk.api.models import BatchIn, ReminderIn
from creditdesk.app.reminders import (
    Held,
    Unsendable,
    new_batch_id,
    outgoing,
    preview_key,
    reminder_in,
)
from creditdesk.app.workbook import Workbook, snapshot
from creditdesk.domain.errors import WorkbookError
from creditdesk.domain.ledger import raw_tables
from tests.builders import AS_OF, customer, days_before, invoice, tables


def previewed(**kw) -> dict:
    """One reminder of ``Analysis.remind_doc()['reminders']``."""
    r = {"customer": "C1", "name": "C1 Ltd", "currency": "EUR", "level": 2,
         "level_name": "First reminder", "channel": "Email", "template": "first_reminder",
         "language": "en", "to": "ap@c1.example.com", "cc": "", "subject": "Overdue: EUR 100",
         "text": "Please pay.", "html": "<p>Please pay.</p>",
         "invoices": [{"invoice": "I1"}, {"invoice": "I0"}], "amount": 100.0,
         "interest": 1.5, "compensation": 40.0, "total": 141.5}
    r.update(kw)
    return r


def test_a_previewed_reminder_becomes_what_the_backend_takes():
    r = reminder_in(previewed(cc="a@c1.example.com; b@c1.example.com,c@c1.example.com"))
    assert r == ReminderIn(customer="C1", currency="EUR", level=2, to="ap@c1.example.com",
                           cc=["a@c1.example.com", "b@c1.example.com", "c@c1.example.com"],
                           subject="Overdue: EUR 100", text="Please pay.",
                           html="<p>Please pay.</p>", invoices=["I1", "I0"], amount=100.0,
                           interest=1.5, compensation=40.0)


@pytest.mark.parametrize(("change", "reason"), [
    ({"channel": "Letter"}, "channel is Letter: not sent by e-mail"),
    ({"subject": "", "text": ""}, "no template 'first_reminder' to render"),
    ({"to": "not an address"}, "to: Value error, 'not an address' is not a valid e-mail"),
    # a line break in the CC list is refused, never split into addresses
    ({"cc": "a@c1.example.com\nBcc: x@evil.example"},
     "cc: Value error, e-mail address holds a line break"),
    ({"subject": "Overdue\r\nBcc: x@evil.example"},
     "subject: Value error, must be one line (no line breaks)"),
])
def test_a_reminder_the_backend_cannot_send_is_held_with_the_reason(change, reason):
    with pytest.raises(Unsendable) as e:
        reminder_in(previewed(**change))
    assert str(e.value).startswith(reason)
    out = outgoing([previewed(), previewed(customer="C2", **change)])
    assert [r.customer for r in out.send] == ["C1"]
    assert len(out.held) == 1 and out.held[0].reason.startswith(reason)
    assert out.held[0] == Held("C2", "EUR", 2, out.held[0].reason)


def test_the_preview_key_is_what_the_controller_saw():
    r = previewed(customer="C-0042", currency="GBP", to="ap@acme.example.com",
                  invoices=[{"invoice": "INV-2"}, {"invoice": "INV-10"}], total=1234.5,
                  subject="Overdue: GBP 1,234.50")
    assert preview_key(r) == "c5e494103c1e91a0"  # as workbooks previewed before hold it
    assert preview_key({**r, "invoices": r["invoices"][::-1]}) == preview_key(r)
    for change in ({"total": 1234.51}, {"subject": "Final demand"}, {"to": "x@acme.example.com"},
                   {"level": 3}):
        assert preview_key({**r, **change}) != preview_key(r)


def test_a_batch_id_is_readable_random_and_in_the_contract():
    ids = {new_batch_id(dt.date(2026, 11, 24)) for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"cd-20261124-[0-9a-f]{12}", i) for i in ids)
    assert BatchIn(batch_id=ids.pop()).batch_id
    assert new_batch_id().startswith(f"cd-{dt.date.today():%Y%m%d}-")


def ledger_tables(**extra) -> dict:
    return raw_tables(tables(customers=[customer("C1"), customer("C2")],
                             invoices=[invoice("I1", 1000.0, days_before(10)),
                                       invoice("I2", 500.0, days_before(40), customer="C2")],
                             **extra))


def test_a_workbooks_snapshot_is_its_tables_as_read():
    wb = Workbook(ledger_tables())
    snap = wb.snapshot()
    assert snap == snapshot(wb.tables)
    inv = snap.tables["Invoices"]
    assert inv.sheet == "Invoices" and inv.first_row == 2
    assert inv.rows[0][:3] == ["I1", "C1", days_before(40).isoformat()]
    wb.analysis.all_docs()
    assert wb.snapshot() == snap  # building the ledger leaves the tables as they were


def test_a_sync_sends_what_the_ledger_would_refuse_and_the_backend_judges_it():
    tabs = ledger_tables()
    del tabs["invoices"]
    wb = Workbook(tabs)
    assert set(wb.snapshot().tables) == {"Customers", "Settings"}
    with pytest.raises(WorkbookError):
        wb.analysis  # noqa: B018


def test_a_workbooks_reminders_are_split_for_the_backend():
    wb = Workbook(ledger_tables(), as_of=AS_OF)
    assert [r["customer"] for r in wb.preview["reminders"]] == ["C1", "C2"]
    assert [r.customer for r in wb.outgoing.send] == ["C1", "C2"]
    assert wb.outgoing.held == []
    assert wb.outgoing.send[0] == reminder_in(wb.preview["reminders"][0])
