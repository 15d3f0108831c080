"""Ledger snapshots: the workbook's tables sent inline or through a presigned upload,
validated with the domain (``ledgers.check``), and put in force if they are usable; the
previous snapshot stays in force otherwise. Putting one in force records what changed since
the previous one, and the API key that sent it, in the audit trail (``audit``)."""

from __future__ import annotations

import datetime as dt
import secrets

from creditdesk.api.models import MAX_UPLOAD_BYTES, SnapshotIn, SnapshotOut, UploadOut

from . import audit, keys, ledgers, senders
from .errors import Conflict, Invalid, NotAccepted, NotFound, TooLarge, invalid
from .ports import Cond, Deps, Item, Update
from .tenancy import local_day, profile

UPLOAD_EXPIRES = 900


def new_version(now: dt.datetime) -> str:
    """Time-ordered: a later snapshot has a larger version."""
    return f"{int(now.timestamp() * 1000):013d}{secrets.token_hex(4)}"


def _snapshot_out(item: Item) -> SnapshotOut:
    return SnapshotOut(version=item["sk"].removeprefix("SNAP#"), status=item["status"],
                       as_of=item.get("as_of"), customers=item.get("customers", 0),
                       invoices=item.get("invoices", 0), issues=item.get("issues", []),
                       message=item.get("message", ""))


def _activate(deps: Deps, tenant: str, version: str, snap: SnapshotIn, size: int,
              caller: audit.Caller) -> SnapshotOut:
    now = deps.clock.now()
    prof = profile(deps, tenant)
    result = ledgers.check(snap, local_day(prof, now))
    pk, sk = keys.tenant_pk(tenant), f"SNAP#{version}"
    if not result["ok"]:
        deps.store.update(Update(pk, sk, set={
            "status": "rejected", "message": result["message"], "updated_at": keys.stamp(now),
            "expiration": int(now.timestamp()) + 30 * 86400}))
        raise NotAccepted(f"the snapshot was not accepted: {result['message']}", "tables")
    issues = [i.model_dump() for i in result["issues"]]
    deps.store.update(Update(pk, sk, set={
        "status": "active", "as_of": result["as_of"].isoformat(),
        "customers": result["customers"], "invoices": result["invoices"],
        "issues": issues[:500], "message": "", "size": size, "updated_at": keys.stamp(now),
        "expiration": None}))
    # The audit trail: what changed since the snapshot in force until now, written before
    # the new one is put in force (so no change is lost if this request fails after it), and
    # taken back if a newer snapshot got there first.
    before = prof.get("snapshot")
    entries = audit.record(deps, tenant, version, audit.previous_tables(deps, tenant, before),
                           audit.audited_tables(snap.tables), caller, now, before)
    # The new snapshot is in force only now, and only if nothing newer got there first.
    if deps.store.update(Update(pk, "PROFILE", set={
            "snapshot": version, "snapshot_at": keys.stamp(now), **result["settings"]},
            cond=Cond(exists=True, before=("snapshot", version)))) is None and entries:
        audit.forget_version(deps, tenant, version, now)
    senders.remember(deps, tenant, pk, result["settings"]["sender_email"])
    return SnapshotOut(version=version, status="active", as_of=result["as_of"],
                       customers=result["customers"], invoices=result["invoices"],
                       issues=result["issues"])


def put_snapshot(deps: Deps, tenant: str, snap: SnapshotIn, body: bytes,
                 caller: audit.Caller | None = None) -> SnapshotOut:
    """An inline snapshot: stored, validated with the domain, and in force if it is usable.
    The previous snapshot stays in force otherwise."""
    now = deps.clock.now()
    version = new_version(now)
    deps.store.put_blob(keys.snapshot_blob(tenant, version), body)
    deps.store.put({"pk": keys.tenant_pk(tenant), "sk": f"SNAP#{version}", "status": "pending",
                    "created_at": keys.stamp(now), "size": len(body),
                    "expiration": int(now.timestamp()) + 86400})
    return _activate(deps, tenant, version, snap, len(body), caller or audit.Caller())


def create_upload(deps: Deps, tenant: str, size: int) -> UploadOut:
    now = deps.clock.now()
    version = new_version(now)
    # transient: an upload never completed is expired by the bucket's lifecycle rule
    url, headers = deps.store.presign_put(keys.snapshot_blob(tenant, version), UPLOAD_EXPIRES,
                                          transient=True)
    deps.store.put({"pk": keys.tenant_pk(tenant), "sk": f"SNAP#{version}", "status": "pending",
                    "created_at": keys.stamp(now), "declared_size": size,
                    "expiration": int(now.timestamp()) + 86400})
    return UploadOut(version=version, url=url, headers=headers,
                     expires_at=now + dt.timedelta(seconds=UPLOAD_EXPIRES))


def complete_upload(deps: Deps, tenant: str, version: str,
                    caller: audit.Caller | None = None) -> SnapshotOut:
    from pydantic import ValidationError

    item = deps.store.get(keys.tenant_pk(tenant), f"SNAP#{version}")
    if item is None:
        raise NotFound(f"no upload {version}", "version")
    if item["status"] == "active":
        return _snapshot_out(item)
    if item["status"] == "rejected":
        raise NotAccepted(f"the snapshot was not accepted: {item['message']}", "tables")
    key = keys.snapshot_blob(tenant, version)
    size = deps.store.blob_size(key)
    if size is None:
        raise Conflict("nothing was uploaded to the URL yet; PUT the snapshot JSON there first",
                       "version", code="not_uploaded")
    limit = min(int(item.get("declared_size") or MAX_UPLOAD_BYTES), MAX_UPLOAD_BYTES)
    if size > limit:  # checked before it is read: the API never reads more than the limit
        deps.store.delete_blob(key)
        raise TooLarge(f"the upload has {size} bytes, more than the {limit} announced "
                       f"(at most {MAX_UPLOAD_BYTES} are read)", "size")
    raw = deps.store.get_blob(key) or b""
    try:
        snap = SnapshotIn.model_validate_json(raw)
    except ValidationError as exc:
        err = invalid(exc)
        now = deps.clock.now()
        deps.store.update(Update(keys.tenant_pk(tenant), f"SNAP#{version}", set={
            "status": "rejected", "message": err.message, "updated_at": keys.stamp(now)}))
        raise Invalid(f"the uploaded snapshot is not valid: {err.message}", err.field) from None
    out = _activate(deps, tenant, version, snap, size, caller or audit.Caller())
    deps.store.keep_blob(key)  # in force now: no longer expired with abandoned uploads
    return out


def current_snapshot(deps: Deps, tenant: str) -> SnapshotOut:
    version = profile(deps, tenant).get("snapshot")
    item = deps.store.get(keys.tenant_pk(tenant), f"SNAP#{version}") if version else None
    if item is None:
        raise NotFound("no ledger snapshot yet")
    return _snapshot_out(item)
