"""The backend client against a fake transport: contract, parts, retries, errors, the key."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from creditdesk.api.client import (
    BackendError,
    BackendUnreachable,
    Client,
    FakeBackend,
    KeyRefused,
    table_data,
)
from creditdesk.api.models import MAX_INLINE_SNAPSHOT_BYTES, SnapshotIn
from creditdesk.app.reminders import new_batch_id

KEY = "cd_secret_key_123"


def reminder(i: int, level: int = 1) -> dict:
    return {"customer": f"C-{i:05d}", "currency": "EUR", "level": level,
            "to": f"ap{i}@example.com", "subject": f"Reminder {i}", "text": "Please pay.",
            "invoices": [f"INV-{i}"], "amount": 100.0 + i}


@pytest.fixture
def fake() -> FakeBackend:
    return FakeBackend(api_key=KEY)


@pytest.fixture
def client(fake: FakeBackend) -> Client:
    slept: list[float] = []
    c = Client("https://backend.test", KEY, transport=fake.transport(), sleep=slept.append)
    c.slept = slept  # type: ignore[attr-defined]
    return c


def tables(rows: int = 3) -> dict:
    return {"Customers": table_data(["Customer ID", "Name"],
                                    [[f"C-{i}", f"Name {i}"] for i in range(rows)]),
            "Invoices": table_data(["Invoice", "Due Date", "Amount"],
                                   [[f"I-{i}", dt.date(2026, 1, 1), 10.5] for i in range(rows)])}


def test_a_small_snapshot_is_sent_inline(client, fake):
    out = client.sync_snapshot(tables())
    assert out.status == "active" and out.customers == 3
    assert [r.url.path for r in fake.requests] == ["/v1/ledger"]


def test_a_large_snapshot_goes_through_a_presigned_upload_without_the_key(client, fake):
    rows = MAX_INLINE_SNAPSHOT_BYTES // 40
    out = client.sync_snapshot(tables(rows))
    assert out.invoices == rows
    paths = [(r.method, r.url.host, r.url.path) for r in fake.requests]
    assert paths[0] == ("POST", "backend.test", "/v1/ledger/uploads")
    assert paths[1][:2] == ("PUT", "uploads.fake")
    assert "Authorization" not in fake.requests[1].headers
    assert paths[2][2].endswith("/complete")


def test_cells_travel_as_json_dates_as_iso_text():
    t = table_data(["a", "b", "c", "d"], [[dt.date(2026, 3, 1), float("nan"),
                                           dt.datetime(2026, 3, 1, 0, 0), None]])
    assert t.rows == [["2026-03-01", None, "2026-03-01", None]]


def test_reminders_go_in_parts_of_500_under_one_batch_id(client, fake):
    out = client.submit_reminders([reminder(i) for i in range(1201)], batch_id=new_batch_id())
    posts = [json.loads(r.content) for r in fake.requests if r.method == "POST"]
    assert [(p["part"], p["parts"], len(p["reminders"])) for p in posts] == [
        (1, 3, 500), (2, 3, 500), (3, 3, 201)]
    assert len({p["batch_id"] for p in posts}) == 1
    assert out.counts.total == 1201 and out.status == "done"


def test_a_retried_part_reuses_the_batch_id_and_is_accepted_once(client, fake):
    fake.fail_next = [503, "timeout"]
    out = client.submit_reminders([reminder(i) for i in range(3)], batch_id="batch-0001")
    posts = [json.loads(r.content) for r in fake.requests]
    assert [p["batch_id"] for p in posts] == ["batch-0001"] * 3
    assert out.counts.sent == 3 and len(client.slept) == 2


def test_the_same_reminders_sent_twice_send_nothing_new(client):
    first = client.submit_reminders([reminder(i) for i in range(5)], batch_id=new_batch_id())
    second = client.submit_reminders([reminder(i) for i in range(5)], batch_id=new_batch_id())
    assert first.counts.sent == 5
    assert second.counts.sent == 0 and second.counts.skipped == 5


def test_reminder_statuses_are_read_across_pages(client):
    b = client.submit_reminders([reminder(i) for i in range(250)], batch_id=new_batch_id())
    rows = client.reminders(b.batch_id)
    assert len(rows) == 250 and len({r.key for r in rows}) == 250
    assert all(r.message_id for r in rows)


def test_wait_for_batch_reports_progress(client):
    b = client.submit_reminders([reminder(1)], batch_id=new_batch_id())
    seen = []
    done = client.wait_for_batch(b.batch_id, on_progress=seen.append)
    assert done.status == "done" and seen[-1] == done


def test_history_promises_disputes_and_notes(client):
    client.submit_reminders([reminder(7)], batch_id=new_batch_id())
    client.add_promise("C-00007", 107.0, dt.date(2026, 12, 1), "will pay Friday")
    client.add_dispute("C-00007", "INV-7", "goods damaged")
    client.add_note("C-00007", "called the AP team")
    kinds = [e.type for e in client.history("C-00007")]
    assert kinds == ["reminder", "promise", "dispute", "note"]
    assert client.history("C-99999") == []
    assert len(client.history(start=dt.date(2000, 1, 1))) == 4


def test_scores_and_erasure(client):
    client.add_note("C-1", "x")
    assert client.scores().customers == []
    gone = client.erase("C-1")
    assert gone.erased_events == 1 and gone.kept


def test_a_refused_key_says_so_and_never_shows_the_key(fake):
    c = Client("https://backend.test", "wrong-key-987", transport=fake.transport())
    with pytest.raises(KeyRefused) as e:
        c.scores()
    assert e.value.status == 401
    assert "API key was refused" in str(e.value)
    assert "wrong-key-987" not in str(e.value) and "wrong-key-987" not in repr(c)


def test_an_unreachable_backend_is_one_clear_message(fake):
    fake.fail_next = ["refused"] * 10
    c = Client("http://127.0.0.1:9", KEY, transport=fake.transport(), sleep=lambda s: None,
               retries=2)
    with pytest.raises(BackendUnreachable) as e:
        c.scores()
    assert str(e.value).startswith("cannot reach the Creditdesk backend at http://127.0.0.1:9")
    assert KEY not in str(e.value)
    assert len(fake.requests) == 3


def test_a_real_closed_port_is_unreachable():
    c = Client("http://127.0.0.1:9", KEY, sleep=lambda s: None, retries=1, timeout=2)
    with pytest.raises(BackendUnreachable, match="cannot reach"):
        c.batch("abcdefgh")


def test_a_validation_error_names_the_field(client):
    with pytest.raises(BackendError) as e:
        client._call("POST", "/v1/batches", body=b'{"batch_id": "x"}')
    assert e.value.status == 422 and e.value.field == "batch_id"


def test_a_promise_is_not_retried_after_a_server_error(client, fake):
    fake.fail_next = [500]
    with pytest.raises(BackendError) as e:
        client.add_promise("C-1", 10.0, dt.date(2026, 12, 1))
    assert e.value.status == 500 and len(fake.requests) == 1


def test_throttling_is_retried_after_the_time_the_server_asks():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "3"})
        return httpx.Response(200, json={"as_of": None, "version": None, "customers": []})

    slept: list[float] = []
    c = Client("https://b.test", KEY, transport=httpx.MockTransport(handler), sleep=slept.append)
    assert c.scores().customers == [] and slept == [3.0] and c.calls == 2


def test_the_key_goes_only_in_the_authorization_header(client, fake):
    client.scores()
    r = fake.requests[0]
    assert r.headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in str(r.url)


def test_snapshot_models_accept_the_fake_and_round_trip():
    snap = SnapshotIn(tables=tables())
    assert SnapshotIn.model_validate_json(snap.model_dump_json()) == snap
