"""A WSGI face on the Chalice app (through Chalice's local API Gateway), so schemathesis and the
client-side tests (``tests.support.backend``) can call it in process: authorizer, routing, CORS
and errors as ``chalice.test.Client`` has them. A server's ``RAW_URI`` (the path as sent,
escapes kept) is used when there is one, so ``%2F`` in a customer id stays part of the id."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import quote


def wsgi(app: Any) -> Any:
    from chalice.config import Config
    from chalice.local import LocalGateway, LocalGatewayException

    gateway = LocalGateway(app, Config.create())

    def application(environ: dict, start_response: Any) -> list[bytes]:
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(
            environ.get("PATH_INFO", "/"), safe="/%")
        if "?" not in path and environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
                   if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            r = gateway.handle_request(environ["REQUEST_METHOD"], path, headers, body)
            status, out_headers = r["statusCode"], dict(r.get("headers") or {})
            data = r.get("body") or ""
            if r.get("isBase64Encoded"):
                import base64

                payload = base64.b64decode(data)
            else:
                payload = data.encode() if isinstance(data, str) else data
        except LocalGatewayException as e:
            status, out_headers, payload = e.CODE, dict(e.headers), e.body or b""
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        start_response(f"{status} {reason}", [(k, str(v)) for k, v in out_headers.items()])
        return [payload]

    return application
