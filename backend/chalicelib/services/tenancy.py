"""Tenants and API keys, and a tenant's profile. Light on purpose: the authorizer imports it.

An API key is ``cd_<tenant>_<secret>`` with a random 32-byte secret; only its SHA-256 is
stored (a fast hash is right for a random token: there is nothing to guess). The tenant part
only says where to look; the hash decides.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from ..config import LOCAL_SENDER
from . import keys
from .ports import Cond, Deps, Item

_KEY = re.compile(r"^cd_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$")
DEFAULT_TIME_ZONE = "Europe/London"


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def create_tenant(deps: Deps, name: str, sender: str | None = None) -> tuple[str, str]:
    """A new tenant and its first API key: ``(tenant_id, api_key)``. The key is shown once.
    ``sender`` is the tenant's SES identity: an address, or a domain (``example.com``) whose
    addresses the tenant may send from; it must be verified in SES (``LOCAL_SENDER`` when
    not given)."""
    name = " ".join(str(name).split())[:200]
    if not name:
        raise ValueError("a tenant needs a name")
    tenant = secrets.token_hex(8)
    now = keys.stamp(deps.clock.now())
    deps.store.put({"pk": keys.tenant_pk(tenant), "sk": "PROFILE", "name": name,
                    "sender": (sender or LOCAL_SENDER).strip(), "created_at": now,
                    "time_zone": DEFAULT_TIME_ZONE, "gsi1pk": "TENANTS", "gsi1sk": tenant},
                   Cond(absent=True))
    return tenant, add_api_key(deps, tenant)


def add_api_key(deps: Deps, tenant: str, label: str = "") -> str:
    """A new API key for ``tenant`` (shown once: only its hash is stored)."""
    api_key = f"cd_{tenant}_{secrets.token_urlsafe(32)}"
    deps.store.put({"pk": keys.tenant_pk(tenant), "sk": f"KEY#{hash_key(api_key)}",
                    "created_at": keys.stamp(deps.clock.now()),
                    "label": " ".join(str(label).split())[:100]})
    return api_key


KEY_ID_LENGTH = 12  # hex digits of the key's hash that name it (key list, key revoke)


def key_id(api_key: str) -> str:
    return hash_key(api_key)[:KEY_ID_LENGTH]


def api_keys(deps: Deps, tenant: str) -> list[Item]:
    """The tenant's keys as ``{"key_id", "label", "created_at"}``: never the key, nor its
    whole hash."""
    return [{"key_id": it["sk"].removeprefix("KEY#")[:KEY_ID_LENGTH],
             "label": it.get("label") or "", "created_at": it.get("created_at")}
            for it in deps.store.query_all(keys.tenant_pk(tenant), prefix="KEY#")]


def revoke_key_id(deps: Deps, tenant: str, kid: str) -> bool:
    """Delete the tenant's key named ``kid`` (see ``api_keys``); False when there is none."""
    kid = kid.strip().lower()
    if not re.fullmatch(rf"[0-9a-f]{{{KEY_ID_LENGTH}}}", kid):
        return False
    found = deps.store.query_all(keys.tenant_pk(tenant), prefix=f"KEY#{kid}")
    return bool(found) and all(deps.store.delete(it["pk"], it["sk"]) for it in found)


def revoke_api_key(deps: Deps, api_key: str) -> bool:
    m = _KEY.match(api_key)
    return bool(m) and deps.store.delete(keys.tenant_pk(m[1]), f"KEY#{hash_key(api_key)}",
                                         Cond(exists=True))


def usage_key(tenant: str) -> str:
    """The value of the tenant's API Gateway API key: not a secret (API Gateway takes it
    only from the authorizer, never from a request), it names the tenant in the API's
    usage plan, whose throttle and quota then apply to each tenant on its own."""
    return f"creditdesk-usage-{tenant}"


def key_tenant(header: str | None) -> tuple[str, str] | None:
    """``(tenant, api key)`` from ``Authorization: Bearer <api key>`` when the key is
    well-formed (not yet checked against storage), else None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.casefold() != "bearer" or not token:
        return None
    m = _KEY.match(token)
    return (m[1], token) if m else None


def authenticate_key(deps: Deps, header: str | None) -> dict[str, str] | None:
    """Who ``Authorization: Bearer <api key>`` is: ``{"tenant", "key_id", "key_label"}``
    (the key id as ``api_keys`` names it, never the key), or None for an unknown key."""
    found = key_tenant(header)
    if found is None:
        return None
    tenant, token = found
    item = deps.store.get(keys.tenant_pk(tenant), f"KEY#{hash_key(token)}")
    if item is None:
        return None
    return {"tenant": tenant, "key_id": key_id(token), "key_label": item.get("label") or ""}


def authenticate(deps: Deps, header: str | None) -> str | None:
    """The tenant of ``Authorization: Bearer <api key>``, or None."""
    who = authenticate_key(deps, header)
    return who["tenant"] if who else None


def profile(deps: Deps, tenant: str) -> Item:
    return deps.store.get(keys.tenant_pk(tenant), "PROFILE") or {}


def tenants(deps: Deps) -> list[Item]:
    return deps.store.query_all("TENANTS", index=True)


def send_window(prof: Item) -> tuple[dt.time, dt.time]:
    """The tenant's Send Window (its profile's, from the last snapshot; 09:00-17:00 by
    default), in its Time Zone."""
    start, end = prof.get("send_window") or ["09:00", "17:00:00"]
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def local_day(prof: Item, now: dt.datetime) -> dt.date:
    """The tenant's own day at ``now`` (its profile's time zone; UTC when that is unusable)."""
    from zoneinfo import ZoneInfo  # here: the authorizer's cold start needs no time zones

    try:
        zone = ZoneInfo(prof.get("time_zone") or "UTC")
    except Exception:
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()
