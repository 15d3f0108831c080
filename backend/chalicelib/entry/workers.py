"""Queue and topic handlers: ``send_worker`` (the send queue), ``work_worker`` (the work
queue: compute, the daily cycle, scoring, the digest) and ``ses_events`` (SES events through
SNS). One failing record never fails the others: each failure is reported in
``batchItemFailures`` (the event source mapping has ``ReportBatchItemFailures``); a record that
keeps failing ends in the queue's dead-letter queue."""

from __future__ import annotations

import logging
import os

from chalice import Blueprint

from .. import config as _config
from ..bootstrap import current
from ..config import NAMES, SEND_BATCH_SIZE, SEND_CONCURRENCY, SEND_MAX_RECEIVES, WORK_BATCH_SIZE

log = logging.getLogger(__name__)
bp = Blueprint(__name__)

# Chalice needs the names when it packages the app (it builds the event source ARNs).
SEND_QUEUE = _config.queue_name(os.environ.get(_config.SEND_QUEUE_URL) or NAMES["send_queue"])
WORK_QUEUE = _config.queue_name(os.environ.get(_config.WORK_QUEUE_URL) or NAMES["work_queue"])
EVENTS_TOPIC = os.environ.get(_config.EVENTS_TOPIC_ARN) or NAMES["topic"]


def _failures(ids: list[str]) -> dict:
    return {"batchItemFailures": [{"itemIdentifier": i} for i in ids]}


@bp.on_sqs_message(queue=SEND_QUEUE, batch_size=SEND_BATCH_SIZE,
                   maximum_concurrency=SEND_CONCURRENCY)
def send_worker(event):
    from ..services import sending

    deps = current()
    run = sending.start(deps, event.context)
    failed: list[str] = []
    stop = ""
    for record in event:
        raw = record.to_dict()
        mid = raw.get("messageId", "")
        if stop:  # throttled or out of time: the rest come back later, untouched
            failed.append(mid)
            _last_receive(deps, raw, record.body, "the worker was throttled or ran out of time")
            deps.queue.retry_later("send", record.receipt_handle, 0)
            continue
        try:
            outcome = sending.process(run, record.body)
        except Exception as exc:
            log.exception("send message %s failed; it will come back", mid)
            failed.append(mid)
            _last_receive(deps, raw, record.body,
                          f"the send worker failed ({type(exc).__name__})")
            continue
        if outcome:
            failed.append(mid)
            _last_receive(deps, raw, record.body, _WHY.get(outcome, outcome))
            deps.queue.retry_later("send", record.receipt_handle,
                                   sending.backoff(outcome, _receives(raw)))
        if outcome in ("throttled", "time"):
            stop = outcome
    return _failures(failed)


_WHY = {"throttled": "SES throttled it on every try", "time": "the worker ran out of time",
        "held": "another batch held its claim"}


def _receives(raw: dict) -> int:
    try:
        return int((raw.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
    except ValueError:
        return 1


def _last_receive(deps, raw: dict, body: str, why: str) -> None:
    """On a message's last receive (the dead-letter queue takes it next), its rows fail with
    the reason instead of staying queued."""
    from ..services import sending

    receives = _receives(raw)
    if receives < SEND_MAX_RECEIVES:
        return
    try:
        n = sending.give_up(deps, body, receives, why)
        log.warning("send message %s dead-lettered after %d receives: %d reminder(s) failed",
                    raw.get("messageId", ""), receives, n)
    except Exception:
        log.exception("could not fail the rows of a dead-lettered message")


@bp.on_sqs_message(queue=WORK_QUEUE, batch_size=WORK_BATCH_SIZE)
def work_worker(event):
    from ..services.cycle import handle_work

    deps = current()
    failed: list[str] = []
    for record in event:
        mid = record.to_dict().get("messageId", "")
        try:
            log.info("work %s: %s", mid, handle_work(deps, record.body))
        except Exception:
            log.exception("work item %s failed; it will come back", mid)
            failed.append(mid)
    return _failures(failed)


@bp.on_sns_message(topic=EVENTS_TOPIC)
def ses_events(event):
    from ..services.history import record_ses_event

    deps = current()
    records = event.to_dict().get("Records") or []
    done = []
    for r in records:
        done.extend(record_ses_event(deps, (r.get("Sns") or {}).get("Message") or ""))
    log.info("SES events: %s", done)
    return done
