"""The local stack: the backend on a laptop, with no AWS account and no network.

What runs, and what stands in for what AWS would run:

- **moto** as the AWS emulator, in a child process (``emulator.py``) on 127.0.0.1, so its
  CPU does not share the app's GIL; boto3 reaches it through ``AWS_ENDPOINT_URL`` (the app
  has no code path of its own for it), with fake credentials.
- the resources (``resources.create_local_resources``) and a local tenant;
- **API Gateway**: Chalice's local server (``chalice.local``) on 127.0.0.1, in a thread; its
  401/403 answered as the template's gateway responses answer them (``ErrorOut``, CORS);
- **SQS event source mappings**: pollers per queue handler the app registers
  (``@app.on_sqs_message``; as many as its maximum concurrency) that receive up to its batch
  size, invoke the handler with a real SQS-shaped Lambda event, and delete only the records
  not reported in ``batchItemFailures`` (a handler that raises fails the whole batch: nothing
  is deleted, as in Lambda);
- **Lambda execution environments**: each queue handler runs in a worker process of its own
  (as many as there are pollers), as Lambda runs each concurrent invocation apart: the
  workers' CPU does not share the API's interpreter lock;
- **SNS subscriptions** (moto does not invoke Lambda): each ``@app.on_sns_message`` topic gets
  an SQS queue subscribed to it, drained into SNS-shaped events for the handler;
- **SES's mailbox simulator and event publishing** (moto neither delivers nor publishes
  events): each new ``.eml`` in the outbox becomes an SES event on the configuration set's
  SNS topic, as SES would publish it: ``Delivery``, or a hard ``Bounce`` for
  ``bounce@simulator.amazonses.com`` and a ``Complaint`` for
  ``complaint@simulator.amazonses.com`` (``deliveries=False`` turns it off);
- **EventBridge** (moto never fires schedules): a clock thread that invokes each
  ``@app.schedule`` handler when its rate or cron expression comes due (UTC), and
  ``run_scheduled(name)`` to fire one now (the serve command does it for ``tick`` on SIGUSR1).

- **a day of your choosing** (``now=``; ``serve --now``): the handlers' clock starts at that
  instant and runs on in real time, so a Statement Day, a Send Window or a business day can
  be shown (and tested) on any day; the schedules still fire on the real clock.

Every message SES accepts is also written to the outbox folder as a ``.eml`` file (the app
does that when ``CREDITDESK_OUTBOX`` is set).

The add-in's wheel is built from the checkout when the stack starts (as ``package.py`` builds
it into the Lambda package) and served like the deployed API serves it, so xlwings Lite can be
tried against the local stack: ``creditdesk addin lite --url <the stack's url>``. An operator's
own ``CREDITDESK_ADDIN_WHEEL_DIR`` is used as it is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .project import BACKEND_DIR, ROOT, load_app

log = logging.getLogger(__name__)  # not "creditdesk": Powertools owns that logger

REGION = "us-east-1"
ACCOUNT = "123456789012"
# moto reports a fixed sandbox quota (1 message a second, 200 a day) and counts every message
# it ever held; the local stack says what a production account would have instead.
LOCAL_SES_QUOTA = "500/10000000"
# An SNS-invoked handler that raises is invoked again (Lambda: 2 retries of an asynchronous
# invocation); here after 2 s, then 4 s.
SNS_TRIES = 3
SNS_RETRY_S = 2
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SESSION_TOKEN": "testing"}


class StackError(RuntimeError):
    pass


def aws_env(endpoint: str) -> dict[str, str]:
    """The environment that points boto3 at the emulator, and only there."""
    return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION}


class LambdaContext:
    """What a handler gets as ``context`` in Lambda (the parts code reads)."""

    def __init__(self, name: str, timeout_s: int = 900, memory_mb: int = 512) -> None:
        self.function_name = f"creditdesk-local-{name}"
        self.function_version = "$LATEST"
        self.invoked_function_arn = (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
                                     f"{self.function_name}")
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# -- the emulator -----------------------------------------------------------------------------


class Emulator:
    """moto's server in a child process; ends when this process ends, however it ends."""

    def __init__(self, log_path: str | None = None) -> None:
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""
        self.log_path = log_path or os.environ.get("CREDITDESK_EMULATOR_LOG")

    def start(self, timeout: float = 30.0) -> str:
        env = {**os.environ, **FAKE_CREDENTIALS, "PYTHONUNBUFFERED": "1"}
        env.pop("AWS_PROFILE", None)
        err = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(  # run from the checkout: ``-m`` finds backend.ops there
            [sys.executable, "-m", "backend.ops.emulator"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=err, env=env, text=True, cwd=ROOT)
        if self.log_path:
            err.close()
        ready: dict[str, str] = {}

        def read() -> None:
            assert self.proc and self.proc.stdout
            line = self.proc.stdout.readline()
            if line:
                ready.update(json.loads(line))

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(timeout)
        if "error" in ready:  # e.g. a moto the emulator's patches were not written for
            self.stop()
            raise StackError(f"the AWS emulator did not start: {ready['error']}")
        if "endpoint" not in ready:
            self.stop()
            raise StackError("the AWS emulator (moto) did not start; is moto[server] "
                             "installed? pip install 'creditdesk[local]'")
        self.endpoint = ready["endpoint"]
        return self.endpoint

    def stop(self) -> None:
        p, self.proc = self.proc, None
        if p is None:
            return
        try:
            if p.stdin:
                p.stdin.close()
            p.terminate()
            p.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            p.kill()
            p.wait(timeout=5)


# -- the local stack --------------------------------------------------------------------------


@dataclass
class Stats:
    invocations: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, what: dict[str, int], name: str, n: int = 1) -> None:
        what[name] = what.get(name, 0) + n


