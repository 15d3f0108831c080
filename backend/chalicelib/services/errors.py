"""The errors the service layer raises when it refuses a request: one tree, no HTTP in it.

Each error carries what the caller is told: ``message`` (in words), ``code`` (the
machine-readable reason, ``ErrorOut.error`` in the API) and ``field`` (the request field at
fault, pydantic's location joined with dots, or None). Only the entry points turn them into
something else: ``entry/http.py`` maps each class to its HTTP status (the table is there, and
docs/api.md lists the statuses); a queue worker that meets one logs it and lets the record
come back, as for any failure.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A request the service refuses."""

    code = "error"

    def __init__(self, message: str, field: str | None = None, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class NotFound(ServiceError):
    """No such thing for this tenant (a batch, an upload, a snapshot)."""

    code = "not_found"


class Erased(ServiceError):
    """The customer's personal data was erased (``DELETE /v1/customers/{customer}``, its
    tombstone): nothing more is recorded for it; ``field`` is ``customer``."""

    code = "customer_erased"


class Conflict(ServiceError):
    """The request clashes with what is stored (a batch started with other parts, a part
    resent with other content, an upload not there yet)."""

    code = "conflict"


class InProgress(Conflict):
    """The same request is being handled by another call: retry after ``retry_after``
    seconds."""

    code = "in_progress"

    def __init__(self, message: str, field: str | None = None, *, retry_after: int = 1):
        super().__init__(message, field)
        self.retry_after = retry_after


class Invalid(ServiceError):
    """A value in the request that the service cannot use; ``field`` names it."""

    code = "invalid"


class NotAccepted(ServiceError):
    """Content that was read but cannot be used (a ledger snapshot the domain refuses); what
    was in force before stays in force."""

    code = "rejected"


class SenderNotVerified(ServiceError):
    """The workbook's Sender Email is not an address the tenant may send from (no verified
    SES identity of the tenant covers it); ``field`` names the setting."""

    code = "sender_not_verified"


class TooLarge(ServiceError):
    """Content larger than allowed or than announced (an uploaded snapshot)."""

    code = "too_large"


class BadToken(ServiceError):
    """A page token this API did not give out (or gave out for another listing)."""

    code = "invalid"


def invalid(exc: Any, prefix: tuple = ()) -> Invalid:
    """The first of a pydantic ``ValidationError``'s errors as ``Invalid``, naming the field
    (its location joined by dots) and how many more problems there are."""
    errors = exc.errors(include_url=False)
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    field = ".".join(str(p) for p in (*prefix, *first.get("loc", ()))) or None
    msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return Invalid(f"{field or 'request'}: {msg}{more}", field)
