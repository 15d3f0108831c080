"""Each function's IAM role allows every AWS call its handler makes, and on the right resource:
every handler is run on moto with each botocore call recorded, and each call is checked
against that function's statements in ``resources.role_statements()`` (what the packaged
template gives its role: ``tests/integration/test_infra_package.py``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator

import pytest

from backend.ops import resources
from chalicelib.bootstrap import bootstrap, use
from chalicelib.services import tenancy

from .build import overdue_ledger, reminder
from .conftest import bearer, body, ses_sent, sqs_bodies, sqs_event
from .fakes import FakeClock, FakeContext

QUEUES = {"creditdesk-send": "SendQueue", "creditdesk-work": "WorkQueue"}
RENAMED = {("s3", "HeadObject"): "GetObject", ("s3", "ListObjectsV2"): "ListBucket",
           ("sqs", "SendMessageBatch"): "SendMessage",
           ("sqs", "DeleteMessageBatch"): "DeleteMessage",
           ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility"}
TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem"}


def iam_actions(service: str, operation: str, params: dict) -> list[tuple[str, str]]:
    """The IAM actions a call needs, each with the queue it targets (or "")."""
    prefix = "ses" if service == "sesv2" else service
    queue = ""
    if service == "sqs" and params.get("QueueUrl"):
        queue = QUEUES.get(params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1], "?")
    if (service, operation) == ("dynamodb", "TransactWriteItems"):
        return [(f"dynamodb:{TRANSACT[k]}", "") for it in params["TransactItems"] for k in it]
    out = [(f"{prefix}:{RENAMED.get((service, operation), operation)}", queue)]
    if (service, operation) == ("s3", "PutObject") and params.get("Tagging"):
        out.append(("s3:PutObjectTagging", ""))
    return out


def allowed(statements: list[dict], action: str, queue: str) -> bool:
    for s in statements:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if action not in actions:
            continue
        if not queue or json.dumps(s["Resource"]).count(f'"{queue}"'):
            return True
    return False


class Recorder:
    def __init__(self) -> None:
        self.calls: dict[str, set[tuple[str, str]]] = {}
        self.current = ""

    @contextlib.contextmanager
    def as_(self, function: str) -> Iterator[None]:
        before, self.current = self.current, function
        try:
            yield
        finally:
            self.current = before


@pytest.fixture
def recorder(aws, monkeypatch) -> Recorder:
    from botocore.client import BaseClient

    rec = Recorder()
    original = BaseClient._make_api_call

    def record(self, operation, params):
        if rec.current:
            for call in iam_actions(self.meta.service_model.service_name, operation, params):
                rec.calls.setdefault(rec.current, set()).add(call)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    return rec


def _run_api(client, rec: Recorder, key: str) -> None:
    h = bearer(key)
    with rec.as_("app"):
        ledger = overdue_ledger(3, {
            "Automation": "Yes", "Time Zone": "Europe/London", "Send Window": "09:00-17:00",
            "Controller Email": "cfo@acme.example", "Sender Email": "credit@acme.example"})
        assert client.http.post("/v1/ledger", headers=h, body=body(ledger)).status_code == 201
        data = json.dumps(ledger).encode()  # the same again, through an upload
        up = client.http.post("/v1/ledger/uploads", headers=h, body=body({"size": len(data)}))
        assert up.status_code == 201
        key = up.json_body["url"].split(".amazonaws.com/")[-1].split("?")[0]
        with rec.as_(""):  # the client's PUT to the presigned URL, not the API's call
            from chalicelib.adapters import aws as clients

            clients.client("s3").put_object(Bucket="creditdesk-ledgers", Key=key, Body=data,
                                            Tagging="retention=transient")
        assert client.http.post(f"/v1/ledger/uploads/{up.json_body['version']}/complete",
                                headers=h).status_code == 200
        assert client.http.post("/v1/batches", headers=h, body=body(
            {"batch_id": "batch-0001", "reminders": [reminder("C1")]})).status_code == 202
        for path in ("/v1/ledger", "/v1/batches/batch-0001",
                     "/v1/batches/batch-0001/reminders", "/v1/customers/C1/history",
                     "/v1/history", "/v1/scores"):
            assert client.http.get(path, headers=h).status_code in (200, 404), path
        assert client.http.post("/v1/customers/C2/notes", headers=h, body=body(
            {"text": "called"})).status_code == 201
        sunday = dt.datetime(2026, 6, 28, 12, 0, tzinfo=dt.UTC)  # held for Monday 09:00
        with use(bootstrap(clock=FakeClock(sunday))):
            assert client.http.post("/v1/batches", headers=h, body=body(
                {"batch_id": "batch-held", "reminders": [reminder("C2"), reminder("C3")],
                 "send_window": {"time_zone": "Europe/London", "start": "09:00",
                                 "end": "17:00", "country": "GB"}})).status_code == 202
        assert client.http.delete("/v1/customers/C2", headers=h).status_code == 200


def _run_debtor_page(client, rec: Recorder, tenant: str) -> None:
    """The debtor's page: a view, and a dispute (mailed to the controller at once)."""
    import re
    from urllib.parse import urlencode

    from chalicelib.services import links

    with rec.as_(""):
        token = links.issue(bootstrap(), tenant, "C3", "batch-0001")
    with rec.as_("app"):
        page = client.http.get(f"/p/{token}")
        assert page.status_code == 200
        csrf = re.search(r'value="dispute"><input type="hidden" name="csrf" value="(\w+)"',
                         page.body.decode())[1]
        r = client.http.post(f"/p/{token}", headers={
            "Content-Type": "application/x-www-form-urlencoded"}, body=urlencode({
                "form": "dispute", "csrf": csrf, "invoice": "INV-3", "reason": "other",
                "text": "not ours"}))
        assert r.status_code == 303, r.body
    assert [m for m in ses_sent() if m.destinations["ToAddresses"] == ["cfo@acme.example"]]


