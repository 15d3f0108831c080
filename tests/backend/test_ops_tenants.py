"""``creditdesk backend tenant create|delete`` and ``key create|list|revoke`` against AWS
(moto in process, as the shell's AWS account): a key is shown once and stored hashed, a
tenant needs a verified sender, a deleted tenant leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from backend.ops.cli import main
from chalicelib.adapters import aws as clients
from chalicelib.bootstrap import bootstrap, use
from chalicelib.services import tenancy

from .build import overdue_ledger, reminder
from .conftest import bearer, body, ses_sent, sqs_bodies, sqs_event
from .fakes import FakeClock, FakeContext


@pytest.fixture
def stack(aws, monkeypatch) -> str:
    """A deployed stack's outputs (``--stack creditdesk``) with a usage plan on moto; the
    plan's id."""
    from backend.ops import cli

    plan = clients.client("apigateway").create_usage_plan(name="creditdesk-tenants")["id"]
    outputs = {"TableName": "creditdesk", "BucketName": "creditdesk-ledgers",
               "UsagePlanId": plan}
    monkeypatch.setattr(cli, "_stack_outputs", lambda name: outputs)
    return plan


def plan_keys(plan: str) -> list[dict]:
    apigw = clients.client("apigateway")
    on_plan = {k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan)["items"]}
    return [k for k in apigw.get_api_keys(includeValues=True)["items"] if k["id"] in on_plan]


