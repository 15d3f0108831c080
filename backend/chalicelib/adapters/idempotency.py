"""The Idempotency port on AWS Lambda Powertools' idempotency utility, with its records in
the app's table (``pk`` = the scope, e.g. ``T#<tenant>#IDEMPOTENCY``; ``sk`` = the operation
and a hash of the key) for 24 hours.

It fits accepting a batch part (``services.batches.submit_part``): the same request retried
or sent by two clients at once runs once; the second waits its turn (``AlreadyRunning`` while
the first is in progress) or gets the recorded result; a different body under the same key
is refused (``PayloadMismatch``).

It does not fit the send itself: after a crash between SES accepting a message and the
record being written, Powertools would let the retry run again (its record expires, or was
never completed), which sends the reminder twice. The send claim (``services.sending``) does
the opposite: a claim left without a message id is flagged for review and never retried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..services.ports import AlreadyRunning, Idempotency, PayloadMismatch
from . import aws

EXPIRES = 24 * 3600


class PowertoolsIdempotency(Idempotency):
    def __init__(self, table: str, expires: int = EXPIRES):
        self.table = table
        self.expires = expires

    def once(self, scope: str, operation: str, key: Sequence[Any], digest: str,
             fn: Callable[[], dict], context: Any = None) -> dict:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        layer = DynamoDBPersistenceLayer(
            table_name=self.table, key_attr="pk", sort_key_attr="sk", static_pk_value=scope,
            boto3_client=aws.client("dynamodb"))
        # The record's key is a hash of the JSON of ``key`` (a list), its payload hash one of
        # ``digest``: the records of earlier versions of the app, which took the key as
        # ``[tenant, batch_id, part]`` from a flat request, are found again.
        config = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="digest",
                                   raise_on_no_idempotency_key=True,
                                   expires_after_seconds=self.expires)
        if context is not None and hasattr(context, "get_remaining_time_in_millis"):
            config.register_lambda_context(context)

        def run(request: dict) -> dict:
            return fn()

        guarded = idempotent_function(run, data_keyword_argument="request",
                                      persistence_store=layer, config=config,
                                      key_prefix=operation)
        try:
            return guarded(request={"key": list(key), "digest": digest})
        except IdempotencyAlreadyInProgressError:
            raise AlreadyRunning(operation) from None
        except IdempotencyValidationError:
            raise PayloadMismatch(operation) from None
