"""The HTTP API through chalice.test.Client, on moto in-process."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chalicelib.bootstrap import bootstrap
from chalicelib.entry.openapi import ROUTES
from chalicelib.services import tenancy

from .build import overdue_ledger, reminder, reminders
from .conftest import bearer, body, ses_sent, sqs_bodies, sqs_event
from .fakes import FakeContext


@pytest.fixture
def acme(aws):
    return tenancy.create_tenant(bootstrap(), "Acme")


@pytest.fixture
def other(aws):
    return tenancy.create_tenant(bootstrap(), "Other")


def run_send_worker(app, aws) -> dict:
    records = sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])
    return app.handler_map["send_worker"](sqs_event(records), FakeContext())


def test_openapi_document_needs_no_key_and_lists_every_route(client):
    r = client.http.get("/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json_body
    assert doc["openapi"].startswith("3.")
    for method, path, *_ in ROUTES:
        assert method in doc["paths"][path]
    assert "BatchIn" in doc["components"]["schemas"]
    recording = {p for p, ops in doc["paths"].items() if "410" in ops.get("post", {})
                 .get("responses", {})}
    assert recording == {f"/v1/customers/{{customer}}/{r}" for r in (
        "promises", "disputes", "notes")}


@pytest.mark.parametrize(("method", "path"), [(m.upper(), p) for m, p, *_ in ROUTES])
def test_every_route_refuses_a_request_without_a_key(client, method, path):
    path = path.format(customer="C1", batch_id="batch-0001", version="1" * 13 + "a" * 8)
    r = client.http.request(method, path, headers={"Content-Type": "application/json"},
                            body=b"{}")
    assert r.status_code == 401


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer cd_0123456789abcdef_" + "x" * 43,
                                    "Basic abc", "Bearer", "cd_x"])
def test_a_wrong_key_is_refused(client, acme, header):
    r = client.http.get("/v1/ledger", headers={"Authorization": header})
    assert r.status_code == 403


def test_a_revoked_key_is_refused(client, acme):
    _, key = acme
    assert client.http.get("/v1/scores", headers=bearer(key)).status_code == 200
    assert tenancy.revoke_api_key(bootstrap(), key)
    assert client.http.get("/v1/scores", headers=bearer(key)).status_code == 403


def test_cors_allows_the_addin_origin(client, acme):
    r = client.http.get("/v1/scores", headers=bearer(acme[1]))
    assert r.headers["Access-Control-Allow-Origin"] == "https://addin.xlwings.org"
    # the preflight, from the local gateway (the test client cannot read its empty body)
    from chalice.local import LocalGateway

    pre = LocalGateway(client._app, client._chalice_config).handle_request(
        "OPTIONS", "/v1/batches", {"origin": "https://addin.xlwings.org"}, b"")
    assert pre["statusCode"] == 200
    assert "Authorization" in pre["headers"]["Access-Control-Allow-Headers"]


def test_malformed_json_is_a_400_and_an_invalid_field_a_422_naming_it(client, acme):
    h = bearer(acme[1])
    r = client.http.post("/v1/batches", headers=h, body=b"{not json")
    assert r.status_code == 400 and r.json_body["error"] == "malformed"
    r = client.http.post("/v1/batches", headers=h, body=b"")
    assert r.status_code == 400
    r = client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": [reminder(to="not-an-address")]}))
    assert r.status_code == 422 and r.json_body["field"] == "reminders.0.to"
    r = client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": [reminder(subject="a\r\nBcc: x@y.z")]}))
    assert r.status_code == 422 and r.json_body["field"] == "reminders.0.subject"
    r = client.http.post("/v1/batches", headers=h, body=body({"batch_id": "b", "typo": 1}))
    assert r.status_code == 422 and r.json_body["field"] in ("batch_id", "typo")
    r = client.http.post("/v1/batches", headers=h, body=b'{"batch_id": "batch-0001", '
                         b'"reminders": [{"amount": NaN}]}')
    assert r.status_code == 400
    r = client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": [reminder(amount=1e300)]}))
    assert r.status_code == 422 and r.json_body["field"] == "reminders.0.amount"
    r = client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "part": 3, "parts": 2}))
    assert r.status_code == 422 and r.json_body["field"] == "part"
    assert "Traceback" not in r.body.decode()


def test_a_snapshot_is_accepted_inline_and_a_bad_one_leaves_the_last_in_force(client, acme):
    h = bearer(acme[1])
    r = client.http.post("/v1/ledger", headers=h, body=body(overdue_ledger(3)))
    assert r.status_code == 201, r.body
    good = r.json_body
    assert good["status"] == "active" and good["customers"] == 3
    r = client.http.post("/v1/ledger", headers=h, body=body(
        {"tables": {"Invoices": {"header": ["Invoice"], "rows": [["X"]]}}}))
    assert r.status_code == 422 and r.json_body["error"] == "rejected"
    assert client.http.get("/v1/ledger", headers=h).json_body["version"] == good["version"]


def test_a_large_snapshot_goes_through_a_presigned_upload(client, acme):
    import urllib.request

    h = bearer(acme[1])
    data = json.dumps(overdue_ledger(4)).encode()
    r = client.http.post("/v1/ledger/uploads", headers=h, body=body({"size": len(data)}))
    assert r.status_code == 201
    up = r.json_body
    done = client.http.post(f"/v1/ledger/uploads/{up['version']}/complete", headers=h)
    assert done.status_code == 409  # nothing uploaded yet
    req = urllib.request.Request(up["url"], data=data, method="PUT", headers=up["headers"])
    try:
        urllib.request.urlopen(req, timeout=10)
    except Exception:  # moto in-process intercepts botocore, not urllib: put it directly
        from chalicelib.adapters import aws as a

        key = up["url"].split(".amazonaws.com/")[-1].split("?")[0]
        a.client("s3").put_object(Bucket="creditdesk-ledgers", Key=key, Body=data,
                                  Tagging=up["headers"]["x-amz-tagging"])
        assert a.client("s3").get_object_tagging(Bucket="creditdesk-ledgers", Key=key)[
            "TagSet"] == [{"Key": "retention", "Value": "transient"}]
    done = client.http.post(f"/v1/ledger/uploads/{up['version']}/complete", headers=h)
    assert done.status_code == 200, done.body
    assert done.json_body["customers"] == 4
    from chalicelib.adapters import aws as clients

    # put with the tag the URL signs, so an upload never completed expires; once in force,
    # the snapshot is kept
    assert up["headers"]["x-amz-tagging"] == "retention=transient"
    assert "x-amz-tagging" in up["url"]  # X-Amz-SignedHeaders names it
    key = up["url"].split(".amazonaws.com/")[-1].split("?")[0]
    tags = clients.client("s3").get_object_tagging(Bucket="creditdesk-ledgers", Key=key)
    assert tags["TagSet"] == []
    assert client.http.get("/v1/ledger", headers=h).json_body["version"] == up["version"]


def test_an_upload_over_the_limit_is_refused_before_and_after_it_is_put(client, acme):
    from chalicelib.adapters import aws as a
    from creditdesk.api.models import MAX_UPLOAD_BYTES

    h = bearer(acme[1])
    r = client.http.post("/v1/ledger/uploads", headers=h,
                         body=body({"size": MAX_UPLOAD_BYTES + 1}))
    assert r.status_code == 422 and r.json_body["field"] == "size"
    up = client.http.post("/v1/ledger/uploads", headers=h, body=body({"size": 100})).json_body
    key = up["url"].split(".amazonaws.com/")[-1].split("?")[0]
    a.client("s3").put_object(Bucket="creditdesk-ledgers", Key=key, Body=b" " * 101)
    done = client.http.post(f"/v1/ledger/uploads/{up['version']}/complete", headers=h)
    assert done.status_code == 422 and done.json_body["field"] == "size"
    assert "101 bytes" in done.json_body["message"]
    assert a.client("s3").list_objects_v2(Bucket="creditdesk-ledgers", Prefix=key).get(
        "KeyCount") == 0  # deleted, never read


def test_a_batch_is_accepted_sent_and_reported(client, app, aws, acme):
    h = bearer(acme[1])
    r = client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": reminders(4)}))
    assert r.status_code == 202
    assert r.json_body["status"] == "sending" and r.json_body["counts"]["queued"] == 4
    assert run_send_worker(app, aws) == {"batchItemFailures": []}
    r = client.http.get("/v1/batches/batch-0001", headers=h)
    assert r.json_body["status"] == "done" and r.json_body["counts"]["sent"] == 4
    page1 = client.http.get("/v1/batches/batch-0001/reminders?limit=3", headers=h).json_body
    page2 = client.http.get(f"/v1/batches/batch-0001/reminders?limit=3&next={page1['next']}",
                            headers=h).json_body
    items = page1["items"] + page2["items"]
    assert page2["next"] is None and len(items) == 4
    assert {i["message_id"] for i in items} == {m.id for m in ses_sent()}


def test_a_batch_in_parts_is_accepted_when_every_part_is_in(client, app, aws, acme):
    h = bearer(acme[1])
    rems = reminders(6)
    for part in (1, 2):
        r = client.http.post("/v1/batches", headers=h, body=body(
            {"batch_id": "batch-0001", "part": part, "parts": 2,
             "reminders": rems[(part - 1) * 3:part * 3]}))
        assert r.status_code == 202
        assert r.json_body["parts_received"] == part
    assert r.json_body["status"] == "sending"
    run_send_worker(app, aws)
    assert len(ses_sent()) == 6


def test_double_submission_sends_nothing_twice(client, app, aws, acme):
    h = bearer(acme[1])
    batch = body({"batch_id": "batch-0001", "reminders": reminders(3)})
    assert client.http.post("/v1/batches", headers=h, body=batch).status_code == 202
    assert client.http.post("/v1/batches", headers=h, body=batch).status_code == 202
    run_send_worker(app, aws)
    # the same reminders under a new batch id: skipped as duplicates
    r = client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0002", "reminders": reminders(3)}))
    assert r.status_code == 202
    run_send_worker(app, aws)
    assert len(ses_sent()) == 3
    counts = client.http.get("/v1/batches/batch-0002", headers=h).json_body["counts"]
    assert counts == {"total": 3, "queued": 0, "sent": 0, "skipped": 3, "failed": 0,
                      "review": 0}


def test_a_part_resent_with_different_reminders_is_a_conflict(client, acme):
    h = bearer(acme[1])
    client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": reminders(2)}))
    r = client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": reminders(3)}))
    assert r.status_code == 409 and r.json_body["field"] == "batch_id"


def test_compute_true_computes_todays_reminders_from_the_last_snapshot(client, app, aws, acme):
    h = bearer(acme[1])
    r = client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "compute": True}))
    assert r.status_code == 422 and r.json_body["field"] == "compute"
    client.http.post("/v1/ledger", headers=h, body=body(overdue_ledger(3)))
    r = client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "compute": True}))
    assert r.status_code == 202 and r.json_body["status"] == "accepted"
    work = sqs_bodies(aws["CREDITDESK_WORK_QUEUE_URL"])
    assert app.handler_map["work_worker"](sqs_event(work), FakeContext()) == {
        "batchItemFailures": []}
    run_send_worker(app, aws)
    out = client.http.get("/v1/batches/batch-0001", headers=h).json_body
    assert out["status"] == "done" and out["counts"]["sent"] == 3
    assert sorted(m.destinations["ToAddresses"][0] for m in ses_sent()) == [
        "ap@c1.example.com", "ap@c2.example.com", "ap@c3.example.com"]


def test_history_promises_disputes_notes_and_date_ranges(client, app, aws, acme):
    h = bearer(acme[1])
    client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": [reminder("C 1/x", to="ap@c1.example.com")]}))
    run_send_worker(app, aws)
    for kind, payload in (("promises", {"amount": 250.5, "date": "2030-01-31"}),
                          ("disputes", {"invoice": "INV-1", "reason": "not delivered"}),
                          ("notes", {"text": "called"})):
        r = client.http.post(f"/v1/customers/C%201%2Fx/{kind}", headers=h, body=body(payload))
        assert r.status_code == 201, r.body
    r = client.http.post("/v1/customers/C1/promises", headers=h, body=body({"amount": -1,
                                                                           "date": "2030-01-01"}))
    assert r.status_code == 422 and r.json_body["field"] == "amount"
    events = client.http.get("/v1/customers/C%201%2Fx/history", headers=h).json_body["items"]
    assert [e["type"] for e in events] == ["reminder", "promise", "dispute", "note"]
    assert events[0]["message_id"] == ses_sent()[0].id
    ranged = client.http.get("/v1/history?from=2000-01-01&to=2100-01-01", headers=h)
    assert ranged.status_code == 400  # more than three years
    ranged = client.http.get("/v1/history", headers=h).json_body
    assert len(ranged["items"]) == 4
    assert client.http.get("/v1/history?from=nope", headers=h).status_code == 400
    # a from after the backend's today with no to (a PC whose clock is ahead): nothing yet
    ahead = dt.date.today() + dt.timedelta(days=3)
    r = client.http.get(f"/v1/history?from={ahead}", headers=h)
    assert r.status_code == 200 and r.json_body["items"] == []
    r = client.http.get(f"/v1/history?from={ahead}&to={dt.date.today()}", headers=h)
    assert r.status_code == 400 and r.json_body["field"] == "from"
    assert client.http.get("/v1/history?next=garbage", headers=h).status_code == 400


def test_scores_are_served_for_the_last_snapshot(client, acme):
    h = bearer(acme[1])
    assert client.http.get("/v1/scores", headers=h).json_body["customers"] == []
    client.http.post("/v1/ledger", headers=h, body=body(overdue_ledger(3)))
    r = client.http.get("/v1/scores?limit=2", headers=h)
    assert r.status_code == 200
    assert len(r.json_body["customers"]) == 2 and r.json_body["next"]
    rest = client.http.get(f"/v1/scores?next={r.json_body['next']}", headers=h).json_body
    assert len(rest["customers"]) == 1


def test_erasing_a_customer_reports_what_is_kept(client, app, aws, acme):
    h = bearer(acme[1])
    client.http.post("/v1/customers/C1/notes", headers=h, body=body({"text": "private"}))
    r = client.http.delete("/v1/customers/C1", headers=h)
    assert r.status_code == 200
    assert r.json_body["erased_events"] == 1 and r.json_body["kept"]
    assert client.http.get("/v1/customers/C1/history", headers=h).json_body["items"] == []


# -- tenant isolation: on every route ---------------------------------------------------------


@pytest.fixture
def acme_data(client, app, aws, acme):
    """Acme has a snapshot, a sent batch, history and an upload."""
    h = bearer(acme[1])
    client.http.post("/v1/ledger", headers=h, body=body(overdue_ledger(2)))
    client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": reminders(2)}))
    run_send_worker(app, aws)
    client.http.post("/v1/customers/C0/notes", headers=h, body=body({"text": "acme only"}))
    up = client.http.post("/v1/ledger/uploads", headers=h, body=body({"size": 10})).json_body
    page = client.http.get("/v1/batches/batch-0001/reminders?limit=1", headers=h).json_body
    hist = client.http.get("/v1/customers/C0/history?limit=1", headers=h).json_body
    return {"version": up["version"], "batch_next": page["next"], "hist_next": hist["next"]}


ISOLATION = {
    ("get", "/v1/ledger"): lambda d: (404, None),
    ("post", "/v1/ledger"): None,  # writes the caller's own snapshot
    ("post", "/v1/ledger/uploads"): None,
    ("post", "/v1/ledger/uploads/{version}/complete"): lambda d: (404, None),
    ("post", "/v1/batches"): None,
    ("get", "/v1/batches/{batch_id}"): lambda d: (404, None),
    ("get", "/v1/batches/{batch_id}/reminders"): lambda d: (404, None),
    ("get", "/v1/customers/{customer}/history"): lambda d: (200, []),
    ("post", "/v1/customers/{customer}/promises"): None,
    ("post", "/v1/customers/{customer}/disputes"): None,
    ("post", "/v1/customers/{customer}/notes"): None,
    ("delete", "/v1/customers/{customer}"): lambda d: (200, None),
    ("delete", "/v1/customers/{customer}/links"): lambda d: (200, None),  # revoked: false
    ("get", "/v1/history"): lambda d: (200, []),
    ("get", "/v1/scores"): lambda d: (200, None),
    ("get", "/v1/audit"): lambda d: (200, []),  # acme's entries are not the other's
}


def test_the_isolation_table_covers_every_route():
    assert set(ISOLATION) == {(m, p) for m, p, *_ in ROUTES}


@pytest.mark.parametrize(("method", "path"), list(ISOLATION))
def test_another_tenants_key_reads_and_changes_nothing_of_this_tenant(
        client, app, aws, acme, other, acme_data, method, path):
    h_acme, h_other = bearer(acme[1]), bearer(other[1])
    url = path.format(customer="C0", batch_id="batch-0001", version=acme_data["version"])
    payload = {
        "/v1/ledger": overdue_ledger(1),
        "/v1/ledger/uploads": {"size": 5},
        "/v1/batches": {"batch_id": "batch-0001", "reminders": reminders(2)},
        "/v1/customers/{customer}/promises": {"amount": 1, "date": "2030-01-01"},
        "/v1/customers/{customer}/disputes": {"invoice": "INV-0", "reason": "x"},
        "/v1/customers/{customer}/notes": {"text": "other's note"},
    }.get(path)
    before = {
        "ledger": client.http.get("/v1/ledger", headers=h_acme).json_body,
        "batch": client.http.get("/v1/batches/batch-0001", headers=h_acme).json_body,
        "history": client.http.get("/v1/customers/C0/history", headers=h_acme).json_body,
    }
    r = client.http.request(method.upper(), url, headers=h_other,
                            body=body(payload) if payload else b"")
    expect = ISOLATION[(method, path)]
    if expect is not None:
        status, items = expect(acme_data)
        assert r.status_code == status, r.body
        if items is not None:
            assert r.json_body["items"] == items
        text = r.body.decode()
        assert "acme only" not in text and "ap@c0.example.com" not in text
    else:
        assert r.status_code in (201, 202), r.body
    if path == "/v1/scores":
        assert r.json_body["customers"] == []
    if method == "post" and path == "/v1/batches":
        run_send_worker(app, aws)  # other's own batch: sent to other's customers
    # acme's data is as it was
    assert client.http.get("/v1/ledger", headers=h_acme).json_body == before["ledger"]
    assert client.http.get("/v1/batches/batch-0001",
                           headers=h_acme).json_body == before["batch"]
    assert client.http.get("/v1/customers/C0/history",
                           headers=h_acme).json_body == before["history"]


def test_page_tokens_of_another_tenant_are_refused(client, acme, other, acme_data):
    h_other = bearer(other[1])
    client.http.post("/v1/batches", headers=h_other, body=body(
        {"batch_id": "batch-0001", "reminders": reminders(2)}))
    r = client.http.get(f"/v1/batches/batch-0001/reminders?next={acme_data['batch_next']}",
                        headers=h_other)
    assert r.status_code == 400 and r.json_body["field"] == "next"
    r = client.http.get(f"/v1/customers/C0/history?next={acme_data['hist_next']}",
                        headers=h_other)
    assert r.status_code == 400


@pytest.mark.parametrize(("route", "payload"), [
    ("promises", {"amount": 100.0, "date": "2026-12-31"}),
    ("disputes", {"invoice": "INV-1", "reason": "wrong amount"}),
    ("notes", {"text": "called, will pay Friday"}),
])
def test_nothing_more_is_recorded_for_an_erased_customer(client, app, aws, acme, route,
                                                         payload):
    h = bearer(acme[1])
    assert client.http.post(f"/v1/customers/C1/{route}", headers=h,
                            body=body(payload)).status_code == 201
    assert client.http.delete("/v1/customers/C1", headers=h).status_code == 200
    r = client.http.post(f"/v1/customers/C1/{route}", headers=h, body=body(payload))
    assert r.status_code == 410, r.json_body
    assert r.json_body["error"] == "customer_erased" and r.json_body["field"] == "customer"
    assert "C1" in r.json_body["message"] and "erased" in r.json_body["message"]
    assert client.http.get("/v1/customers/C1/history", headers=h).json_body["items"] == []
    # another customer is recorded as before
    assert client.http.post(f"/v1/customers/C2/{route}", headers=h,
                            body=body(payload)).status_code == 201
