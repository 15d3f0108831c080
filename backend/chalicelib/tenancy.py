"""Tenants and API keys. Light on purpose: the authorizer Lambda imports only this.

An API key is ``cd_<tenant>_<secret>`` with a random 32-byte secret; only its SHA-256 is
stored (a fast hash is right for a random token: there is nothing to guess). The tenant part
only says where to look; the hash decides.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from . import keys
from .bootstrap import Deps, current
from .ports import Cond, Item

_KEY = re.compile(r"^cd_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$")
DEFAULT_TIME_ZONE = "Europe/London"


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def create_tenant(name: str, sender: str | None = None, deps: Deps | None = None
                  ) -> tuple[str, str]:
    """A new tenant and its first API key: ``(tenant_id, api_key)``. The key is shown once.
    ``sender`` is the tenant's SES identity: an address, or a domain (``example.com``) whose
    addresses the tenant may send from; it must be verified in SES."""
    from .resources import LOCAL_SENDER

    deps = deps or current()
    name = " ".join(str(name).split())[:200]
    if not name:
        raise ValueError("a tenant needs a name")
    tenant = secrets.token_hex(8)
    now = keys.stamp(deps.clock.now())
    deps.store.put({"pk": keys.tenant_pk(tenant), "sk": "PROFILE", "name": name,
                    "sender": (sender or LOCAL_SENDER).strip(), "created_at": now,
                    "time_zone": DEFAULT_TIME_ZONE, "gsi1pk": "TENANTS", "gsi1sk": tenant},
                   Cond(absent=True))
    return tenant, add_api_key(tenant, deps)


def add_api_key(tenant: str, deps: Deps | None = None) -> str:
    deps = deps or current()
    api_key = f"cd_{tenant}_{secrets.token_urlsafe(32)}"
    deps.store.put({"pk": keys.tenant_pk(tenant), "sk": f"KEY#{hash_key(api_key)}",
                    "created_at": keys.stamp(deps.clock.now())})
    return api_key


def revoke_api_key(api_key: str, deps: Deps | None = None) -> bool:
    deps = deps or current()
    m = _KEY.match(api_key)
    return bool(m) and deps.store.delete(keys.tenant_pk(m[1]), f"KEY#{hash_key(api_key)}",
                                         Cond(exists=True))


def authenticate(header: str | None, deps: Deps | None = None) -> str | None:
    """The tenant of ``Authorization: Bearer <api key>``, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.casefold() != "bearer" or not token:
        return None
    m = _KEY.match(token)
    if not m:
        return None
    deps = deps or current()
    item = deps.store.get(keys.tenant_pk(m[1]), f"KEY#{hash_key(token)}")
    return m[1] if item is not None else None


def profile(tenant: str, deps: Deps) -> Item:
    return deps.store.get(keys.tenant_pk(tenant), "PROFILE") or {}


def tenants(deps: Deps) -> list[Item]:
    return deps.store.query_all("TENANTS", index=True)
