"""Links to the debtor's own page (docs/debtor-page.md): a random token per customer and
mail, kept only as its SHA-256; expiry, revocation, CSRF tokens and rate limits.

A token is ``<tenant>-<secret>`` (``secrets.token_urlsafe(32)``): the tenant part only says
where to look, the hash decides (as with API keys). A link is valid while its hash is among
the customer's current links (``LINKS#``, replaced when a later batch mails the customer, so
an older link is revoked), it has not expired (Page Link Days, default 30) and the customer
has not been erased. ``resolve`` answers None for a forged, expired or revoked token alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from . import keys, tombstones
from .ports import Check, Cond, Deps, Put, Update

TOKEN = re.compile(r"^([0-9a-f]{16})-([A-Za-z0-9_-]{43})$")
DEFAULT_DAYS = 30
# Requests a valid link may make in a window, and requests from one address (any link,
# forged ones included), per ``RATE_WINDOW`` seconds.
TOKEN_LIMIT = 60
ADDRESS_LIMIT = 120
RATE_WINDOW = 600


@dataclass(frozen=True)
class Link:
    tenant: str
    customer: str
    hash: str
    expires_at: dt.datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _pointer_sk(tenant: str, customer: str) -> str:
    return f"LINKS#{keys.customer_hash(tenant, customer)}"


def link_days(prof: dict) -> int:
    try:
        days = int(prof.get("page_link_days") or DEFAULT_DAYS)
    except (TypeError, ValueError):
        days = DEFAULT_DAYS
    return min(max(days, 1), 365)


def _link_item(tenant: str, customer: str, batch: str, digest: str, now: dt.datetime,
               expires: dt.datetime) -> dict:
    return {"pk": keys.tenant_pk(tenant), "sk": f"LINK#{digest}", "customer": customer,
            "batch": batch, "issued_at": keys.stamp(now), "expires_at": keys.stamp(expires),
            "expiration": int(expires.timestamp()) + 86400,
            "gsi1pk": keys.customer_links_gsi(tenant, customer), "gsi1sk": keys.stamp(now)}


def _pointer(tenant: str, customer: str, batch: str, digest: str, cur: dict | None,
             expires: dt.datetime) -> Put:
    """The customer's current links with ``digest`` added (the same batch's stay), written
    on condition that nobody changed them since ``cur`` was read."""
    hashes = list(cur["hashes"]) if cur and cur.get("batch") == batch else []
    item = {"pk": keys.tenant_pk(tenant), "sk": _pointer_sk(tenant, customer), "batch": batch,
            "hashes": [*hashes[-9:], digest], "v": secrets.token_hex(8),
            "expiration": int(expires.timestamp()) + 86400}
    return Put(item, Cond(equals={"v": cur["v"]}) if cur else Cond(absent=True))


def issue(deps: Deps, tenant: str, customer: str, batch: str, days: int = DEFAULT_DAYS) -> str:
    """A new link for ``customer``; the links of earlier batches stop working. Links of the
    same batch (one mail per currency) stay valid together."""
    token = f"{tenant}-{secrets.token_urlsafe(32)}"
    digest = token_hash(token)
    now = deps.clock.now()
    expires = now + dt.timedelta(days=days)
    deps.store.put(_link_item(tenant, customer, batch, digest, now, expires))
    sk = _pointer_sk(tenant, customer)
    for _ in range(8):  # two send workers may mail the customer at once
        op = _pointer(tenant, customer, batch, digest, deps.store.get(keys.tenant_pk(tenant), sk),
                      expires)
        if deps.store.put(op.item, op.cond):
            return token
    raise RuntimeError("the customer's links kept changing; try again")


@dataclass
class Pending:
    """A link written for a mail not sent yet: it works once ``activate`` makes it current."""

    customer: str
    token: str
    digest: str
    expires_at: dt.datetime


@dataclass
class Chunk:
    """The send worker's links for a chunk of reminders: the customers' erased state and
    current links read together, and the links written for the chunk's mails."""

    tenant: str
    batch: str
    gone: set[str]
    pointers: dict[str, dict | None]  # per customer: its current links as last read
    pending: dict[str, Pending] = field(default_factory=dict)  # by reminder key


def read_chunk(deps: Deps, tenant: str, batch: str, customers: set[str]) -> Chunk:
    """One BatchGetItem: which of ``customers`` were erased, and their current links."""
    pk = keys.tenant_pk(tenant)
    wanted = sorted(c for c in customers if c)
    found = deps.store.get_many([(pk, keys.tombstone_sk(tenant, c)) for c in wanted]
                                + [(pk, _pointer_sk(tenant, c)) for c in wanted])
    return Chunk(tenant, batch,
                 {c for c in wanted if (pk, keys.tombstone_sk(tenant, c)) in found},
                 {c: found.get((pk, _pointer_sk(tenant, c))) for c in wanted})


