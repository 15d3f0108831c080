"""AWS clients, made on first use and cached; never at import.

boto3 honours ``AWS_ENDPOINT_URL`` (and ``AWS_ENDPOINT_URL_<SERVICE>``) for every client, so
the local emulator needs no code path of its own. Tests that change the environment call
``reset()``.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.Lock()


@functools.cache
def client(service: str, purpose: str = "") -> Any:
    """A boto3 client. ``purpose="send"`` is the SES client used to send mail: it never
    retries on its own, because SES has no idempotency token and a retried send after a
    timeout can deliver the same reminder twice; the worker decides what to retry."""
    import boto3
    from botocore.config import Config

    # No client-side parameter validation: the app builds every request itself, and AWS
    # validates it anyway (botocore's check cost about a tenth of a send worker's CPU).
    if purpose == "send":
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"},
                        connect_timeout=5, read_timeout=20, parameter_validation=False)
    else:
        config = Config(retries={"max_attempts": 6, "mode": "standard"},
                        connect_timeout=5, read_timeout=30, parameter_validation=False)
    with _lock:  # boto3's default session is not thread-safe while it builds clients
        return boto3.session.Session().client(service, config=config)


def reset() -> None:
    """Forget every client (after a test changed the endpoint, region or credentials)."""
    client.cache_clear()
