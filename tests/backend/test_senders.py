"""Mail from the company: From the workbook's Sender Email when the tenant may send from it,
else the batch is refused before anything goes; on the emulated SES a synced Sender Email
becomes one of the tenant's identities."""

from __future__ import annotations

import email
import os
from email import policy
from pathlib import Path

import pytest

from chalicelib.bootstrap import bootstrap
from chalicelib.config import load
from chalicelib.services import senders, tenancy
from chalicelib.services.errors import SenderNotVerified
from tests.backend.build import overdue_ledger, reminder

from .conftest import bearer, body, ses_sent
from .test_api import run_send_worker


@pytest.mark.parametrize(("identity", "wanted", "ok"), [
    ("acme.example", "credit@acme.example", True),
    ("acme.example", "credit@sub.acme.example", False),
    ("ar@acme.example", "AR@ACME.example", True),
    ("ar@acme.example", "boss@acme.example", False),
])
def test_an_address_is_covered_by_itself_or_its_domain(identity, wanted, ok):
    assert senders.covers(identity, wanted) is ok


def test_a_sender_email_no_identity_covers_is_refused_naming_the_setting():
    prof = {"sender": "reminders@creditdesk.example", "sender_email": "cc@acme.example",
            "identities": {"ar@acme.example"}}
    with pytest.raises(SenderNotVerified) as exc:
        senders.mail_from(prof)
    assert exc.value.field == "Sender Email"
    assert "Sender Email cc@acme.example is not a verified sender" in exc.value.message
    assert "reminders@creditdesk.example, ar@acme.example" in exc.value.message
    assert senders.mail_from({**prof, "sender_email": "ar@acme.example",
                              "company_name": "Acme\r\nBcc: x"}) == ("ar@acme.example",
                                                                     "Acme Bcc: x")


def test_an_unverified_sender_email_refuses_the_batch_before_anything_goes(client, aws,
                                                                           monkeypatch):
    monkeypatch.delenv("CREDITDESK_EMULATED_SES")  # SES as in AWS: nothing verified on sync
    _, key = tenancy.create_tenant(bootstrap(), "Acme")
    h = bearer(key)
    r = client.http.post("/v1/ledger", headers=h, body=body(overdue_ledger(
        1, {"Sender Email": "credit.control@acme.example"})))
    assert r.status_code in (200, 201), r.body
    r = client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": [reminder("C1")]}))
    assert r.status_code == 422
    out = r.json_body
    assert (out["error"], out["field"]) == ("sender_not_verified", "Sender Email")
    assert "Settings: Sender Email credit.control@acme.example" in out["message"]
    assert client.http.get("/v1/batches/batch-0001", headers=h).status_code == 404
    assert ses_sent() == []


def test_on_the_emulator_a_synced_sender_email_is_verified_and_the_mail_comes_from_it(
        client, app, aws):
    assert load().emulated_ses
    deps = bootstrap()
    tenant, key = tenancy.create_tenant(deps, "Acme")
    h = bearer(key)
    client.http.post("/v1/ledger", headers=h, body=body(overdue_ledger(1, {
        "Sender Email": "credit.control@acme.example", "Reply To": "ar@acme.example",
        "Company Name": "Acme Ltd"})))
    assert "credit.control@acme.example" in tenancy.profile(deps, tenant)["identities"]
    r = client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": [reminder("C1")]}))
    assert r.status_code == 202, r.body
    run_send_worker(app, aws)
    assert ses_sent()[0].source == "Acme Ltd <credit.control@acme.example>"
    msg = email.message_from_bytes(
        (Path(os.environ["CREDITDESK_OUTBOX"]) / "C1-EUR-level2.eml").read_bytes(),
        policy=policy.default)
    assert msg["From"].addresses[0].addr_spec == "credit.control@acme.example"
    assert str(msg["Reply-To"]) == "ar@acme.example"
    assert not [k for k in msg if k.casefold().startswith("x-creditdesk")]
