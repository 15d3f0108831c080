"""The add-in's wheel for xlwings Lite, served by the backend itself (no key: xlwings Lite's
micropip fetches it as a browser ``fetch`` from the add-in's origin, with CORS):

- ``GET /v1/addin``: what is served (``AddinWheelOut``: version, file name, SHA-256, size and
  the wheel's path); ``creditdesk addin lite --url`` asks this to write ``requirements.txt``.
- ``GET /v1/addin/wheels/<sha256>/<filename>``: the wheel itself, ``application/zip``, cached
  for a year as immutable; any other hash or name is a 404 that names the wheel served now.

Both answer ``OPTIONS`` preflights and carry ``Access-Control-Allow-Origin`` for the add-in's
origin (``CREDITDESK_CORS_ORIGIN``), like every route."""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import config as _config
from .http import ApiError, cors, respond, view

bp = Blueprint(__name__)
CORS = cors()
IMMUTABLE = "public, max-age=31536000, immutable"


def _wheel():
    from ..adapters.wheel import WheelError, packaged_wheel

    try:
        return packaged_wheel(_config.load().addin_wheel_dir)
    except WheelError as exc:
        raise ApiError(404, "not_found", str(exc)) from None


@bp.route("/v1/addin", methods=["GET"], cors=CORS)
@view
def addin_wheel_info():
    from creditdesk.api.models import AddinWheelOut

    from ..adapters.wheel import CONTENT_TYPE

    w = _wheel()
    out = AddinWheelOut(version=w.version, filename=w.filename, sha256=w.sha256, size=w.size,
                        path=w.url_path, content_type=CONTENT_TYPE)
    return respond(out, headers={"Cache-Control": "no-cache"})


@bp.route("/v1/addin/wheels/{sha256}/{filename}", methods=["GET"], cors=CORS)
@view
def addin_wheel(sha256: str, filename: str):
    from ..adapters.wheel import CONTENT_TYPE

    w = _wheel()
    if (sha256, filename) != (w.sha256, w.filename):
        raise ApiError(404, "not_found", f"this backend serves {w.filename} at {w.url_path}, "
                       "not this one: generate requirements.txt again with "
                       "'creditdesk addin lite --url <backend address>'", "path")
    return Response(body=w.read(), status_code=200, headers={
        "Content-Type": CONTENT_TYPE, "Cache-Control": IMMUTABLE, "ETag": f'"{w.sha256}"',
        "Content-Disposition": f'attachment; filename="{w.filename}"',
        "X-Content-Type-Options": "nosniff"})
