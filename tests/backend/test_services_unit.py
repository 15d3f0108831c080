"""Snapshots, history, SES events, computed cycles and schedules, erasure: on fakes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chalicelib.services import (
    batches,
    cycle,
    erasure,
    history,
    keys,
    ledgers,
    scores,
    sending,
    snapshots,
    tenancy,
    tombstones,
)
from chalicelib.services.errors import Conflict, Erased, Invalid, NotAccepted, TooLarge
from chalicelib.services.ports import Update
from creditdesk.api.models import (
    BatchIn,
    DisputeIn,
    EventOut,
    NoteIn,
    PromiseIn,
    SnapshotIn,
)

from .build import overdue_ledger, reminder, snapshot
from .fakes import FakeContext

UTC = dt.UTC


@pytest.fixture
def tenant(fake):
    t, _ = tenancy.create_tenant(fake, "Acme")
    return t


def put(fake, tenant, doc):
    return snapshots.put_snapshot(fake, tenant, SnapshotIn.model_validate(doc),
                                 json.dumps(doc).encode())


def send_all(fake):
    run = sending.start(fake, FakeContext())
    for b in fake.queue.take("send"):
        sending.process(run, b)


def test_a_usable_snapshot_is_put_in_force_with_its_issues(fake, tenant):
    doc = overdue_ledger(2)
    doc["tables"]["Invoices"]["rows"].append(["BAD", "C1", "not a date", None, None, 5])
    out = put(fake, tenant, doc)
    assert out.status == "active" and out.customers == 2 and out.invoices == 2
    assert out.issues and out.issues[0].sheet == "Invoices"
    assert snapshots.current_snapshot(fake, tenant).version == out.version


def test_an_unusable_snapshot_is_rejected_and_the_previous_stays_in_force(fake, tenant):
    first = put(fake, tenant, overdue_ledger(2))
    fake.clock.t += dt.timedelta(seconds=1)
    with pytest.raises(NotAccepted) as e:
        put(fake, tenant, {"tables": {"Customers": {"header": ["Customer"], "rows": []}}})
    assert e.value.code == "rejected" and "Invoices" in e.value.message
    assert snapshots.current_snapshot(fake, tenant).version == first.version


def test_the_snapshot_settings_reach_the_tenant_profile(fake, tenant):
    put(fake, tenant, overdue_ledger(1, {"Automation": "Yes", "Time Zone": "Europe/Berlin",
                                         "Send Window": "08:00-12:00", "Country": "DE"}))
    prof = fake.store.get(keys.tenant_pk(tenant), "PROFILE")
    assert prof["automation"] is True and prof["time_zone"] == "Europe/Berlin"
    assert prof["send_window"][0] == "08:00" and prof["country"] == "DE"


def test_an_upload_is_validated_on_completion(fake, tenant):
    up = snapshots.create_upload(fake, tenant, 10_000)
    with pytest.raises(Conflict) as e:
        snapshots.complete_upload(fake, tenant, up.version)
    assert e.value.code == "not_uploaded"
    fake.store.put_blob(keys.snapshot_blob(tenant, up.version),
                        json.dumps(overdue_ledger(1)).encode())
    out = snapshots.complete_upload(fake, tenant, up.version)
    assert out.status == "active"
    assert snapshots.complete_upload(fake, tenant, up.version).status == "active"


def test_an_upload_larger_than_announced_is_refused(fake, tenant):
    up = snapshots.create_upload(fake, tenant, 10)
    fake.store.put_blob(keys.snapshot_blob(tenant, up.version),
                        json.dumps(overdue_ledger(1)).encode())
    with pytest.raises(TooLarge) as e:
        snapshots.complete_upload(fake, tenant, up.version)
    assert e.value.field == "size"


def test_history_by_date_range_pages_across_months(fake, tenant):
    for day in range(1, 40, 3):  # 13 events over June and July
        fake.clock.t = dt.datetime(2026, 6, 1, 12, tzinfo=UTC) + dt.timedelta(days=day)
        history.add_note(fake, tenant, "C1", NoteIn(text=f"day {day}"))
    seen, token = [], None
    while True:
        page, token = history.history_range(fake, tenant, dt.date(2026, 6, 1),
                                            dt.date(2026, 7, 31), 5, token)
        seen += page
        if token is None:
            break
    assert [e.note for e in seen] == [f"day {d}" for d in range(1, 40, 3)]
    page, _ = history.history_range(fake, tenant, dt.date(2026, 7, 1), dt.date(2026, 7, 5),
                                    100, None)
    assert [e.note for e in page] == ["day 31", "day 34"]


def test_promises_disputes_and_notes_are_history_rows_in_the_workbooks_terms(fake, tenant):
    p = history.add_promise(fake, tenant, "C1", PromiseIn(amount=500, date=dt.date(2026, 7, 9)))
    fake.clock.t += dt.timedelta(seconds=1)
    d = history.add_dispute(fake, tenant, "C1", DisputeIn(invoice="INV-1", reason="wrong qty"))
    from creditdesk.api.models import HISTORY_HEADER
    from creditdesk.domain.contract import HISTORY

    assert [c.header for c in HISTORY.columns] == HISTORY_HEADER
    promise = dict(zip(HISTORY_HEADER, p.history_row(), strict=True))
    assert (promise["Date"], promise["Customer"], promise["Type"]) == ("2026-06-30", "C1",
                                                                        "Promise")
    assert promise.get("Promised Date", "2026-07-09") == "2026-07-09"
    assert promise.get("Amount", 500) == 500
    dispute = dict(zip(HISTORY_HEADER, d.history_row(), strict=True))
    assert dispute["Type"] == "Dispute" and dispute["Note"] == "wrong qty"
    assert dispute.get("Invoice", "INV-1") == "INV-1"
    events, _ = history.customer_history(fake, tenant, "C1", 10, None)
    assert [e.type for e in events] == ["promise", "dispute"]


def ses_event(kind: str, message_id: str, **detail) -> str:
    body = {"eventType": kind, "mail": {"messageId": message_id}}
    body[kind.lower()] = detail
    return json.dumps(body)


def test_a_hard_bounce_is_recorded_and_stops_further_reminders(fake, tenant):
    batches.submit_part(fake, tenant, BatchIn(batch_id="batch-0001",
                                               reminders=[reminder("C1")]))
    send_all(fake)
    mid = fake.mailer.sent[0][0]
    done = history.record_ses_event(fake, ses_event(
        "Bounce", mid, bounceType="Permanent", bounceSubType="General",
        timestamp="2026-06-30T10:05:00Z",
        bouncedRecipients=[{"emailAddress": "ap@c1.example.com", "diagnosticCode": "550"}]))
    assert done == ["bounce ap@c1.example.com"]
    events, _ = history.customer_history(fake, tenant, "C1", 10, None)
    assert [e.type for e in events] == ["reminder", "bounce"]
    fake.clock.t += dt.timedelta(days=1)
    batches.submit_part(fake, tenant, BatchIn(batch_id="batch-0002",
                                               reminders=[reminder("C1")]))
    send_all(fake)
    assert len(fake.mailer.sent) == 1


def test_a_soft_bounce_is_noted_and_does_not_suppress(fake, tenant):
    batches.submit_part(fake, tenant, BatchIn(batch_id="batch-0001",
                                               reminders=[reminder("C1")]))
    send_all(fake)
    mid = fake.mailer.sent[0][0]
    history.record_ses_event(fake, ses_event(
        "Bounce", mid, bounceType="Transient", bounceSubType="MailboxFull",
        bouncedRecipients=[{"emailAddress": "ap@c1.example.com"}]))
    assert history.suppressed(fake, tenant, ["ap@c1.example.com"]) == {}


def test_ses_events_find_the_tenant_from_the_stored_message_id_only(fake, tenant):
    other, _ = tenancy.create_tenant(fake, "Other")
    batches.submit_part(fake, tenant, BatchIn(batch_id="batch-0001",
                                               reminders=[reminder("C1")]))
    send_all(fake)
    mid = fake.mailer.sent[0][0]
    raw = json.loads(ses_event("Complaint", mid, complainedRecipients=[
        {"emailAddress": "ap@c1.example.com"}]))
    raw["mail"]["tags"] = {"tenant": [other]}  # a forged tag is ignored
    history.record_ses_event(fake, json.dumps(raw))
    assert history.suppressed(fake, tenant, ["ap@c1.example.com"])
    assert not history.suppressed(fake, other, ["ap@c1.example.com"])
    with pytest.raises(history.NotYet):  # not dropped: SNS delivers it again
        history.record_ses_event(fake, ses_event("Delivery", "unknown-id"))
    assert history.record_ses_event(fake, "not json") == ["ignored: not JSON"]


def test_a_delivery_redelivered_by_sns_is_recorded_once(fake, tenant):
    batches.submit_part(fake, tenant, BatchIn(batch_id="batch-0001",
                                               reminders=[reminder("C1")]))
    send_all(fake)
    ev = ses_event("Delivery", fake.mailer.sent[0][0], recipients=["ap@c1.example.com"],
                   timestamp="2026-06-30T10:01:00Z")
    history.record_ses_event(fake, ev)
    history.record_ses_event(fake, ev)
    events, _ = history.customer_history(fake, tenant, "C1", 10, None)
    assert [e.type for e in events] == ["reminder", "delivery"]


def test_computed_reminders_respect_the_cool_down_from_storage_history(fake, tenant):
    put(fake, tenant, overdue_ledger(3))
    day = dt.date(2026, 6, 30)
    first, _ = ledgers.compute_reminders(fake, tenant, day)
    assert sorted(r.customer for r in first) == ["C1", "C2", "C3"]
    assert batches.run_compute(fake, tenant, "auto-20260630", day) == 3
    send_all(fake)
    assert len(fake.mailer.sent) == 3
    later, _ = ledgers.compute_reminders(fake, tenant, day + dt.timedelta(days=2))
    assert later == []  # cool-down (7 days) holds


def test_a_promise_recorded_after_the_snapshot_pauses_chasing(fake, tenant):
    put(fake, tenant, overdue_ledger(2))
    fake.clock.t += dt.timedelta(minutes=5)
    history.add_promise(fake, tenant, "C1", PromiseIn(amount=100, date=dt.date(2026, 7, 20)))
    history.add_dispute(fake, tenant, "C2", DisputeIn(invoice="INV-2", reason="damaged"))
    got, _ = ledgers.compute_reminders(fake, tenant, dt.date(2026, 6, 30))
    assert got == []


def test_a_bounce_in_storage_history_stops_the_computed_reminder(fake, tenant):
    put(fake, tenant, overdue_ledger(2))
    history.add_event(fake, tenant, EventOut(
        id="b1", at=dt.datetime(2026, 6, 1, tzinfo=UTC), customer="C1", type="bounce",
        email="ap@c1.example.com"))
    got, _ = ledgers.compute_reminders(fake, tenant, dt.date(2026, 6, 30))
    assert [r.customer for r in got] == ["C2"]


def test_a_customer_handed_off_in_the_snapshot_is_not_chased_by_the_daily_cycle(fake,
                                                                               tenant):
    from tests.builders import customer, days_before, invoice

    put(fake, tenant, snapshot(
        [customer("C1", collection_status="With agency"), customer("C2")],
        [invoice("INV-1", 900.0, days_before(10), customer="C1"),
         invoice("INV-2", 800.0, days_before(10), customer="C2")],
        {"Sender Email": "reminders@creditdesk.example"}))
    got, _ = ledgers.compute_reminders(fake, tenant, dt.date(2026, 6, 30))
    assert [r.customer for r in got] == ["C2"]


def test_a_computed_batch_without_a_snapshot_is_refused(fake, tenant):
    with pytest.raises(Invalid) as e:
        batches.submit_part(fake, tenant, BatchIn(batch_id="batch-0001", compute=True))
    assert (e.value.field, e.value.code) == ("compute", "no_snapshot")


def profile_for(**kw):
    return {"automation": True, "snapshot": "v", "time_zone": "Europe/London",
            "send_window": ["09:00", "17:00:00"], "country": "GB", **kw}


@pytest.mark.parametrize(("when", "kw", "expected"), [
    (dt.datetime(2026, 6, 30, 9, 30, tzinfo=UTC), {}, dt.date(2026, 6, 30)),  # 10:30 BST
    (dt.datetime(2026, 6, 30, 7, 30, tzinfo=UTC), {}, None),  # 08:30 local: before window
    (dt.datetime(2026, 6, 30, 16, 0, tzinfo=UTC), {}, None),  # 17:00 local: window closed
    (dt.datetime(2026, 6, 27, 10, 0, tzinfo=UTC), {}, None),  # Saturday
    (dt.datetime(2026, 12, 25, 10, 0, tzinfo=UTC), {}, None),  # Christmas Day
    (dt.datetime(2026, 10, 3, 8, 0, tzinfo=UTC), {"country": "DE", "time_zone": "Europe/Berlin"},
     None),  # German Unity Day (a Saturday in 2026 too)
    (dt.datetime(2026, 6, 30, 9, 30, tzinfo=UTC), {"automation": False}, None),
    (dt.datetime(2026, 6, 30, 9, 30, tzinfo=UTC), {"last_cycle_day": "2026-06-30"}, None),
    (dt.datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
     {"time_zone": "Pacific/Auckland", "country": "NZ"}, dt.date(2026, 7, 1)),
    (dt.datetime(2026, 6, 30, 9, 30, tzinfo=UTC), {"country": "ZZ"}, dt.date(2026, 6, 30)),
])
def test_the_cycle_runs_on_business_days_inside_the_tenants_window(when, kw, expected):
    assert cycle.due(profile_for(**kw), when) == expected


def test_the_tick_fans_out_once_per_due_tenant_and_the_cycle_is_idempotent(fake, tenant):
    put(fake, tenant, overdue_ledger(2, {"Automation": "Yes"}))
    fake.clock.t = dt.datetime(2026, 6, 30, 9, 30, tzinfo=UTC)
    assert cycle.tick(fake) == [tenant]
    work = fake.queue.take("work")
    for body in work + work:  # a redelivered work item computes nothing new
        cycle.handle_work(fake, body)
    send_all(fake)
    assert len(fake.mailer.sent) == 2
    assert cycle.tick(fake) == []  # done for today


def test_nightly_scores_are_stored_and_served(fake, tenant):
    put(fake, tenant, overdue_ledger(3))
    cycle.fan_out(fake, "scores")
    for body in fake.queue.take("work"):
        cycle.handle_work(fake, body)
    out = scores.scores(fake, tenant, 2, 0)
    assert out.version and len(out.customers) == 2 and out.next
    assert scores.scores(fake, tenant, 2, 2).next is None


def test_the_weekly_digest_goes_to_the_controller_once_a_week(fake, tenant):
    put(fake, tenant, overdue_ledger(2, {"Controller Email": "cfo@acme.example"}))
    assert cycle.fan_out(fake, "digest") == [tenant]
    work = fake.queue.take("work")
    for body in work + work:
        cycle.handle_work(fake, body)
    assert len(fake.mailer.sent) == 1
    mail = fake.mailer.sent[0][1]
    assert mail.to == "cfo@acme.example" and "digest" in mail.subject
    assert "Overdue" in mail.text and "On hold" in mail.text


def test_erasure_removes_personal_data_and_keeps_accounting_evidence(fake, tenant):
    put(fake, tenant, overdue_ledger(2))
    batches.submit_part(fake, tenant, BatchIn(batch_id="batch-0001",
                                               reminders=[reminder("C1")]))
    send_all(fake)
    history.add_note(fake, tenant, "C1", NoteIn(text="called Mr Smith, home number ..."))
    history.add_note(fake, tenant, "C2", NoteIn(text="C2 stays"))
    out = erasure.erase_customer(fake, tenant, "C1")
    assert out.erased_events == 2 and out.kept
    assert out.erased["history_events_deleted"] == 1 and out.kept_counts == {
        "reminder_events": 1, "reminder_rows": 1}
    assert out.erased["outbox_copies_deleted"] == 1 == len(fake.mailer.forgotten)
    (stone,) = [i for k, i in fake.store.items.items() if k[1].startswith("GONE#")]
    assert "C1" not in json.dumps(stone) and stone["sk"] == keys.tombstone_sk(tenant, "C1")
    assert tombstones.erased(fake, tenant, ["C1", "C2"]) == {"C1"}
    events, _ = history.customer_history(fake, tenant, "C1", 10, None)
    assert [(e.type, e.email, e.note) for e in events] == [("reminder", None, "")]
    assert events[0].message_id and events[0].amount == 1000.0
    row = fake.store.query_all(keys.batch_rows_pk(tenant, "batch-0001"))[0]
    assert row["to"] == "" and row["subject"] == "" and row["status"] == "sent"
    snap = ledgers.load_snapshot(fake, tenant, snapshots.current_snapshot(fake, tenant).version)
    cust = snap.tables["Customers"]
    c1 = next(r for r in cust.rows if r[0] == "C1")
    assert "C1 Ltd" not in c1 and "ap@c1.example.com" not in c1
    assert history.customer_history(fake, tenant, "C2", 10, None)[0][0].note == "C2 stays"


def test_an_event_written_while_its_customer_is_erased_is_scrubbed_and_refused(
        fake, tenant, monkeypatch):
    """The erasure's tombstone lands between the check and the write: the event written is
    deleted again at once, and the caller is refused as if the tombstone had come first."""
    real = fake.store.put

    def erased_meanwhile(item, cond=None):
        if str(item.get("sk", "")).startswith("H#"):
            tombstones.bury(fake, tenant, "C1")
        return real(item, cond)

    monkeypatch.setattr(fake.store, "put", erased_meanwhile)
    with pytest.raises(Erased) as err:
        history.add_note(fake, tenant, "C1", NoteIn(text="called Mr Smith at home"))
    assert err.value.field == "customer" and err.value.code == "customer_erased"
    assert history.customer_history(fake, tenant, "C1", 10, None)[0] == []
    assert not [i for i in fake.store.items.values() if "Mr Smith" in json.dumps(i)]


def test_a_reminder_for_a_customer_erased_already_fails_on_arrival_and_keeps_nothing(
        fake, tenant):
    erasure.erase_customer(fake, tenant, "C1")
    batches.submit_part(fake, tenant, BatchIn(batch_id="batch-0001", reminders=[
        reminder("C1", subject="Reminder for Mr Smith"), reminder("C2")]))
    bodies = fake.queue.take("send")
    assert bodies and not any("c1.example.com" in b or "Mr Smith" in b for b in bodies)
    rows = {r["customer"]: r for r in fake.store.query_all(
        keys.batch_rows_pk(tenant, "batch-0001"))}
    assert rows["C1"]["status"] == "failed" and rows["C1"]["detail"] == tombstones.ERASED
    assert rows["C1"]["to"] == rows["C1"]["subject"] == ""
    assert rows["C2"]["status"] == "queued"
    batches.submit_part(fake, tenant, BatchIn(batch_id="batch-0002", reminders=[
        reminder("C1")]))  # nothing left to send: no message at all
    assert fake.queue.take("send") == []
    assert batches.batch_out(fake, tenant, "batch-0002").status == "done"


def test_a_newer_snapshot_is_not_replaced_by_an_older_one(fake, tenant):
    put(fake, tenant, overdue_ledger(1))
    newer = put(fake, tenant, overdue_ledger(2))
    fake.store.update(Update(keys.tenant_pk(tenant), "PROFILE", set={"snapshot": newer.version}))
    older = snapshots.new_version(fake.clock.now() - dt.timedelta(days=1))
    assert older < newer.version


def test_snapshot_helper_builds_the_contract_tables():
    doc = snapshot()
    assert set(doc["tables"]) == {"Customers", "Invoices", "Settings"}


def test_the_automated_cycle_chases_a_kept_plan_on_its_instalments(fake, tenant):
    """The synced snapshot carries the Plans table: the backend's computed reminders follow
    the plan (nothing before the courtesy lead, then the courtesy note, once) like the CLI."""
    plans = (["Plan", "Customer", "Invoices", "Start Date", "Instalments", "Status"],
             [["P1", "C1", "INV-1", dt.date(2026, 7, 15), 2, "Active"]])
    put(fake, tenant, overdue_ledger(2, extra={"Plans": plans}))
    got, _ = ledgers.compute_reminders(fake, tenant, dt.date(2026, 6, 30))
    assert [r.customer for r in got] == ["C2"]  # C1's INV-1 is on the plan, not yet due
    got, _ = ledgers.compute_reminders(fake, tenant, dt.date(2026, 7, 12))
    assert [(r.customer, r.level) for r in got] == [("C1", 1), ("C2", 2)]
    fake.clock.t = dt.datetime(2026, 7, 12, 10, tzinfo=UTC)
    assert batches.run_compute(fake, tenant, "auto-20260712", dt.date(2026, 7, 12)) == 2
    send_all(fake)
    later, _ = ledgers.compute_reminders(fake, tenant, dt.date(2026, 7, 14))
    assert later == []  # sent once, in the history: the cool-down holds
