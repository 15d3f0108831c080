"""The HTTP mapping (``chalicelib/entry/http.py``): every service error has its status, and a
view answers with the ``ErrorOut`` the API has always given for it."""

from __future__ import annotations

import inspect
import json

import pytest

from chalicelib.entry import http
from chalicelib.services import errors


def service_errors() -> list[type[errors.ServiceError]]:
    return [c for _, c in inspect.getmembers(errors, inspect.isclass)
            if issubclass(c, errors.ServiceError) and c is not errors.ServiceError]


def test_every_service_error_has_an_http_status():
    mapped = {kind for kind, _ in http.STATUS}
    assert set(service_errors()) <= mapped


@pytest.mark.parametrize(("exc", "status", "body", "headers"), [
    (errors.NotFound("no batch b-1", "batch_id"), 404,
     {"error": "not_found", "message": "no batch b-1", "field": "batch_id"}, {}),
    (errors.InProgress("busy", "batch_id"), 409,
     {"error": "in_progress", "message": "busy", "field": "batch_id"}, {"Retry-After": "1"}),
    (errors.Conflict("started with 2", "parts"), 409,
     {"error": "conflict", "message": "started with 2", "field": "parts"}, {}),
    (errors.Conflict("nothing uploaded", "version", code="not_uploaded"), 409,
     {"error": "not_uploaded", "message": "nothing uploaded", "field": "version"}, {}),
    (errors.Invalid("part: too big", "part"), 422,
     {"error": "invalid", "message": "part: too big", "field": "part"}, {}),
    (errors.Invalid("no snapshot", "compute", code="no_snapshot"), 422,
     {"error": "no_snapshot", "message": "no snapshot", "field": "compute"}, {}),
    (errors.NotAccepted("not accepted", "tables"), 422,
     {"error": "rejected", "message": "not accepted", "field": "tables"}, {}),
    (errors.TooLarge("the upload has 9 bytes", "size"), 422,
     {"error": "too_large", "message": "the upload has 9 bytes", "field": "size"}, {}),
    (errors.BadToken("next is not a token this API gave out", "next"), 400,
     {"error": "invalid", "message": "next is not a token this API gave out",
      "field": "next"}, {}),
])
def test_a_view_answers_a_service_error_with_its_status_and_error_out(exc, status, body,
                                                                      headers):
    def refuse():
        raise exc

    r = http.view(refuse)()
    assert r.status_code == status
    assert json.loads(r.body) == body
    assert r.headers == {"Content-Type": "application/json", **headers}
