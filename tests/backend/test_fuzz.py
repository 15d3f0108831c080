"""Schemathesis, from the app's own /v1/openapi.json, against the app in-process (moto): no
input gives a server error. Bounded: a few examples per operation, no shrinking."""

from __future__ import annotations

import pytest

from chalicelib.bootstrap import bootstrap
from chalicelib.services import tenancy

from .build import overdue_ledger, reminders
from .conftest import bearer, body
from .wsgi import wsgi

EXAMPLES = 12
STATUSES: list = []


@pytest.mark.slow
def test_no_generated_request_makes_a_server_error(client, app, aws):
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error

    _, key = tenancy.create_tenant(bootstrap(), "Fuzz")
    h = bearer(key)
    client.http.post("/v1/ledger", headers=h, body=body(overdue_ledger(2)))
    client.http.post("/v1/batches", headers=h, body=body(
        {"batch_id": "batch-0001", "reminders": reminders(2)}))
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", wsgi(app))
    auth = {"Authorization": f"Bearer {key}"}
    failures = []
    operations = 0
    from schemathesis.generation import GenerationMode

    runs = [(result.ok(), mode) for result in schema.get_all_operations()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    def make_check(operation, mode):
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case) -> None:
            response = case.call(headers=auth)
            STATUSES.append((mode.value, response.status_code // 100))
            try:
                case.validate_response(response, checks=[not_a_server_error])
            except Exception as exc:  # collect, report all at the end
                failures.append(f"{case.method} {case.formatted_path}: {exc}"[:500])

        return check

    from hypothesis.errors import Unsatisfiable

    for operation, mode in runs:
        operations += 1
        try:
            make_check(operation, mode)()
        except Unsatisfiable:  # a request with no parameters and no body: nothing to negate
            assert mode is GenerationMode.NEGATIVE and operation.method.lower() == "get"
            assert not operation.definition.raw.get("parameters"), operation.path
    assert operations >= 28
    assert failures == []


def teardown_module() -> None:
    from collections import Counter

    print(Counter(STATUSES))
