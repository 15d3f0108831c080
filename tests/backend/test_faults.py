"""Faults on moto in-process: SES throttling and errors, a worker killed between send and
record, double and concurrent submission, SQS redelivery. Counted from what SES holds:
0 duplicates, 0 lost reminders."""

from __future__ import annotations

import datetime as dt
import email
import threading
from collections import Counter
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import aws as _aws
from chalicelib.adapters.dynamo import DynamoStore
from chalicelib.bootstrap import bootstrap, use
from chalicelib.services import batches, sending, tenancy
from chalicelib.services.errors import Conflict
from creditdesk.api.models import BatchIn

from .build import reminder, reminders
from .conftest import bearer, body, ses_sent, sqs_bodies, sqs_event
from .fakes import FakeClock, FakeContext


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
    assert_settled(client, acme[1], ["batch-0001"])


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
    assert_settled(client, acme[1], ["batch-0001"])


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
    assert_settled(client, acme[1], ["batch-0001"])


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
    assert_settled(client, acme[1], ["batch-0001"])


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


# -- nothing silently unsent (issue 11, item 6) and erasure that stays erased (item 4) --------


def rows_of(client, key, batch_id) -> dict[str, dict]:
    items = client.http.get(f"/v1/batches/{batch_id}/reminders?limit=200",
                            headers=bearer(key)).json_body["items"]
    return {i["key"]: i for i in items}


def assert_settled(client, api_key, batch_ids) -> None:
    """The invariant: no reminder ends queued; each ends sent (in some batch), in review, or
    failed or skipped with the reason; and each batch's counts are its rows' statuses."""
    by_key: dict[str, list[dict]] = {}
    for b in batch_ids:
        rows = rows_of(client, api_key, b)
        assert statuses(client, api_key, b) == Counter(r["status"] for r in rows.values())
        out = client.http.get(f"/v1/batches/{b}", headers=bearer(api_key)).json_body
        assert out["status"] == "done", out
        for k, r in rows.items():
            by_key.setdefault(k, []).append(r)
    for rs in by_key.values():
        assert all(r["status"] != "queued" for r in rs), rs
        assert any(r["status"] in ("sent", "review") for r in rs) or all(
            r["status"] in ("failed", "skipped") and r["detail"] for r in rs), rs


def receive(url: str) -> list[dict]:
    """What is visible on a queue, as SQS event records with their receive counts (the
    messages stay on the queue, as with Lambda's event source)."""
    sqs = _aws.client("sqs")
    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                            AttributeNames=["All"])
    return [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
             "body": m["Body"], "attributes": m.get("Attributes", {}),
             "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "eu-west-2",
             "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:q"}
            for m in r.get("Messages", [])]


def pump(app, url: str, rounds: int = 40) -> int:
    """Lambda's event source by hand: deliver, delete what succeeded, make the failed ones
    visible again at once (the worker's backoff, skipped). Returns the deliveries."""
    sqs = _aws.client("sqs")
    for n in range(rounds):
        records = receive(url)
        if not records:
            return n
        failed = {f["itemIdentifier"] for f in worker(app, records)["batchItemFailures"]}
        for r in records:
            if r["messageId"] in failed:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=r["receiptHandle"],
                                              VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=r["receiptHandle"])
    raise AssertionError(f"the queue did not empty in {rounds} deliveries")


