"""Storage keys (see ``resources`` for the schema). Every key starts with the tenant."""

from __future__ import annotations

import datetime as dt
import hashlib


def tenant_pk(t: str) -> str:
    return f"T#{t}"


def batch_rows_pk(t: str, batch_id: str) -> str:
    return f"T#{t}#B#{batch_id}"


def batch_summary_pk(t: str, batch_id: str) -> str:
    return f"T#{t}#BM#{batch_id}"


def customer_pk(t: str, customer: str) -> str:
    return f"T#{t}#C#{customer}"


def history_month_pk(t: str, month: str) -> str:
    return f"T#{t}#H#{month}"


def customer_batches_gsi(t: str, customer: str) -> str:
    return f"T#{t}#CB#{customer}"


def idempotency_pk(t: str) -> str:
    return f"T#{t}#IDEMPOTENCY"


def message_gsi(message_id: str) -> str:
    return f"MSG#{message_id}"


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().casefold().encode()).hexdigest()


def snapshot_blob(t: str, version: str) -> str:
    return f"{t}/snapshots/{version}.json"


def scores_blob(t: str, version: str) -> str:
    return f"{t}/scores/{version}.json"


def outgoing_blob(t: str, batch_id: str, key: str) -> str:
    return f"{t}/outgoing/{batch_id}/{key}.json"


def stamp(when: dt.datetime) -> str:
    """UTC time as fixed-width text that sorts in time order."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
