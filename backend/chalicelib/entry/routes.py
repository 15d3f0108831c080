"""API v1 (see docs/api.md and ``GET /v1/openapi.json``): each view parses the request, calls
one service function with ``current()``'s ``Deps`` and answers; ``http.view`` turns whatever
is refused into an ``ErrorOut``. Every route but the OpenAPI document takes the tenant from
the authorizer's context, never from the body or the path.

The models, the service layer and the domain are imported by the views, not here: importing
this module (at a cold start) costs only Chalice."""

from __future__ import annotations

import datetime as dt
import re

from chalice import Blueprint

from ..bootstrap import current
from ..services.pages import decode_token, encode_token
from .auth import api_key_auth
from .http import ApiError, cors, parse_json, parse_model, path_value, query_int, respond, view

bp = Blueprint(__name__)
MAX_INLINE_SNAPSHOT_BYTES = 4_000_000  # creditdesk.api.models.MAX_INLINE_SNAPSHOT_BYTES
CORS = cors()
_VERSION = re.compile(r"^[0-9]{13}[0-9a-f]{8}$")
_BATCH = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def route(path: str, method: str, auth: bool = True):
    return bp.route(path, methods=[method], cors=CORS,  # the key: from the authorizer
                    authorizer=api_key_auth if auth else None, api_key_required=auth)


def _tenant() -> str:
    ctx = (bp.current_request.context or {}).get("authorizer") or {}
    tenant = ctx.get("tenant")
    if not tenant:
        raise ApiError(401, "unauthorized", "an API key is needed: Authorization: Bearer <key>")
    return tenant


def _caller():
    """The API key of the request, by its id and label (the authorizer's context)."""
    from ..services.audit import Caller

    ctx = (bp.current_request.context or {}).get("authorizer") or {}
    return Caller(key_id=str(ctx.get("key_id") or ""), key_label=str(ctx.get("key_label") or ""))


def _raw() -> bytes | None:
    return bp.current_request.raw_body


def _params() -> dict:
    return bp.current_request.query_params or {}


def _token(pk_check: str | None = None) -> dict | None:
    return decode_token(_params().get("next"))


@route("/v1/openapi.json", "GET", auth=False)
@view
def openapi():
    from .openapi import document

    return respond(document())


# -- ledger ----------------------------------------------------------------------------------


@route("/v1/ledger", "POST")
@view
def put_ledger():
    from creditdesk.api.models import SnapshotIn

    from ..services import snapshots

    tenant = _tenant()
    raw = _raw() or b""
    if len(raw) > MAX_INLINE_SNAPSHOT_BYTES:
        raise ApiError(413, "too_large", f"the snapshot has {len(raw)} bytes; above "
                       f"{MAX_INLINE_SNAPSHOT_BYTES} use POST /v1/ledger/uploads", "tables")
    snap = parse_model(SnapshotIn, raw)
    return respond(snapshots.put_snapshot(current(), tenant, snap, raw, _caller()), 201)


@route("/v1/ledger", "GET")
@view
def get_ledger():
    from ..services import snapshots

    return respond(snapshots.current_snapshot(current(), _tenant()))


@route("/v1/ledger/uploads", "POST")
@view
def create_upload():
    from creditdesk.api.models import UploadIn

    from ..services import snapshots

    tenant = _tenant()
    body = parse_model(UploadIn, _raw())
    return respond(snapshots.create_upload(current(), tenant, body.size), 201)


@route("/v1/ledger/uploads/{version}/complete", "POST")
@view
def complete_upload(version: str):
    from ..services import snapshots

    tenant = _tenant()
    if not _VERSION.match(version):
        raise ApiError(404, "not_found", f"no upload {version}", "version")
    return respond(snapshots.complete_upload(current(), tenant, version, _caller()))


# -- batches ---------------------------------------------------------------------------------


@route("/v1/batches", "POST")
@view
def submit_batch():
    from creditdesk.api.models import BatchIn

    from ..services import batches

    tenant = _tenant()
    batch = parse_model(BatchIn, _raw())
    out = batches.submit_part(current(), tenant, batch, bp.lambda_context)
    return respond(out, 202)


def _batch_id(value: str) -> str:
    if not _BATCH.match(value):
        raise ApiError(404, "not_found", f"no batch {value}", "batch_id")
    return value


@route("/v1/batches/{batch_id}", "GET")
@view
def get_batch(batch_id: str):
    from ..services import batches

    tenant = _tenant()
    return respond(batches.batch_out(current(), tenant, _batch_id(batch_id)))


@route("/v1/batches/{batch_id}/reminders", "GET")
@view
def batch_reminders(batch_id: str):
    from creditdesk.api.models import Page

    from ..services import batches

    tenant = _tenant()
    limit = query_int(_params(), "limit", 100, 1, 1000)
    items, last = batches.batch_reminders(current(), tenant, _batch_id(batch_id), limit,
                                           _token())
    return respond(Page(items=items, next=encode_token(last) if last else None))


