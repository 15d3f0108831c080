"""Each tenant's API Gateway key in the API's usage plan (the stack's output ``UsagePlanId``),
so the plan's throttle and monthly quota apply per tenant: the authorizer names the key by
its value (``tenancy.usage_key``) and API Gateway counts the request against it. Operator
side only: ``backend tenant create|plan|delete`` call these with the shell's credentials."""

from __future__ import annotations

from typing import Any


def key_name(tenant: str) -> str:
    return f"creditdesk-{tenant}"


def _keys(apigw: Any, tenant: str) -> list[dict[str, Any]]:
    found = apigw.get_api_keys(nameQuery=key_name(tenant), limit=500).get("items", [])
    return [k for k in found if k.get("name") == key_name(tenant)]


def register(apigw: Any, plan_id: str, tenant: str, usage_key: str) -> str:
    """The tenant's key (made if missing) in the plan; its id. Safe to run again."""
    keys = _keys(apigw, tenant)
    if keys:
        key_id = keys[0]["id"]
    else:
        key_id = apigw.create_api_key(name=key_name(tenant), value=usage_key, enabled=True,
                                      description="Creditdesk tenant (usage plan only: not "
                                      "a credential)")["id"]
    on_plan = {k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan_id, limit=500).get(
        "items", [])}
    if key_id not in on_plan:
        apigw.create_usage_plan_key(usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")
    return key_id


def unregister(apigw: Any, tenant: str) -> int:
    """Delete the tenant's key (which takes it off the plan); how many were deleted."""
    keys = _keys(apigw, tenant)
    for k in keys:
        apigw.delete_api_key(apiKey=k["id"])
    return len(keys)
