"""Send claims: a mail goes out at most once per key.

A claim is the item ``T#<tenant>`` / ``CLAIM#<key>``, written only if absent *before* SES is
called; after the send it gets the message id (and the ``gsi1`` entry by which the SES events
find it: ``history._claim_of``). A send that surely did not go (throttled, refused, quota)
releases its claim, so a later run sends it; one whose outcome is unknown keeps it, without a
message id: possibly sent, never sent again on its own. The reminders' send worker
(``sending``) claims a chunk of keys at once with the same items (``claim_item``); the
digest and the statements claim one key at a time (``claim``).
"""

from __future__ import annotations

import uuid
from typing import Any

from . import keys
from .ports import Cond, Deps, Item, Update


def claim_item(tenant: str, key: str, batch: str, owner: str, claimed_at: str,
               **fields: Any) -> Item:
    return {"pk": keys.tenant_pk(tenant), "sk": f"CLAIM#{key}", "batch": batch,
            "owner": owner, "claimed_at": claimed_at, **fields}


def claim(deps: Deps, tenant: str, key: str, batch: str, **fields: Any) -> str | None:
    """Take ``key``'s claim: the owner token, or None when it was taken before (sent, or
    possibly sent)."""
    owner = uuid.uuid4().hex
    item = claim_item(tenant, key, batch, owner, keys.stamp(deps.clock.now()), **fields)
    return owner if deps.store.put(item, Cond(absent=True)) else None


def release(deps: Deps, tenant: str, key: str, owner: str) -> None:
    """Give the claim back (the send surely did not go): a later run sends it."""
    deps.store.delete(keys.tenant_pk(tenant), f"CLAIM#{key}", Cond(equals={"owner": owner}))


def sent(deps: Deps, tenant: str, key: str, message_id: str, sent_at: Any = None) -> Item:
    """Record the message id on the claim (and index it by the id); the fields set."""
    done = {"message_id": message_id, "sent_at": keys.stamp(sent_at or deps.clock.now()),
            "gsi1pk": keys.message_gsi(message_id), "gsi1sk": "CLAIM"}
    deps.store.update(Update(keys.tenant_pk(tenant), f"CLAIM#{key}", set=done))
    return done
