"""HTTP plumbing for the routes: JSON in and out, errors as ``ErrorOut``, page tokens.

Every view is wrapped by ``view``: a request the app refuses is a 4xx ``ErrorOut`` that names
the field at fault; an AWS failure is a 503; nothing ever answers with a traceback.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from chalice import CORSConfig, Response

from . import config as _config

log = logging.getLogger(__name__)
M = TypeVar("M")


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.field = status, error, message, field
        self.headers = headers or {}


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


def loc(parts: tuple | list) -> str:
    return ".".join(str(p) for p in parts)


def validation_error(exc: Any, prefix: tuple = ()) -> ApiError:
    """The first of pydantic's errors as a 422 naming the field (its loc joined by dots)."""
    errors = exc.errors(include_url=False)
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    field = loc((*prefix, *first.get("loc", ()))) or None
    msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return ApiError(422, "invalid", f"{field or 'request'}: {msg}{more}", field)


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


def encode_token(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError
    except (ValueError, UnicodeError, TypeError):
        raise ApiError(400, "invalid", "next is not a token this API gave out",
                       "next") from None
    return data


def view(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Errors as ErrorOut: ApiError as given, pydantic's as 422, AWS failures as 503."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pydantic import ValidationError

        try:
            return fn(*args, **kwargs)
        except ApiError as exc:
            return Response(body=error_body(exc.error, exc.message, exc.field),
                            status_code=exc.status,
                            headers={"Content-Type": "application/json", **exc.headers})
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
