"""Storage keys: the service layer decides what they mean; the Store port only stores. Every
key starts with the tenant.

Storage schema
==============

One DynamoDB table (``CREDITDESK_TABLE``), keys ``pk`` (S) and ``sk`` (S), on-demand, TTL on
the attribute ``expiration`` (epoch seconds), and one global secondary index ``gsi1``
(``gsi1pk`` S, ``gsi1sk`` S, projection ALL). Every table key starts with the tenant
(``T#<tenant>``); so does every S3 key (``<tenant>/...``). ``<t>`` is the tenant id.

Items (pk | sk: what; gsi1 keys where set):

- ``T#<t>`` | ``PROFILE``: the tenant: name, SES sender identity, the settings of the current
  snapshot (automation, time zone, send window, country, controller e-mail, reply-to), the
  current snapshot version, the last cycle day; gsi1 ``TENANTS`` / ``<t>``
- ``T#<t>`` | ``KEY#<sha256 of the api key>``: an API key (only its hash)
- ``T#<t>`` | ``SNAP#<version>``: a snapshot: status, as-of, counts, issues
- ``T#<t>`` | ``BATCH#<batch_id>``: a batch: parts, parts received, its day, detail
- ``T#<t>#B#<batch_id>`` | ``R#<reminder key>``: a reminder of a batch: status, message id,
  detail; gsi1 ``T#<t>#CB#<customer>`` / ``<batch_id>#<key>``
- ``T#<t>`` | ``CLAIM#<reminder key>``: the send claim, written once per key before SES is
  called; after the send it holds the message id and gsi1 ``MSG#<ses message id>`` / ``CLAIM``
- ``T#<t>`` | ``SUPP#<sha256 of the address>``: a suppressed address (hard bounce, complaint)
- ``T#<t>`` | ``GONE#<sha256 of tenant and customer>``: the tombstone of an erased customer
  (when; counts); never the customer key itself
- ``T#<t>#C#<customer>`` | ``H#<utc time>#<event id>``: a history event; gsi1
  ``T#<t>#H#<yyyy-mm>`` / ``<utc time>#<event id>``
- ``T#<t>#IDEMPOTENCY`` | ``<powertools key>``: Powertools idempotency records (batch parts)
- ``T#<t>`` | ``HELD#<batch_id>#<part>``: a part of a manual batch held until its Send
  Window opens (``holding``): the S3 key of its send messages, the release time; gsi1
  ``HELD`` / ``<utc release time>#<t>#<batch_id>#<part>``
- ``T#<t>`` | ``LINK#<sha256 of the token>``: a link to the debtor's page: customer, batch,
  expiry (TTL); gsi1 ``T#<t>#CL#<customer>`` / ``<issued>`` (for erasure)
- ``T#<t>`` | ``LINKS#<sha256 of tenant and customer>``: the customer's current links (their
  hashes; an older link is not among them: revoked)
- ``T#<t>`` | ``PAGEKEY``: the secret the page's CSRF tokens are HMACs under
- ``T#<t>`` | ``RATE#<link hash>#<window>`` and ``RATE#<sha256 of an IP address>`` |
  ``RATE#<window>``: the page's rate-limit counters (TTL); the only items whose key does not
  start with the tenant (an address is limited whichever tenant's link it tries)
- ``T#<t>`` | ``PAGESUM#<day>``: the claim of the controller's daily summary of page actions
- ``T#<t>#AUDIT`` | ``A#<utc time>#<snapshot version>#<nnnnn>``: an audit entry, one change
  made by a snapshot coming into force (``audit``): key id and label, kind, subject, field,
  old and new value; a customer's entries also gsi1 ``T#<t>#CA#<customer>`` /
  ``<utc time>#<snapshot version>#<nnnnn>`` (``GET /v1/audit?customer=``, erasure)

gsi1 serves: the tenant list (``TENANTS``) for the schedules, the held parts due
(``HELD``, for the hourly tick), the tenant of an SES message id
(``MSG#<id>``, for SES events: the tenant is never taken from the event's tags), history by
date (``T#<t>#H#<month>``), a customer's audit entries (``T#<t>#CA#<customer>``), a
customer's batch rows (``T#<t>#CB#<customer>``, for erasure).

S3 (``CREDITDESK_BUCKET``): ``<t>/snapshots/<version>.json`` (a snapshot, the SnapshotIn
JSON), ``<t>/scores/<version>.json`` (scores of a snapshot), ``<t>/outgoing/<batch>/<key>.json``
(a reminder too large for an SQS message; tagged ``retention=transient``, expired after 14
days by the lifecycle rule), ``<t>/held/<batch>/<part>.json`` (the send messages of a held
part, until the tick releases them; transient too).

Queues: ``send`` (reminders to send; DLQ ``send-dlq`` after 10 receives) and ``work``
(compute, the daily cycle, scoring, the digest; DLQ ``work-dlq`` after 3 receives). SNS topic
``ses-events`` receives the SES configuration set's events (delivery, bounce, complaint).

The resources themselves (table definition, bucket lifecycle, queues, topic) are created
by the operator tools: ``backend/ops/resources.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib


def tenant_pk(t: str) -> str:
    return f"T#{t}"


def batch_rows_pk(t: str, batch_id: str) -> str:
    return f"T#{t}#B#{batch_id}"


def customer_pk(t: str, customer: str) -> str:
    return f"T#{t}#C#{customer}"


def history_month_pk(t: str, month: str) -> str:
    return f"T#{t}#H#{month}"


def customer_batches_gsi(t: str, customer: str) -> str:
    return f"T#{t}#CB#{customer}"


def customer_links_gsi(t: str, customer: str) -> str:
    return f"T#{t}#CL#{customer}"


def audit_pk(t: str) -> str:
    return f"T#{t}#AUDIT"


def customer_audit_gsi(t: str, customer: str) -> str:
    return f"T#{t}#CA#{customer}"


def rate_address_pk(address: str) -> str:
    return f"RATE#{hashlib.sha256(address.encode()).hexdigest()}"


def idempotency_pk(t: str) -> str:
    return f"T#{t}#IDEMPOTENCY"


def message_gsi(message_id: str) -> str:
    return f"MSG#{message_id}"


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().casefold().encode()).hexdigest()


def customer_hash(t: str, customer: str) -> str:
    """The customer's key as its tombstone names it: a hash of (tenant, customer)."""
    return hashlib.sha256(f"{t}\x1f{customer}".encode()).hexdigest()


def tombstone_sk(t: str, customer: str) -> str:
    return f"GONE#{customer_hash(t, customer)}"


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
