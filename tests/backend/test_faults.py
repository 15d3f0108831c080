"""Faults on moto in-process: SES throttling and errors, a worker killed between send and
record, double and concurrent submission, SQS redelivery. Counted from what SES holds:
0 duplicates, 0 lost reminders."""

from __future__ import annotations

import email
import threading
from collections import Counter
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import aws as _aws
from chalicelib.adapters.dynamo import DynamoStore
from chalicelib.bootstrap import bootstrap
from chalicelib.services import batches, sending, tenancy
from chalicelib.services.errors import Conflict
from creditdesk.api.models import BatchIn

from .build import reminder, reminders
from .conftest import bearer, body, ses_sent, sqs_bodies, sqs_event
from .fakes import FakeContext


@pytest.fixture
def acme(aws):
    return tenancy.create_tenant(bootstrap(), "Acme")


def ses_hook(event: str, fn):
    """Register ``fn`` on the real SES send client; returns a function that removes it."""
    events = _aws.client("sesv2", "send").meta.events
    name = f"{event}.sesv2.SendEmail"
    events.register(name, fn)
    return lambda: events.unregister(name, fn)


def ses_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "SendEmail")


def sent_to() -> Counter:
    return Counter(m.destinations["ToAddresses"][0] for m in ses_sent())


def addresses(rems: list[dict]) -> Counter:
    return Counter(r["to"] for r in rems)


def worker(app, records):
    return app.handler_map["send_worker"](sqs_event(records), FakeContext())


def statuses(client, key, batch_id="batch-0001") -> Counter:
    counts = client.http.get(f"/v1/batches/{batch_id}", headers=bearer(key)).json_body["counts"]
    return Counter({k: v for k, v in counts.items() if v and k != "total"})


def test_throttled_sends_are_retried_later_and_every_reminder_goes_once(client, app, aws, acme):
    rems = reminders(6)
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": rems}))
    calls = {"n": 0}

    def throttle(**kw):
        calls["n"] += 1
        if calls["n"] in (2, 3):
            raise ses_error("TooManyRequestsException", "Maximum sending rate exceeded.")

    remove = ses_hook("before-call", throttle)
    try:
        records = sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])
        for _ in range(5):  # the queue hands failed records back; here, by hand
            failed = {f["itemIdentifier"] for f in worker(app, records)["batchItemFailures"]}
            records = [r for r in records if r["messageId"] in failed]
            if not records:
                break
    finally:
        remove()
    assert sent_to() == addresses(rems)
    assert statuses(client, acme[1]) == Counter(sent=6)


def test_a_worker_killed_between_send_and_record_is_flagged_for_review_not_resent(
        client, app, aws, acme, monkeypatch):
    rems = reminders(3)
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": rems}))
    records = sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])
    real = DynamoStore.put_many
    state = {"killed": False}

    def killed_once(self, items):
        items = list(items)
        if not state["killed"] and any(i.get("message_id") for i in items):
            state["killed"] = True
            raise RuntimeError("Lambda killed after SES returned")
        return real(self, items)

    monkeypatch.setattr(DynamoStore, "put_many", killed_once)
    first = worker(app, records)
    assert [f["itemIdentifier"] for f in first["batchItemFailures"]] == [
        records[0]["messageId"]]
    assert len(ses_sent()) == 3  # sent, but the worker died before recording them
    assert worker(app, records) == {"batchItemFailures": []}  # SQS redelivers it
    assert sent_to() == addresses(rems)  # one each: nothing was sent again
    assert statuses(client, acme[1]) == Counter(review=3)
    items = client.http.get("/v1/batches/batch-0001/reminders",
                            headers=bearer(acme[1])).json_body["items"]
    review = next(i for i in items if i["status"] == "review")
    assert "may have gone out" in review["detail"]


def test_an_exception_right_after_ses_returns_leaves_the_reminder_for_review(
        client, app, aws, acme):
    rems = [reminder("C1")]
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": rems}))

    def crash(**kw):
        raise RuntimeError("connection reset after the response")

    remove = ses_hook("after-call", crash)
    try:
        records = sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])
        worker(app, records)
    finally:
        remove()
    worker(app, records)
    assert sent_to() == addresses(rems)
    assert statuses(client, acme[1]) == Counter(review=1)


