"""Idempotent acceptance of a batch part with AWS Lambda Powertools' idempotency utility.

It fits here: the same request (tenant, batch_id, part) retried or sent by two clients at
once runs once; the second waits its turn (409 while the first is in progress) or gets the
recorded result; a different body under the same key is refused (409). Records live in the
app's table under ``T#<tenant>#IDEMPOTENCY`` for 24 hours.

It does not fit the send itself: after a crash between SES accepting a message and the
record being written, Powertools would let the retry run again (its record expires, or was
never completed), which sends the reminder twice. The send claim (``sending``) does the
opposite: a claim left without a message id is flagged for review and never retried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import aws, keys
from .bootstrap import Deps
from .web import ApiError

EXPIRES = 24 * 3600


def run(deps: Deps, tenant: str, payload: dict[str, Any], fn: Callable[[], dict],
        lambda_context: Any = None) -> dict:
    from .adapters import DynamoStore

    if not isinstance(deps.store, DynamoStore):  # fakes: the part record alone guards
        return fn()
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
        table_name=deps.store.table, key_attr="pk", sort_key_attr="sk",
        static_pk_value=keys.idempotency_pk(tenant), boto3_client=aws.client("dynamodb"))
    config = IdempotencyConfig(event_key_jmespath="[tenant, batch_id, part]",
                               payload_validation_jmespath="digest",
                               raise_on_no_idempotency_key=True, expires_after_seconds=EXPIRES)
    if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
        config.register_lambda_context(lambda_context)

    def accept(request: dict) -> dict:
        return fn()

    guarded = idempotent_function(accept, data_keyword_argument="request",
                                  persistence_store=layer, config=config,
                                  key_prefix="batch-part")
    try:
        return guarded(request=payload)
    except IdempotencyAlreadyInProgressError:
        raise ApiError(409, "in_progress", "this part is being accepted by another request; "
                       "retry in a moment", "batch_id", headers={"Retry-After": "1"}) from None
    except IdempotencyValidationError:
        raise ApiError(409, "conflict", f"part {payload['part']} of batch "
                       f"{payload['batch_id']} was already submitted with different "
                       "reminders; use a new batch_id", "batch_id") from None
