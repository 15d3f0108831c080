"""The runtime configuration, imported by every layer of the app and by the operator tools
(``backend/ops``): the environment variables that name the stage's resources
(``.chalice/config.json`` sets them per stage; the infrastructure, the local stack and the
tests set them too), the fixed resource names and the constants the handlers and the
infrastructure must agree on (``NAMES``, ``SEND_CONCURRENCY``, ``LOCAL_SENDER``).

``load()`` reads the environment when called, never at import, so a test or the local stack
can point the app elsewhere without reloading it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CORS_ORIGIN = "https://addin.xlwings.org"

# The environment variables, by name. The infrastructure and the local stack rely on these.
TABLE = "CREDITDESK_TABLE"
BUCKET = "CREDITDESK_BUCKET"
SEND_QUEUE_URL = "CREDITDESK_SEND_QUEUE_URL"
WORK_QUEUE_URL = "CREDITDESK_WORK_QUEUE_URL"
SES_CONFIGURATION_SET = "CREDITDESK_SES_CONFIGURATION_SET"
EVENTS_TOPIC_ARN = "CREDITDESK_EVENTS_TOPIC_ARN"
CORS_ORIGIN = "CREDITDESK_CORS_ORIGIN"
OUTBOX = "CREDITDESK_OUTBOX"
# Optional: "RATE/DAILY" (e.g. "200/1000000") replaces the sending rate and daily quota SES
# reports. Unset in AWS. The local stack sets it, because moto reports a fixed sandbox quota
# (1 per second, 200 a day) and counts every message it ever held as sent "today".
SES_QUOTA = "CREDITDESK_SES_QUOTA"
# Optional: the folder holding the add-in's wheel (``creditdesk-<version>-py3-none-any.whl``),
# which ``GET /v1/addin/wheels/...`` serves to xlwings Lite. Unset, it is the folder
# ``addin-wheel`` at the root of the Lambda package (``ops/package.py`` puts the wheel there);
# the local stack builds the wheel of the checkout and points this at it.
ADDIN_WHEEL_DIR = "CREDITDESK_ADDIN_WHEEL_DIR"
# Optional: the public address of the API (``https://<id>.execute-api.<region>.amazonaws.com/
# api``, or the local stack's URL). Set, every reminder the backend sends carries a link to the
# debtor's own page (``<url>/p/<token>``); unset, none does.
PAGE_URL = "CREDITDESK_PAGE_URL"
ADDIN_WHEEL_FOLDER = "addin-wheel"
# Set ("1") only where SES is the emulator (the local stack, the tests): the Sender Email a
# synced workbook names is then verified in it and becomes one of the tenant's identities, as
# the emulator has no real ones. Never set in AWS (the packaged template does not).
EMULATED_SES = "CREDITDESK_EMULATED_SES"
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # /var/task in Lambda, backend/ here

# The resources' names. Fixed: Chalice builds the event sources' ARNs from the queue and topic
# names when it packages the app, and the CloudFormation resources (backend/ops/resources.py)
# create them under these names.
NAMES = {
    "table": "creditdesk",
    "bucket": "creditdesk-ledgers",
    "send_queue": "creditdesk-send",
    "send_dlq": "creditdesk-send-dlq",
    "work_queue": "creditdesk-work",
    "work_dlq": "creditdesk-work-dlq",
    "topic": "creditdesk-ses-events",
    "configuration_set": "creditdesk",
}
SEND_CONCURRENCY = 4  # the send worker's MaximumConcurrency; each worker paces at rate / 4
# How often the send queue hands a message over before its dead-letter queue takes it (the
# queue's maxReceiveCount); the worker fails a message's rows with the reason on the last one.
SEND_MAX_RECEIVES = 10
# Messages per invocation of each queue worker: the handlers' ``batch_size`` and the event
# source mappings in the template (backend/ops/resources.py) both read these.
SEND_BATCH_SIZE = 2
WORK_BATCH_SIZE = 1
# A tenant created without a sender identity sends from this one (the local stack verifies it).
LOCAL_SENDER = "reminders@creditdesk.example"


@dataclass(frozen=True)
class Config:
    table: str
    bucket: str
    send_queue: str  # a queue URL (a bare name is looked up with GetQueueUrl)
    work_queue: str
    configuration_set: str
    events_topic: str
    cors_origin: str
    outbox: str | None
    ses_quota: tuple[float, int] | None
    addin_wheel_dir: str = str(_PACKAGE_ROOT / ADDIN_WHEEL_FOLDER)
    emulated_ses: bool = False
    page_url: str | None = None


def _quota(text: str | None) -> tuple[float, int] | None:
    if not text:
        return None
    try:
        rate, daily = text.split("/")
        return float(rate), int(daily)
    except ValueError:
        raise ValueError(f"{SES_QUOTA}={text!r} is not RATE/DAILY, e.g. 200/1000000") from None


def load() -> Config:
    env = os.environ
    return Config(
        table=env.get(TABLE, NAMES["table"]),
        bucket=env.get(BUCKET, NAMES["bucket"]),
        send_queue=env.get(SEND_QUEUE_URL, NAMES["send_queue"]),
        work_queue=env.get(WORK_QUEUE_URL, NAMES["work_queue"]),
        configuration_set=env.get(SES_CONFIGURATION_SET, NAMES["configuration_set"]),
        events_topic=env.get(EVENTS_TOPIC_ARN, NAMES["topic"]),
        cors_origin=env.get(CORS_ORIGIN) or DEFAULT_CORS_ORIGIN,
        outbox=env.get(OUTBOX) or None,
        ses_quota=_quota(env.get(SES_QUOTA)),
        addin_wheel_dir=env.get(ADDIN_WHEEL_DIR) or str(_PACKAGE_ROOT / ADDIN_WHEEL_FOLDER),
        emulated_ses=env.get(EMULATED_SES) == "1",
        page_url=(env.get(PAGE_URL) or "").rstrip("/") or None,
    )


def queue_name(value: str) -> str:
    """The queue name in a queue URL (or the name itself): what ``on_sqs_message`` needs."""
    return value.rstrip("/").rsplit("/", 1)[-1]


def topic_name(value: str) -> str:
    """The topic name in a topic ARN (or the name itself)."""
    return value.rsplit(":", 1)[-1]