def test_ses_refusing_one_message_fails_it_and_the_rest_go(client, app, aws, acme):
    rems = reminders(3)
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": rems}))

    def refuse(params, **kw):
        if params["Destination"]["ToAddresses"] == ["ap@c1.example.com"]:
            raise ses_error("MessageRejected", "Email address is not verified.")

    remove = ses_hook("before-parameter-build", refuse)
    try:
        worker(app, sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"]))
    finally:
        remove()
    assert sent_to() == Counter({"ap@c0.example.com": 1, "ap@c2.example.com": 1})
    assert statuses(client, acme[1]) == Counter(sent=2, failed=1)


def test_a_spent_daily_quota_stops_the_run_and_the_batch_says_so(client, app, aws, acme):
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": reminders(3)}))
    remove = ses_hook("before-call", lambda **kw: (_ for _ in ()).throw(
        ses_error("LimitExceededException", "Daily message quota exceeded.")))
    try:
        worker(app, sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"]))
    finally:
        remove()
    assert ses_sent() == []
    out = client.http.get("/v1/batches/batch-0001", headers=bearer(acme[1])).json_body
    assert out["counts"]["failed"] == 3 and "quota" in out["detail"]


def test_the_account_quota_read_at_run_start_limits_the_run(aws, acme, monkeypatch):
    monkeypatch.setenv("CREDITDESK_SES_QUOTA", "1000/2")
    deps = bootstrap()
    batches.submit_part(deps, acme[0], BatchIn(batch_id="batch-0001",
                                                reminders=reminders(4)))
    run = sending.start(deps, FakeContext())
    for r in sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"]):
        sending.process(run, r["body"])
    assert len(ses_sent()) == 2


def test_sqs_redelivery_of_the_same_records_sends_nothing_twice(client, app, aws, acme):
    rems = reminders(25)
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": rems}))
    records = sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])
    for _ in range(3):
        assert worker(app, records) == {"batchItemFailures": []}
    assert sent_to() == addresses(rems)


def test_one_poison_record_never_fails_the_rest_of_its_batch(client, app, aws, acme):
    rems = reminders(4)
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": rems}))
    records = sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])
    poison = {**records[0], "messageId": "poison", "body": "{not json"}
    out = worker(app, [poison, *records])
    assert out == {"batchItemFailures": [{"itemIdentifier": "poison"}]}
    assert sent_to() == addresses(rems)
    bad_work = {**records[0], "messageId": "bad-work", "body": '{"kind": "nope"}'}
    out = app.handler_map["work_worker"](sqs_event([bad_work]), FakeContext())
    assert out == {"batchItemFailures": [{"itemIdentifier": "bad-work"}]}


def test_the_same_batch_from_two_clients_at_once_sends_each_reminder_once(aws, acme):
    rems = reminders(30)
    batch = BatchIn.model_validate({"batch_id": "batch-0001", "reminders": rems})
    outcomes: list[str] = []

    def submit() -> None:
        try:
            batches.submit_part(bootstrap(), acme[0], batch)
            outcomes.append("202")
        except Conflict:  # in progress elsewhere: the API answers 409
            outcomes.append("409")

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert "202" in outcomes and set(outcomes) <= {"202", "409"}
    deps = bootstrap()
    run = sending.start(deps, FakeContext())
    for r in sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"]):
        sending.process(run, r["body"])
    assert sent_to() == addresses(rems)
    assert batches.batch_out(deps, acme[0], "batch-0001").counts.sent == 30


def test_two_workers_on_the_same_messages_at_once_send_each_reminder_once(fake):
    tenant, _ = tenancy.create_tenant(fake, "Acme")
    rems = reminders(40)
    batches.submit_part(fake, tenant, BatchIn.model_validate(
        {"batch_id": "batch-0001", "reminders": rems}))
    bodies = fake.queue.take("send")

    def work() -> None:
        run = sending.start(fake, FakeContext())
        for b in bodies:
            sending.process(run, b)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert Counter(m.to for _, m in fake.mailer.sent) == addresses(rems)


def test_every_sent_message_is_also_in_the_outbox_as_an_eml_file(client, app, aws, acme):
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": [reminder("C1", cc=["cc@c1.example.com"])]}))
    worker(app, sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"]))
    mid = ses_sent()[0].id
    import os

    path = Path(os.environ["CREDITDESK_OUTBOX"]) / "C1-EUR-level2.eml"  # found by customer
    msg = email.message_from_bytes(path.read_bytes())
    assert "".join(msg["Message-ID"].split()) == f"<{mid}@email.amazonses.com>"
    assert not [h for h in msg if h.casefold().startswith("x-creditdesk")]
    assert msg["To"] == "ap@c1.example.com" and msg["Cc"] == "cc@c1.example.com"
    assert msg["Subject"] == "Reminder for C1"
    assert msg.is_multipart()
    assert {p.get_content_type() for p in msg.walk()} >= {"text/plain", "text/html"}
