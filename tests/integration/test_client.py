"""The backend client against the real backend app in process (tests.support.backend):
contract, parts, pages, retries, errors, uploads, the key. Faults the app cannot make on demand
(a gateway 5xx, a timeout, a refused connection, a lost answer) are put in front of it."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from creditdesk.api.client import (
    BackendError,
    BackendUnreachable,
    Client,
    KeyRefused,
)
from creditdesk.api.models import MAX_INLINE_SNAPSHOT_BYTES, SnapshotIn
from creditdesk.app.workbook import snapshot, table_data
from creditdesk.domain.ledger import raw_tables
from tests.builders import customer, days_before, invoice, tables
from tests.support.transports import Wire

TODAY = dt.date.today()


def reminder(i: int, level: int = 1) -> dict:
    return {"customer": f"C-{i:05d}", "currency": "EUR", "level": level,
            "to": f"ap{i}@example.com", "subject": f"Reminder {i}", "text": "Please pay.",
            "invoices": [f"INV-{i}"], "amount": 100.0 + i}


@pytest.fixture
def key(backend_app) -> str:
    return backend_app.new_tenant()


@pytest.fixture
def wire(backend_app) -> Wire:
    return Wire(backend_app.transport())


@pytest.fixture
def client(backend_app, key, wire) -> Client:
    slept: list[float] = []
    c = Client(backend_app.url, key, transport=wire, sleep=slept.append)
    c.slept = slept  # type: ignore[attr-defined]
    return c


def ledger(customers: int = 3, invoices_each: int = 1) -> SnapshotIn:
    """A workbook's tables as the client sends them."""
    ids = [f"C{i}" for i in range(1, customers + 1)]
    return snapshot(raw_tables(tables(
        customers=[customer(c) for c in ids],
        invoices=[invoice(f"I-{c}-{k}", 100.0 + k, days_before(10 + k % 50, TODAY), customer=c)
                  for c in ids for k in range(invoices_each)],
        settings={"As Of Date": TODAY})))


def test_a_small_snapshot_is_sent_inline(client, wire):
    out = client.sync_snapshot(ledger(3))
    assert out.status == "active" and out.customers == 3
    assert [r.url.path for r in wire.requests] == ["/v1/ledger"]


def test_a_snapshot_over_the_upload_limit_is_refused_before_anything_is_sent(
        client, wire, monkeypatch):
    from creditdesk.api import client as client_module

    big = ledger(20, 3000)
    monkeypatch.setattr(client_module, "MAX_UPLOAD_BYTES", MAX_INLINE_SNAPSHOT_BYTES + 1)
    with pytest.raises(client_module.BackendError) as e:
        client.sync_snapshot(big)
    assert e.value.field == "size" and "at most" in e.value.message
    assert wire.requests == []


def test_a_large_snapshot_goes_through_a_presigned_upload_without_the_key(client, wire):
    big = ledger(20, 3000)
    assert len(big.model_dump_json()) > MAX_INLINE_SNAPSHOT_BYTES
    out = client.sync_snapshot(big)
    assert out.status == "active" and out.invoices == 60_000
    paths = [(r.method, r.url.host, r.url.path) for r in wire.requests]
    assert paths[0] == ("POST", "backend.test", "/v1/ledger/uploads")
    assert paths[1][0] == "PUT" and paths[1][1] != "backend.test"  # to storage, presigned
    assert "Authorization" not in wire.requests[1].headers
    assert paths[2][2].endswith("/complete")
    assert client.snapshot().version == out.version


def test_cells_travel_as_json_dates_as_iso_text():
    t = table_data(["a", "b", "c", "d"], [[dt.date(2026, 3, 1), float("nan"),
                                           dt.datetime(2026, 3, 1, 0, 0), None]])
    assert t.rows == [["2026-03-01", None, "2026-03-01", None]]


def test_reminders_go_in_parts_of_500_under_one_batch_id(backend_app, client, wire):
    backend_app.run_workers_after_requests = False  # accepting is the point, not sending
    out = client.submit_reminders([reminder(i) for i in range(1201)], batch_id="batch-0001")
    posts = [json.loads(r.content) for r in wire.posts("/v1/batches")]
    assert [(p["part"], p["parts"], len(p["reminders"])) for p in posts] == [
        (1, 3, 500), (2, 3, 500), (3, 3, 201)]
    assert {p["batch_id"] for p in posts} == {"batch-0001"}
    assert out.parts_received == 3 and out.counts.total == 1201


def test_a_retried_part_reuses_the_batch_id_and_is_accepted_once(backend_app, client, wire):
    wire.fail_next = [503, "lost"]  # the gateway fails, then the app's answer is lost
    client.submit_reminders([reminder(i) for i in range(3)], batch_id="batch-0001")
    posts = [json.loads(r.content) for r in wire.requests]
    assert [p["batch_id"] for p in posts] == ["batch-0001"] * 3
    assert len(client.slept) == 2
    assert client.batch("batch-0001").counts.sent == 3 and len(backend_app.ses_sent()) == 3