# -- history ---------------------------------------------------------------------------------


def _customer(value: str) -> str:
    return path_value(value, "customer")


@route("/v1/customers/{customer}/history", "GET")
@view
def customer_history(customer: str):
    from creditdesk.api.models import Page

    from ..services import history

    tenant = _tenant()
    customer = _customer(customer)
    limit = query_int(_params(), "limit", 100, 1, 1000)
    after = _token()
    if after is not None and after.get("pk") != f"T#{tenant}#C#{customer}":
        raise ApiError(400, "invalid", "next is not a token this API gave out", "next")
    items, last = history.customer_history(current(), tenant, customer, limit, after)
    return respond(Page(items=items, next=encode_token(last) if last else None))


def _date(name: str, default: dt.date) -> dt.date:
    text = _params().get(name)
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "invalid", f"{name} must be a date (YYYY-MM-DD)", name) from None


@route("/v1/history", "GET")
@view
def history_range():
    from creditdesk.api.models import Page

    from ..services import history

    tenant = _tenant()
    deps = current()
    today = deps.clock.now().date()
    end = _date("to", None)
    start = _date("from", (end or today) - dt.timedelta(days=30))
    if end is None:  # up to today; a from after it (a client whose clock is ahead): that day
        end = max(today, start)
    if start > end:
        raise ApiError(400, "invalid", "from must not be after to", "from")
    if (end.year - start.year) * 12 + end.month - start.month >= 37:
        raise ApiError(400, "invalid", "ask for at most three years at a time", "to")
    limit = query_int(_params(), "limit", 100, 1, 1000)
    try:
        items, token = history.history_range(deps, tenant, start, end, limit, _token())
    except ValueError:
        raise ApiError(400, "invalid", "next is not a token this API gave out for this "
                       "range", "next") from None
    return respond(Page(items=items, next=encode_token(token) if token else None))


def _record(customer: str, model_name: str, service_name: str):
    """Validate a promise, dispute or note and record it in the customer's history."""
    from creditdesk.api import models as api

    from ..services import history

    tenant = _tenant()
    customer = _customer(customer)
    body = parse_model(getattr(api, model_name), _raw())
    return respond(getattr(history, service_name)(current(), tenant, customer, body), 201)


@route("/v1/customers/{customer}/promises", "POST")
@view
def add_promise(customer: str):
    return _record(customer, "PromiseIn", "add_promise")


@route("/v1/customers/{customer}/disputes", "POST")
@view
def add_dispute(customer: str):
    return _record(customer, "DisputeIn", "add_dispute")


@route("/v1/customers/{customer}/notes", "POST")
@view
def add_note(customer: str):
    return _record(customer, "NoteIn", "add_note")


@route("/v1/customers/{customer}", "DELETE")
@view
def erase_customer(customer: str):
    from ..services import erasure

    tenant = _tenant()
    return respond(erasure.erase_customer(current(), tenant, _customer(customer)))


# -- the audit trail ---------------------------------------------------------------------------


def _since() -> dt.datetime | None:
    text = (_params().get("since") or "").strip()
    if not text:
        return None
    try:
        when = (dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text
                or " " in text else dt.datetime.combine(dt.date.fromisoformat(text),
                                                         dt.time()))
    except ValueError:
        raise ApiError(400, "invalid", "since must be a date (YYYY-MM-DD) or a time "
                       "(YYYY-MM-DDTHH:MM:SSZ)", "since") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@route("/v1/audit", "GET")
@view
def get_audit():
    from creditdesk.api.models import Page

    from ..services import audit

    tenant = _tenant()
    since = _since()
    customer = (_params().get("customer") or "").strip() or None
    if customer and (len(customer) > 200 or any(ord(c) < 32 or c == "\x7f" for c in customer)):
        raise ApiError(400, "invalid", "customer must be a customer key (at most 200 "
                       "characters, no control characters)", "customer")
    limit = query_int(_params(), "limit", 100, 1, 1000)
    try:
        items, last = audit.entries(current(), tenant, since, customer, limit, _token())
    except ValueError:
        raise ApiError(400, "invalid", "next is not a token this API gave out for this "
                       "listing", "next") from None
    return respond(Page(items=items, next=encode_token(last) if last else None))


# -- scores ----------------------------------------------------------------------------------


@route("/v1/scores", "GET")
@view
def get_scores():
    from ..services import scores

    tenant = _tenant()
    limit = query_int(_params(), "limit", 1000, 1, 1000)
    token = _token()
    offset = 0
    if token is not None:
        offset = token.get("o") if isinstance(token.get("o"), int) else -1
        if offset < 0:
            raise ApiError(400, "invalid", "next is not a token this API gave out", "next")
    return respond(scores.scores(current(), tenant, limit, offset))


__all__ = ["bp", "parse_json"]
