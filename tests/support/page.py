"""The debtor's page as a debtor uses it, over HTTP against the app in process
(``tests.support.backend``): a link issued for a customer, the page read, a form posted."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import httpx


def ask_for_a_plan(backend: Any, tenant: str, customer: str, instalments: int,
                   start: dt.date, currency: str = "EUR") -> None:
    """The customer opens a fresh link to their page and asks for a plan."""
    from chalicelib.bootstrap import bootstrap
    from chalicelib.services import links

    token = links.issue(bootstrap(), tenant, customer, "batch-1")
    with httpx.Client(base_url=backend.url, transport=backend.transport()) as web:
        page = web.get(f"/p/{token}")
        assert page.status_code == 200, page.text
        form = re.search(r'<form[^>]*>(?:(?!</form>).)*name="form" value="plan".*?</form>',
                         page.text, re.S)[0]
        csrf = html.unescape(re.search(r'name="csrf" value="([^"]+)"', form)[1])
        r = web.post(f"/p/{token}", data={"form": "plan", "instalments": str(instalments),
                                          "currency": currency, "start": start.isoformat(),
                                          "csrf": csrf})
        assert r.status_code == 303, r.text
