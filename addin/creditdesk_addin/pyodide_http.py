"""An httpx transport for xlwings Lite (Pyodide), where Python has no sockets.

Inside Excel, xlwings Lite runs Python in the browser engine of the add-in, so an HTTP request
must go through the browser: this transport sends each request with a synchronous
``XMLHttpRequest``, which is what the blocking ``creditdesk.api.client.Client`` needs (httpx's own
transport would try to open a socket and fail). What that means for the user:

* The backend must allow the add-in's origin (CORS): its answers, and the answers to the
  browser's preflight ``OPTIONS`` requests, must carry
  ``Access-Control-Allow-Origin: https://addin.xlwings.org`` (or the address of a self-hosted
  xlwings Lite) and allow the ``Authorization`` and ``Content-Type`` headers. Without that the
  browser hides the answer and the request fails as "no answer" (status 0).
* A synchronous request in the browser's main thread cannot have a time limit of its own;
  the transport sets one where the browser allows it and otherwise relies on the browser's.
* The browser decodes compressed answers itself, so the ``Content-Encoding`` of the answer is
  dropped before httpx sees the (already decoded) body; answers are read as UTF-8 text (the
  API speaks JSON).
* Headers a browser does not let a page set (``Host``, ``Content-Length``, ``User-Agent``,
  ``Accept-Encoding``, ``Connection``) are left to the browser.

``XHRTransport(xhr=...)`` takes any object factory with the ``XMLHttpRequest`` methods it uses,
which is how the tests run it on CPython.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import httpx

_BROWSER_SETS = frozenset({"host", "content-length", "user-agent", "accept-encoding",
                           "connection", "cookie", "origin", "referer"})
_DROP_ANSWER = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _browser_xhr() -> Any:
    from js import XMLHttpRequest  # Pyodide only

    return XMLHttpRequest.new()


def _headers(raw: str) -> list[tuple[str, str]]:
    out = []
    for line in (raw or "").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() not in _DROP_ANSWER:
            out.append((name.strip(), value.strip()))
    return out


class XHRTransport(httpx.BaseTransport):
    """Blocking HTTP through the browser's ``XMLHttpRequest`` (xlwings Lite)."""

    def __init__(self, xhr: Callable[[], Any] | None = None, timeout_ms: int = 60_000) -> None:
        self._new = xhr or _browser_xhr
        self.timeout_ms = timeout_ms

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        xhr = self._new()
        xhr.open(request.method, str(request.url), False)
        with contextlib.suppress(Exception):  # a web worker allows it; the main thread not
            xhr.timeout = self.timeout_ms
        for raw_name, raw_value in request.headers.raw:
            name = raw_name.decode("latin-1")
            if name.lower() not in _BROWSER_SETS:
                xhr.setRequestHeader(name, raw_value.decode("latin-1"))
        body = request.read()
        try:
            xhr.send(body.decode("utf-8") if body else None)
        except Exception as exc:  # a JsException: network error, CORS refusal, time-out
            text = str(exc).lower()
            kind = httpx.ReadTimeout if "timeout" in text else httpx.ConnectError
            raise kind(f"no answer from {request.url.host}: {exc}", request=request) from None
        status = int(xhr.status)
        if status == 0:
            raise httpx.ConnectError(
                f"no answer from {request.url.host} (network error, or the backend does not "
                "allow requests from the xlwings Lite add-in: CORS)", request=request)
        text = xhr.responseText or ""
        return httpx.Response(status, headers=_headers(xhr.getAllResponseHeaders()),
                              content=text.encode("utf-8"), request=request)