FAULTS = {  # what SES does to batch A's send while batch B meets A's claim
    "throttled": (ses_error("TooManyRequestsException", "Maximum sending rate exceeded."),
                  "skipped", "sent"),
    "refused": (ses_error("MessageRejected", "Email address is not verified."),
                "failed", "sent"),
    "timeout": (RuntimeError("read timeout after the request left"), "review", "review"),
    "sent": (None, "sent", "skipped"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_reminder_held_by_another_batch_waits_and_settles_with_it(client, app, aws, acme,
                                                                    fault):
    url = aws["CREDITDESK_SEND_QUEUE_URL"]
    rems = [reminder("C1")]
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-000A", "reminders": rems}))
    a_records = sqs_bodies(url)
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-000B", "reminders": rems}))
    b_records = sqs_bodies(url)
    error, a_ends, b_ends = FAULTS[fault]
    seen: dict[str, dict] = {}

    def during_a_send(**kw):  # A holds the claim, its SES call under way: B runs now
        if not seen:
            seen["b"] = worker(app, b_records)
            seen["rows"] = rows_of(client, acme[1], "batch-000B")
            if error is not None:
                raise error

    hook = "before-call" if fault != "timeout" else "after-call"
    remove = ses_hook(hook, during_a_send)
    try:
        worker(app, a_records)
    finally:
        remove()
    (held,) = seen["rows"].values()
    assert held["status"] == "queued" and held["detail"].startswith("held by batch batch-000A")
    assert seen["b"]["batchItemFailures"]  # B's message comes back later
    for _ in range(2):  # both messages come back (as SQS would, after the backoff)
        worker(app, b_records)
        worker(app, a_records)
    (a,) = rows_of(client, acme[1], "batch-000A").values()
    (b,) = rows_of(client, acme[1], "batch-000B").values()
    assert (a["status"], b["status"]) == (a_ends, b_ends), (a, b)
    assert len(ses_sent()) == (0 if fault == "refused" and b_ends != "sent" else 1)
    assert_settled(client, acme[1], ["batch-000A", "batch-000B"])


def test_a_message_throttled_on_every_receive_fails_its_rows_and_redrive_sends_them(
        client, app, aws, acme):
    from backend.ops.redrive import redrive

    url = aws["CREDITDESK_SEND_QUEUE_URL"]
    rems = reminders(3)
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": rems}))
    remove = ses_hook("before-call", lambda **kw: (_ for _ in ()).throw(
        ses_error("TooManyRequestsException", "Maximum sending rate exceeded.")))
    try:
        assert pump(app, url) == 10  # SEND_MAX_RECEIVES; then the dead-letter queue has it
    finally:
        remove()
    assert ses_sent() == []
    out = client.http.get("/v1/batches/batch-0001", headers=bearer(acme[1])).json_body
    assert out["status"] == "done" and out["counts"]["failed"] == 3
    for r in rows_of(client, acme[1], "batch-0001").values():
        assert r["status"] == "failed"
        assert "throttled" in r["detail"] and "gave up after 10 receives" in r["detail"]
        assert "creditdesk backend redrive" in r["detail"]
    assert_settled(client, acme[1], ["batch-0001"])
    moved = redrive("send", sqs=_aws.client("sqs"))
    assert moved["moved"] == 1 and moved["dead_letter_queue"] == "creditdesk-send-dlq"
    pump(app, url)
    assert sent_to() == addresses(rems)
    assert statuses(client, acme[1]) == Counter(sent=3)
    assert redrive("send", sqs=_aws.client("sqs"))["moved"] == 0


def test_dead_letters_of_a_customer_erased_meanwhile_are_not_sent_on_redrive(
        client, app, aws, acme):
    from backend.ops.redrive import redrive

    url = aws["CREDITDESK_SEND_QUEUE_URL"]
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": reminders(2)}))
    remove = ses_hook("before-call", lambda **kw: (_ for _ in ()).throw(
        ses_error("TooManyRequestsException", "Maximum sending rate exceeded.")))
    try:
        pump(app, url)
    finally:
        remove()
    out = client.http.delete("/v1/customers/C0", headers=bearer(acme[1])).json_body
    assert out["erased"]["reminders_stopped"] == 1
    assert redrive("send", sqs=_aws.client("sqs"))["moved"] == 1
    pump(app, url)
    assert sent_to() == Counter({"ap@c1.example.com": 1})
    rows = {r["customer"]: r for r in rows_of(client, acme[1], "batch-0001").values()}
    assert rows["C0"]["status"] == "failed" and "erased" in rows["C0"]["detail"]
    assert rows["C1"]["status"] == "sent"
    assert_settled(client, acme[1], ["batch-0001"])


def test_the_redrive_command_prints_what_it_moved(aws, capsys):
    import json

    from backend.ops.cli import main

    sqs = _aws.client("sqs")
    dlq = sqs.get_queue_url(QueueName="creditdesk-work-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody='{"kind": "scores"}')
    assert main(["redrive", "--queue", "work"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "queue": "creditdesk-work", "dead_letter_queue": "creditdesk-work-dlq", "moved": 1}
    assert main(["redrive", "--limit", "0"]) == 2
    assert "--limit must be 1 or more" in capsys.readouterr().err


def ses_event_json(kind: str, message_id: str, tags: dict[str, str], address: str) -> str:
    import json

    mail = {"messageId": message_id, "timestamp": "2026-06-30T10:00:00.000Z",
            "tags": {k: [v] for k, v in tags.items()}}
    if kind == "Bounce":
        return json.dumps({"eventType": "Bounce", "mail": mail, "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address, "status": "5.1.1"}]}})
    return json.dumps({"eventType": "Delivery", "mail": mail, "delivery": {
        "recipients": [address], "smtpResponse": "250 ok"}})


def test_a_bounce_before_the_message_id_is_stored_still_suppresses_and_is_recorded(
        client, app, aws, acme):
    from chalicelib.services import history

    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": [reminder("C1")]}))
    (key,) = rows_of(client, acme[1], "batch-0001")
    done: list[list[str]] = []

    def bounce_at_once(parsed, **kw):  # SES answered; the worker has recorded nothing yet
        done.append(history.record_ses_event(bootstrap(), ses_event_json(
            "Bounce", parsed["MessageId"], {"tenant": acme[0], "key": key},
            "ap@c1.example.com")))

    remove = ses_hook("after-call", bounce_at_once)
    try:
        worker(app, sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"]))
    finally:
        remove()
    assert done == [["bounce ap@c1.example.com"]]
    assert history.suppressed(bootstrap(), acme[0], ["ap@c1.example.com"])
    hist = client.http.get("/v1/customers/C1/history", headers=bearer(acme[1])).json_body
    assert sorted(e["type"] for e in hist["items"]) == ["bounce", "reminder"]
    assert statuses(client, acme[1]) == Counter(sent=1)


def test_a_bounce_for_a_reminder_in_review_suppresses_the_address(client, app, aws, acme,
                                                                   monkeypatch):
    from backend.ops.local import sns_record
    from chalicelib.services import history

    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": [reminder("C1")]}))
    (key,) = rows_of(client, acme[1], "batch-0001")
    records = sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])
    real = DynamoStore.put_many

    def killed(self, items):
        items = list(items)
        if any(i.get("message_id") for i in items):
            raise RuntimeError("Lambda killed after SES returned")
        return real(self, items)

    monkeypatch.setattr(DynamoStore, "put_many", killed)
    worker(app, records)
    monkeypatch.setattr(DynamoStore, "put_many", real)
    worker(app, records)
    assert statuses(client, acme[1]) == Counter(review=1)
    mid = ses_sent()[0].id
    events = app.handler_map["ses_events"]
    sns = {"Records": [sns_record({"Message": ses_event_json(
        "Bounce", mid, {"tenant": acme[0], "key": key}, "ap@c1.example.com")}, "sub")]}
    assert events(sns, FakeContext()) == ["bounce ap@c1.example.com"]
    assert history.suppressed(bootstrap(), acme[0], ["ap@c1.example.com"])
    # a later event finds the claim by the message id it now holds
    assert history.record_ses_event(bootstrap(), ses_event_json(
        "Delivery", mid, {}, "ap@c1.example.com")) == ["delivery ap@c1.example.com"]
    unknown = {"Records": [sns_record({"Message": ses_event_json(
        "Delivery", "not-yet-known", {}, "x@example.com")}, "sub")]}
    with pytest.raises(history.NotYet):  # SNS invokes the handler again: not dropped
        events(unknown, FakeContext())


def stored_with(address: str, outbox: Path) -> list[str]:
    """Every DynamoDB item, S3 object and outbox file that holds ``address``."""
    import json
    import os

    needle = address.casefold()
    found = []
    ddb, s3 = _aws.client("dynamodb"), _aws.client("s3")
    for page in ddb.get_paginator("scan").paginate(TableName=os.environ["CREDITDESK_TABLE"]):
        found += [f"{i['pk']['S']} {i['sk']['S']}" for i in page["Items"]
                  if needle in json.dumps(i).casefold()]
    bucket = os.environ["CREDITDESK_BUCKET"]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            data = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            if needle.encode() in data.lower():
                found.append(f"s3://{o['Key']}")
    found += [p.name for p in outbox.glob("*.eml") if needle.encode() in p.read_bytes().lower()]
    return found


def test_an_erasure_during_the_send_stops_the_rest_and_nothing_keeps_the_address(
        client, app, aws, acme):
    import os

    from chalicelib.services import history

    outbox = Path(os.environ["CREDITDESK_OUTBOX"])
    address = "ap@x.example.com"
    rems = [reminder("X", invoices=(f"INV-{i}",), to=address) for i in range(20)]
    rems += [reminder(f"Y{i}") for i in range(4)]
    client.http.post("/v1/batches", headers=bearer(acme[1]), body=body(
        {"batch_id": "batch-0001", "reminders": rems}))
    erased: list[dict] = []

    def erase_on_third(params, **kw):
        sent_x = sum(1 for m in ses_sent() if m.destinations["ToAddresses"] == [address])
        if params["Destination"]["ToAddresses"] == [address] and sent_x == 2 and not erased:
            erased.append(client.http.delete("/v1/customers/X",
                                             headers=bearer(acme[1])).json_body)

    remove = ses_hook("before-parameter-build", erase_on_third)
    try:
        pump(app, aws["CREDITDESK_SEND_QUEUE_URL"])
    finally:
        remove()
    (answer,) = erased
    assert answer["erased"]["reminders_stopped"] >= 1 and answer["kept"]
    assert address not in str(answer)
    assert sent_to()[address] == 3  # the one in flight went; none after the tombstone
    rows = rows_of(client, acme[1], "batch-0001")
    x_rows = [r for r in rows.values() if r["customer"] == "X"]
    assert Counter(r["status"] for r in x_rows) == Counter(sent=3, failed=17)
    assert all("erased" in r["detail"] for r in x_rows if r["status"] == "failed")
    mids = [m.id for m in ses_sent() if m.destinations["ToAddresses"] == [address]]
    for mid in mids:  # later SES events for the erased customer's mail
        history.record_ses_event(bootstrap(), ses_event_json("Delivery", mid, {}, address))
        history.record_ses_event(bootstrap(), ses_event_json("Bounce", mid, {}, address))
    assert stored_with(address, outbox) == []
    assert history.suppressed(bootstrap(), acme[0], [address])  # as a hash: never mailed
    assert_settled(client, acme[1], ["batch-0001"])
    hist = client.http.get("/v1/customers/X/history", headers=bearer(acme[1])).json_body
    assert {e["type"] for e in hist["items"]} <= {"reminder", "delivery", "bounce"}
    assert all(e["email"] in (None, "") for e in hist["items"])


# -- held batches and erasure: nothing of an erased customer waits in S3 for the window ----
WINDOW = {"time_zone": "Europe/London", "start": "09:00", "end": "17:00", "country": "GB"}
EVENING = dt.datetime(2026, 12, 7, 18, 31, tzinfo=dt.UTC)  # Monday, after the window
NEXT_MORNING = dt.datetime(2026, 12, 8, 9, 5, tzinfo=dt.UTC)  # Tuesday, inside it
X_NAME = "Xavier Holdings Ltd"
X_ADDRESS = "ap@xavier.example.com"


def x_reminder(n: int) -> dict:
    return reminder("X", invoices=(f"INV-X{n}",), to=X_ADDRESS,
                    subject=f"Reminder for {X_NAME}", text=f"Dear {X_NAME}, please pay.",
                    html=f"<p>Dear {X_NAME}, please pay.</p>")


def hold_batch(client, key: str, batch_id: str, rems: list[dict]) -> None:
    with use(bootstrap(clock=FakeClock(EVENING))):
        r = client.http.post("/v1/batches", headers=bearer(key), body=body(
            {"batch_id": batch_id, "reminders": rems, "send_window": WINDOW}))
    assert r.status_code == 202, r.json_body
    out = client.http.get(f"/v1/batches/{batch_id}", headers=bearer(key)).json_body
    assert out["status"] in ("scheduled", "sending")  # the real clock may be past the window


def held_objects(tenant: str) -> dict[str, bytes]:
    import os

    s3, bucket = _aws.client("s3"), os.environ["CREDITDESK_BUCKET"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{tenant}/held/").get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            for o in listed}


def held_items(part: bytes) -> list[dict]:
    import json

    return [it for body in json.loads(part) for it in json.loads(body)["items"]]


def release(app, aws) -> None:
    """The hourly tick the next morning, then the send worker until the queue is empty."""
    with use(bootstrap(clock=FakeClock(NEXT_MORNING))):
        app.handler_map["tick"]({"version": "0", "id": "e", "detail-type": "Scheduled Event",
                                 "source": "aws.events", "account": "1",
                                 "time": "2026-12-08T09:05:00Z", "region": "eu-west-2",
                                 "resources": [], "detail": {}}, FakeContext())
        pump(app, aws["CREDITDESK_SEND_QUEUE_URL"])


def test_erasing_a_customer_scrubs_every_held_batch_and_the_release_sends_only_the_others(
        client, app, aws, acme):
    import os

    outbox = Path(os.environ["CREDITDESK_OUTBOX"])
    ys = [reminder("Y1"), reminder("Y2")]
    hold_batch(client, acme[1], "batch-0001", [x_reminder(1), *ys, x_reminder(2)])
    hold_batch(client, acme[1], "batch-0002", [x_reminder(3)])  # X alone: nothing is left
    held = held_objects(acme[0])
    assert len(held) == 2 and all(X_ADDRESS.encode() in b for b in held.values())
    assert ses_sent() == []
    out = client.http.delete("/v1/customers/X", headers=bearer(acme[1])).json_body
    assert out["erased"]["held_parts_rewritten"] == 2 and out["erased"]["reminders_stopped"] == 3
    held = held_objects(acme[0])
    assert list(held) == [f"{acme[0]}/held/batch-0001/00001.json"]  # batch-0002's is deleted
    assert b"ap@y1.example.com" in held[f"{acme[0]}/held/batch-0001/00001.json"]
    assert stored_with(X_ADDRESS, outbox) == [] and stored_with(X_NAME, outbox) == []
    release(app, aws)
    assert sent_to() == addresses(ys)  # only Y
    rows = rows_of(client, acme[1], "batch-0001")
    assert Counter((r["customer"], r["status"]) for r in rows.values()) == Counter(
        {("X", "failed"): 2, ("Y1", "sent"): 1, ("Y2", "sent"): 1})
    (x_only,) = rows_of(client, acme[1], "batch-0002").values()
    assert x_only["status"] == "failed" and "erased" in x_only["detail"]
    assert held_objects(acme[0]) == {}
    assert stored_with(X_ADDRESS, outbox) == [] and stored_with(X_NAME, outbox) == []
    assert_settled(client, acme[1], ["batch-0001", "batch-0002"])


def test_the_release_leaves_out_a_customer_erased_after_the_part_was_held(
        client, app, aws, acme):
    """The erasure's sweep of the held parts ran before this part was written (a hold under
    way while the customer was erased): the release reads the tombstone and sends only Y."""
    from chalicelib.services import erasure, holding

    hold_batch(client, acme[1], "batch-0001", [x_reminder(1), reminder("Y1")])
    sweep, holding.forget = holding.forget, lambda *a: 0  # the sweep found nothing yet
    try:
        erasure.erase_customer(bootstrap(), acme[0], "X")
    finally:
        holding.forget = sweep
    assert X_ADDRESS.encode() in held_objects(acme[0])[f"{acme[0]}/held/batch-0001/00001.json"]
    assert holding.release_due(bootstrap(clock=FakeClock(NEXT_MORNING))) == 1
    bodies = [r["body"] for r in receive(aws["CREDITDESK_SEND_QUEUE_URL"])]
    assert bodies and not any(X_ADDRESS in b or X_NAME in b for b in bodies)
    pump(app, aws["CREDITDESK_SEND_QUEUE_URL"])
    assert sent_to() == Counter({"ap@y1.example.com": 1})
    rows = {r["customer"]: r for r in rows_of(client, acme[1], "batch-0001").values()}
    assert rows["X"]["status"] == "failed" and "erased" in rows["X"]["detail"]
    assert rows["X"]["to"] == "" and rows["X"]["subject"] == ""
    assert held_objects(acme[0]) == {}
    assert_settled(client, acme[1], ["batch-0001"])


def test_an_erasure_after_the_release_started_stops_the_rest_of_the_held_batch(
        client, app, aws, acme):
    import os

    outbox = Path(os.environ["CREDITDESK_OUTBOX"])
    rems = [x_reminder(i) for i in range(6)] + [reminder("Y1"), reminder("Y2")]
    hold_batch(client, acme[1], "batch-0001", rems)
    erased: list[dict] = []

    def erase_on_second(params, **kw):  # the release happened; X's second send is under way
        sent_x = sum(1 for m in ses_sent() if m.destinations["ToAddresses"] == [X_ADDRESS])
        if params["Destination"]["ToAddresses"] == [X_ADDRESS] and sent_x == 1 and not erased:
            erased.append(client.http.delete("/v1/customers/X",
                                             headers=bearer(acme[1])).json_body)

    remove = ses_hook("before-parameter-build", erase_on_second)
    try:
        release(app, aws)
    finally:
        remove()
    (answer,) = erased
    assert answer["erased"]["held_parts_rewritten"] == 0  # released already: nothing held
    assert sent_to()[X_ADDRESS] == 2  # the one in flight went; none after the tombstone
    assert sent_to()["ap@y1.example.com"] == sent_to()["ap@y2.example.com"] == 1
    rows = rows_of(client, acme[1], "batch-0001")
    assert Counter(r["status"] for r in rows.values() if r["customer"] == "X") == Counter(
        sent=2, failed=4)
    assert stored_with(X_ADDRESS, outbox) == [] and stored_with(X_NAME, outbox) == []
    assert_settled(client, acme[1], ["batch-0001"])


def test_an_oversized_reminder_of_an_erased_customer_leaves_the_held_part_and_s3(
        client, app, aws, acme):
    """A reminder too large for a queue message is held as a reference to its own S3 object:
    the erasure takes the reference out of the held part and deletes the object."""
    import os

    outbox = Path(os.environ["CREDITDESK_OUTBOX"])
    big = x_reminder(1)
    lines = "Invoice line.\n" * 14_000  # text and HTML ~390 KB together: over a message
    big.update(text=f"Dear {X_NAME}, please pay.\n{lines}", html=f"<p>{X_NAME}</p><p>{lines}</p>")
    hold_batch(client, acme[1], "batch-0001", [big, reminder("Y1")])
    assert stored_with(X_NAME, outbox)  # in the reminder's own object until the erasure
    (part,) = held_objects(acme[0]).values()
    assert X_NAME.encode() not in part and [sorted(it) for it in held_items(part)] == [
        ["key", "ref"], ["key", "r"]]
    client.http.delete("/v1/customers/X", headers=bearer(acme[1]))
    (part,) = held_objects(acme[0]).values()
    assert [it["r"]["customer"] for it in held_items(part)] == ["Y1"]
    assert stored_with(X_NAME, outbox) == [] and stored_with(X_ADDRESS, outbox) == []
    release(app, aws)
    assert sent_to() == Counter({"ap@y1.example.com": 1})
    assert_settled(client, acme[1], ["batch-0001"])
