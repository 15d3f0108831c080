"""The backend API's request and response models: the one contract the backend serves and the
client (CLI, add-in) speaks. Version 1, under ``/v1``.

Every model forbids unknown fields, so a typo in a request is a 422 naming the field, not a
silently ignored value. The tenant never appears in a request: it comes from the API key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from creditdesk.domain.contract import HISTORY as _HISTORY
from creditdesk.domain.emails import email_problem

MAX_REMINDERS_PER_REQUEST = 500  # keeps a request well under API Gateway's 6 MB
MAX_INLINE_SNAPSHOT_BYTES = 4_000_000  # larger ledgers go through a presigned S3 upload
# The largest upload the API reads: 28 MB (300,000 invoices) parse and check in 4.8 s and
# 450 MB here, against the API function's 29 s and 1,024 MB (docs/api.md).
MAX_UPLOAD_BYTES = 32_000_000

Cell = str | float | int | bool | None  # dates travel as ISO text

# Characters no id or subject may hold: C0 (TAB, CR, LF among them), DEL, C1 (NEL, U+0085,
# among them) and the Unicode line and paragraph separators. An id holding one could be
# stored but never named again in a URL (nor read, nor erased); a subject holding one would
# break its header line.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def no_control_characters(value: str) -> str:
    m = CONTROL_CHARACTERS.search(value)
    if m:
        raise ValueError(f"must not contain control characters (U+{ord(m[0]):04X} at "
                         f"position {m.start() + 1})")
    return value


Id = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(no_control_characters)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
# Dates a request may carry: a promise dated before 1990 or after 2100 is a typing slip.
FIRST_DAY, LAST_DAY = dt.date(1990, 1, 1), dt.date(2100, 12, 31)


def _sane_day(value: dt.date) -> dt.date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"{value.isoformat()} is outside {FIRST_DAY.isoformat()} to "
                         f"{LAST_DAY.isoformat()}")
    return value


Day = Annotated[dt.date, AfterValidator(_sane_day)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _address(value: str) -> str:
    problem = email_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _one_line(value: str) -> str:
    if any(c in value for c in "\r\n\x85\u2028\u2029"):
        raise ValueError("must be one line (no line breaks)")
    return no_control_characters(value)


# -- ledger snapshots ---------------------------------------------------------------------


class TableData(Model):
    """One contract table as the workbook holds it: headers and rows of cell values."""

    header: list[str] = Field(max_length=200)
    rows: list[list[Cell]]
    first_row: int = Field(2, ge=1, description="worksheet row of the first data row")
    sheet: str | None = None


class SnapshotIn(Model):
    """The workbook's contract tables, keyed by table name (Customers, Invoices, ...)."""

    tables: dict[str, TableData]


class UploadIn(Model):
    """Ask for a presigned S3 upload of a large snapshot (the same JSON as SnapshotIn)."""

    size: int = Field(gt=0, le=MAX_UPLOAD_BYTES, description="bytes of the JSON to upload")


class UploadOut(Model):
    version: str
    url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str] = {}
    expires_at: dt.datetime


class IssueOut(Model):
    sheet: str
    row: int | None
    column: str | None
    message: str


class SnapshotOut(Model):
    version: str
    status: Literal["active", "pending", "rejected"]
    as_of: dt.date | None = None
    customers: int = 0
    invoices: int = 0
    issues: list[IssueOut] = []
    message: str = ""


# -- reminder batches -----------------------------------------------------------------------