class LocalStack:
    """The backend on 127.0.0.1. ``start()`` returns ``{"url", "api_key", "aws_endpoint",
    "outbox", "tenant"}``; ``stop()`` ends everything it started. It changes this process's
    environment (``AWS_*`` and ``CREDITDESK_*``): run one per process."""

    def __init__(self, *, port: int = 0, outbox: Path | str = "creditdesk-outbox",
                 tenant_name: str = "Local tenant", sender: str | None = None,
                 schedules: bool = True, send_pollers: int | None = None,
                 receive_max: int | None = None,
                 aws_endpoint: str | None = None, verbose: bool = False,
                 deliveries: bool = True, now: dt.datetime | None = None) -> None:
        self.port = port
        # seconds the handlers' clock is ahead of the real one (``now``: where it starts)
        self.clock_offset = (now - dt.datetime.now(dt.UTC)).total_seconds() if now else 0.0
        self._clock_scope: Any = None
        self.verbose = verbose
        self.deliveries = deliveries
        self.outbox = Path(outbox).resolve()
        self.tenant_name = tenant_name
        self.sender = sender
        self.schedules = schedules
        self.send_pollers = send_pollers
        self.receive_max = receive_max
        self.external_endpoint = aws_endpoint
        self.emulator = Emulator()
        self.stats = Stats()
        self.info: dict[str, str] = {}
        self.app: Any = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._http: Any = None
        self._scheduled: dict[str, Any] = {}
        self._busy = threading.Semaphore(8)
        self._pool: Any = None  # the worker processes for queue handlers
        self._workers = 0
        self._pool_lock = threading.Lock()
        self._wheel_dir: str | None = None  # made by start(), removed by stop()

    # -- start and stop -----------------------------------------------------------------------

    def start(self) -> dict[str, str]:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> dict[str, str]:
        endpoint = self.external_endpoint or self.emulator.start()
        os.environ.update(aws_env(endpoint))
        os.environ.pop("AWS_PROFILE", None)
        self.outbox.mkdir(parents=True, exist_ok=True)
        load_app()  # as Chalice loads it; chalicelib imports from here on
        from chalicelib import config as cfg
        from chalicelib.adapters import aws
        from chalicelib.bootstrap import bootstrap
        from chalicelib.services import tenancy

        from . import resources

        aws.reset()
        senders = (cfg.LOCAL_SENDER,) + ((self.sender,) if self.sender else ())
        env = resources.create_local_resources(REGION, senders=senders)
        env[cfg.OUTBOX] = str(self.outbox)
        env[cfg.SES_QUOTA] = os.environ.get(cfg.SES_QUOTA) or LOCAL_SES_QUOTA
        env[cfg.ADDIN_WHEEL_DIR] = os.environ.get(cfg.ADDIN_WHEEL_DIR) or self._build_wheel()
        os.environ.update(env)
        aws.reset()
        self.app = load_app()
        self._clock_scope = install_clock(self.clock_offset)
        _tenant, api_key = tenancy.create_tenant(bootstrap(), self.tenant_name,
                                                 sender=self.sender)
        url = self._serve_http()
        # the reminders' links to the debtor's page (the workers, started next, inherit it)
        os.environ[cfg.PAGE_URL] = os.environ.get(cfg.PAGE_URL) or url
        self._start_event_sources()
        self.info = {"url": url, "api_key": api_key, "aws_endpoint": endpoint,
                     "outbox": str(self.outbox), "tenant": _tenant}
        return self.info

    def stop(self) -> None:
        self._stop.set()
        scope, self._clock_scope = self._clock_scope, None
        if scope is not None:
            scope.close()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        deadline = time.monotonic() + 15  # a handler mid-batch gets that long to finish
        for t in self._threads:
            t.join(timeout=max(0.1, deadline - time.monotonic()))
        self._threads.clear()
        pool, self._pool = self._pool, None
        if pool is not None:  # the workers finish what they run, within the same deadline
            workers = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for w in workers:
                w.join(timeout=max(0.1, deadline - time.monotonic()))
                if w.is_alive():
                    w.terminate()
        self.emulator.stop()
        wheels, self._wheel_dir = self._wheel_dir, None
        if wheels:
            shutil.rmtree(wheels, ignore_errors=True)

    def _build_wheel(self) -> str:
        """The checkout's wheel in a folder of this stack's own (the API serves it)."""
        import tempfile

        from .package import PackageError, build_wheel

        self._wheel_dir = tempfile.mkdtemp(prefix="creditdesk-addin-wheel-")
        try:
            build_wheel(self._wheel_dir)
        except (PackageError, OSError, subprocess.TimeoutExpired) as exc:
            log.warning("the add-in's wheel is not served (GET /v1/addin answers 404): %s", exc)
        return self._wheel_dir

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- API Gateway ----------------------------------------------------------------------------

    def _chalice_config(self) -> Any:
        from chalice.config import Config

        try:
            from chalice.cli.factory import CLIFactory

            return CLIFactory(str(BACKEND_DIR)).create_config_obj(chalice_stage_name="dev")
        except Exception:  # no .chalice/config.json: defaults will do locally
            return Config.create(chalice_stage="dev", app_name="creditdesk",
                                 lambda_timeout=29, lambda_memory_size=512)

    def _serve_http(self) -> str:
        from chalice.local import create_local_server

        config = self._chalice_config()
        server = create_local_server(self.app, config, "127.0.0.1", self.port)
        self._http = server.server  # the socketserver (LocalDevServer prints to stdout)
        self._http.RequestHandlerClass = functools.partial(
            _request_handler(quiet=not self.verbose), app_object=self.app, config=config)
        self._http.daemon_threads = True
        t = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.2},
                             name="http", daemon=True)
        t.start()
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    # -- event sources --------------------------------------------------------------------------

    def _handler(self, name: str) -> Callable[[dict, Any], Any]:
        return self.app.handler_map[name]

    def _start_event_sources(self) -> None:
        from chalice.app import ScheduledEventConfig, SNSEventConfig, SQSEventConfig

        from .schedule import Schedule, ScheduleError

        self._workers = sum(self._concurrency(src) for src in self.app.event_sources
                            if isinstance(src, SQSEventConfig))
        for src in self.app.event_sources:
            if isinstance(src, SQSEventConfig):
                n = self._concurrency(src)
                for i in range(n):
                    self._thread(f"sqs-{src.name}-{i}", self._poll_sqs, src)
            elif isinstance(src, SNSEventConfig):
                self._thread(f"sns-{src.name}", self._deliver_sns, src)
            elif isinstance(src, ScheduledEventConfig):
                try:
                    self._scheduled[src.name] = Schedule.parse(src.schedule_expression)
                except ScheduleError as exc:
                    log.warning("schedule of %s not run locally: %s", src.name, exc)
        if self.schedules and self._scheduled:
            self._thread("scheduler", self._clock)
        if self.deliveries:
            self._thread("mailbox-simulator", self._simulate_mailboxes)

    def _concurrency(self, src: Any) -> int:
        if "send" in src.name and self.send_pollers:
            return self.send_pollers
        return max(1, min(src.maximum_concurrency or 2, 8))

    def _thread(self, name: str, target: Callable, *args: Any) -> None:
        t = threading.Thread(target=self._guard, args=(name, target, *args), name=name,
                             daemon=True)
        self._threads.append(t)
        t.start()

    def _guard(self, name: str, target: Callable, *args: Any) -> None:
        while not self._stop.is_set():
            try:
                target(*args)
                return
            except Exception:
                log.exception("%s failed; restarting in 1 s", name)
                self._stop.wait(1)

    def _queue_url(self, sqs: Any, queue: str) -> str:
        return sqs.get_queue_url(QueueName=queue.rsplit("/", 1)[-1].rsplit(":", 1)[-1])[
            "QueueUrl"]

    def _poll_sqs(self, src: Any) -> None:
        import boto3

        sqs = boto3.session.Session().client("sqs", region_name=REGION)
        queue = src.queue or src.queue_arn
        url = self._queue_url(sqs, queue)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        handler = functools.partial(self._invoke_apart, src.name)
        size = max(1, min(src.batch_size or 10, self.receive_max or 10, 10))
        while not self._stop.is_set():
            msgs = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=size, WaitTimeSeconds=1,
                AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
            if msgs:
                self.invoke_sqs(src.name, handler, sqs, url, arn, msgs)

    def _invoke_apart(self, name: str, event: dict, context: LambdaContext) -> Any:
        """Invoke handler ``name`` in a worker process (started on first use), as Lambda
        would in an execution environment of its own. A worker that dies is replaced."""
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        with self._pool_lock:
            if self._pool is None:
                import multiprocessing

                self._pool = ProcessPoolExecutor(
                    max_workers=max(1, self._workers),
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_start, initargs=(self.clock_offset,))
            pool = self._pool
        try:
            return pool.submit(_worker_invoke, name, event, context).result()
        except BrokenProcessPool:
            with self._pool_lock:
                if self._pool is pool:
                    self._pool = None
            raise

    def invoke_sqs(self, name: str, handler: Callable, sqs: Any, url: str, arn: str,
                   msgs: list[dict]) -> None:
        event = {"Records": [sqs_record(m, arn) for m in msgs]}
        self.stats.add(self.stats.invocations, name)
        self.stats.add(self.stats.records, name, len(msgs))
        try:
            result = handler(event, LambdaContext(name))
        except Exception:
            self.stats.add(self.stats.errors, name)
            log.exception("%s raised: the batch of %d goes back to the queue", name, len(msgs))
            return
        failed: set[str] = set()
        for f in (result or {}).get("batchItemFailures", []) if isinstance(result, dict) else ():
            failed.add(str(f.get("itemIdentifier", "")))
        if "" in failed or "None" in failed:  # Lambda: an unusable item id fails the batch
            self.stats.add(self.stats.failures, name, len(msgs))
            return
        self.stats.add(self.stats.failures, name, len(failed))
        log.info("%s: %d record(s), %d reported failed", name, len(msgs), len(failed))
        done = [m for m in msgs if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(done)])

    def _deliver_sns(self, src: Any) -> None:
        import boto3

        session = boto3.session.Session()
        sns = session.client("sns", region_name=REGION)
        sqs = session.client("sqs", region_name=REGION)
        topic = src.topic if src.topic.startswith("arn:") else sns.create_topic(
            Name=src.topic)["TopicArn"]
        url = sqs.create_queue(QueueName=f"creditdesk-local-sns-{src.name}")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                            ReturnSubscriptionArn=True)["SubscriptionArn"]
        handler = self._handler(src.name)
        while not self._stop.is_set():
            msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=1, AttributeNames=[
                                           "ApproximateReceiveCount"]).get("Messages", [])
            for m in msgs:
                self.stats.add(self.stats.invocations, src.name)
                try:
                    handler({"Records": [sns_record(json.loads(m["Body"]), sub)]},
                            LambdaContext(src.name))
                except Exception:
                    self.stats.add(self.stats.errors, src.name)
                    tries = int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1))
                    if tries < SNS_TRIES:  # as Lambda retries an asynchronous invocation
                        log.warning("%s raised on an SNS message; retried", src.name)
                        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m[
                            "ReceiptHandle"], VisibilityTimeout=SNS_RETRY_S * tries)
                        continue
                    log.exception("%s raised on an SNS message %d times (dropped, as after "
                                  "Lambda's retries)", src.name, tries)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    def _simulate_mailboxes(self) -> None:
        import boto3

        from chalicelib import config as cfg

        sns = boto3.session.Session().client("sns", region_name=REGION)
        topic = os.environ[cfg.EVENTS_TOPIC_ARN]
        seen: set[str] = set()
        while not self._stop.wait(0.5):
            for path in sorted(self.outbox.glob("*.eml")):
                if path.name in seen:
                    continue
                seen.add(path.name)
                event = ses_event_for(path)
                if event is not None:
                    sns.publish(TopicArn=topic, Message=json.dumps(event))

    # -- schedules ------------------------------------------------------------------------------

    def _clock(self) -> None:
        started = dt.datetime.now(dt.UTC)
        last = started.replace(second=0, microsecond=0)
        while not self._stop.wait(1.0):
            minute = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
            if minute <= last:
                continue
            last = minute
            for name, sched in self._scheduled.items():
                if sched.due(minute, started):
                    threading.Thread(target=self.run_scheduled, args=(name, minute),
                                     daemon=True).start()

    def run_scheduled(self, name: str, when: dt.datetime | None = None) -> Any:
        """Invoke a scheduled handler now with an EventBridge-shaped event."""
        when = when or dt.datetime.now(dt.UTC)
        event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                 "source": "aws.events", "account": ACCOUNT,
                 "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": REGION,
                 "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/creditdesk-{name}"],
                 "detail": {}}
        self.stats.add(self.stats.invocations, name)
        with self._busy:
            try:
                result = self._handler(name)(event, LambdaContext(name))
                log.info("ran %s: %s", name, result)
                return result
            except Exception:
                self.stats.add(self.stats.errors, name)
                log.exception("scheduled %s raised", name)
                return None

    # -- for tests and benchmarks ---------------------------------------------------------------

    def queue_depth(self) -> int:
        """Messages waiting or in flight on the app's queues."""
        import boto3

        sqs = boto3.session.Session().client("sqs", region_name=REGION)
        total = 0
        for src in self.app.event_sources:
            q = getattr(src, "queue", None)
            if q:
                a = sqs.get_queue_attributes(QueueUrl=self._queue_url(sqs, q), AttributeNames=[
                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])[
                    "Attributes"]
                total += sum(int(v) for v in a.values())
        return total


