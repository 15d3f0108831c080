"""The API key authorizer (a Chalice built-in authorizer: its own small Lambda).

``Authorization: Bearer <api key>`` resolves the tenant and the key's id and label, which
the routes read from the authorizer context (the audit trail names the key by them); a
missing header is refused by API Gateway (401), an unknown key gets an empty policy (403).
The result is cached by API Gateway for five minutes per key. A known tenant's answer names
its usage-plan key (``usageIdentifierKey``).
"""

from __future__ import annotations

import logging

from chalice import AuthResponse, Blueprint

from ..bootstrap import current
from ..services import tenancy

log = logging.getLogger(__name__)
bp = Blueprint(__name__)


@bp.authorizer(ttl_seconds=300)
def api_key_auth(auth_request):
    try:  # a malformed key is refused without building the adapters
        who = (tenancy.authenticate_key(current(), auth_request.token)
               if tenancy.key_tenant(auth_request.token) else None)
    except Exception:  # storage unreachable: refuse rather than fail open
        log.exception("authorizer could not check the key")
        who = None
    if who is None:
        return AuthResponse(routes=[], principal_id="anonymous")
    tenant = who["tenant"]
    # the key id and label (never the key) name who made a change in the audit trail
    return TenantAuthResponse(routes=["*"], principal_id=tenant, context=who,
                              usage_key=tenancy.usage_key(tenant))


class TenantAuthResponse(AuthResponse):
    """Chalice's answer plus ``usageIdentifierKey``: the tenant's API Gateway key, so the
    usage plan's throttle and quota apply per tenant (the API's key source is AUTHORIZER)."""

    def __init__(self, *, usage_key: str, **kw):
        super().__init__(**kw)
        self.usage_key = usage_key

    def to_dict(self, request):
        return {**super().to_dict(request), "usageIdentifierKey": self.usage_key}
