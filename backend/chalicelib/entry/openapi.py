"""The OpenAPI 3 document, generated from the pydantic models in ``creditdesk.api.models``."""

from __future__ import annotations

import functools
from typing import Any

from creditdesk.api import models as m

ERRORS = {"400": "malformed request (bad JSON, bad query value)",
          "401": "no API key", "403": "unknown API key",
          "404": "not found (for this tenant)", "409": "conflict (retry, or a new batch_id)",
          "422": "invalid request: ``field`` names the field"}
ERASED = ("the customer was erased (``error: customer_erased``, ``field: customer``): nothing "
          "more is recorded for it")

_CUSTOMER = {"name": "customer", "in": "path", "required": True,
             "schema": {"type": "string", "minLength": 1, "maxLength": 200},
             "description": "the customer key, URL-encoded"}
_BATCH = {"name": "batch_id", "in": "path", "required": True,
          "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"}}
_VERSION = {"name": "version", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]{13}[0-9a-f]{8}$"}}
_LIMIT = {"name": "limit", "in": "query", "required": False,
          "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}
_NEXT = {"name": "next", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "the `next` of the previous page"}
_DATE = {"type": "string", "format": "date"}

# (method, path, summary, request model, (status, response model), parameters)
ROUTES: list[tuple[str, str, str, Any, tuple[int, Any], list[dict]]] = [
    ("post", "/v1/ledger", "Send a ledger snapshot (the workbook's tables) inline",
     m.SnapshotIn, (201, m.SnapshotOut), []),
    ("get", "/v1/ledger", "The snapshot in force", None, (200, m.SnapshotOut), []),
    ("post", "/v1/ledger/uploads", "Ask for a presigned S3 upload of a large snapshot",
     m.UploadIn, (201, m.UploadOut), []),
    ("post", "/v1/ledger/uploads/{version}/complete", "Validate an uploaded snapshot; in "
     "force if usable", None, (200, m.SnapshotOut), [_VERSION]),
    ("post", "/v1/batches", "Submit reminders (or compute: true); 202 with the batch",
     m.BatchIn, (202, m.BatchOut), []),
    ("get", "/v1/batches/{batch_id}", "A batch's status and counts", None, (200, m.BatchOut),
     [_BATCH]),
    ("get", "/v1/batches/{batch_id}/reminders", "Each reminder's status and SES message id",
     None, (200, m.Page[m.ReminderOut]), [_BATCH, _LIMIT, _NEXT]),
    ("get", "/v1/customers/{customer}/history", "A customer's history, oldest first", None,
     (200, m.Page[m.EventOut]), [_CUSTOMER, _LIMIT, _NEXT]),
    ("post", "/v1/customers/{customer}/promises", "Record a promise to pay", m.PromiseIn,
     (201, m.EventOut), [_CUSTOMER]),
    ("post", "/v1/customers/{customer}/disputes", "Record a dispute of an invoice",
     m.DisputeIn, (201, m.EventOut), [_CUSTOMER]),
    ("post", "/v1/customers/{customer}/notes", "Add a note", m.NoteIn, (201, m.EventOut),
     [_CUSTOMER]),
    ("delete", "/v1/customers/{customer}", "Erase a customer's personal data", None,
     (200, m.ErasureOut), [_CUSTOMER]),
    ("delete", "/v1/customers/{customer}/links", "Revoke the links to the customer's own page",
     None, (200, m.LinksOut), [_CUSTOMER]),
    ("get", "/v1/history", "Every customer's history in a date range (UTC days)", None,
     (200, m.Page[m.EventOut]),
     [{"name": "from", "in": "query", "required": False, "schema": _DATE,
       "description": "default: 30 days before `to`"},
      {"name": "to", "in": "query", "required": False, "schema": _DATE,
       "description": "default: today"}, _LIMIT, _NEXT]),
    ("get", "/v1/audit", "The audit trail: each change a snapshot made (credit limits, "
     "terms, Do Not Chase, pauses, Debtor Type, the dunning levels, settings, templates), "
     "with the key that sent it, oldest first", None, (200, m.Page[m.AuditOut]),
     [{"name": "since", "in": "query", "required": False,
       "schema": {"type": "string", "format": "date-time"},
       "description": "entries from this UTC time (or date) on; default: all"},
      {"name": "customer", "in": "query", "required": False,
       "schema": {"type": "string", "minLength": 1, "maxLength": 200},
       "description": "only this customer's entries"}, _LIMIT, _NEXT]),
    ("get", "/v1/scores", "Payment scores of the snapshot in force", None,
     (200, m.ScoresOut), [_LIMIT, _NEXT]),
]


def _name(model: Any) -> str:
    return model.__name__.replace("[", "_").replace("]", "_").replace(",", "_")


@functools.cache
def document() -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    models = {m.ErrorOut, m.AddinWheelOut}
    for _, _, _, req, (_, resp), _ in ROUTES:
        models.add(resp)
        if req is not None:
            models.add(req)
    ordered = sorted(models, key=_name)
    refs, defs = models_json_schema([(x, "validation") for x in ordered],
                                    ref_template="#/components/schemas/{model}")
    schemas = defs.get("$defs", {})

    def ref(model: Any) -> dict[str, str]:
        return refs[(model, "validation")]

    error = {"content": {"application/json": {"schema": ref(m.ErrorOut)}}}
    paths: dict[str, dict[str, Any]] = {}
    for method, path, summary, req, (status, resp), params in ROUTES:
        op: dict[str, Any] = {
            "summary": summary,
            "operationId": f"{method}_{path.strip('/').replace('/', '_')}".replace(
                "{", "").replace("}", ""),
            "parameters": params,
            "responses": {str(status): {"description": "OK", "content": {
                "application/json": {"schema": ref(resp)}}},
                **{code: {"description": what, **error} for code, what in ERRORS.items()},
                "503": {"description": "storage or messaging unavailable; retry", **error}},
        }
        if method == "post" and "{customer}" in path:  # it records into the history
            op["responses"]["410"] = {"description": ERASED, **error}
        if req is not None:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": ref(req)}}}
        paths.setdefault(path, {})[method] = op
    paths["/v1/openapi.json"] = {"get": {
        "summary": "This document", "operationId": "get_openapi", "security": [],
        "responses": {"200": {"description": "OpenAPI 3", "content": {
            "application/json": {"schema": {"type": "object"}}}}}}}
    not_found = {"404": {"description": "no such wheel (the path names the one served)",
                         **error}}
    paths["/v1/addin"] = {"get": {
        "summary": "The add-in's wheel this backend serves to xlwings Lite (no key)",
        "operationId": "get_addin", "security": [],
        "responses": {"200": {"description": "OK", "content": {
            "application/json": {"schema": ref(m.AddinWheelOut)}}}, **not_found}}}
    paths["/v1/addin/wheels/{sha256}/{filename}"] = {"get": {
        "summary": "The wheel itself, immutable (no key; xlwings Lite's micropip fetches it)",
        "operationId": "get_addin_wheel", "security": [],
        "parameters": [
            {"name": "sha256", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
            {"name": "filename", "in": "path", "required": True,
             "schema": {"type": "string"}}],
        "responses": {"200": {"description": "the wheel", "content": {
            "application/zip": {"schema": {"type": "string", "format": "binary"}}}},
            **not_found}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Creditdesk API", "version": "1",
                 "description": "Credit management and debt collection for Excel workbooks. "
                 "Every request but this document and the add-in's wheel (/v1/addin) needs "
                 "`Authorization: Bearer <api key>`; "
                 "the tenant comes from the key. Errors are `ErrorOut` naming the field."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "apiKey": {"type": "http", "scheme": "bearer"}}},
        "security": [{"apiKey": []}],
    }
