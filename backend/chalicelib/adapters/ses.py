"""The Mailer port on SES v2 (``SendEmail`` with Simple content, or Raw content, a MIME
message built here with the standard library's ``email`` package, when the mail has
attachments: a statement's PDF; the trace data, tenant and reminder key, as SES message tags,
never as headers), and ``eml``: the message as a .eml file, for the local outbox (named
``CUSTOMER-CURRENCY-levelN.eml``, its SES message id in its ``Message-ID`` header)."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.charset
import logging
import re
from collections.abc import Sequence
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from ..services.ports import Mail, Mailer, Quota, QuotaSpent, Rejected, Throttled, Unknown
from . import aws

log = logging.getLogger(__name__)

_THROTTLE = {"TooManyRequestsException", "Throttling", "ThrottlingException"}
_STOP = {"LimitExceededException", "SendingPausedException", "AccountSuspendedException"}
_REJECT = {"MessageRejected", "MailFromDomainNotVerifiedException", "NotFoundException",
           "BadRequestException", "InvalidParameterValue", "ValidationException"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._@-]")


_UTF8_QP = email.charset.Charset("utf-8")
_UTF8_QP.header_encoding = _UTF8_QP.body_encoding = email.charset.QP
_UTF8_8BIT = email.charset.Charset("utf-8")
_UTF8_8BIT.body_encoding = None  # the text as it is (7bit when it is ASCII)


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    """The text as it is when every line fits SMTP's 998 bytes, else quoted-printable."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    fits = all(len(line.encode()) <= 998 for line in re.split(r"\r\n|\r|\n", text))
    part.set_payload(text, _UTF8_8BIT if fits else _UTF8_QP)
    return part


def eml(mail: Mail, message_id: str, when: dt.datetime) -> bytes:
    """The message as a .eml file a user can open."""
    return mime(mail, when, message_id)


def mime(mail: Mail, when: dt.datetime, message_id: str = "") -> bytes:
    """The message in MIME: text (and HTML: multipart/alternative), and its attachments
    (multipart/mixed, each base64 with a sanitised file name). SES sends it as it is (Raw
    content) and adds its own Message-ID; ``message_id`` sets one (the outbox's copy). Built
    with the ``email.mime`` classes, 4x faster than ``EmailMessage`` (whose header parsing
    cost more than the SES call on the local stack); so the CR/LF check that
    ``EmailMessage`` makes is made here."""
    headers = (mail.sender_name, mail.sender, mail.to, *mail.cc, mail.reply_to or "",
               mail.subject, *(v for tag in mail.tags for v in tag),
               *(a.file_name for a in mail.attachments))
    if any("\r" in v or "\n" in v for v in headers):
        raise ValueError("a header value holds CR or LF")
    body = MIMEMultipart("alternative") if mail.html else _text_part(mail.text, "plain")
    if mail.html:
        body.attach(_text_part(mail.text, "plain"))
        body.attach(_text_part(mail.html, "html"))
    if mail.attachments:
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        for a in mail.attachments:
            part = MIMEApplication(a.data, a.content_type.partition("/")[2] or "octet-stream")
            part.add_header("Content-Disposition", "attachment",
                            filename=_SAFE_NAME.sub("_", a.file_name) or "attachment")
            msg.attach(part)
    else:
        msg = body
    msg["From"] = (formataddr((mail.sender_name, mail.sender), "utf-8") if mail.sender_name
                   else mail.sender)
    msg["To"] = mail.to
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    msg["Subject"] = mail.subject if mail.subject.isascii() else Header(mail.subject, _UTF8_QP)
    msg["Date"] = format_datetime(when)
    if message_id:
        msg["Message-ID"] = f"<{message_id}@email.amazonses.com>"
    # No header of the backend's own: what traces the message (its tags) stays in SES.
    return msg.as_bytes()


def _outbox_id(path: Path) -> str:
    """The SES message id of an outbox file (its Message-ID header)."""
    try:
        with path.open("rb") as f:
            head = f.read(16_384)
    except OSError:
        return ""
    m = re.search(rb"^Message-ID:\s*<([^@>\s]+)@", head, re.MULTILINE | re.IGNORECASE)
    return m.group(1).decode("ascii", "replace") if m else ""


