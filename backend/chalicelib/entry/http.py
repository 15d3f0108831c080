"""The HTTP mapping for the routes: JSON in and out, and every refusal as an ``ErrorOut``.

Every view is wrapped by ``view``: a request the app refuses is a 4xx ``ErrorOut`` that names
the field at fault, whether the route refused it (``ApiError``: a body that is not JSON, a
path or query value that cannot be right) or the service layer (a ``ServiceError``, given its
status by ``STATUS``: the one place a service error meets HTTP); an AWS failure is a 503;
nothing ever answers with a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from chalice import CORSConfig, Response

from .. import config as _config
from ..services import errors as _errors

log = logging.getLogger(__name__)
M = TypeVar("M")


class ApiError(Exception):
    """A refusal in HTTP's terms, raised by the routes themselves."""

    def __init__(self, status: int, error: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.field = status, error, message, field
        self.headers = headers or {}


# Each service error's HTTP status, most specific first (docs/api.md, "Errors").
STATUS: list[tuple[type[_errors.ServiceError], int]] = [
    (_errors.NotFound, 404),
    (_errors.Erased, 410),
    (_errors.InProgress, 409),
    (_errors.Conflict, 409),
    (_errors.Invalid, 422),
    (_errors.SenderNotVerified, 422),
    (_errors.NotAccepted, 422),
    (_errors.TooLarge, 422),
    (_errors.BadToken, 400),
]


def from_service(exc: _errors.ServiceError) -> ApiError:
    """A service error as the API answers it: its status, ``ErrorOut`` and headers."""
    status = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
    retry = getattr(exc, "retry_after", None)
    return ApiError(status, exc.code, exc.message, exc.field,
                    headers={"Retry-After": str(retry)} if retry is not None else None)


def cors() -> CORSConfig:
    """CORS for the add-in's origin (``CREDITDESK_CORS_ORIGIN``; xlwings Lite by default)."""
    return CORSConfig(allow_origin=_config.load().cors_origin,
                      allow_headers=["Authorization", "Content-Type"], max_age=600)


def error_body(error: str, message: str, field: str | None = None) -> str:
    return json.dumps({"error": error, "message": message, "field": field},
                      ensure_ascii=False)


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if hasattr(body, "model_dump_json"):
        text = body.model_dump_json()
    else:
        text = json.dumps(body, ensure_ascii=False, default=str)
    return Response(body=text, status_code=status,
                    headers={"Content-Type": "application/json", **(headers or {})})


def validation_error(exc: Any, prefix: tuple = ()) -> ApiError:
    """The first of pydantic's errors as a 422 naming the field (its loc joined by dots)."""
    return from_service(_errors.invalid(exc, prefix))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_json(raw: bytes | str | None) -> Any:
    """The request's JSON; 400 when it is empty or not JSON."""
    if not raw:
        raise ApiError(400, "malformed", "the request needs a JSON body")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_reject_constant)
        if _SURROGATE.search(text):  # lone surrogates cannot be stored or sent
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError) as exc:
        raise ApiError(400, "malformed", f"the body is not valid JSON: {exc}") from None
    return value


def parse_model(model: type[M], raw: bytes | str | None) -> M:
    from pydantic import ValidationError

    value = parse_json(raw)
    try:
        return model.model_validate(value)  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise validation_error(exc) from None


def path_value(value: str, field: str, max_length: int = 200) -> str:
    text = unquote(value or "")
    if not text or len(text) > max_length or any(ord(c) < 32 or c == "\x7f" for c in text):
        raise ApiError(404, "not_found", f"no such {field}", field)
    return text


def query_int(params: Any, name: str, default: int, low: int, high: int) -> int:
    value = (params or {}).get(name)
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise ApiError(400, "invalid", f"{name} must be a whole number", name) from None
    if not low <= n <= high:
        raise ApiError(400, "invalid", f"{name} must be between {low} and {high}", name)
    return n


def view(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Errors as ErrorOut: ApiError as given, service errors by ``STATUS``, pydantic's as
    422, AWS failures (and anything unforeseen) as 503."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pydantic import ValidationError

        try:
            return fn(*args, **kwargs)
        except (ApiError, _errors.ServiceError) as exc:
            e = exc if isinstance(exc, ApiError) else from_service(exc)
            return Response(body=error_body(e.error, e.message, e.field), status_code=e.status,
                            headers={"Content-Type": "application/json", **e.headers})
        except ValidationError as exc:
            e = validation_error(exc)
            return Response(body=error_body(e.error, e.message, e.field), status_code=422,
                            headers={"Content-Type": "application/json"})
        except Exception as exc:
            log.exception("request failed")
            aws = type(exc).__module__.startswith(("botocore", "boto3"))
            message = ("storage or messaging is unavailable; try again shortly" if aws
                       else "the request could not be completed; try again shortly")
            return Response(body=error_body("unavailable", message), status_code=503,
                            headers={"Content-Type": "application/json",
                                     "Retry-After": "5"})

    return wrapper
