"""Backend test fixtures: the app on moto in-process (``aws``, ``client``), fakes for unit
tests (``fake``), and builders of snapshots, reminders and worker events. ``chalicelib`` and
``app`` import as top-level modules because pyproject's pytest ``pythonpath`` has
``backend``, as Chalice's layout wants."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.adapters import aws as _aws
from chalicelib.bootstrap import Deps, bootstrap

from .fakes import FakeClock, FakeIdempotency, FakeMailer, FakeQueue, FakeStore

BACKEND = Path(__file__).resolve().parents[2] / "backend"  # on pytest's pythonpath

REGION = "eu-west-2"


@pytest.fixture
def fake() -> Deps:
    """The service layer on fakes."""
    return bootstrap(store=FakeStore(), mailer=FakeMailer(), queue=FakeQueue(),
                     clock=FakeClock(), idempotency=FakeIdempotency())


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """moto in-process with the app's resources; the environment the app reads."""
    from moto import mock_aws

    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "CREDITDESK_OUTBOX"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("CREDITDESK_SES_QUOTA", "1000/100000")
    monkeypatch.setenv("CREDITDESK_OUTBOX", str(tmp_path / "outbox"))
    _aws.reset()
    with mock_aws():
        from backend.ops.resources import create_local_resources

        env = create_local_resources(REGION)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        yield env
    _aws.reset()


@pytest.fixture
def app(aws: dict[str, str]):
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def client(app, tmp_path: Path):
    from chalice.test import Client

    # a project dir without .chalice/config.json: the test's environment is used as it is
    with Client(app, project_dir=str(tmp_path)) as c:
        yield c


def ses_sent() -> list:
    """Every message moto's SES holds."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def sqs_bodies(queue_url: str, max_messages: int = 10_000) -> list[dict]:
    """Receive (and delete) what is waiting on a queue, as SQS event records."""
    sqs = _aws.client("sqs")
    records = []
    while len(records) < max_messages:
        r = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                VisibilityTimeout=0)
        msgs = r.get("Messages", [])
        if not msgs:
            break
        for m in msgs:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
            records.append({"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                            "body": m["Body"], "attributes": {}, "messageAttributes": {},
                            "eventSource": "aws:sqs", "awsRegion": REGION,
                            "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:q"})
    return records


def sqs_event(records: list[dict]) -> dict:
    return {"Records": records}


def bearer(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}


def body(obj: object) -> bytes:
    return json.dumps(obj).encode()