# -- the worker processes -----------------------------------------------------------------------

_worker_app: Any = None
_worker_clock: Any = None


def install_clock(offset: float) -> contextlib.ExitStack | None:
    """Make this process's handlers see the system clock ``offset`` seconds ahead (or
    behind), through the composition root (``bootstrap.use``) until the returned scope is
    closed; None (nothing changed) for no offset. Called once the app is loaded."""
    if not offset:
        return None
    from chalicelib.adapters.clock import SystemClock
    from chalicelib.bootstrap import bootstrap, use

    class ShiftedClock(SystemClock):
        def now(self) -> dt.datetime:
            return super().now() + dt.timedelta(seconds=offset)

    scope = contextlib.ExitStack()
    scope.enter_context(use(bootstrap(clock=ShiftedClock())))
    return scope


def _worker_start(clock_offset: float = 0.0) -> None:
    """A worker process: the app, from this process's environment (inherited: the emulator's
    endpoint and the resources' names), on the stack's clock."""
    global _worker_app, _worker_clock
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    _worker_app = load_app()
    from chalicelib.adapters import aws

    aws.reset()
    _worker_clock = install_clock(clock_offset)  # held open as long as the process lives


def _worker_invoke(name: str, event: dict, context: LambdaContext) -> Any:
    return _worker_app.handler_map[name](event, context)


