"""The send logic on fakes: once per key, claims before SES, review after a crash, throttling,
quota, suppression, pacing."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib import config
from chalicelib.services import batches, keys, sending, tenancy
from chalicelib.services.errors import Conflict, InProgress
from chalicelib.services.ports import QuotaSpent, Rejected, Throttled, Unknown
from creditdesk.api.models import BatchIn

from .build import reminder, reminders
from .fakes import FakeContext, FakeMailer


def submit(deps, tenant, batch_id, rems, part=1, parts=1):
    return batches.submit_part(deps, tenant, BatchIn.model_validate(
        {"batch_id": batch_id, "reminders": rems, "part": part, "parts": parts}))


def drain(deps, context=None):
    """Run the send worker over everything queued; the outcomes per message."""
    run = sending.start(deps, context or FakeContext())
    return [sending.process(run, b) for b in deps.queue.take("send")]


def rows(deps, tenant, batch_id):
    return {r["customer"]: r for r in deps.store.query_all(
        keys.batch_rows_pk(tenant, batch_id), prefix="R#")}


@pytest.fixture
def tenant(fake):
    t, _ = tenancy.create_tenant(fake, "Acme")
    return t


def test_each_reminder_is_sent_once_and_recorded_with_its_message_id(fake, tenant):
    submit(fake, tenant, "batch-0001", reminders(3))
    drain(fake)
    assert len(fake.mailer.sent) == 3
    got = rows(fake, tenant, "batch-0001")
    assert {r["status"] for r in got.values()} == {"sent"}
    assert {r["message_id"] for r in got.values()} == {m for m, _ in fake.mailer.sent}
    out = batches.batch_out(fake, tenant, "batch-0001")
    assert out.status == "done" and out.counts.sent == 3


def test_the_same_part_submitted_twice_is_accepted_once(fake, tenant):
    submit(fake, tenant, "batch-0001", reminders(3))
    submit(fake, tenant, "batch-0001", reminders(3))
    assert len(fake.queue.messages["send"]) == 1
    drain(fake)
    assert len(fake.mailer.sent) == 3


def test_the_same_part_with_other_reminders_is_a_conflict_and_changes_nothing(fake, tenant):
    submit(fake, tenant, "batch-0001", reminders(3))
    with pytest.raises(Conflict) as e:
        submit(fake, tenant, "batch-0001", reminders(4))
    assert (e.value.code, e.value.field) == ("conflict", "batch_id")
    assert "already submitted with different reminders" in e.value.message
    assert len(fake.queue.messages["send"]) == 1


def test_a_part_being_accepted_by_another_request_is_in_progress(fake, tenant, monkeypatch):
    inner: list[Exception] = []
    accept = batches._accept

    def accept_meanwhile_resubmitted(deps, t, batch, prof):
        try:  # the same request again, from another client, while this one is accepted
            batches.submit_part(deps, t, batch)
        except InProgress as exc:
            inner.append(exc)
        return accept(deps, t, batch, prof)

    monkeypatch.setattr(batches, "_accept", accept_meanwhile_resubmitted)
    submit(fake, tenant, "batch-0001", reminders(2))
    (exc,) = inner
    assert (exc.code, exc.field, exc.retry_after) == ("in_progress", "batch_id", 1)
    assert len(fake.queue.messages["send"]) == 1


def test_the_same_reminders_in_a_second_batch_are_skipped_as_duplicates(fake, tenant):
    submit(fake, tenant, "batch-0001", reminders(2))
    drain(fake)
    submit(fake, tenant, "batch-0002", reminders(2))
    drain(fake)
    assert len(fake.mailer.sent) == 2
    second = rows(fake, tenant, "batch-0002")
    assert {r["status"] for r in second.values()} == {"skipped"}
    assert all("already sent in batch batch-0001" in r["detail"] for r in second.values())


def test_a_redelivered_message_sends_nothing_again(fake, tenant):
    submit(fake, tenant, "batch-0001", reminders(2))
    bodies = fake.queue.take("send")
    run = sending.start(fake, FakeContext())
    for b in bodies + bodies:
        sending.process(run, b)
    assert len(fake.mailer.sent) == 2


def test_a_worker_killed_between_send_and_record_leaves_the_reminder_for_review(fake, tenant):
    submit(fake, tenant, "batch-0001", [reminder("C1")])
    body = fake.queue.take("send")[0]
    real = fake.store.put_many
    fake.store.put_many = lambda items: (_ for _ in ()).throw(RuntimeError("killed"))
    with pytest.raises(RuntimeError):
        sending.process(sending.start(fake, FakeContext()), body)
    fake.store.put_many = real
    assert sending.process(sending.start(fake, FakeContext()), body) == ""
    assert len(fake.mailer.sent) == 1
    row = rows(fake, tenant, "batch-0001")["C1"]
    assert row["status"] == "review" and "may have gone out" in row["detail"]


def test_a_worker_killed_after_recording_the_claim_is_repaired_on_redelivery(fake, tenant):
    submit(fake, tenant, "batch-0001", [reminder("C1")])
    body = fake.queue.take("send")[0]
    real = fake.store.put_many

    def partly(items):
        real([i for i in items if i["sk"].startswith("CLAIM#")])  # the claim made it
        raise RuntimeError("killed")

    fake.store.put_many = partly
    with pytest.raises(RuntimeError):
        sending.process(sending.start(fake, FakeContext()), body)
    fake.store.put_many = real
    assert rows(fake, tenant, "batch-0001")["C1"]["status"] == "queued"
    sending.process(sending.start(fake, FakeContext()), body)
    assert len(fake.mailer.sent) == 1
    row = rows(fake, tenant, "batch-0001")["C1"]
    assert row["status"] == "sent" and row["message_id"] == fake.mailer.sent[0][0]
    from chalicelib.services import history

    events, _ = history.customer_history(fake, tenant, "C1", 10, None)
    assert [(e.type, e.message_id) for e in events] == [("reminder", row["message_id"])]


def test_a_throttled_send_releases_its_claim_and_comes_back(fake, tenant):
    submit(fake, tenant, "batch-0001", [reminder("C1"), reminder("C2", invoices=("INV-2",))])
    fake.mailer.fail["ap@c1.example.com"] = [Throttled("TooManyRequestsException")]
    body = fake.queue.take("send")[0]
    assert sending.process(sending.start(fake, FakeContext()), body) == "throttled"
    assert fake.mailer.sent == []
    assert rows(fake, tenant, "batch-0001")["C1"]["status"] == "queued"
    assert sending.process(sending.start(fake, FakeContext()), body) == ""
    assert sorted(m.to for _, m in fake.mailer.sent) == ["ap@c1.example.com",
                                                         "ap@c2.example.com"]


def test_a_spent_daily_quota_stops_the_run_and_says_so(fake, tenant):
    fake.mailer = FakeMailer(daily=2)
    submit(fake, tenant, "batch-0001", reminders(4))
    drain(fake)
    assert len(fake.mailer.sent) == 2
    statuses = sorted(r["status"] for r in rows(fake, tenant, "batch-0001").values())
    assert statuses == ["failed", "failed", "sent", "sent"]
    failed = [r for r in rows(fake, tenant, "batch-0001").values() if r["status"] == "failed"]
    assert all("daily sending quota" in r["detail"] for r in failed)


def test_a_quota_error_from_ses_stops_the_run_and_releases_the_claim(fake, tenant):
    submit(fake, tenant, "batch-0001", reminders(3))
    fake.mailer.fail["ap@c0.example.com"] = [QuotaSpent("Daily message quota exceeded")]
    drain(fake)
    assert fake.mailer.sent == []
    assert batches.batch_out(fake, tenant, "batch-0001").detail.startswith("not sent")
    assert not [k for k in fake.store.items if k[1].startswith("CLAIM#")]


def test_a_refused_message_fails_with_the_reason_and_the_others_go(fake, tenant):
    submit(fake, tenant, "batch-0001", reminders(2))
    fake.mailer.fail["ap@c0.example.com"] = [Rejected("MessageRejected: bad address")]
    drain(fake)
    got = rows(fake, tenant, "batch-0001")
    assert got["C0"]["status"] == "failed" and "bad address" in got["C0"]["detail"]
    assert got["C1"]["status"] == "sent"


def test_an_unknown_send_outcome_goes_to_review_and_is_not_retried(fake, tenant):
    submit(fake, tenant, "batch-0001", [reminder("C1")])
    fake.mailer.fail["ap@c1.example.com"] = [Unknown("ReadTimeoutError")]
    body = fake.queue.take("send")[0]
    for _ in range(2):
        sending.process(sending.start(fake, FakeContext()), body)
    assert fake.mailer.sent == []
    assert rows(fake, tenant, "batch-0001")["C1"]["status"] == "review"


def test_a_suppressed_address_is_skipped_with_the_reason(fake, tenant):
    from chalicelib.services.history import suppress

    suppress(fake, tenant, "AP@C1.example.com", "hard bounce", "m-1", "2026-06-01")
    submit(fake, tenant, "batch-0001", [reminder("C1"), reminder("C2", invoices=("INV-2",),
                                                                cc=["ap@c1.example.com"])])
    drain(fake)
    got = rows(fake, tenant, "batch-0001")
    assert got["C1"]["status"] == "skipped" and "suppressed" in got["C1"]["detail"]
    assert got["C2"]["status"] == "sent"
    assert fake.mailer.sent[0][1].cc == ()  # the suppressed CC is dropped


def test_sends_are_paced_under_the_account_rate(fake, tenant):
    from chalicelib.config import SEND_CONCURRENCY

    fake.mailer = FakeMailer(rate=2.0)  # 2/s shared by the workers: 2/N a second each
    submit(fake, tenant, "batch-0001", reminders(5))
    drain(fake)
    assert len(fake.mailer.sent) == 5
    assert fake.clock.slept == pytest.approx(4 * SEND_CONCURRENCY / 2.0)


def test_a_worker_out_of_time_hands_the_message_back_untouched(fake, tenant):
    submit(fake, tenant, "batch-0001", reminders(2))
    body = fake.queue.take("send")[0]
    run = sending.start(fake, FakeContext(remaining_ms=1000))
    assert sending.process(run, body) == "time"
    assert fake.mailer.sent == []


def test_the_mail_carries_sender_reply_to_tags_and_both_parts(fake, tenant):
    from chalicelib.services.ports import Update

    fake.store.update(Update(keys.tenant_pk(tenant), "PROFILE", set={
        "reply_to": "ar@acme.example", "company_name": "Acme Ltd"}))
    submit(fake, tenant, "batch-0001", [reminder("C1")])
    drain(fake)
    mail = fake.mailer.sent[0][1]
    assert mail.sender == "reminders@creditdesk.example" and mail.sender_name == "Acme Ltd"
    assert mail.reply_to == "ar@acme.example"
    assert mail.text == "Please pay." and mail.html == "<p>Please pay.</p>"
    assert dict(mail.tags)["tenant"] == tenant


@pytest.mark.parametrize(("identity", "wanted", "expected"), [
    ("reminders@acme.example", None, "reminders@acme.example"),
    ("reminders@acme.example", "REMINDERS@acme.example", "REMINDERS@acme.example"),
    ("acme.example", "credit@acme.example", "credit@acme.example"),
    ("acme.example", None, "reminders@acme.example"),
    ("reminders@acme.example", "boss@other-tenant.example", ""),  # never silently replaced
    ("acme.example", "x@evil-acme.example", ""),
])
def test_a_tenant_sends_only_from_its_own_identity(identity, wanted, expected):
    assert sending.sender_of({"sender": identity, "sender_email": wanted})[0] == expected


def test_reminders_are_packed_several_to_a_message_under_the_size_limit(fake, tenant):
    submit(fake, tenant, "batch-0001", reminders(120))
    bodies = fake.queue.messages["send"]
    assert len(bodies) == 3  # 50 + 50 + 20
    big = [reminder(f"B{i}", text="x" * 100_000, invoices=(f"I{i}",)) for i in range(5)]
    submit(fake, tenant, "batch-0002", big)
    assert all(len(b.encode()) < 256 * 1024 for b in fake.queue.messages["send"])


def test_a_reminder_too_large_for_a_message_travels_through_storage(fake, tenant):
    submit(fake, tenant, "batch-0001", [reminder("C1", text="y" * 199_000,
                                                 html="<p>" + "z" * 150_000 + "</p>")])
    assert fake.store.list_blobs(f"{tenant}/outgoing/")
    drain(fake)
    assert len(fake.mailer.sent[0][1].text) == 199_000


def test_keys_are_per_day_so_tomorrow_the_same_reminder_may_go_again(fake, tenant):
    submit(fake, tenant, "batch-0001", [reminder("C1")])
    drain(fake)
    fake.clock.t += dt.timedelta(days=1)
    submit(fake, tenant, "batch-0002", [reminder("C1")])
    drain(fake)
    assert len(fake.mailer.sent) == 2


def test_a_crash_inside_a_claimed_chunk_sends_nothing_twice_and_strands_nothing(fake, tenant):
    """The chunk's claims are written together before its first send. A worker that fails
    while sending the second of three: the first went and is recorded; the second may have
    gone, so it goes to review and never out again on its own; the third was never tried, so
    its claim is released on the way out and the redelivered message sends it."""
    submit(fake, tenant, "batch-0001", reminders(3))
    body = fake.queue.take("send")[0]
    fake.mailer.fail["ap@c1.example.com"] = [MemoryError("the worker died")]
    with pytest.raises(MemoryError):
        sending.process(sending.start(fake, FakeContext()), body)
    assert fake.store.get(keys.tenant_pk(tenant), "CLAIM#" + rows(
        fake, tenant, "batch-0001")["C2"]["key"]) is None  # released
    assert sending.process(sending.start(fake, FakeContext()), body) == ""
    assert [m.to for _, m in fake.mailer.sent] == ["ap@c0.example.com", "ap@c2.example.com"]
    got = rows(fake, tenant, "batch-0001")
    assert (got["C0"]["status"], got["C1"]["status"], got["C2"]["status"]) == (
        "sent", "review", "sent")
    assert batches.batch_out(fake, tenant, "batch-0001").counts.review == 1


def test_an_error_before_any_send_releases_every_claim_of_the_chunk(fake, tenant, monkeypatch):
    submit(fake, tenant, "batch-0001", reminders(3))
    body = fake.queue.take("send")[0]
    monkeypatch.setattr(sending.Run, "pace", lambda self: (_ for _ in ()).throw(
        OSError("the clock failed")))
    with pytest.raises(OSError):
        sending.process(sending.start(fake, FakeContext()), body)
    assert not [k for k in fake.store.items if k[1].startswith("CLAIM#")]
    monkeypatch.undo()
    assert sending.process(sending.start(fake, FakeContext()), body) == ""
    assert len(fake.mailer.sent) == 3
    assert {r["status"] for r in rows(fake, tenant, "batch-0001").values()} == {"sent"}


def test_a_worker_stops_taking_reminders_while_a_send_and_a_pause_still_fit(fake, tenant):
    fake.mailer = FakeMailer(rate=2.0)  # a pause of 2 s or more between one worker's sends
    submit(fake, tenant, "batch-0001", reminders(2))
    body = fake.queue.take("send")[0]
    run = sending.start(fake, FakeContext(remaining_ms=sending.RESERVE_MS + 100))
    assert run.interval >= 2  # the pause between sends counts against the time left
    assert sending.process(run, body) == "time"
    assert fake.mailer.sent == []
    assert not [k for k in fake.store.items if k[1].startswith("CLAIM#")]


def _record(body: str, receives: int, mid: str = "m-1") -> dict:
    return {"messageId": mid, "receiptHandle": f"rh-{mid}", "body": body,
            "attributes": {"ApproximateReceiveCount": str(receives)},
            "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "eu-west-2",
            "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:q"}


def send_worker(deps, records):
    from app import app

    from chalicelib.bootstrap import use

    with use(deps):
        return app.handler_map["send_worker"]({"Records": records}, FakeContext())


def test_a_held_message_comes_back_later_each_time_and_fails_with_the_reason_at_the_end(
        fake, tenant):
    submit(fake, tenant, "batch-0001", [reminder("C1")])
    first = fake.queue.take("send")
    # batch 1's worker claimed the key and stopped before SES: nothing sent, claim stays
    claim_key = next(iter(rows(fake, tenant, "batch-0001").values()))["key"]
    fake.store.put({"pk": keys.tenant_pk(tenant), "sk": f"CLAIM#{claim_key}",
                    "batch": "batch-0001", "owner": "x", "claimed_at": "2026-06-30"})
    submit(fake, tenant, "batch-0002", [reminder("C1")])
    (body,) = fake.queue.take("send")
    for receives in (1, 2, 3):
        out = send_worker(fake, [_record(body, receives)])
        assert out == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert [s for _, _, s in fake.queue.retries] == [5, 10, 20]
    (row,) = rows(fake, tenant, "batch-0002").values()
    assert row["status"] == "queued" and row["held_by"] == "batch-0001"
    send_worker(fake, [_record(body, config.SEND_MAX_RECEIVES)])
    (row,) = rows(fake, tenant, "batch-0002").values()
    assert row["status"] == "failed" and row["dead_letter"] is True
    assert row["detail"].startswith("not sent: held by batch batch-0001")
    assert batches.batch_out(fake, tenant, "batch-0002").status == "done"
    assert fake.mailer.sent == [] and first


def test_a_poison_message_on_its_last_receive_fails_nothing_else_and_is_reported(
        fake, tenant):
    out = send_worker(fake, [_record("{not json", config.SEND_MAX_RECEIVES, "poison")])
    assert out == {"batchItemFailures": [{"itemIdentifier": "poison"}]}


def test_a_customer_erased_before_the_send_is_not_mailed(fake, tenant):
    from chalicelib.services import erasure

    submit(fake, tenant, "batch-0001", [reminder("C1"), reminder("C2")])
    erasure.erase_customer(fake, tenant, "C1")
    drain(fake)
    assert [m.to for _, m in fake.mailer.sent] == ["ap@c2.example.com"]
    got = rows(fake, tenant, "batch-0001")
    assert got["C1"]["status"] == "failed" and "erased" in got["C1"]["detail"]
    assert got["C1"]["to"] == "" and got["C2"]["status"] == "sent"


def test_a_row_the_erasure_did_not_see_loses_the_address_when_the_worker_stops_it(
        fake, tenant, monkeypatch):
    from chalicelib.services import erasure

    submit(fake, tenant, "batch-0001", [reminder("C1")])
    real = fake.store.query_all
    monkeypatch.setattr(fake.store, "query_all", lambda pk, **kw: [] if kw.get("index")
                        else real(pk, **kw))  # the index has not caught up with the rows
    erasure.erase_customer(fake, tenant, "C1")
    monkeypatch.setattr(fake.store, "query_all", real)
    assert rows(fake, tenant, "batch-0001")["C1"]["to"] == "ap@c1.example.com"
    drain(fake)
    row = rows(fake, tenant, "batch-0001")["C1"]
    assert (row["status"], row["to"], row["subject"]) == ("failed", "", "")
    assert fake.mailer.sent == []
