"""Tombstones of erased customers, and what keeps an erasure erased.

``DELETE /v1/customers/{customer}`` writes the tombstone first (``GONE#<hash of tenant and
customer>``; the customer key itself is not in it), then erases. Everything that could write
the customer's personal data later checks it:

- the debtor's page: a link of an erased customer answers 404 (``links.resolve``), and the
  erasure deletes its links (``links.forget``);
- the send worker, for each chunk before SES is called: the customer's reminders fail with
  ``ERASED`` and are not sent;
- the send worker and the SES events, *after* they wrote: what they wrote for an erased
  customer is scrubbed at once (``scrub_written``). Write, then read the tombstone: either the
  read sees it, or the write came before the tombstone and so before the erasure's sweep,
  which finds and erases it (the sweep reads the table strongly consistently). Either way no
  address stays.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import keys
from .ports import Deps, Item, Store, Update

ERASED = "not sent: the customer's personal data was erased (DELETE /v1/customers)"
# History events that are accounting evidence: kept without the address and the text.
EVIDENCE = ("reminder", "delivery", "bounce", "complaint")


def bury(deps: Deps, tenant: str, customer: str) -> None:
    deps.store.put({"pk": keys.tenant_pk(tenant), "sk": keys.tombstone_sk(tenant, customer),
                    "erased_at": keys.stamp(deps.clock.now())})


def erased(deps: Deps, tenant: str, customers: Iterable[str]) -> set[str]:
    """The erased ones among ``customers``."""
    wanted = {c: (keys.tenant_pk(tenant), keys.tombstone_sk(tenant, c))
              for c in set(customers) if c}
    if not wanted:
        return set()
    found = deps.store.get_many(list(wanted.values()))
    return {c for c, k in wanted.items() if k in found}


def scrub_event(store: Store, item: Item) -> None:
    """A history event of an erased customer: evidence keeps date, level, amount and message
    id, without the address or text; anything else (free text) is deleted."""
    if item.get("type") in EVIDENCE:
        store.update(Update(item["pk"], item["sk"], set={"email": None, "note": "",
                                                         "erased": True}))
    else:
        store.delete(item["pk"], item["sk"])


def scrub_row(store: Store, row: Item) -> None:
    """A batch row of an erased customer: status and counts stay; the address and subject
    go."""
    store.update(Update(row["pk"], row["sk"], set={"to": "", "subject": "", "erased": True}))


def scrub_written(deps: Deps, tenant: str, items: list[Item]) -> int:
    """Re-read the tombstones of the customers ``items`` (just written: history events, batch
    rows, claims) belong to, and scrub what belongs to an erased one; the mailer's copies of
    its messages go too. Returns the number of items scrubbed."""
    gone = erased(deps, tenant, {i.get("customer", "") for i in items})
    if not gone:
        return 0
    n = 0
    mids = []
    for item in items:
        if item.get("customer") not in gone:
            continue
        sk = str(item.get("sk", ""))
        if sk.startswith("H#"):
            scrub_event(deps.store, item)
            n += 1
        elif sk.startswith("R#"):
            scrub_row(deps.store, item)
            n += 1
        if item.get("message_id"):
            mids.append(item["message_id"])
    if mids:
        deps.mailer.forget(sorted(set(mids)))
    return n
