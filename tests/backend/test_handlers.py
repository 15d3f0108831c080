"""SES events, schedules and the work queue through the app's handlers, on moto."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chalicelib.bootstrap import bootstrap, use
from chalicelib.services import tenancy

from .build import overdue_ledger, reminder
from .conftest import bearer, body, ses_sent, sqs_bodies, sqs_event
from .fakes import FakeClock, FakeContext


@pytest.fixture
def acme(aws):
    return tenancy.create_tenant(bootstrap(), "Acme")


def send(client, app, aws, key, rems, batch_id="batch-0001"):
    client.http.post("/v1/batches", headers=bearer(key), body=body(
        {"batch_id": batch_id, "reminders": rems}))
    records = sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])
    app.handler_map["send_worker"](sqs_event(records), FakeContext())


def scheduled(client):
    return client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])


def ses_notification(kind: str, message_id: str, **detail) -> str:
    return json.dumps({"eventType": kind, "mail": {"messageId": message_id}, kind.lower(): detail})


def test_ses_events_through_sns_are_recorded_and_a_complaint_stops_reminders(
        client, app, aws, acme):
    send(client, app, aws, acme[1], [reminder("C1")])
    mid = ses_sent()[0].id
    for msg in (
        ses_notification("Delivery", mid, recipients=["ap@c1.example.com"],
                         timestamp="2030-01-01T00:00:01Z"),
        ses_notification("Complaint", mid, complaintFeedbackType="abuse",
                         timestamp="2030-01-01T00:00:02Z",
                         complainedRecipients=[{"emailAddress": "ap@c1.example.com"}]),
    ):
        event = client.events.generate_sns_event(message=msg)
        client.lambda_.invoke("ses_events", event)
    events = client.http.get("/v1/customers/C1/history", headers=bearer(acme[1])).json_body
    assert [e["type"] for e in events["items"]] == ["reminder", "delivery", "complaint"]
    assert all(e["message_id"] == mid for e in events["items"])
    # the same reminder tomorrow: the address is suppressed
    deps = bootstrap(clock=FakeClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)))
    with use(deps):
        send(client, app, aws, acme[1], [reminder("C1")], "batch-0002")
    assert len(ses_sent()) == 1
    row = client.http.get("/v1/batches/batch-0002/reminders",
                          headers=bearer(acme[1])).json_body["items"][0]
    assert row["status"] == "skipped" and "suppressed" in row["detail"]


def test_the_hourly_tick_runs_the_cycle_for_a_due_tenant_once(client, app, aws, acme):
    h = bearer(acme[1])
    client.http.post("/v1/ledger", headers=h, body=body(overdue_ledger(3, {
        "Automation": "Yes", "Time Zone": "Europe/London", "Send Window": "09:00-17:00",
        "Controller Email": "cfo@acme.example"})))
    monday_10 = dt.datetime(2026, 6, 29, 9, 0, tzinfo=dt.UTC)  # 10:00 in London
    with use(bootstrap(clock=FakeClock(monday_10))):
        assert client.lambda_.invoke("tick", scheduled(client)).payload == [acme[0]]
        work = sqs_bodies(aws["CREDITDESK_WORK_QUEUE_URL"])
        assert app.handler_map["work_worker"](sqs_event(work), FakeContext()) == {
            "batchItemFailures": []}
        assert client.lambda_.invoke("tick", scheduled(client)).payload == []  # done for today
        app.handler_map["send_worker"](
            sqs_event(sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])), FakeContext())
    assert len(ses_sent()) == 3
    out = client.http.get("/v1/batches/auto-20260629", headers=h).json_body
    assert out["status"] == "done" and out["counts"]["sent"] == 3
    saturday = dt.datetime(2026, 7, 4, 10, 0, tzinfo=dt.UTC)
    with use(bootstrap(clock=FakeClock(saturday))):
        assert client.lambda_.invoke("tick", scheduled(client)).payload == []


def test_nightly_scores_and_the_weekly_digest_fan_out_over_the_work_queue(
        client, app, aws, acme):
    h = bearer(acme[1])
    client.http.post("/v1/ledger", headers=h, body=body(overdue_ledger(
        2, {"Controller Email": "cfo@acme.example"})))
    assert client.lambda_.invoke("nightly_scores", scheduled(client)).payload == [acme[0]]
    assert client.lambda_.invoke("weekly_digest", scheduled(client)).payload == [acme[0]]
    work = sqs_bodies(aws["CREDITDESK_WORK_QUEUE_URL"])
    assert len(work) == 2
    assert app.handler_map["work_worker"](sqs_event(work), FakeContext()) == {
        "batchItemFailures": []}
    scores = client.http.get("/v1/scores", headers=h).json_body
    assert len(scores["customers"]) == 2
    digest = [m for m in ses_sent() if m.destinations["ToAddresses"] == ["cfo@acme.example"]]
    assert len(digest) == 1 and "digest" in digest[0].subject


def _cycle_at(client, app, aws, when: dt.datetime) -> list[str]:
    """The hourly tick at ``when``, then the work and send queues handled; the tenants
    whose cycle ran."""
    with use(bootstrap(clock=FakeClock(when))):
        ran = client.lambda_.invoke("tick", scheduled(client)).payload
        work = sqs_bodies(aws["CREDITDESK_WORK_QUEUE_URL"])
        if work:
            app.handler_map["work_worker"](sqs_event(work), FakeContext())
            app.handler_map["work_worker"](sqs_event(work), FakeContext())  # redelivered
        sends = sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])
        if sends:
            app.handler_map["send_worker"](sqs_event(sends), FakeContext())
            app.handler_map["send_worker"](sqs_event(sends), FakeContext())  # redelivered
    return ran


def test_the_cycle_sends_a_plans_courtesy_note_then_the_missed_instalments_reminder_once(
        client, app, aws, acme):
    """An Active plan in the synced snapshot: the automated cycle sends its courtesy note
    before the instalment and a reminder once it is missed, each inside the Send Window,
    exactly once (a second tick, a redelivered work item or send), into the history."""
    h = bearer(acme[1])
    plans = (["Plan", "Customer", "Invoices", "Start Date", "Instalments", "Status"],
             [["P1", "C1", "INV-1", dt.date(2026, 7, 15), 2, "Active"]])
    ledger = overdue_ledger(1, {"Automation": "Yes", "Time Zone": "Europe/London",
                                "Send Window": "09:00-17:00", "As Of Date": None},
                            extra={"Plans": plans})
    assert client.http.post("/v1/ledger", headers=h, body=body(ledger)).status_code < 300

    def c1_history() -> list[dict]:
        got = client.http.get("/v1/customers/C1/history", headers=h).json_body["items"]
        return [e for e in got if e["type"] == "reminder"]

    # Monday 13 July, 08:00 in London: before the window, nothing runs
    assert _cycle_at(client, app, aws, dt.datetime(2026, 7, 13, 7, 0, tzinfo=dt.UTC)) == []
    assert ses_sent() == []
    # 10:00: the courtesy note before the first instalment (15 July), once
    assert _cycle_at(client, app, aws,
                     dt.datetime(2026, 7, 13, 9, 0, tzinfo=dt.UTC)) == [acme[0]]
    assert _cycle_at(client, app, aws, dt.datetime(2026, 7, 13, 11, 0, tzinfo=dt.UTC)) == []
    (courtesy,) = ses_sent()
    (sent,) = c1_history()
    assert sent["level"] == 1 and sent["message_id"] == courtesy.id
    assert sent["amount"] == pytest.approx(500.5)  # the instalment, not the invoice (1001)
    # chased on the instalment: due on its day, for its amount
    assert "<td>15 Jul 2026</td><td>due in 2 days</td>" in courtesy.body
    assert "Total: €500.50" in courtesy.body
    # it reads as the plan's: the built-in plan_courtesy template (docs/plans.md)
    assert courtesy.subject.startswith("Payment plan P1: instalment 1 of 2, €500.50 due "
                                       "15 July 2026 - account C1")
    assert "payment plan P1 on account C1: instalment 1 of 2, €500.50, falls due on " \
           "15 July 2026." in courtesy.body
    # the backend sanitises with nh3, which leaves a quote in text as it is
    assert "The plan's total is €1,001.00; €1,001.00 is left to pay." in courtesy.body
    assert "<td>2</td><td>15 Aug 2026</td>" in courtesy.body
    # the instalment is missed: Monday 27 July, inside the window, a reminder, once
    assert _cycle_at(client, app, aws,
                     dt.datetime(2026, 7, 27, 9, 0, tzinfo=dt.UTC)) == [acme[0]]
    assert _cycle_at(client, app, aws, dt.datetime(2026, 7, 27, 12, 0, tzinfo=dt.UTC)) == []
    assert len(ses_sent()) == 2
    later = c1_history()
    assert len(later) == 2
    missed = next(e for e in later if e["id"] != sent["id"])
    assert missed["level"] >= 2 and missed["amount"] == pytest.approx(500.5)
    reminder = next(m for m in ses_sent() if m.id == missed["message_id"])
    assert reminder.subject.startswith("Missed instalment: €500.50 - payment plan P1")
    assert "Instalment 1 of 2 of your payment plan P1 on account C1, €500.50, was due on " \
           "15 July 2026" in reminder.body
    assert "If 2 instalments are missed, the plan ends" in reminder.body
    assert "<td>1</td><td>15 Jul 2026</td>" in reminder.body and "<td>missed</td>" in \
        reminder.body
