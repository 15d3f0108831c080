"""The audit trail through the HTTP API (chalice.test.Client on moto): two syncs with
changes record the right entries with the key of the second request; GET /v1/audit pages,
filters by customer and time, sees only the caller's tenant; erasure removes a customer's
entries, deleting the tenant removes them all."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chalicelib.bootstrap import bootstrap
from chalicelib.services import audit as audit_service
from chalicelib.services import keys, snapshots, tenancy
from chalicelib.services.ledgers import load_snapshot
from chalicelib.services.tenant_erasure import erase_tenant
from creditdesk.api.models import SnapshotIn
from tests.builders import customer, days_before, invoice

from .build import snapshot
from .conftest import bearer, body


@pytest.fixture
def acme(aws):
    return tenancy.create_tenant(bootstrap(), "Acme")


def ledger(limits: dict[str, float], dnc: str = "", extra=None) -> dict:
    custs = [customer(c, **{"Credit Limit": v, "Terms (days)": 30,
                            "Do Not Chase": dnc if c == "C1" else ""})
             for c, v in limits.items()]
    invs = [invoice(f"INV-{c}", 100.0, days_before(5), customer=c) for c in limits]
    return snapshot(custs, invs, {"Sender Email": "reminders@creditdesk.example"}, extra)


def post(client, key, doc):
    r = client.http.post("/v1/ledger", headers=bearer(key), body=body(doc))
    assert r.status_code == 201, r.json_body
    return r.json_body["version"]


def audit(client, key, query=""):
    r = client.http.get(f"/v1/audit{query}", headers=bearer(key))
    assert r.status_code == 200, r.json_body
    return r.json_body


def test_two_syncs_record_the_changes_with_the_second_key(client, acme):
    tenant, first_key = acme
    second_key = tenancy.add_api_key(bootstrap(), tenant, label="Finance laptop")
    v1 = post(client, first_key, ledger({"C1": 10000, "C2": 5000}))
    first = audit(client, first_key)["items"]
    assert [(e["kind"], e["field"]) for e in first] == [("ledger", "initial")]
    assert first[0]["key_id"] == tenancy.key_id(first_key) and first[0]["version"] == v1

    levels = {"Dunning Levels": (["Level", "Name", "Days After Due", "Template"],
                                 [[1, "Friendly", 3, "reminder1"]])}
    v2 = post(client, second_key, ledger({"C1": 25000, "C2": 5000}, dnc="Yes", extra=levels))
    entries = audit(client, second_key)["items"][1:]
    got = {(e["subject"], e["field"]): (e["old"], e["new"]) for e in entries}
    assert got[("C1", "Credit Limit")] == ("10000", "25000")
    assert got[("C1", "Do Not Chase")] == ("No", "Yes")
    assert got[("levels", "Level 1: Days After Due")] == ("", "3")
    assert ("C2", "Credit Limit") not in got
    assert {e["key_id"] for e in entries} == {tenancy.key_id(second_key)}
    assert {e["key_label"] for e in entries} == {"Finance laptop"}
    assert {e["version"] for e in entries} == {v2}
    assert second_key not in str(entries) and tenancy.hash_key(second_key) not in str(entries)

    # the same workbook again: nothing changed, nothing recorded
    post(client, first_key, ledger({"C1": 25000, "C2": 5000}, dnc="Yes", extra=levels))
    assert len(audit(client, first_key)["items"]) == 1 + len(entries)


def test_paging_filters_and_tenant_isolation(client, acme):
    _, key = acme
    post(client, key, ledger({f"C{i}": 100 for i in range(1, 8)}))
    post(client, key, ledger({f"C{i}": 200 for i in range(1, 8)}))
    seen, token, pages = [], None, 0
    while True:
        q = "?limit=3" + (f"&next={token}" if token else "")
        page = audit(client, key, q)
        seen += page["items"]
        pages += 1
        token = page["next"]
        if not token:
            break
    assert len(seen) == 8 and pages >= 3
    assert len({e["id"] for e in seen}) == 8
    assert [e["at"] for e in seen] == sorted(e["at"] for e in seen)

    only = audit(client, key, "?customer=C3")["items"]
    assert [(e["subject"], e["old"], e["new"]) for e in only] == [("C3", "100", "200")]
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert audit(client, key, f"?since={future}")["items"] == []
    assert len(audit(client, key, "?since=2000-01-01")["items"]) == 8

    _, other_key = tenancy.create_tenant(bootstrap(), "Other")
    assert audit(client, other_key)["items"] == []
    assert audit(client, other_key, "?customer=C3")["items"] == []
    page = audit(client, key, "?limit=2")
    r = client.http.get(f"/v1/audit?next={page['next']}", headers=bearer(other_key))
    assert r.status_code == 400 and r.json_body["field"] == "next"
    r = client.http.get("/v1/audit?since=yesterday", headers=bearer(key))
    assert r.status_code == 400 and r.json_body["field"] == "since"


def test_erasure_removes_the_customers_entries_and_records_none_after(client, acme):
    tenant, key = acme
    post(client, key, ledger({"C1": 100, "C2": 100}))
    trail = {"Audit": (["Date", "Key", "Subject", "Field", "Old", "New"],
                       [["2026-06-01 09:00:00", "k", "C1", "Pause Reason", "", "divorce"],
                        ["2026-06-01 09:00:00", "k", "C2", "Pause Reason", "", "talks"]])}
    version = post(client, key, ledger({"C1": 200, "C2": 200}, extra=trail))
    assert len(audit(client, key, "?customer=C1")["items"]) == 1
    r = client.http.delete("/v1/customers/C1", headers=bearer(key))
    assert r.status_code == 200 and r.json_body["erased"]["audit_entries_deleted"] == 1
    assert audit(client, key, "?customer=C1")["items"] == []
    rows = load_snapshot(bootstrap(), tenant, version).tables["Audit"].rows
    assert rows[0][2:] == ["C1", "Pause Reason", "", ""]  # the workbook's trail blanked
    assert rows[1][2:] == ["C2", "Pause Reason", "", "talks"]
    post(client, key, ledger({"C1": 900, "C2": 300}))  # the workbook still has C1
    subjects = {e["subject"] for e in audit(client, key)["items"]}
    assert "C1" not in subjects and "C2" in subjects

    deps = bootstrap()
    assert deps.store.query_all(keys.audit_pk(tenant))
    erase_tenant(deps, tenant)
    assert deps.store.query_all(keys.audit_pk(tenant)) == []


# -- on fakes: the service itself --------------------------------------------------------------


def _entries(deps, tenant):
    return audit_service.entries(deps, tenant, None, None, 1000, None)[0]


def _put(deps, tenant, doc, caller=None):
    raw = json.dumps(doc).encode()
    return snapshots.put_snapshot(deps, tenant, SnapshotIn.model_validate_json(raw), raw,
                                  caller)


def _upload(deps, tenant, doc):
    up = snapshots.create_upload(deps, tenant, 10_000)
    deps.store.put_blob(keys.snapshot_blob(tenant, up.version), json.dumps(doc).encode())
    return up


def test_an_upload_overtaken_by_a_newer_snapshot_records_nothing(fake):
    tenant, _ = tenancy.create_tenant(fake, "Acme")
    _put(fake, tenant, ledger({"C1": 100}), audit_service.Caller("k1"))
    fake.clock.sleep(5)
    up = _upload(fake, tenant, ledger({"C1": 999}))  # an older version ...
    fake.clock.sleep(5)
    newer = _put(fake, tenant, ledger({"C1": 200}), audit_service.Caller("k2"))  # overtakes
    fake.clock.sleep(5)
    snapshots.complete_upload(fake, tenant, up.version, audit_service.Caller("k3"))
    assert tenancy.profile(fake, tenant)["snapshot"] == newer.version  # still in force
    got = [(e.key_id, e.subject, e.field, e.old, e.new) for e in _entries(fake, tenant)]
    assert got == [("k1", "ledger", "initial", "", got[0][4]),
                   ("k2", "C1", "Credit Limit", "100", "200")]  # nothing of k3's


def test_a_completed_upload_records_the_change_with_its_caller(fake):
    tenant, _ = tenancy.create_tenant(fake, "Acme")
    _put(fake, tenant, ledger({"C1": 100}))
    fake.clock.sleep(5)
    up = _upload(fake, tenant, ledger({"C1": 100}, dnc="Yes"))
    snapshots.complete_upload(fake, tenant, up.version, audit_service.Caller("kid", "Laptop"))
    last = _entries(fake, tenant)[-1]
    assert (last.subject, last.field, last.old, last.new) == ("C1", "Do Not Chase", "No", "Yes")
    assert (last.key_id, last.key_label, last.version) == ("kid", "Laptop", up.version)


def test_a_snapshot_with_more_changes_than_the_cap_says_so_in_its_last_entry(fake,
                                                                           monkeypatch):
    monkeypatch.setattr(audit_service, "MAX_ENTRIES_PER_SNAPSHOT", 3)
    tenant, _ = tenancy.create_tenant(fake, "Acme")
    _put(fake, tenant, ledger({f"C{i}": 100 for i in range(5)}))
    fake.clock.sleep(5)
    _put(fake, tenant, ledger({f"C{i}": 200 for i in range(5)}))
    got = [(e.subject, e.field) for e in _entries(fake, tenant)][1:]
    assert got == [("C0", "Credit Limit"), ("C1", "Credit Limit"), ("ledger", "truncated")]
    assert _entries(fake, tenant)[-1].new.startswith("3 more change(s)")


def test_a_previous_snapshot_that_cannot_be_read_is_said_so(fake):
    tenant, _ = tenancy.create_tenant(fake, "Acme")
    first = _put(fake, tenant, ledger({"C1": 100}))
    fake.store.delete_blob(keys.snapshot_blob(tenant, first.version))
    fake.clock.sleep(5)
    _put(fake, tenant, ledger({"C1": 200}))
    last = _entries(fake, tenant)[-1]
    assert (last.subject, last.field) == ("ledger", "initial")
    assert f"the snapshot before ({first.version}) could not be read" in last.new