@functools.cache
def _request_handler(quiet: bool) -> type:
    """Chalice's request handler answering its own 401/403 (no key, a refused key) as API
    Gateway does with the template's gateway responses (``resources.gateway_response``: the
    ``ErrorOut`` shape, the CORS header); without a log line per request unless verbose."""
    from chalice.local import ChaliceRequestHandler

    from .resources import gateway_response

    class Handler(ChaliceRequestHandler):
        def _send_error_response(self, error: Any) -> None:
            if error.CODE not in (401, 403):
                return super()._send_error_response(error)
            headers, body = gateway_response(error.CODE)
            self._send_http_response(error.CODE, headers, body)
            return None

        def log_message(self, format: str, *args: Any) -> None:
            if not quiet:
                super().log_message(format, *args)

    return Handler


SIMULATOR = {"bounce@simulator.amazonses.com": "Bounce",
             "complaint@simulator.amazonses.com": "Complaint"}


def ses_event_for(path: Path) -> dict | None:
    """The SES event (as SES publishes it to SNS) for a message written to the outbox."""
    from email import policy
    from email.parser import BytesParser
    from email.utils import getaddresses

    try:
        with path.open("rb") as f:
            msg = BytesParser(policy=policy.default).parse(f, headersonly=True)
    except OSError:
        return None
    mid = str(msg.get("Message-ID", "")).strip("<> ").split("@", 1)[0]
    to = [a for _, a in getaddresses([str(v) for v in msg.get_all("To", [])
                                      + msg.get_all("Cc", [])])]
    if not mid or not to:
        return None
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    mail = {"timestamp": now, "messageId": mid, "source": str(msg.get("From", "")),
            "destination": to}
    kinds = {SIMULATOR.get(a.lower(), "Delivery") for a in to}
    if "Bounce" in kinds:
        return {"eventType": "Bounce", "mail": mail, "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General", "timestamp": now,
            "bouncedRecipients": [{"emailAddress": a, "status": "5.1.1",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
                                  for a in to if SIMULATOR.get(a.lower()) == "Bounce"]}}
    if "Complaint" in kinds:
        return {"eventType": "Complaint", "mail": mail, "complaint": {
            "timestamp": now, "complaintFeedbackType": "abuse",
            "complainedRecipients": [{"emailAddress": a} for a in to
                                     if SIMULATOR.get(a.lower()) == "Complaint"]}}
    return {"eventType": "Delivery", "mail": mail, "delivery": {
        "timestamp": now, "recipients": to, "processingTimeMillis": 120,
        "smtpResponse": "250 2.6.0 Message received (local mailbox simulator)"}}


