"""The client of the Creditdesk backend API (v1): the one the CLI and the Excel add-in use.

Pure Python on httpx and pydantic, so it also runs inside xlwings Lite (Pyodide): no threads
and no sockets of its own. Pass ``transport=`` to route requests through anything httpx can
use (the add-in's XMLHttpRequest transport in Pyodide; in tests, the real app in process)::

    from creditdesk.api.client import Client, BackendError

    with Client("https://api.example.com", api_key) as cd:
        snap = cd.sync_snapshot(snapshot)              # inline, or presigned S3 upload if large
        batch = cd.submit_reminders(reminders, batch_id=batch_id)  # parts of 500, one id
        batch = cd.wait_for_batch(batch.batch_id)
        for r in cd.iter_reminders(batch.batch_id):    # follows the pages
            print(r.customer, r.status, r.message_id)

Errors: every failure is a :class:`BackendError` (a ``CreditdeskError``) whose message a
finance user can act on; :class:`BackendUnreachable` when the backend cannot be reached,
:class:`KeyRefused` when the API key is refused. The key is never logged, printed or put in
an error message.

Retries: timeouts, 429 and 5xx answers are retried with exponential backoff and jitter
(``Retry-After`` honoured) for requests that are safe to repeat: reads, erasure, snapshot
sync and reminder submission (a part re-sent with the same batch id is accepted once). A
request that never reached the server (connection refused) is always safe to retry.

The batch id is the caller's (``creditdesk.app.reminders.new_batch_id`` makes one): keep it to
ask about the batch, or to hand the same batch over again safely.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import tenacity
from pydantic import BaseModel, ValidationError

from creditdesk.api.models import (
    MAX_INLINE_SNAPSHOT_BYTES,
    MAX_REMINDERS_PER_REQUEST,
    MAX_UPLOAD_BYTES,
    AuditOut,
    BatchIn,
    BatchOut,
    DisputeIn,
    ErasureOut,
    ErrorOut,
    EventOut,
    NoteIn,
    Page,
    PromiseIn,
    ReminderIn,
    ReminderOut,
    ScoresOut,
    SendWindowIn,
    SnapshotIn,
    SnapshotOut,
    TableData,
    UploadIn,
    UploadOut,
)
from creditdesk.domain.errors import CreditdeskError

__all__ = [
    "BackendError",
    "BackendUnreachable",
    "Client",
    "KeyRefused",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
PAGE_SIZE = 1000  # items per page asked for (the API's maximum)
USER_AGENT = "creditdesk-client/1"
_BACKOFF = tenacity.wait_exponential_jitter(multiplier=0.25, max=8.0, jitter=0.5)

M = TypeVar("M", bound=BaseModel)


# -- errors -------------------------------------------------------------------------------


class BackendError(CreditdeskError):
    """The backend refused or failed a request. ``status`` is the HTTP status (None when no
    answer came), ``field`` the request field at fault (dotted path) when the backend named
    one, ``error`` its short code, ``message`` the sentence for the user."""

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None,
                 error: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
        self.error = error


class BackendUnreachable(BackendError):
    """No answer: the backend is down, the address is wrong, or the network is out."""


class KeyRefused(BackendError):
    """The backend answered 401 or 403: the API key is missing, wrong or revoked."""


# -- helpers ------------------------------------------------------------------------------


def _dump(model: BaseModel) -> bytes:
    return model.model_dump_json(exclude_none=False).encode()


def _seconds(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        return None


class _Retryable(Exception):
    """Internal: an answer worth retrying (429, 5xx); carries the response."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time (timed out)"
    if "refused" in low:
        return "connection refused (is it running?)"
    if "name or service" in low or "nodename" in low or "getaddrinfo" in low:
        return "the server name was not found"
    if "ssl" in low or "certificate" in low:
        return f"secure connection failed ({text})"
    return text


# -- the client ---------------------------------------------------------------------------