class SesMailer(Mailer):
    """SES v2 ``SendEmail`` with Simple content (text and HTML parts), or Raw content when
    the mail has attachments, the configuration set, reply-to and tags. Optionally also
    writes each sent message to ``outbox``."""

    def __init__(self, configuration_set: str, outbox: str | None = None,
                 quota_override: tuple[float, int] | None = None):
        self.configuration_set = configuration_set
        self.outbox = Path(outbox) if outbox else None
        self.quota_override = quota_override

    def quota(self) -> Quota:
        # SES v1 GetSendQuota answers for the same account as v2 GetAccount (which moto lacks).
        try:
            q = aws.client("ses").get_send_quota()
            quota = Quota(float(q["MaxSendRate"]), int(q["Max24HourSend"]),
                          int(q["SentLast24Hours"]))
        except Exception as exc:  # the run still goes, slowly: the sandbox's numbers
            log.warning("GetSendQuota failed (%s); assuming 1/s and 200 a day", exc)
            quota = Quota(1.0, 200, 0, note=f"quota unknown ({type(exc).__name__})")
        if self.quota_override:
            rate, daily = self.quota_override
            quota = Quota(rate, daily, min(quota.sent_24h, daily), note="quota from "
                          "CREDITDESK_SES_QUOTA")
        return quota

    def forget(self, message_ids: Sequence[str]) -> int:
        """Delete the outbox's copies of these messages (by the Message-ID header inside,
        whatever the file is named)."""
        if self.outbox is None or not message_ids or not self.outbox.is_dir():
            return 0
        wanted = set(message_ids)
        n = 0
        for path in self.outbox.glob("*.eml"):
            if _outbox_id(path) in wanted:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    n += 1
        return n

    def send(self, mail: Mail) -> str:
        from botocore.exceptions import (
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
        )

        def content(text: str) -> dict[str, str]:
            return {"Data": text, "Charset": "UTF-8"}

        body = {"Text": content(mail.text)}
        if mail.html:
            body["Html"] = content(mail.html)
        kw: dict[str, Any] = {
            "FromEmailAddress": (formataddr((mail.sender_name, mail.sender))
                                 if mail.sender_name else mail.sender),
            "Destination": {"ToAddresses": [mail.to], "CcAddresses": list(mail.cc)},
            "Content": ({"Raw": {"Data": mime(mail, dt.datetime.now(dt.UTC))}}
                        if mail.attachments else
                        {"Simple": {"Subject": content(mail.subject), "Body": body}}),
            "EmailTags": [{"Name": n, "Value": _SAFE_NAME.sub("_", v)[:256]}
                          for n, v in mail.tags],
            "ConfigurationSetName": self.configuration_set,
        }
        if mail.reply_to and not mail.attachments:  # raw: the Reply-To header is in it
            kw["ReplyToAddresses"] = [mail.reply_to]
        try:
            r = aws.client("sesv2", "send").send_email(**kw)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code, message = err.get("Code", ""), err.get("Message", "") or str(exc)
            if "quota" in message.casefold() or code in _STOP:
                raise QuotaSpent(f"{code}: {message}") from exc
            if code in _THROTTLE:
                raise Throttled(f"{code}: {message}") from exc
            if code in _REJECT:
                raise Rejected(f"{code}: {message}") from exc
            raise Unknown(f"{code}: {message}") from exc
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise Throttled(f"SES not reachable: {exc}") from exc  # never left: retry
        except Exception as exc:  # read timeout and the like: it may have been sent
            raise Unknown(f"{type(exc).__name__}: {exc}") from exc
        message_id = r["MessageId"]
        if self.outbox is not None:
            try:
                name = mail.file_name or f"{_SAFE_NAME.sub('_', message_id)}.eml"
                write_new(self.outbox, name, eml(mail, message_id, dt.datetime.now(dt.UTC)))
            except Exception:  # the outbox is a convenience: never fail a sent message
                log.exception("could not write %s to the outbox", message_id)
        return message_id

    def verify_identity(self, identity: str) -> None:
        from botocore.exceptions import ClientError

        try:
            aws.client("sesv2").create_email_identity(EmailIdentity=identity)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "AlreadyExistsException":
                raise


def write_new(folder: Path, name: str, data: bytes) -> Path:
    """``data`` as ``folder/name``, or ``name`` with ``-2``, ``-3``... before ``.eml`` when
    that file exists (the same reminder level sent again another day): never overwritten."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, dot + ext) if dot else (name, "")
    for n in range(1, 10_000):
        path = folder / (f"{stem}{ext}" if n == 1 else f"{stem}-{n}{ext}")
        try:
            with path.open("xb") as f:
                f.write(data)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"{folder / name}: 9,999 copies already")
