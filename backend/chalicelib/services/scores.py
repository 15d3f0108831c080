"""Payment scores of the snapshot in force: computed nightly (``cycle``) or on the first
request after a new snapshot, stored as one JSON blob per snapshot version, served a page at a
time."""

from __future__ import annotations

import json

from creditdesk.api.models import ScoreOut, ScoresOut

from . import keys, ledgers
from .pages import encode_token
from .ports import Deps, Update
from .tenancy import local_day, profile


def compute_scores(deps: Deps, tenant: str) -> str | None:
    """Score the current snapshot and store the result; the snapshot version scored."""
    prof = profile(deps, tenant)
    if not prof.get("snapshot"):
        return None
    doc, version = ledgers.scores_doc(deps, tenant, local_day(prof, deps.clock.now()))
    deps.store.put_blob(keys.scores_blob(tenant, version), ledgers.to_json(doc))
    deps.store.update(Update(keys.tenant_pk(tenant), "PROFILE",
                             set={"scores_version": version}))
    return version


def scores(deps: Deps, tenant: str, limit: int, offset: int) -> ScoresOut:
    prof = profile(deps, tenant)
    version = prof.get("snapshot")
    if not version:
        return ScoresOut(as_of=None, version=None, customers=[])
    raw = (deps.store.get_blob(keys.scores_blob(tenant, version))
           if prof.get("scores_version") == version else None)
    if raw is None:
        compute_scores(deps, tenant)
        raw = deps.store.get_blob(keys.scores_blob(tenant, version)) or b"{}"
    doc = json.loads(raw)
    rows = doc.get("customers", [])
    page = rows[offset:offset + limit]
    nxt = encode_token({"o": offset + limit, "v": version}) if offset + limit < len(rows) else None
    return ScoresOut(as_of=doc.get("as_of"), version=version,
                     customers=[ScoreOut(**{k: r.get(k) for k in ScoreOut.model_fields})
                                for r in page], next=nxt)
