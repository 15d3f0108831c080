"""The debtor's own page over HTTP (docs/debtor-page.md): ``GET /p/{token}`` shows it,
``POST /p/{token}`` takes one of its forms (promise, dispute, plan, message) and answers
303 back to the page. Server-rendered HTML (Jinja2, autoescape on), no JavaScript, one inline
stylesheet allowed by its hash in a strict Content-Security-Policy.

A forged, expired or revoked token, and anything unforeseen about one, answers ``GONE``: the
same 404 body and headers whichever it was. ``GET /p/{token}/statement?kind=&currency=``
downloads the customer's statement as a PDF (open items, or the last three months'
activity), by the same token rules, as an attachment that is never cached.
``DELETE /v1/customers/{customer}/links`` (API key) is the controller's revocation."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import logging
from pathlib import Path
from urllib.parse import parse_qs

from chalice import Blueprint, Response

from ..bootstrap import current
from .auth import api_key_auth
from .debtor_text import LOCALES, TEXT, language
from .http import cors

log = logging.getLogger(__name__)
bp = Blueprint(__name__)

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "debtor"
CSS = (TEMPLATES / "page.css").read_text(encoding="utf-8")
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": (f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}
PDF_HEADERS = {
    **{k: v for k, v in HEADERS.items() if k != "Content-Security-Policy"},
    "Content-Type": "application/pdf",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
}
FORMS = ("promise", "dispute", "plan", "message")
MAX_FORM_BYTES = 16_000


@functools.lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                       autoescape=select_autoescape(default=True, default_for_string=True))


def _html(name: str, status: int, extra: dict[str, str] | None = None, **values) -> Response:
    body = _env().get_template(name).render(css=CSS, **values)
    return Response(body=body, status_code=status, headers={**HEADERS, **(extra or {})})


def _gone() -> Response:
    return _html("gone.html", 404, lang="en", title="Page not found",
                 message="This link does not work. Links expire, and a newer reminder "
                         "replaces the link of an earlier one: use the link in your latest "
                         "reminder, or reply to it. / Dieser Link ist nicht gültig. / Ce "
                         "lien n'est pas valide.")


def _limited() -> Response:
    return _html("gone.html", 429, {"Retry-After": "600"}, lang="en",
                 title="Too many requests",
                 message="Too many requests from here: try again in a few minutes.")


def _address() -> str:
    ctx = bp.current_request.context or {}
    return str((ctx.get("identity") or {}).get("sourceIp") or "unknown")


def _open(token: str):
    """(deps, link) of a valid, not rate-limited token; else the Response to give."""
    from ..services import links

    deps = current()
    if not links.address_allowed(deps, _address()):
        return deps, _limited()
    link = links.resolve(deps, token)
    if link is None:
        return deps, _gone()
    if not links.token_allowed(deps, link):
        return deps, _limited()
    return deps, link


def _guarded(fn):
    """No traceback and no hint: an error on the page is a plain 503 page."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception:
            log.exception("debtor page failed")
            return _html("gone.html", 503, {"Retry-After": "30"}, lang="en",
                         title="Try again shortly",
                         message="The page could not be shown just now: try again shortly.")

    return wrapper


def _render(deps, link, pg, status: int = 200, done: str = "", error: dict | None = None,
            form_values: dict | None = None) -> Response:
    from babel.dates import format_date
    from babel.numbers import format_currency, format_decimal

    from ..services import debtor, links

    lang = language(pg.language)
    loc = LOCALES[lang]
    t = TEXT[lang]
    return _html(
        "page.html", status, lang=lang, t=t, page=pg,
        title=t["title"].format(company=pg.company), done=done if done in FORMS else "",
        token=(bp.current_request.uri_params or {}).get("token", ""),
        error=error, form_values=form_values or {},
        csrf_tokens={f: links.csrf_token(deps, link, f) for f in FORMS},
        reasons=debtor.DISPUTE_REASONS, plan_min=debtor.PLAN_MIN, plan_max=debtor.PLAN_MAX,
        max_promise=pg.today + dt.timedelta(days=debtor.PROMISE_MAX_DAYS),
        max_start=pg.today + dt.timedelta(days=62),
        money=lambda x, ccy: format_currency(x, ccy, locale=loc),
        amount=lambda e: (format_currency(e.amount or 0, e.currency, locale=loc) if e.currency
                          else format_decimal(e.amount or 0, format="#,##0.00", locale=loc)),
        day=lambda d: format_date(d, format="medium", locale=loc))