@pytest.fixture
def environ():
    """The commands point boto3 at their target through the environment: put it back."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    clients.reset()


def run(capsys, *argv: str) -> tuple[int, list[dict], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


def table_items() -> list[dict]:
    ddb = clients.client("dynamodb")
    items, start = [], None
    while True:
        r = ddb.scan(TableName="creditdesk", **({"ExclusiveStartKey": start} if start else {}))
        items += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            return items


def test_tenant_create_against_aws_needs_a_verified_sender_and_the_stack(
        aws, stack, environ, capsys):
    code, _, err = run(capsys, "tenant", "create", "Acme", "--stack", "creditdesk")
    assert code == 2 and "--sender is required against AWS" in err
    code, _, err = run(capsys, "tenant", "create", "Acme", "--sender", "acme.example")
    assert code == 2 and "--stack STACK is required" in err
    code, _, err = run(capsys, "tenant", "create", "Acme", "--sender", "billing@acme.example",
                       "--stack", "creditdesk")
    assert code == 2 and "billing@acme.example is not an SES identity" in err
    assert plan_keys(stack) == [] and tenancy.tenants(bootstrap()) == []
    clients.client("sesv2").create_email_identity(EmailIdentity="acme.example")
    code, (out,), err = run(capsys, "tenant", "create", "Acme", "--sender", "acme.example",
                            "--stack", "creditdesk")
    assert code == 0 and set(out) == {"tenant", "key_id", "api_key"}
    # its usage-plan key: what the authorizer names, so the plan's limits apply per tenant
    (key,) = plan_keys(stack)
    assert key["value"] == tenancy.usage_key(out["tenant"]) and key["enabled"]
    assert "SenderAddresses" in err and "*@acme.example" in err
    assert tenancy.profile(bootstrap(), out["tenant"])["sender"] == "acme.example"
    assert tenancy.authenticate(bootstrap(), f"Bearer {out['api_key']}") == out["tenant"]
    stored = json.dumps(table_items())
    assert out["api_key"] not in stored and out["api_key"].split("_")[-1] not in stored
    assert tenancy.hash_key(out["api_key"]) in stored  # only its hash
    code, (again,), _ = run(capsys, "tenant", "plan", out["tenant"], "--stack", "creditdesk")
    assert code == 0 and again["api_gateway_key"] == key["id"] and len(plan_keys(stack)) == 1


def test_a_tenant_whose_key_cannot_join_the_usage_plan_is_not_created(
        aws, stack, environ, capsys, monkeypatch):
    from botocore.exceptions import ClientError

    from backend.ops import usage

    def refused(apigw, plan, tenant, value):  # as API Gateway answers an unknown plan
        raise ClientError({"Error": {"Code": "NotFoundException",
                                     "Message": f"Invalid Usage Plan ID specified: {plan}"}},
                          "CreateUsagePlanKey")

    clients.client("sesv2").create_email_identity(EmailIdentity="acme.example")
    monkeypatch.setattr(usage, "register", refused)
    code, _, err = run(capsys, "tenant", "create", "Acme", "--sender", "acme.example",
                       "--stack", "creditdesk")
    assert code == 2 and "the tenant was not created" in err and stack in err
    assert tenancy.tenants(bootstrap()) == [] and table_items() == []


def test_keys_are_created_listed_and_revoked_by_id(aws, environ, capsys):
    tenant, first = tenancy.create_tenant(bootstrap(), "Acme", sender="acme.example")
    code, (made,), _ = run(capsys, "key", "create", tenant, "--label", "Excel,\nJo")
    assert code == 0 and made["tenant"] == tenant and made["api_key"] != first
    code, listed, _ = run(capsys, "key", "list", tenant)
    assert code == 0 and {k["key_id"] for k in listed} == {tenancy.key_id(first),
                                                           made["key_id"]}
    assert all(set(k) == {"key_id", "label", "created_at"} for k in listed)
    assert {k["label"] for k in listed} == {"", "Excel, Jo"}  # one line
    assert first not in json.dumps(listed) and made["api_key"] not in json.dumps(listed)
    code, (out,), err = run(capsys, "key", "revoke", tenant, made["key_id"])
    assert code == 0 and out["revoked"] and "5 more minutes" in err
    assert tenancy.authenticate(bootstrap(), f"Bearer {made['api_key']}") is None
    assert tenancy.authenticate(bootstrap(), f"Bearer {first}") == tenant
    code, _, err = run(capsys, "key", "revoke", tenant, made["key_id"])
    assert code == 2 and "no key" in err
    code, _, err = run(capsys, "key", "create", "0123456789abcdef")
    assert code == 2 and "no tenant 0123456789abcdef" in err


def _populate(client, app, aws, key: str) -> None:
    """A ledger, an upload, a batch sent, a bounce, a note, scores, a batch held for the Send
    Window (its index item and its S3 object)."""
    h = bearer(key)
    assert client.http.post("/v1/ledger", headers=h, body=body(overdue_ledger(3))
                            ).status_code == 201
    assert client.http.post("/v1/ledger/uploads", headers=h, body=body({"size": 10})
                            ).status_code == 201
    assert client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": [reminder("C1"), reminder("C2")]})
    ).status_code == 202
    app.handler_map["send_worker"](sqs_event(sqs_bodies(aws["CREDITDESK_SEND_QUEUE_URL"])),
                                   FakeContext())
    mid = ses_sent()[-1].id
    bounce = {"eventType": "Bounce", "mail": {"messageId": mid}, "bounce": {
        "bounceType": "Permanent", "timestamp": "2031-01-01T00:00:01Z",
        "bouncedRecipients": [{"emailAddress": "ap@c2.example.com"}]}}
    client.lambda_.invoke("ses_events", client.events.generate_sns_event(
        message=json.dumps(bounce)))
    assert client.http.post("/v1/customers/C9/notes", headers=h, body=body(
        {"text": "called"})).status_code == 201
    saturday = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)
    with use(bootstrap(clock=FakeClock(saturday))):
        assert client.http.post("/v1/batches", headers=h, body=body(
            {"batch_id": "batch-held", "reminders": [reminder("C3")], "send_window": {
                "time_zone": "Europe/London", "start": "09:00", "end": "17:00",
                "country": "GB"}})).status_code == 202
    from chalicelib.services import scores

    scores.compute_scores(bootstrap(), tenancy.key_tenant(f"Bearer {key}")[0])


def _owned(tenant: str) -> tuple[list[dict], list[str]]:
    items = [it for it in table_items() if it["pk"]["S"] == f"T#{tenant}"
             or it["pk"]["S"].startswith(f"T#{tenant}#")
             or it.get("gsi1sk", {}).get("S") == tenant]
    objects = [o["Key"] for o in clients.client("s3").list_objects_v2(
        Bucket="creditdesk-ledgers", Prefix=f"{tenant}/").get("Contents", [])]
    return items, objects


def test_a_deleted_tenant_leaves_no_key_item_or_object_and_others_keep_theirs(
        client, app, aws, stack, environ, capsys):
    from backend.ops import usage

    deps = bootstrap()
    acme, acme_key = tenancy.create_tenant(deps, "Acme")
    usage.register(clients.client("apigateway"), stack, acme, tenancy.usage_key(acme))
    other, other_key = tenancy.create_tenant(deps, "Other")
    _populate(client, app, aws, acme_key)
    assert client.http.post("/v1/ledger", headers=bearer(other_key),
                            body=body(overdue_ledger(2))).status_code == 201
    items, objects = _owned(acme)
    assert len(items) >= 10 and len(objects) >= 2  # snapshots, scores, the upload's record
    assert any("/held/" in o for o in objects)
    assert {"H#", "SUPP#", "CLAIM#", "KEY#", "R#", "HELD#"} <= {
        it["sk"]["S"].split("#")[0] + "#" for it in items if "#" in it["sk"]["S"]}
    before = _owned(other)

    code, _, err = run(capsys, "tenant", "delete", acme, "--stack", "creditdesk")
    assert code == 2 and "--yes" in err  # no terminal here: nothing deleted without it
    assert _owned(acme)[0]
    code, outs, err = run(capsys, "tenant", "delete", acme, "--yes", "--stack", "creditdesk")
    assert outs, err
    (out,) = outs
    assert code == 0 and out["deleted"]["keys"] == 1 and out["deleted"]["customers"] >= 3
    assert out["deleted"]["api_gateway_keys"] == 1 and plan_keys(stack) == []
    assert out["deleted"]["items"] == len(items) - 1 and out["deleted"]["objects"] == len(
        objects)
    assert _owned(acme) == ([], [])
    assert client.http.get("/v1/ledger", headers=bearer(acme_key)).status_code == 403
    assert _owned(other) == before
    assert client.http.get("/v1/ledger", headers=bearer(other_key)).status_code == 200
    code, _, err = run(capsys, "tenant", "delete", acme, "--yes", "--stack", "creditdesk")
    assert code == 2 and f"no tenant {acme}" in err