def sqs_record(m: dict, arn: str) -> dict:
    """A received SQS message as Lambda's SQS event source hands it over."""
    attrs = {k: {"stringValue" if v.get("DataType", "").startswith(("String", "Number"))
                 else "binaryValue": v.get("StringValue", v.get("BinaryValue")),
                 "stringListValues": [], "binaryListValues": [], "dataType": v["DataType"]}
             for k, v in (m.get("MessageAttributes") or {}).items()}
    return {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"], "attributes": m.get("Attributes", {}),
            "messageAttributes": attrs, "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": REGION}


def sns_record(envelope: dict, subscription: str) -> dict:
    """An SNS notification (as an SQS subscription receives it) as Lambda gets it."""
    return {"EventVersion": "1.0", "EventSubscriptionArn": subscription,
            "EventSource": "aws:sns", "Sns": {
                "SignatureVersion": envelope.get("SignatureVersion", "1"),
                "Timestamp": envelope.get("Timestamp", ""),
                "Signature": envelope.get("Signature", ""),
                "SigningCertUrl": envelope.get("SigningCertURL", ""),
                "MessageId": envelope.get("MessageId", str(uuid.uuid4())),
                "Message": envelope.get("Message", ""),
                "MessageAttributes": envelope.get("MessageAttributes", {}),
                "Type": envelope.get("Type", "Notification"),
                "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                "TopicArn": envelope.get("TopicArn", ""),
                "Subject": envelope.get("Subject")}}
