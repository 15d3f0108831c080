"""Who a tenant's mail comes From: the workbook's Sender Email (Settings), when one of the
tenant's SES identities covers it (the same address, or the address's domain); else nothing
goes: a batch is refused when it is submitted (``check``), naming the setting. A blank
Sender Email sends from the tenant's own identity (``reminders@<domain>`` for a domain). A
tenant never sends as another.

The identities are the profile's ``sender`` (``tenant create --sender``, verified in SES by
the operator) and, where SES is the emulator (``Config.emulated_ses``), every Sender Email a
synced workbook named (``remember``): the emulator has no real identities.
"""

from __future__ import annotations

from .errors import SenderNotVerified
from .ports import Deps, Item, Update


def identities(prof: Item) -> list[str]:
    found = [(prof.get("sender") or "").strip(), *sorted(prof.get("identities") or ())]
    return [i for i in dict.fromkeys(found) if i]


def covers(identity: str, address: str) -> bool:
    """An address identity covers that address; a domain identity every address at it."""
    identity, address = identity.casefold(), address.casefold()
    return address == identity if "@" in identity else address.endswith("@" + identity)


def mail_from(prof: Item) -> tuple[str, str]:
    """(From address, display name: the Company Name, one line). Raises
    ``SenderNotVerified`` when the Sender Email is not the tenant's to send from."""
    name = " ".join(str(prof.get("company_name") or "").split())[:100]  # never CR/LF
    wanted = (prof.get("sender_email") or "").strip()
    known = identities(prof)
    if not wanted:
        own = (prof.get("sender") or "").strip()
        if not own:
            raise SenderNotVerified("the tenant has no sender identity and Settings has no "
                                    "Sender Email: set Sender Email", "Sender Email")
        return (own if "@" in own else f"reminders@{own}"), name
    if any(covers(i, wanted) for i in known):
        return wanted, name
    raise SenderNotVerified(
        f"Settings: Sender Email {wanted} is not a verified sender of this tenant (its SES "
        f"identities: {', '.join(known) or 'none'}); nothing was sent. Set Sender Email to an "
        f"address at one of them, or have {wanted} or its domain verified in SES for this "
        "tenant (docs/deploy.md), then sync the workbook and send again", "Sender Email")


def remember(deps: Deps, tenant: str, pk: str, sender_email: str | None) -> None:
    """On an emulated SES only: verify the Sender Email a synced workbook names and add it to
    the tenant's identities, so the local stack and the tests send from it."""
    if not (deps.config.emulated_ses and sender_email):
        return
    deps.mailer.verify_identity(sender_email)
    deps.store.update(Update(pk, "PROFILE", add={"identities": {sender_email}}))