def prepare(deps: Deps, chunk: Chunk, mails: list[tuple[str, str]], days: int) -> None:
    """Write a link for each ``(reminder key, customer)`` of the chunk in one BatchWriteItem.
    Not current yet (no pointer lists it): a mail not sent leaves a link that never works,
    expires, and is found by an erasure's sweep like any other."""
    now = deps.clock.now()
    expires = now + dt.timedelta(days=days)
    items = []
    for key, customer in mails:
        token = f"{chunk.tenant}-{secrets.token_urlsafe(32)}"
        digest = token_hash(token)
        chunk.pending[key] = Pending(customer, token, digest, expires)
        items.append(_link_item(chunk.tenant, customer, chunk.batch, digest, now, expires))
    if items:
        deps.store.put_many(items)


def activate(deps: Deps, chunk: Chunk, key: str) -> str | None:
    """Just before the mail of reminder ``key`` is sent: make its link current, in one
    transaction that holds to the customer's tombstone being absent. Returns the token, or
    None when the customer was erased (the link is deleted). A pointer changed since it was
    read (another worker mailed the customer) is read again, with the tombstone."""
    link = chunk.pending[key]
    pk, customer = keys.tenant_pk(chunk.tenant), link.customer
    grave = (pk, keys.tombstone_sk(chunk.tenant, customer))
    sk = _pointer_sk(chunk.tenant, customer)
    for _ in range(8):
        op = _pointer(chunk.tenant, customer, chunk.batch, link.digest,
                      chunk.pointers.get(customer), link.expires_at)
        if deps.store.transact([Check(*grave, Cond(absent=True)), op]):
            chunk.pointers[customer] = op.item
            return link.token
        found = deps.store.get_many([grave, (pk, sk)])
        if grave in found:
            chunk.gone.add(customer)
            deps.store.delete(pk, f"LINK#{link.digest}")
            return None
        chunk.pointers[customer] = found.get((pk, sk))
    raise RuntimeError("the customer's links kept changing; try again")


def resolve(deps: Deps, token: str | None) -> Link | None:
    """The link of ``token`` when it is valid now; None when forged, expired, revoked or its
    customer erased (the caller answers all of these the same way)."""
    m = TOKEN.match(token or "")
    if not m:
        return None
    tenant, digest = m[1], token_hash(token or "")
    item = deps.store.get(keys.tenant_pk(tenant), f"LINK#{digest}")
    if item is None or keys.parse_stamp(item["expires_at"]) <= deps.clock.now():
        return None
    customer = item["customer"]
    cur = deps.store.get(keys.tenant_pk(tenant), _pointer_sk(tenant, customer))
    if cur is None or digest not in (cur.get("hashes") or []):
        return None
    if tombstones.erased(deps, tenant, [customer]):
        return None
    return Link(tenant, customer, digest, keys.parse_stamp(item["expires_at"]))


def revoke(deps: Deps, tenant: str, customer: str) -> bool:
    """Every link of the customer stops working now (the controller's revocation)."""
    return deps.store.delete(keys.tenant_pk(tenant), _pointer_sk(tenant, customer),
                             Cond(exists=True))


def forget(deps: Deps, tenant: str, customer: str) -> int:
    """For an erasure: revoke, and delete the customer's link items. Returns how many."""
    revoke(deps, tenant, customer)
    n = 0
    for item in deps.store.query_all(keys.customer_links_gsi(tenant, customer), index=True):
        if item.get("customer") == customer and item["pk"] == keys.tenant_pk(tenant):
            n += deps.store.delete(item["pk"], item["sk"])
    return n


# -- CSRF --------------------------------------------------------------------------------


def _secret(deps: Deps, tenant: str) -> bytes:
    pk = keys.tenant_pk(tenant)
    item = deps.store.get(pk, "PAGEKEY")
    if item is None:
        deps.store.put({"pk": pk, "sk": "PAGEKEY", "secret": secrets.token_hex(32)},
                       Cond(absent=True))
        item = deps.store.get(pk, "PAGEKEY") or {}
    return bytes.fromhex(item["secret"])


def csrf_token(deps: Deps, link: Link, form: str) -> str:
    """The CSRF token of ``form`` on this link's page: an HMAC of the link's hash under the
    tenant's page key (a secret kept only in storage)."""
    msg = f"{link.hash}|{form}".encode()
    return hmac.new(_secret(deps, link.tenant), msg, hashlib.sha256).hexdigest()


def csrf_ok(deps: Deps, link: Link, form: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(deps, link, form), str(given))


# -- rate limits -------------------------------------------------------------------------


def _hit(deps: Deps, pk: str, sk: str, limit: int) -> bool:
    now = deps.clock.now().timestamp()
    window = int(now // RATE_WINDOW)
    item = deps.store.update(Update(pk, f"{sk}#{window}", add={"n": 1}, set={
        "expiration": (window + 2) * RATE_WINDOW}))
    return int((item or {}).get("n", 0)) <= limit


def address_allowed(deps: Deps, address: str) -> bool:
    """Counts a request from ``address`` (any link); False above ``ADDRESS_LIMIT``."""
    return _hit(deps, keys.rate_address_pk(address), "RATE", ADDRESS_LIMIT)


def token_allowed(deps: Deps, link: Link) -> bool:
    """Counts a request on a valid link; False above ``TOKEN_LIMIT``."""
    return _hit(deps, keys.tenant_pk(link.tenant), f"RATE#{link.hash[:32]}", TOKEN_LIMIT)
