"""xlwings Lite's Python, checked as far as this machine allows: numpy and pydantic-core have
no Pyodide wheels outside the Pyodide distribution (whose CDN tests cannot reach), so the whole
add-in cannot run here in Pyodide; what can be checked is:

- every requirement of the Lite ``requirements.txt``, and what each needs in turn, is in the
  Pyodide distribution (its lock file, shipped in the ``pyodide`` npm package) or installs as a
  pure-Python wheel;
- in real Pyodide under Node.js: the HTTP transport (``pyodide_http``) reaches the local stack
  through ``XMLHttpRequest`` (a synchronous stand-in: Node has none) and answers as httpx
  should, and xlwings' engine builds a book from an Office.js payload with serial-number dates,
  reads a table and queues its writes."""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

from creditdesk_addin import lite as generator
from devkit.officejs import empty_payload, sheet_entry, table_entry
from tests.addin import pyodide_env

ROOT = Path(__file__).resolve().parents[2]
WHEEL = "https://api.example/v1/addin/wheels/x/creditdesk-0.1.0-py3-none-any.whl"
# Pyodide's environment for requirement markers
PYODIDE_ENV = {**default_environment(), "sys_platform": "emscripten",
               "platform_system": "Emscripten", "python_version": "3.13",
               "platform_machine": "wasm32"}
# xlwings' only compiled module: optional (xlwings' own py3-none-any wheel on PyPI has none);
# the Pyodide run below imports xlwings without it
OPTIONAL_COMPILED = {"xlwings": re.compile(r"^xlwings/xlwingslib\..*")}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _creditdesk_requirements() -> list[Requirement]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"]]


@pytest.fixture(scope="module")
def pyodide():
    return pyodide_env.pyodide_dir()


def test_every_lite_requirement_is_in_pyodide_or_a_pure_python_wheel(pyodide):
    packages = {_norm(n): p for n, p in pyodide_env.lock(pyodide)["packages"].items()}
    lines = [ln for ln in generator.requirements_txt(WHEEL).splitlines()
             if ln and not ln.startswith("#")]
    todo = [Requirement(ln) for ln in lines if not ln.endswith(".whl")]
    todo += _creditdesk_requirements()  # what the wheel (the URL line) asks for
    seen: dict[str, str] = {}
    problems = []
    while todo:
        req = todo.pop()
        name = _norm(req.name)
        if name in seen or (req.marker and not req.marker.evaluate(PYODIDE_ENV)):
            continue
        if name in packages:
            seen[name] = "pyodide"
            todo += [Requirement(d) for d in packages[name].get("depends", [])
                     if _norm(d) not in packages or _norm(d) not in seen]
            continue
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            problems.append(f"{req}: neither in Pyodide nor installed here to check")
            continue
        compiled = [f for f in pyodide_env.compiled_files(req.name)
                    if not (name in OPTIONAL_COMPILED and OPTIONAL_COMPILED[name].match(f))]
        if compiled:
            problems.append(f"{req}: not in Pyodide and not pure Python ({compiled[0]})")
        seen[name] = "pure"
        todo += [Requirement(r) for r in dist.requires or ()
                 if not (Requirement(r).marker and "extra" in str(Requirement(r).marker))]
    assert not problems, "\n".join(problems)
    assert seen["numpy"] == seen["pydantic"] == seen["pydantic-core"] == "pyodide"
    assert seen["tzdata"] == "pyodide"
    assert {seen[n] for n in ("email-validator", "dnspython", "tenacity", "xlwings")} == {
        "pure"}


