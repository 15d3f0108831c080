"""What goes on the wire between a client and the app in tests: every request recorded, the
faults the real app cannot produce on demand (a 5xx from the gateway, a timeout, a refused
connection, an answer lost after the app acted), and small pages."""

from __future__ import annotations

import httpx

# What API Gateway answers when the function behind it fails or is throttled: no ErrorOut.
_GATEWAY_BODY = {500: "Internal server error", 502: "Bad Gateway",
                 503: "Service Unavailable", 504: "Endpoint request timed out",
                 429: "Too Many Requests"}


class Wire(httpx.BaseTransport):
    """In front of ``inner``: records each request in ``requests``; takes the next fault of
    ``fail_next`` for each request while there is one:

    - a status code: the gateway answers it, the app never sees the request;
    - ``"refused"``: the connection is refused (the request never left);
    - ``"timeout"``: no answer in time, the app never saw the request;
    - ``"lost"``: the app handled the request, its answer was lost on the way back.

    ``page_size`` caps the ``limit`` a request for a page asks for (a GET of reminders,
    history or scores), so a few items make several pages.
    """

    PAGED = ("/reminders", "/history", "/scores")

    def __init__(self, inner: httpx.BaseTransport, *, page_size: int | None = None) -> None:
        self.inner = inner
        self.page_size = page_size
        self.requests: list[httpx.Request] = []
        self.fail_next: list[int | str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        fault = self.fail_next.pop(0) if self.fail_next else None
        if fault == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if fault == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if isinstance(fault, int):
            return httpx.Response(fault, json={"message": _GATEWAY_BODY.get(fault, "Error")},
                                  request=request)
        if (self.page_size and request.method == "GET"
                and request.url.path.endswith(self.PAGED)):
            limit = min(int(request.url.params.get("limit", self.page_size)), self.page_size)
            request = httpx.Request(request.method,
                                    request.url.copy_set_param("limit", str(limit)),
                                    headers=request.headers, content=request.content)
        response = self.inner.handle_request(request)
        if fault == "lost":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                            request=request)
        return response

    def posts(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST" and r.url.path == path]
