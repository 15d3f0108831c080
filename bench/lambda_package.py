"""Benchmark: the Lambda package: the size of its zip and the cold import of its handler.

Builds the package as ``creditdesk backend package`` does (or takes one already built with
``--from DIR``), unpacks it as Lambda would see it (``backend.ops.package.lambda_tree``: the
zip, plus the runtime's boto3 and the layer's numpy), and times ``import app`` in fresh
``python -S`` processes. Baseline, in the same run and from the same tree: a minimal Chalice
app (one route) importing Chalice alone. Also timed: ``creditdesk.api.models`` alone (the domain's
part of the handler's import).

    .venv/bin/python -m bench.lambda_package                 # package, then 15 imports each
    .venv/bin/python -m bench.lambda_package --write-docs    # and update docs/performance.md
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from backend.ops.package import ZIP_BUDGET, import_seconds, lambda_tree, package
from bench.benchlib import machine, s, table, write_docs

MINIMAL_APP = '''from chalice import Chalice

app = Chalice(app_name="minimal")


@app.route("/")
def index():
    return {}
'''
TARGET = 0.5  # seconds (BRIEF §5)


def first_request(path: str) -> str:
    """A statement answering one API Gateway (REST, proxy) request through the handler, as
    Lambda calls it; ``path`` needs no AWS call and no key."""
    event = {"resource": path, "path": path, "httpMethod": "GET",
             "headers": {"Accept": "application/json"},
             "multiValueHeaders": {"Accept": ["application/json"]},
             "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": None, "stageVariables": None, "body": None,
             "isBase64Encoded": False,
             "requestContext": {"resourcePath": path, "httpMethod": "GET", "stage": "api",
                                "requestId": "bench", "identity": {"sourceIp": "127.0.0.1"}}}
    return (f"r = app.app({event!r}, None)\n"
            "assert r['statusCode'] == 200, r")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="built", type=Path,
                    help="a folder written by 'creditdesk backend package' (default: build one)")
    ap.add_argument("--repeat", type=int, default=15, help="fresh processes per module")
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = args.built or Path(tmp) / "package"
        if args.built is None:
            print("packaging (chalice package; the first run fetches Lambda wheels) ...",
                  flush=True)
            package(out)
        zip_path = out / "deployment.zip"
        zip_bytes = zip_path.stat().st_size
        task, runtime = lambda_tree(zip_path, Path(tmp) / "lambda")
        (task / "minimal_app.py").write_text(MINIMAL_APP)
        runs = {"app": ("app", ""), "first": ("app", first_request("/v1/openapi.json")),
                "minimal_app": ("minimal_app", ""),
                "creditdesk.api.models": ("creditdesk.api.models", "")}
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeat):  # interleaved, so load on the machine hits all alike
            for name, (module, then) in runs.items():
                times[name].append(import_seconds(module, task, runtime, then))

    med = {m: statistics.median(t) for m, t in times.items()}
    rows = [
        ["`import app` (the handler module: every route and handler)", s(min(times["app"])),
         s(med["app"]), s(max(times["app"])), f"{med['app'] / med['minimal_app']:.1f}x"],
        ["`import app` and its first request (`GET /v1/openapi.json`: loads the API "
         "contract)", s(min(times["first"])), s(med["first"]), s(max(times["first"])),
         f"{med['first'] / med['minimal_app']:.1f}x"],
        ["baseline: a minimal Chalice app (one route)", s(min(times["minimal_app"])),
         s(med["minimal_app"]), s(max(times["minimal_app"])), "1x"],
        ["`import creditdesk.api.models` alone (the API contract)",
         s(min(times["creditdesk.api.models"])),
         s(med["creditdesk.api.models"]), s(max(times["creditdesk.api.models"])),
         f"{med['creditdesk.api.models'] / med['minimal_app']:.1f}x"],
    ]
    verdict = "met" if med["first"] < TARGET and zip_bytes < ZIP_BUDGET else "NOT met"
    body = "\n".join([
        "Measured by `bench/lambda_package.py` (the zip from `creditdesk backend package`, "
        f"unpacked; {args.repeat} fresh `python -S` processes per module, interleaved):",
        "",
        *machine(load=True),
        "",
        table(["import, cold", "min", "median", "max", "vs baseline"], rows),
        "",
        f"`deployment.zip`: {zip_bytes / 1024 / 1024:.1f} MB (budget "
        f"{ZIP_BUDGET / 1024 / 1024:.0f} MB). Cold import of the handler: median "
        f"{s(med['app'])}; with the first request, which loads the API contract the handler "
        f"defers: {s(med['first'])} (target {s(TARGET)}, held to the larger). Both: "
        f"{verdict}.",
    ])
    print(body)
    if args.write_docs:
        write_docs("package", body)
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    raise SystemExit(main())