@bp.route("/p/{token}", methods=["GET"])
@_guarded
def show(token: str):
    from ..services import debtor

    deps, link = _open(token)
    if isinstance(link, Response):
        return link
    done = (bp.current_request.query_params or {}).get("done", "")
    return _render(deps, link, debtor.page(deps, link), done=done)


@bp.route("/p/{token}/statement", methods=["GET"])
@_guarded
def statement(token: str):
    from ..services import debtor

    deps, link = _open(token)
    if isinstance(link, Response):
        return link
    params = bp.current_request.query_params or {}
    found = debtor.statement_document(deps, link, params.get("kind", "open-items"),
                                      params.get("currency", ""))
    if found is None:
        return _gone()
    data, name = found  # the name is made of letters, digits, '.', '_' and '-' only
    return Response(body=data, status_code=200, headers={
        **PDF_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})


def _form() -> dict[str, str]:
    raw = bp.current_request.raw_body or b""
    if len(raw) > MAX_FORM_BYTES:
        raise ValueError("the form is too large")
    fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True,
                      max_num_fields=20)
    return {k: v[0] for k, v in fields.items()}


def _act(deps, link, pg, values: dict[str, str]) -> None:
    """Apply one form; raises ``Invalid`` (or ValueError) naming what is wrong."""
    from ..services import debtor

    form = values.get("form")
    if form == "promise":
        debtor.promise(deps, link, pg, float(values.get("amount") or "nan"),
                       dt.date.fromisoformat(values.get("date") or ""))
    elif form == "dispute":
        debtor.dispute(deps, link, pg, values.get("invoice", ""), values.get("reason", ""),
                       values.get("text", "")[:1500])
    elif form == "plan":
        debtor.plan(deps, link, pg, int(values.get("instalments") or 0),
                    values.get("currency", ""), dt.date.fromisoformat(values.get("start")
                                                                      or ""))
    else:
        debtor.message(deps, link, values.get("message", "")[:2000])


@bp.route("/p/{token}", methods=["POST"],
          content_types=["application/x-www-form-urlencoded"])
@_guarded
def act(token: str):
    from ..services import debtor, links
    from ..services.errors import Erased, Invalid

    deps, link = _open(token)
    if isinstance(link, Response):
        return link
    try:
        values = _form()
    except ValueError:
        values = {}
    form = values.get("form", "")
    if form not in FORMS or not links.csrf_ok(deps, link, form, values.get("csrf")):
        return _html("gone.html", 403, lang="en", title="Form expired",
                     message="This form has expired: open the page again and resend it.")
    pg = debtor.page(deps, link)
    try:
        _act(deps, link, pg, values)
    except Erased:  # erased since the link was read: the same 404 as a link that is gone
        return _gone()
    except (Invalid, ValueError) as exc:
        message = exc.message if isinstance(exc, Invalid) else "a value is missing or not valid"
        keep = {k: values.get(k, "") for k in ("amount", "date")}
        return _render(deps, link, pg, 422, error={"form": form, "message": message},
                       form_values=keep)
    return Response(body="", status_code=303,
                    headers={**HEADERS, "Location": f"{token}?done={form}"})


@bp.route("/v1/customers/{customer}/links", methods=["DELETE"], authorizer=api_key_auth,
          api_key_required=True, cors=cors())  # the key: from the authorizer (usage plan)
def revoke(customer: str):
    from ..services import links
    from .http import path_value, respond, view

    @view
    def run():
        ctx = (bp.current_request.context or {}).get("authorizer") or {}
        tenant = ctx.get("tenant")
        if not tenant:
            from .http import ApiError

            raise ApiError(401, "unauthorized", "an API key is needed")
        from creditdesk.api.models import LinksOut

        key = path_value(customer, "customer")
        return respond(LinksOut(customer=key, revoked=links.revoke(current(), tenant, key)))

    return run()
