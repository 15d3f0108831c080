"""The real backend app in process, for the client-side tests (the API client, the CLI, the
add-in): the Chalice app of ``backend/app.py`` on moto, reached through its WSGI face as an
httpx transport. Its queue workers run after every request, until the queues are empty (as
the local stack's pollers would, at once), so a batch is sent by the time anyone asks; and a
presigned upload goes into moto's S3 (moto in process intercepts botocore, not httpx).

    with backend_in_process(tmp_path / "outbox") as b:
        key = b.new_tenant()
        with Client(b.url, key, transport=b.transport(), sleep=lambda s: None) as cd:
            ...

The ``backend_app`` fixture (tests/conftest.py) is one of these per test. The backend's own
tests (tests/backend) set the same app up through their conftest's ``aws`` and ``app``
fixtures, on the same environment as ``moto_environment`` builds (that fixture can use it).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.support.wsgi import wsgi

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"
REGION = "eu-west-2"
URL = "https://backend.test"
WORKERS = ("send_worker", "work_worker")  # the app's SQS handlers, by name
_QUEUE_ENV = {"send_worker": "CREDITDESK_SEND_QUEUE_URL",
              "work_worker": "CREDITDESK_WORK_QUEUE_URL"}


@contextlib.contextmanager
def moto_environment(mp: pytest.MonkeyPatch, outbox: Path) -> Iterator[dict[str, str]]:
    """moto in process with the app's resources, and the environment the app reads."""
    from moto import mock_aws

    from chalicelib.adapters import aws

    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "CREDITDESK_OUTBOX"):
        mp.delenv(var, raising=False)
    for var, value in (("AWS_DEFAULT_REGION", REGION), ("AWS_ACCESS_KEY_ID", "testing"),
                       ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_SESSION_TOKEN", "testing"),
                       ("CREDITDESK_SES_QUOTA", "1000/100000"),
                       ("CREDITDESK_OUTBOX", str(outbox))):
        mp.setenv(var, value)
    aws.reset()
    try:
        with mock_aws():
            from backend.ops.resources import create_local_resources

            env = create_local_resources(REGION)
            for k, v in env.items():
                mp.setenv(k, v)
            yield env
    finally:
        aws.reset()


class LambdaContext:
    """What a handler asks of its Lambda context: plenty of time left."""

    function_name = "test"
    aws_request_id = "req"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


class InProcessBackend:
    """The app on moto, one per ``backend_in_process`` block. ``url`` is only a name: every
    request goes through ``transport()``, none through a socket; any address reaches the app,
    but S3's (``*.amazonaws.com``), where presigned uploads go."""

    url = URL

    def __init__(self, app: Any, env: dict[str, str], outbox: Path) -> None:
        self.app = app
        self.env = env
        self.outbox = outbox
        self.run_workers_after_requests = True
        self._wsgi = wsgi(app)

    # -- tenants ------------------------------------------------------------------------------

    def new_tenant(self, name: str = "Acme") -> str:
        """A tenant of its own and its API key."""
        from chalicelib.bootstrap import bootstrap
        from chalicelib.services import tenancy

        return tenancy.create_tenant(bootstrap(), name)[1]

    # -- requests -----------------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        return _AppTransport(self)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host.endswith("amazonaws.com"):
            return self._storage(request)
        # WSGI's PATH_INFO is unescaped: give the app the path as sent, as servers do
        app = functools.partial(_with_raw_uri, self._wsgi, request.url.raw_path.decode())
        response = httpx.WSGITransport(app=app).handle_request(request)
        response.read()
        if self.run_workers_after_requests:
            self.run_workers()
        return response

    def _storage(self, request: httpx.Request) -> httpx.Response:
        """A PUT to a presigned S3 URL, into moto's S3 (which rejects a second credential,
        as S3 does: the API key must never go to storage)."""
        if request.method != "PUT":
            return httpx.Response(405, text=f"storage takes PUT, not {request.method}")
        if "Authorization" in request.headers:
            return httpx.Response(400, text="InvalidArgument: Only one auth mechanism "
                                  "allowed; only the X-Amz-Algorithm query parameter...")
        from chalicelib.adapters import aws

        host, path = request.url.host, unquote(request.url.path).lstrip("/")
        if ".s3." in host or host.endswith(".s3.amazonaws.com"):
            bucket, key = host.split(".s3", 1)[0], path
        else:
            bucket, _, key = path.partition("/")
        aws.client("s3").put_object(Bucket=bucket, Key=key, Body=request.read(),
                                    ContentType=request.headers.get("Content-Type", ""))
        return httpx.Response(200)

    # -- workers ------------------------------------------------------------------------------

    def run_workers(self, rounds: int = 100) -> int:
        """Hand what waits on the send and work queues to their handlers until both are
        empty (a message a handler reports failed comes back, as SQS would bring it back).
        Returns the records handled."""
        from chalicelib.adapters import aws

        sqs = aws.client("sqs")
        handled = 0
        for _ in range(rounds):
            busy = False
            for name in WORKERS:
                url = self.env[_QUEUE_ENV[name]]
                msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                           VisibilityTimeout=0).get("Messages", [])
                if not msgs:
                    continue
                busy = True
                handled += len(msgs)
                event = {"Records": [_sqs_record(m) for m in msgs]}
                result = self.app.handler_map[name](event, LambdaContext()) or {}
                failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
                done = [m for m in msgs if m["MessageId"] not in failed]
                if done:
                    sqs.delete_message_batch(QueueUrl=url, Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done)])
            if not busy:
                return handled
        raise AssertionError(f"the queues were not empty after {rounds} rounds of workers")

    # -- what was sent ------------------------------------------------------------------------

    def ses_sent(self) -> list:
        """Every message moto's SES accepted, oldest first."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


class _AppTransport(httpx.BaseTransport):
    def __init__(self, backend: InProcessBackend) -> None:
        self.backend = backend

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.backend.handle(request)


def _with_raw_uri(app: Any, raw_uri: str, environ: dict, start_response: Any) -> Any:
    environ["RAW_URI"] = raw_uri
    return app(environ, start_response)


def _sqs_record(m: dict) -> dict:
    return {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"], "attributes": {}, "messageAttributes": {},
            "eventSource": "aws:sqs", "awsRegion": REGION,
            "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:q"}


@contextlib.contextmanager
def backend_in_process(outbox: Path) -> Iterator[InProcessBackend]:
    """The app on a fresh moto for the length of the block (its environment restored after)."""
    with pytest.MonkeyPatch.context() as mp, moto_environment(mp, outbox) as env:
        from app import app

        yield InProcessBackend(app, env, outbox)
