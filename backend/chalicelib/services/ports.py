"""The ports: the small interfaces the service layer talks to (Store, Mailer, Queue, Clock,
Idempotency), and ``Deps``, the set of them every service function takes. The real adapters
are in ``chalicelib/adapters/``, wired by ``chalicelib/bootstrap.py``; tests implement the
same ports with fakes (``tests/backend/fakes.py``), and one contract test suite runs against
both (``tests/backend/test_contracts.py``).

The Store is a key-value port over items with a partition key ``pk`` and a sort key ``sk``
(and one secondary index ``gsi1``), plus blobs. It is deliberately small: the service layer
decides what the keys mean (``keys`` has the schema); the store only knows how to put,
update, query and condition. Values are str, int, float, bool, None, lists, dicts and sets
(sets only as the target of ``add``).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import Config

Item = dict[str, Any]
Key = tuple[str, str]


@dataclass(frozen=True)
class Cond:
    """A condition on the item's current state; all given parts must hold.

    absent: no such item yet. exists: the item exists. equals: these attributes have these
    values. missing: these attributes are not set. before: (attribute, value): the attribute
    is not set or sorts before value."""

    absent: bool = False
    exists: bool = False
    equals: dict[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    before: tuple[str, Any] | None = None


@dataclass(frozen=True)
class Put:
    item: Item
    cond: Cond | None = None


@dataclass(frozen=True)
class Update:
    pk: str
    sk: str
    set: dict[str, Any] = field(default_factory=dict)
    add: dict[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    cond: Cond | None = None


@dataclass(frozen=True)
class Delete:
    pk: str
    sk: str
    cond: Cond | None = None


@dataclass(frozen=True)
class Check:
    """A condition a transaction holds to on an item it does not write (DynamoDB's
    ConditionCheck): the transaction writes nothing when it fails."""

    pk: str
    sk: str
    cond: Cond


class Store(ABC):
    # -- items ---------------------------------------------------------------------------
    @abstractmethod
    def get(self, pk: str, sk: str) -> Item | None:
        """One item, strongly consistent."""

    @abstractmethod
    def get_many(self, keys: Sequence[Key]) -> dict[Key, Item]:
        """The items that exist among ``keys`` (any number; batched by the adapter)."""

    @abstractmethod
    def put(self, item: Item, cond: Cond | None = None) -> bool:
        """Write the item; False (and nothing written) when ``cond`` does not hold."""

    @abstractmethod
    def put_many(self, items: Iterable[Item]) -> int:
        """Write items unconditionally, in batches; every item is written or it raises."""

    def put_absent(self, items: Sequence[Item]) -> list[Item]:
        """Write each item only where no item has its key yet; returns the items written.
        Adapters batch this (the real one: transactions of up to 100 conditional puts)."""
        return [item for item in items if self.put(item, Cond(absent=True))]

    @abstractmethod
    def update(self, op: Update) -> Item | None:
        """Apply ``op``; the item after it, or None when ``op.cond`` does not hold."""

    @abstractmethod
    def delete(self, pk: str, sk: str, cond: Cond | None = None) -> bool:
        """Delete; False when ``cond`` does not hold."""

    @abstractmethod
    def transact(self, ops: Sequence[Put | Update | Delete | Check]) -> bool:
        """All of ``ops`` or none; False when a condition does not hold."""

    @abstractmethod
    def query(self, pk: str, *, prefix: str = "", start: str | None = None,
              end: str | None = None, after: Item | None = None, limit: int | None = None,
              index: bool = False, attrs: Sequence[str] | None = None
              ) -> tuple[list[Item], Item | None]:
        """Items of partition ``pk`` in sort-key order, optionally those whose sort key starts
        with ``prefix`` or lies in [start, end]. ``index=True`` queries gsi1 (keys gsi1pk,
        gsi1sk; eventually consistent, as DynamoDB's indexes are); the table's own partitions
        are read strongly consistently. Returns (items, the key to pass as ``after`` for the
        next page, or None)."""

    def query_all(self, pk: str, **kw: Any) -> list[Item]:
        out: list[Item] = []
        after = None
        while True:
            items, after = self.query(pk, after=after, **kw)
            out.extend(items)
            if after is None:
                return out

    # -- blobs ---------------------------------------------------------------------------
    @abstractmethod
    def put_blob(self, key: str, data: bytes, transient: bool = False) -> None:
        """Store bytes; ``transient`` ones are expired by the bucket's lifecycle rule."""

    @abstractmethod
    def get_blob(self, key: str) -> bytes | None: ...

    @abstractmethod
    def blob_size(self, key: str) -> int | None: ...

    @abstractmethod
    def delete_blob(self, key: str) -> None: ...

    @abstractmethod
    def list_blobs(self, prefix: str) -> list[str]: ...

    @abstractmethod
    def presign_put(self, key: str, expires_in: int, transient: bool = False
                    ) -> tuple[str, dict[str, str]]:
        """A URL the client PUTs the blob to, and the headers it must send; a ``transient``
        blob put there is expired by the lifecycle rule unless ``keep_blob`` is called."""

    @abstractmethod
    def keep_blob(self, key: str) -> None:
        """A transient blob becomes a lasting one (the lifecycle rule no longer expires it)."""


# -- mail ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """A file sent with a mail (a statement's PDF): its file name, MIME type and bytes."""

    file_name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Mail:
    sender: str
    to: str
    subject: str
    text: str
    html: str = ""
    cc: tuple[str, ...] = ()
    reply_to: str | None = None
    sender_name: str = ""
    # What the backend traces a message by (tenant, key): SES message tags, never a header.
    tags: tuple[tuple[str, str], ...] = ()
    file_name: str = ""  # its copy in the outbox: CUSTOMER-CURRENCY-levelN.eml ("": by id)
    attachments: tuple[Attachment, ...] = ()  # sent as raw MIME (multipart/mixed)


@dataclass(frozen=True)
class Quota:
    max_send_rate: float  # messages per second
    max_24h: int
    sent_24h: int
    note: str = ""

    @property
    def remaining(self) -> int:
        return max(self.max_24h - self.sent_24h, 0) if self.max_24h >= 0 else 1 << 62


class SendError(Exception):
    """A send that did not go through; the subclass says what the worker does next."""


class Throttled(SendError):
    """Too fast: not sent; release the claim and retry later."""


class QuotaSpent(SendError):
    """The daily quota is spent, or the account may not send: not sent; stop the run."""


class Rejected(SendError):
    """SES refused this message (bad address, unverified sender): not sent; it failed."""


class Unknown(SendError):
    """The outcome is unknown (a timeout after the request left): it may have been sent, so
    the claim stays and the reminder goes to review."""


class Mailer(ABC):
    @abstractmethod
    def quota(self) -> Quota: ...

    @abstractmethod
    def send(self, mail: Mail) -> str:
        """Send; the provider's message id. Raises a ``SendError`` subclass."""

    def forget(self, message_ids: Sequence[str]) -> int:
        """Delete the copies this mailer keeps of these sent messages (the local stack's
        outbox files), for an erasure; how many it deleted. SES itself keeps none."""
        return 0

    def verify_identity(self, identity: str) -> None:
        """Make ``identity`` (an address or a domain) one the account may send from. Only
        an emulated SES (``Config.emulated_ses``) is asked: the real one mails the address a
        link instead, and an operator verifies a tenant's identity (docs/deploy.md)."""
        raise NotImplementedError(f"{type(self).__name__} cannot verify identities")


# -- queue and clock -------------------------------------------------------------------------


MAX_MESSAGE_BYTES = 256 * 1024  # the largest body every queue takes (SQS: new queues take 1 MiB)


class Queue(ABC):
    @abstractmethod
    def send(self, queue: str, bodies: Sequence[str], delay: int = 0) -> None:
        """Enqueue message bodies (each at most ``MAX_MESSAGE_BYTES``) on ``"send"`` or
        ``"work"`` (batched by the adapter)."""

    @abstractmethod
    def retry_later(self, queue: str, receipt_handle: str, seconds: int) -> None:
        """Make a received message visible again after ``seconds`` (best effort)."""


class Clock(ABC):
    @abstractmethod
    def now(self) -> dt.datetime:
        """Now, timezone-aware UTC."""

    @abstractmethod
    def sleep(self, seconds: float) -> None: ...

    def monotonic(self) -> float:
        return self.now().timestamp()


# -- idempotency -----------------------------------------------------------------------------


class AlreadyRunning(Exception):
    """Another call with the same key is running now."""


class PayloadMismatch(Exception):
    """The key was used before with a different payload (``digest``)."""


class Idempotency(ABC):
    """Runs an operation once per key, for as long as the adapter keeps its records."""

    @abstractmethod
    def once(self, scope: str, operation: str, key: Sequence[Any], digest: str,
             fn: Callable[[], dict], context: Any = None) -> dict:
        """``fn()`` the first time ``key`` is seen for ``operation`` under ``scope`` (a storage
        partition: the tenant's); the result recorded then, for every later call with the same
        key and ``digest``. Raises ``PayloadMismatch`` when the key was used with another
        digest (checked first), ``AlreadyRunning`` while a call with the key has not finished.
        When ``fn`` raises, nothing is recorded and the next call runs it again. ``context`` is
        the Lambda context, if any (a call cut off by its Lambda's timeout stops counting as
        running then)."""


# -- what the services take ------------------------------------------------------------------


@dataclass
class Deps:
    """The ports a service function works with, and the stage's configuration.
    ``chalicelib.bootstrap.bootstrap()`` builds one with the real adapters."""

    store: Store
    mailer: Mailer
    queue: Queue
    clock: Clock
    idempotency: Idempotency
    config: Config