class ReminderIn(Model):
    """One previewed reminder, as `creditdesk remind --json` or the add-in renders it."""

    customer: Id
    currency: Currency
    level: int = Field(ge=0, le=99)
    to: str
    cc: list[str] = Field(default_factory=list, max_length=49)
    subject: Annotated[str, Field(min_length=1, max_length=998)]
    text: Annotated[str, Field(min_length=1, max_length=200_000)]
    html: Annotated[str, Field(max_length=400_000)] = Field(
        "", description="sanitised by the backend on arrival (nh3): only plain formatting "
        "tags (p, br, tables, lists, emphasis, links to http, https or mailto) are kept; "
        "scripts, styles, event handlers and every other attribute are dropped, the text is "
        "kept escaped")
    invoices: list[Id] = Field(min_length=1, max_length=5000)
    amount: float = Field(gt=0, description="the amount asked for; more than 0")
    interest: float = Field(0.0, ge=0)
    compensation: float = Field(0.0, ge=0)

    @field_validator("to")
    @classmethod
    def _to(cls, v: str) -> str:
        return _address(v)

    @field_validator("subject")
    @classmethod
    def _subject(cls, v: str) -> str:
        return _one_line(v)

    @field_validator("cc")
    @classmethod
    def _cc(cls, v: list[str]) -> list[str]:
        return [_address(a) for a in v]

    def key(self, tenant: str, day: dt.date) -> str:
        """The reminder's identity: tenant, customer, currency, level, items and day. The
        same reminder submitted twice (a double click, a retry, a second client) has the
        same key, and is sent once."""
        items = ",".join(sorted(self.invoices))
        raw = "\x1f".join([tenant, self.customer, self.currency, str(self.level), items,
                           day.isoformat()])
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


BatchId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


class SendWindowIn(Model):
    """The team's Send Window, in its Time Zone, on the business days of its Country (the
    workbook's settings): a batch submitted outside it is held until it opens."""

    time_zone: Annotated[str, Field(min_length=1, max_length=64)]
    start: dt.time
    end: dt.time
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(v)
        except Exception:
            raise ValueError(f"'{v}' is not an IANA time zone (e.g. Europe/London)") from None
        return v

    @field_validator("end")
    @classmethod
    def _end(cls, v: dt.time, info) -> dt.time:
        start = info.data.get("start")
        if start is not None and v <= start:
            raise ValueError("the window must end after it starts")
        return v


class BatchIn(Model):
    """Submit reminders. Large batches are split by the client into parts of at most 500,
    all with the same batch_id; a part sent twice is accepted once."""

    batch_id: BatchId
    reminders: list[ReminderIn] = Field(default_factory=list,
                                        max_length=MAX_REMINDERS_PER_REQUEST)
    compute: bool = Field(False, description="compute today's reminders from the last "
                          "snapshot instead of taking them from the request")
    part: int = Field(1, ge=1)
    parts: int = Field(1, ge=1, le=10_000)
    send_window: SendWindowIn | None = Field(
        None, description="hold the batch until this window is open (a manual send names the "
        "workbook's Send Window); none: send at once")


ReminderState = Literal["queued", "sent", "skipped", "failed", "review"]


class Counts(Model):
    total: int = 0
    queued: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    review: int = 0


class BatchOut(Model):
    batch_id: str
    status: Literal["accepted", "scheduled", "sending", "done"]
    created_at: dt.datetime
    counts: Counts
    parts_received: int = 1
    parts: int = 1
    detail: str = Field("", description="why the run stopped or could not start, if it did "
                        "(e.g. the daily sending quota is spent)")
    not_before: dt.datetime | None = Field(
        None, description="scheduled: held until the Send Window opens at this time")


class ReminderOut(Model):
    key: str
    customer: str
    currency: str
    level: int
    to: str
    subject: str
    status: ReminderState
    message_id: str | None = None
    detail: str = ""
    updated_at: dt.datetime | None = None


T = TypeVar("T")


class Page(Model, Generic[T]):
    items: list[T]
    next: str | None = Field(None, description="pass as ?next= for the following page")


# -- history --------------------------------------------------------------------------------

EventType = Literal["reminder", "statement", "delivery", "bounce", "complaint", "promise",
                    "dispute", "note", "plan"]


# The columns of the workbook's History table, as the contract defines them.
HISTORY_HEADER: list[str] = [c.header for c in _HISTORY.columns]