class Client:
    """A session with the Creditdesk backend at ``base_url`` for the tenant of ``api_key``."""

    def __init__(self, base_url: str, api_key: str, *,
                 transport: httpx.BaseTransport | None = None,
                 timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
                 retries: int = 4, max_retry_seconds: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not base_url:
            raise BackendError("no Creditdesk backend address was given (set CREDITDESK_URL "
                               "or pass --url)")
        if not api_key:
            raise KeyRefused("no API key was given (set CREDITDESK_API_KEY or pass --api-key)")
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self.retries = retries
        self.max_retry_seconds = max_retry_seconds
        self._sleep = sleep
        self.calls = 0  # HTTP requests sent, retries included (benchmarks count them)
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout,
                                  headers={"User-Agent": USER_AGENT,
                                           "Accept": "application/json"})

    def __repr__(self) -> str:  # never the key
        return f"Client({self.base_url!r}, api_key='***')"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable):
            after = _seconds(exc.response.headers.get("Retry-After"))
            if after is not None:
                return min(after, 30.0)
        return _BACKOFF(state)

    def _send(self, method: str, url: str, *, content: bytes | None = None,
              params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
              idempotent: bool = True, auth: bool = True) -> httpx.Response:
        hdrs = dict(headers or {})
        if auth:
            hdrs["Authorization"] = f"Bearer {self._key}"
        if content is not None and "Content-Type" not in hdrs:
            hdrs["Content-Type"] = "application/json"
        clean = {k: v for k, v in (params or {}).items() if v is not None}

        def transient(exc: BaseException) -> bool:
            if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                return True  # never reached the server
            if isinstance(exc, _Retryable):
                return idempotent or exc.response.status_code == 429
            return idempotent and isinstance(exc, httpx.TimeoutException
                                              | httpx.RemoteProtocolError)

        def attempt() -> httpx.Response:
            self.calls += 1
            r = self._http.request(method, url, content=content, params=clean, headers=hdrs)
            if r.status_code == 429 or r.status_code >= 500:
                raise _Retryable(r)
            return r

        retrying = tenacity.Retrying(
            stop=(tenacity.stop_after_attempt(self.retries + 1)
                  | tenacity.stop_after_delay(self.max_retry_seconds)),
            wait=self._wait, retry=tenacity.retry_if_exception(transient),
            sleep=self._sleep, reraise=True)
        try:
            return retrying(attempt)
        except _Retryable as exc:
            return exc.response
        except httpx.TransportError as exc:
            raise BackendUnreachable(
                f"cannot reach the Creditdesk backend at {self.base_url}: {_reason(exc)}"
            ) from None

    def _call(self, method: str, path: str, out: type[M] | None = None, *,
              body: BaseModel | bytes | None = None,
              params: Mapping[str, Any] | None = None, idempotent: bool = True) -> Any:
        content = _dump(body) if isinstance(body, BaseModel) else body
        r = self._send(method, path, content=content, params=params, idempotent=idempotent)
        self._raise_for(r)
        if out is None:
            return r.json() if r.content else None
        try:
            return out.model_validate_json(r.content)
        except ValidationError as exc:
            raise BackendError(
                f"the Creditdesk backend at {self.base_url} sent an answer this version of "
                f"Creditdesk does not understand ({exc.error_count()} problem(s) in "
                f"{out.__name__}); is the client up to date?", status=r.status_code,
                error="bad_response") from None

    def _raise_for(self, r: httpx.Response) -> None:
        if r.status_code < 400:
            return
        err: ErrorOut | None = None
        try:
            err = ErrorOut.model_validate(r.json())
        except (ValueError, ValidationError):
            err = None
        status = r.status_code
        if status in (401, 403):
            raise KeyRefused(
                f"the API key was refused by the Creditdesk backend at {self.base_url} "
                "(check CREDITDESK_API_KEY, or ask your administrator for a new key)",
                status=status, error=err.error if err else "unauthorized")
        if err is not None:
            where = f" (field '{err.field}')" if err.field and err.field not in err.message else ""
            raise BackendError(f"the Creditdesk backend refused the request: "
                               f"{err.message}{where}" if status < 500 else
                               f"the Creditdesk backend failed ({status}): {err.message}",
                               status=status, field=err.field, error=err.error)
        if status == 429:
            raise BackendError("the Creditdesk backend is busy (too many requests); try again "
                               "in a minute", status=status, error="throttled")
        if status >= 500:
            raise BackendError(f"the Creditdesk backend at {self.base_url} failed ({status}); "
                               "try again later", status=status, error="server_error")
        raise BackendError(f"the Creditdesk backend refused the request ({status} "
                           f"{r.reason_phrase})", status=status, error="http_error")

    def _pages(self, path: str, item: type[M], params: Mapping[str, Any] | None = None,
               ) -> Iterator[M]:
        page_type = Page[item]  # type: ignore[valid-type]
        token: str | None = None
        while True:
            page = self._call("GET", path, page_type, params={**(params or {}), "next": token})
            yield from page.items
            token = page.next
            if not token:
                return

    # -- API v1 -----------------------------------------------------------------------------

    def openapi(self) -> dict:
        """The backend's OpenAPI 3 document (no key needed, but sent anyway)."""
        return self._call("GET", "/v1/openapi.json")

    # ledger snapshots

    def sync_snapshot(self, snapshot: SnapshotIn | Mapping[str, TableData], *,
                      wait: bool = True, timeout: float = 120.0) -> SnapshotOut:
        """Send the workbook's tables as a new snapshot. Up to ``MAX_INLINE_SNAPSHOT_BYTES``
        of JSON goes in the request; a larger one through a presigned upload to S3 (the key
        is not sent there). The previous snapshot stays in force until this one is active;
        with ``wait`` the call returns once the backend has accepted or rejected it."""
        if not isinstance(snapshot, SnapshotIn):
            snapshot = SnapshotIn(tables=dict(snapshot))
        data = _dump(snapshot)
        if len(data) <= MAX_INLINE_SNAPSHOT_BYTES:
            return self._call("POST", "/v1/ledger", SnapshotOut, body=data)
        if len(data) > MAX_UPLOAD_BYTES:
            raise BackendError(f"the workbook's tables are {len(data) / 1e6:.1f} MB as JSON; "
                               f"the backend reads at most {MAX_UPLOAD_BYTES / 1e6:.0f} MB",
                               status=None, field="size", error="too_large")
        up = self.request_upload(len(data))
        self.upload(up, data)
        out = self.complete_upload(up.version)
        if wait:
            out = self.wait_for_snapshot(out, timeout=timeout)
        return out

    def request_upload(self, size: int) -> UploadOut:
        return self._call("POST", "/v1/ledger/uploads", UploadOut, body=UploadIn(size=size))

    def complete_upload(self, version: str) -> SnapshotOut:
        """Tell the backend the upload is there; it reads and checks the snapshot (asking
        again is harmless: an active snapshot is returned as it is)."""
        return self._call("POST", f"/v1/ledger/uploads/{quote(version, safe='')}/complete",
                          SnapshotOut)

    def upload(self, up: UploadOut, data: bytes) -> None:
        """PUT the snapshot JSON to the presigned URL (without the API key)."""
        r = self._send(up.method, up.url, content=data, auth=False,
                       headers={"Content-Type": "application/json", **up.headers})
        if r.status_code >= 300:
            raise BackendError(f"the upload of the snapshot to storage failed ({r.status_code}"
                               f"{': the link expired' if r.status_code == 403 else ''})",
                               status=r.status_code, error="upload_failed")

    def snapshot(self) -> SnapshotOut:
        """The snapshot in force (404 as a ``BackendError`` when there is none yet)."""
        return self._call("GET", "/v1/ledger", SnapshotOut)

    def wait_for_snapshot(self, snap: SnapshotOut, *, timeout: float = 120.0,
                          poll: float = 0.5) -> SnapshotOut:
        """Ask again until an uploaded snapshot is no longer pending."""
        deadline = time.monotonic() + timeout
        while snap.status == "pending":
            if time.monotonic() > deadline:
                raise BackendError(f"the backend has not finished reading snapshot "
                                   f"{snap.version} after {timeout:.0f} s; try 'sync' later",
                                   error="timeout")
            self._sleep(poll)
            snap = self.complete_upload(snap.version)
        return snap

    # reminder batches

    def submit_reminders(self, reminders: Sequence[ReminderIn | Mapping[str, Any]], *,
                         batch_id: str, compute: bool = False,
                         send_window: SendWindowIn | None = None) -> BatchOut:
        """Hand reminders to the backend for sending, as batch ``batch_id``: 202 with the
        batch. More than ``MAX_REMINDERS_PER_REQUEST`` go in parts, all under that id, so a
        retried or repeated part is accepted once. ``compute=True`` (with no reminders) asks
        the backend to compute today's reminders from the last snapshot. With
        ``send_window``, a batch submitted outside it is held until it opens (status
        ``scheduled``, ``not_before``)."""
        items = [r if isinstance(r, ReminderIn) else ReminderIn.model_validate(r)
                 for r in reminders]
        n = MAX_REMINDERS_PER_REQUEST
        parts = max(1, math.ceil(len(items) / n))
        out: BatchOut | None = None
        for p in range(parts):
            body = BatchIn(batch_id=batch_id, reminders=items[p * n:(p + 1) * n],
                           compute=compute, part=p + 1, parts=parts, send_window=send_window)
            out = self._call("POST", "/v1/batches", BatchOut, body=body)
        assert out is not None
        return out

    def batch(self, batch_id: str) -> BatchOut:
        return self._call("GET", f"/v1/batches/{quote(batch_id, safe='')}", BatchOut)

    def wait_for_batch(self, batch_id: str, *, timeout: float = 600.0, poll: float = 0.5,
                       on_progress: Callable[[BatchOut], None] | None = None) -> BatchOut:
        """Poll the batch until it is done (every reminder sent, skipped, failed or held for
        review) or scheduled (held until its Send Window opens: nothing to wait for), calling
        ``on_progress`` with each status seen."""
        deadline = time.monotonic() + timeout
        while True:
            b = self.batch(batch_id)
            if on_progress:
                on_progress(b)
            if b.status in ("done", "scheduled"):
                return b
            if time.monotonic() > deadline:
                raise BackendError(f"batch {batch_id} is still sending after {timeout:.0f} s "
                                   f"({b.counts.queued} queued); its reminders go on being "
                                   "sent: check again later", error="timeout")
            self._sleep(poll)

    def iter_reminders(self, batch_id: str, *, status: str | None = None,
                       ) -> Iterator[ReminderOut]:
        """Each reminder of the batch with its status and SES message id (pages of 1000)."""
        for r in self._pages(f"/v1/batches/{quote(batch_id, safe='')}/reminders",
                             ReminderOut, {"limit": PAGE_SIZE}):
            if status is None or r.status == status:
                yield r

    def reminders(self, batch_id: str, *, status: str | None = None) -> list[ReminderOut]:
        return list(self.iter_reminders(batch_id, status=status))

    # history

    def iter_history(self, customer: str | None = None, *, start: dt.date | None = None,
                     end: dt.date | None = None, type: str | None = None,
                     ) -> Iterator[EventOut]:
        """A customer's history, or every customer's between ``start`` and ``end``."""
        params = {"from": start.isoformat() if start else None,
                  "to": end.isoformat() if end else None, "limit": PAGE_SIZE}
        path = (f"/v1/customers/{quote(customer, safe='')}/history" if customer
                else "/v1/history")
        for e in self._pages(path, EventOut, params):
            if type is None or e.type == type:
                yield e

    def history(self, customer: str | None = None, **kw: Any) -> list[EventOut]:
        return list(self.iter_history(customer, **kw))

    def add_promise(self, customer: str, amount: float, date: dt.date,
                    note: str = "") -> EventOut:
        return self._call("POST", f"/v1/customers/{quote(customer, safe='')}/promises",
                          EventOut, body=PromiseIn(amount=amount, date=date, note=note),
                          idempotent=False)

    def add_dispute(self, customer: str, invoice: str, reason: str) -> EventOut:
        return self._call("POST", f"/v1/customers/{quote(customer, safe='')}/disputes",
                          EventOut, body=DisputeIn(invoice=invoice, reason=reason),
                          idempotent=False)

    def add_note(self, customer: str, text: str) -> EventOut:
        return self._call("POST", f"/v1/customers/{quote(customer, safe='')}/notes",
                          EventOut, body=NoteIn(text=text), idempotent=False)

    # the audit trail

    def iter_audit(self, *, since: dt.datetime | dt.date | None = None,
                   customer: str | None = None) -> Iterator[AuditOut]:
        """The audit trail's entries (``GET /v1/audit``), oldest first: from ``since`` (UTC;
        a date: its start) on, only ``customer``'s when given, every page."""
        if isinstance(since, dt.datetime):
            when = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
            since_text = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            since_text = since.isoformat() if since else None
        yield from self._pages("/v1/audit", AuditOut, {"since": since_text,
                                                       "customer": customer,
                                                       "limit": PAGE_SIZE})

    def audit(self, **kw: Any) -> list[AuditOut]:
        return list(self.iter_audit(**kw))

    # scores, erasure

    def scores(self) -> ScoresOut:
        """Scores of the snapshot in force (every page, as one answer)."""
        out = self._call("GET", "/v1/scores", ScoresOut)
        rows = list(out.customers)
        while out.next:
            out = self._call("GET", "/v1/scores", ScoresOut, params={"next": out.next})
            rows.extend(out.customers)
        return ScoresOut(as_of=out.as_of, version=out.version, customers=rows)

    def erase(self, customer: str) -> ErasureOut:
        """Erase a customer's personal data (what is kept, and why, is in the answer)."""
        return self._call("DELETE", f"/v1/customers/{quote(customer, safe='')}", ErasureOut)