RUNNER = r"""
import { loadPyodide } from "PYODIDE/pyodide.mjs";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

// XMLHttpRequest as a browser's main thread has it, synchronous only (Node has none): each
// send() is done by a child Node process with fetch; the page's origin is xlwings Lite's.
const ORIGIN = "https://addin.xlwings.org";
class XMLHttpRequest {
  constructor() { this.status = 0; this.responseText = ""; this._h = {}; this._all = ""; }
  open(method, url, isAsync) { this._m = method; this._u = url; this._sync = isAsync === false; }
  set timeout(v) {
    if (this._sync) {
      throw new DOMException("Timeouts cannot be set for synchronous requests made from a " +
                             "document.", "InvalidAccessError");
    }
  }
  setRequestHeader(name, value) { this._h[name] = value; }
  send(body) {
    const child = `const [m, u, h, b] = JSON.parse(process.argv[1]);
      fetch(u, {method: m, headers: h, body: b ?? undefined}).then(async (r) => {
        const hs = []; r.headers.forEach((v, k) => hs.push(k + ": " + v));
        process.stdout.write(JSON.stringify({status: r.status, headers: hs.join("\\r\\n"),
                                             body: await r.text()}));
      }).catch((e) => process.stdout.write(JSON.stringify({error: String(e)})));`;
    const out = JSON.parse(execFileSync(process.execPath,
      ["-e", child, JSON.stringify([this._m, this._u, {...this._h, Origin: ORIGIN}, body])],
      {timeout: 30000}));
    if (out.error) throw new DOMException("Failed to execute 'send': " + out.error,
                                          "NetworkError");
    this.status = out.status; this.responseText = out.body; this._all = out.headers;
  }
  getAllResponseHeaders() { return this._all; }
}
globalThis.XMLHttpRequest = XMLHttpRequest;

const [wheels, files, code] = JSON.parse(readFileSync(process.argv[2], "utf8"));
const py = await loadPyodide({ indexURL: "PYODIDE/" });
await py.loadPackage(wheels, { messageCallback: () => {} });
py.FS.mkdirTree("/home/pyodide/creditdesk_addin");
for (const [path, text] of Object.entries(files)) py.FS.writeFile(path, text);
try {
  process.stdout.write("RESULT " + py.runPython(code) + "\n");
} catch (e) {  // a PythonError's message is its traceback
  process.stderr.write(String(e.message).slice(-4000) + "\n");
  process.exit(1);
}
"""

CODE = r"""
import os, sys, json
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"  # xlwings Lite brings its own
import httpx
import xlwings as xw
from creditdesk_addin.pyodide_http import XHRTransport

out = {"platform": sys.platform, "xlwings": xw.__version__}
with httpx.Client(transport=XHRTransport()) as c:  # the browser adds the Origin
    r = c.get(URL + "/v1/addin")
    out["status"], out["info"] = r.status_code, r.json()
    out["cors"] = r.headers.get("access-control-allow-origin")
    out["missing"] = c.get(URL + "/v1/addin/wheels/" + "0" * 64 + "/x.whl").status_code
try:
    httpx.Client(transport=XHRTransport()).get("http://127.0.0.1:9/")
except httpx.ConnectError as exc:
    out["refused"] = str(exc)
book = xw.Book(json=PAYLOAD)
sheet = book.sheets["Invoices"]
out["table"] = sheet.tables["Invoices"].range.raw_value
out["used"] = sheet.used_range.address
sheet["E1"].value = [["Checked"], ["yes"], ["no"]]
out["actions"] = book.json()["actions"]
json.dumps(out)
"""


@pytest.mark.slow
def test_the_http_transport_and_xlwings_run_in_real_pyodide(pyodide, tmp_path):
    from devkit.supervisor import LocalBackend

    if not shutil.which("node"):
        pytest.skip("Node.js is needed to run Pyodide")
    wheels = [pyodide_env.repack(d, tmp_path) for d in (
        "httpx", "httpcore", "h11", "anyio", "certifi", "idna",
        "typing_extensions")]
    wheels.append(pyodide_env.repack("xlwings", tmp_path, drop_compiled=True))
    addin = ROOT / "addin" / "creditdesk_addin"
    files = {f"/home/pyodide/creditdesk_addin/{n}": (addin / n).read_text()
             for n in ("__init__.py", "pyodide_http.py")}
    payload = empty_payload("book.xlsx")
    values = [["Invoice", "Due Date", "Amount"], ["I1", 46203, 1000], ["I2", 46234, 250.5]]
    payload["sheets"] = [sheet_entry("Invoices", values,
                                     [table_entry("Invoices", 1, 1, 3, 3,
                                                  columns=values[0])])]
    runner = tmp_path / "run.mjs"
    runner.write_text(RUNNER.replace("PYODIDE", str(pyodide)))
    with LocalBackend(tmp_path / "outbox", timeout=120) as stack:
        code = (f"URL = {stack.url!r}\nORIGIN = 'https://addin.xlwings.org'\n"
                f"PAYLOAD = __import__('json').loads({json.dumps(payload)!r})\n" + CODE)
        args = tmp_path / "args.json"
        args.write_text(json.dumps([[str(w) for w in wheels], files, code]))
        r = subprocess.run(["node", str(runner), str(args)], capture_output=True, text=True,
                           timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.split("RESULT ", 1)[1])
    assert out["platform"] == "emscripten" and out["xlwings"] == "0.37.8"
    assert out["status"] == 200 and out["cors"] == "https://addin.xlwings.org"
    assert out["info"]["filename"] == "creditdesk-0.1.0-py3-none-any.whl"
    assert out["missing"] == 404
    assert "no answer from 127.0.0.1" in out["refused"]
    assert out["table"] == values and out["used"] == "$A$1:$C$3"
    (action,) = out["actions"]
    assert (action["func"], action["values"], action["start_column"]) == (
        "setValues", [["Checked"], ["yes"], ["no"]], 4)