def test_the_same_reminders_sent_twice_send_nothing_new(client):
    first = client.submit_reminders([reminder(i) for i in range(5)], batch_id="batch-0001")
    second = client.submit_reminders([reminder(i) for i in range(5)], batch_id="batch-0002")
    first, second = (client.wait_for_batch(b.batch_id) for b in (first, second))
    assert first.counts.sent == 5
    assert second.counts.sent == 0 and second.counts.skipped == 5


def test_reminder_statuses_are_read_across_pages(backend_app, key):
    wire = Wire(backend_app.transport(), page_size=2)
    c = Client(backend_app.url, key, transport=wire, sleep=lambda s: None)
    b = c.submit_reminders([reminder(i) for i in range(5)], batch_id="batch-0001")
    rows = c.reminders(b.batch_id)
    assert len(rows) == 5 and len({r.key for r in rows}) == 5
    assert all(r.message_id for r in rows)
    pages = [r for r in wire.requests if r.url.path.endswith("/reminders")]
    assert len(pages) == 3 and all(r.url.params["limit"] == "1000" for r in pages)


def test_wait_for_batch_reports_progress(client):
    b = client.submit_reminders([reminder(1)], batch_id="batch-0001")
    seen = []
    done = client.wait_for_batch(b.batch_id, on_progress=seen.append)
    assert done.status == "done" and seen[-1] == done


def test_history_promises_disputes_and_notes(client):
    client.submit_reminders([reminder(7)], batch_id="batch-0001")
    client.add_promise("C-00007", 107.0, dt.date(2026, 12, 1), "will pay Friday")
    client.add_dispute("C-00007", "INV-7", "goods damaged")
    client.add_note("C-00007", "called the AP team")
    kinds = [e.type for e in client.history("C-00007")]
    assert kinds == ["reminder", "promise", "dispute", "note"]
    assert client.history("C-99999") == []
    assert len(client.history(start=TODAY - dt.timedelta(days=30))) == 4
    assert [e.type for e in client.history(type="note")] == ["note"]


def test_scores_and_erasure(client):
    client.add_note("C-1", "x")
    assert client.scores().customers == []
    gone = client.erase("C-1")
    assert gone.erased_events == 1 and gone.kept
    assert client.history("C-1") == []


def test_scores_are_read_across_pages(backend_app, key):
    wire = Wire(backend_app.transport(), page_size=2)
    c = Client(backend_app.url, key, transport=wire, sleep=lambda s: None)
    c.sync_snapshot(ledger(3))
    assert [s.customer for s in c.scores().customers] == ["C1", "C2", "C3"]
    assert len([r for r in wire.requests if r.url.path == "/v1/scores"]) == 2


def test_a_refused_key_says_so_and_never_shows_the_key(backend_app):
    c = Client(backend_app.url, "wrong-key-987", transport=backend_app.transport())
    with pytest.raises(KeyRefused) as e:
        c.scores()
    assert e.value.status == 403
    assert "API key was refused" in str(e.value)
    assert "wrong-key-987" not in str(e.value) and "wrong-key-987" not in repr(c)


def test_an_unreachable_backend_is_one_clear_message(key, wire):
    wire.fail_next = ["refused"] * 10
    c = Client("http://127.0.0.1:9", key, transport=wire, sleep=lambda s: None, retries=2)
    with pytest.raises(BackendUnreachable) as e:
        c.scores()
    assert str(e.value).startswith("cannot reach the Creditdesk backend at http://127.0.0.1:9")
    assert key not in str(e.value)
    assert len(wire.requests) == 3


def test_a_real_closed_port_is_unreachable():
    c = Client("http://127.0.0.1:9", "k", sleep=lambda s: None, retries=1, timeout=2)
    with pytest.raises(BackendUnreachable, match="cannot reach"):
        c.batch("abcdefgh")


def test_a_refusal_names_the_field(client):
    client.submit_reminders([reminder(1), reminder(2)], batch_id="batch-0001")
    with pytest.raises(BackendError) as e:  # the same batch id, other reminders
        client.submit_reminders([reminder(3)], batch_id="batch-0001")
    assert e.value.status == 409 and e.value.field == "batch_id"
    assert str(e.value).startswith("the Creditdesk backend refused the request: ")


def test_a_promise_is_not_retried_after_a_server_error(client, wire):
    wire.fail_next = [500]
    with pytest.raises(BackendError) as e:
        client.add_promise("C-1", 10.0, dt.date(2026, 12, 1))
    assert e.value.status == 500 and len(wire.requests) == 1
    assert client.history("C-1") == []


def test_throttling_is_retried_after_the_time_the_server_asks():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "3"})
        return httpx.Response(200, json={"as_of": None, "version": None, "customers": []})

    slept: list[float] = []
    c = Client("https://b.test", "k", transport=httpx.MockTransport(handler),
               sleep=slept.append)
    assert c.scores().customers == [] and slept == [3.0] and c.calls == 2


def test_the_key_goes_only_in_the_authorization_header(client, key, wire):
    client.scores()
    r = wire.requests[0]
    assert r.headers["Authorization"] == f"Bearer {key}"
    assert key not in str(r.url)


def test_snapshot_models_round_trip():
    snap = ledger(3)
    assert SnapshotIn.model_validate_json(snap.model_dump_json()) == snap