def test_every_call_of_every_handler_is_allowed_by_its_own_role(client, app, aws, recorder,
                                                               monkeypatch):
    # as deployed: SES is the real one, so the API never verifies a Sender Email itself
    # (only the local stack's emulated SES does, CREDITDESK_EMULATED_SES)
    monkeypatch.delenv("CREDITDESK_EMULATED_SES", raising=False)
    rec = recorder
    from chalicelib.adapters import aws as clients

    clients.client("sesv2").create_email_identity(EmailIdentity="acme.example")
    tenant, key = tenancy.create_tenant(bootstrap(), "Acme", sender="acme.example")
    _run_api(client, rec, key)
    with rec.as_("api_key_auth"):
        answer = app.handler_map["api_key_auth"]({
            "type": "TOKEN", "authorizationToken": f"Bearer {key}",
            "methodArn": "arn:aws:execute-api:eu-west-2:123456789012:a/api/GET/v1/ledger"},
            FakeContext())
    assert answer["principalId"] == tenant  # and its usage-plan key, for its own limits
    assert answer["usageIdentifierKey"] == tenancy.usage_key(tenant)
    records = sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])  # as the event source would
    with rec.as_("send_worker"):
        app.handler_map["send_worker"](sqs_event(records), FakeContext())
    (mid,) = [m.id for m in ses_sent()]
    bounce = {"eventType": "Bounce", "mail": {"messageId": mid}, "bounce": {
        "bounceType": "Permanent", "timestamp": "2030-01-01T00:00:01Z",
        "bouncedRecipients": [{"emailAddress": "ap@c1.example.com"}]}}
    _run_debtor_page(client, rec, tenant)
    with rec.as_("ses_events"):
        client.lambda_.invoke("ses_events", client.events.generate_sns_event(
            message=json.dumps(bounce)))
    monday_10 = dt.datetime(2026, 6, 29, 9, 0, tzinfo=dt.UTC)  # 10:00 in London
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])
    with use(bootstrap(clock=FakeClock(monday_10))):
        for name in ("tick", "nightly_scores", "weekly_digest", "page_summary"):
            with rec.as_(name):
                assert client.lambda_.invoke(name, event).payload == [tenant], name
        assert ("s3:DeleteObject", "") in rec.calls["tick"]  # it released the held batch
        held = [r for r in sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])
                if json.loads(r["body"])["batch"] == "batch-held"]
        assert [[it["r"]["customer"] for it in json.loads(r["body"])["items"]]
                for r in held] == [["C3"]]  # C2 was erased while it was held
        work = sqs_bodies(aws["CREDITDESK_WORK_QUEUE_URL"])
        with rec.as_("work_worker"):
            assert {json.loads(w["body"])["kind"] for w in work} == {
                "cycle", "scores", "digest", "page_summary"}
            assert app.handler_map["work_worker"](sqs_event(work), FakeContext()) == {
                "batchItemFailures": []}
    roles = resources.role_statements()
    assert set(rec.calls) == set(roles)  # every function ran and called AWS
    refused = {fn: sorted(c for c in calls if not allowed(roles[fn], *c))
               for fn, calls in rec.calls.items()}
    assert {fn: c for fn, c in refused.items() if c} == {}
    # and the reverse for mail: only the functions that send hold ses:SendEmail
    senders = {fn for fn, st in roles.items() if allowed(st, "ses:SendEmail", "")}
    assert senders == {fn for fn, calls in rec.calls.items()
                       if ("ses:SendEmail", "") in calls} == {"send_worker", "work_worker",
                                                              "app"}