class EventOut(Model):
    id: str
    at: dt.datetime
    customer: str
    type: EventType
    level: int | None = None
    currency: str | None = None
    email: str | None = None
    message_id: str | None = None
    amount: float | None = None
    date: dt.date | None = Field(None, description="promise: the date promised")
    invoice: str | None = None
    note: str = ""

    def history_row(self, tz: str | None = None) -> list[Cell]:
        """The event as a row of the workbook's History table (``HISTORY_HEADER``), dated in
        ``tz`` (an IANA zone; UTC when None). Sync writes these rows into the workbook, and
        the backend feeds the same rows to the domain when it computes reminders."""
        at = self.at
        if tz:
            from zoneinfo import ZoneInfo

            at = at.astimezone(ZoneInfo(tz))
        values: dict[str, Cell] = {
            "Date": at.date().isoformat(), "Customer": self.customer,
            "Type": self.type.title(), "Level": self.level, "Currency": self.currency or "",
            "Email": self.email or "", "Message Id": self.message_id or "",
            "Note": self.note, "Event Id": self.id, "Amount": self.amount,
            "Promised Date": self.date.isoformat() if self.date else None,
            "Invoice": self.invoice or "",
        }
        return [values.get(h) for h in HISTORY_HEADER]


# -- the audit trail -----------------------------------------------------------------------

AuditKind = Literal["customer", "settings", "levels", "templates", "ledger"]


class AuditOut(Model):
    """One change the backend recorded when a snapshot came into force (docs/api.md)."""

    id: str = Field(description="the entry's id: the snapshot version and its position")
    at: dt.datetime = Field(description="when the snapshot came into force (UTC)")
    key_id: str = Field(description="the API key that sent it, by its key id (never the key)")
    key_label: str = ""
    kind: AuditKind = Field(description="what the subject is: a customer, or the settings, "
                                        "the dunning levels, the templates, the ledger")
    subject: str = Field(description="the customer key, or settings / levels / templates / "
                                     "ledger")
    field: str
    old: str = ""
    new: str = ""
    version: str = Field(description="the snapshot that made the change")


class PromiseIn(Model):
    amount: float = Field(gt=0)
    date: Day
    note: Annotated[str, Field(max_length=2000)] = ""


class DisputeIn(Model):
    invoice: Id
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class NoteIn(Model):
    text: Annotated[str, Field(min_length=1, max_length=5000)]


# -- scores, erasure, errors ----------------------------------------------------------------


class ScoreOut(Model):
    customer: str
    name: str
    score: float | None
    grade: str
    recommended_limit: float | None
    days_beyond_terms: float | None
    reasons: list[str]


class ScoresOut(Model):
    as_of: dt.date | None
    version: str | None
    customers: list[ScoreOut]
    next: str | None = Field(None, description="pass as ?next= for the following page")


class ErasureOut(Model):
    customer: str
    erased_events: int
    erased: dict[str, int] = Field(default_factory=dict,
                                   description="what was erased, by kind (counts only)")
    kept_counts: dict[str, int] = Field(default_factory=dict,
                                        description="what is kept by law, by kind (counts)")
    kept: list[str] = Field(description="what is kept, and why (retention)")


class LinksOut(Model):
    """``DELETE /v1/customers/{customer}/links``: whether the customer had links that work."""

    customer: str
    revoked: bool = Field(description="false: no link of the customer worked anyway")


class ErrorOut(Model):
    """Every 4xx/5xx body. ``field`` names the request field at fault (dotted path)."""

    error: str
    message: str
    field: str | None = None



# -- the add-in's wheel (public: xlwings Lite's micropip fetches it without a key) ---------


class AddinWheelOut(Model):
    """``GET /v1/addin``: the Creditdesk wheel this backend serves to xlwings Lite."""

    package: str = "creditdesk"
    version: str
    filename: str = Field(description="creditdesk-<version>-py3-none-any.whl")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=1)
    path: str = Field(description="the wheel's immutable path under the API's address: "
                                  "/v1/addin/wheels/<sha256>/<filename>")
    content_type: str = "application/zip"
