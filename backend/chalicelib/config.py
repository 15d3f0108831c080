"""Stage configuration: resource names from the environment (``.chalice/config.json`` sets
them per stage; the local stack and the tests set them too). Read when used, never at import,
so a test or the local stack can point the app elsewhere without reloading it."""

from __future__ import annotations

import os
from dataclasses import dataclass

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
        table=env.get(TABLE, "creditdesk"),
        bucket=env.get(BUCKET, "creditdesk-ledgers"),
        send_queue=env.get(SEND_QUEUE_URL, "creditdesk-send"),
        work_queue=env.get(WORK_QUEUE_URL, "creditdesk-work"),
        configuration_set=env.get(SES_CONFIGURATION_SET, "creditdesk"),
        events_topic=env.get(EVENTS_TOPIC_ARN, "creditdesk-ses-events"),
        cors_origin=env.get(CORS_ORIGIN) or DEFAULT_CORS_ORIGIN,
        outbox=env.get(OUTBOX) or None,
        ses_quota=_quota(env.get(SES_QUOTA)),
    )


def queue_name(value: str) -> str:
    """The queue name in a queue URL (or the name itself): what ``on_sqs_message`` needs."""
    return value.rstrip("/").rsplit("/", 1)[-1]


def topic_name(value: str) -> str:
    """The topic name in a topic ARN (or the name itself)."""
    return value.rsplit(":", 1)[-1]
