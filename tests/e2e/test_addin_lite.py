"""`creditdesk addin lite --url` against the local stack (`creditdesk backend serve`, over
HTTP): the files it writes name the wheel the backend serves, and that address answers as
xlwings Lite's micropip needs it: 200, the wheel, application/zip, CORS on GET and on the
browser's preflight, no key; the same through the `creditdesk` command's plugin."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from creditdesk_addin import lite as generator
from devkit.supervisor import LocalBackend

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "https://addin.xlwings.org"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with LocalBackend(tmp_path_factory.mktemp("outbox"), timeout=120) as b:
        yield b


def _wheel_url(requirements: Path) -> str:
    (url,) = [ln for ln in requirements.read_text().splitlines() if ln.endswith(".whl")]
    return url


def test_the_module_writes_files_whose_wheel_answers_with_cors(stack, tmp_path):
    r = subprocess.run([sys.executable, "-m", "creditdesk_addin.lite", "--url", stack.url,
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=120,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "main.py").read_text() == generator.main_py()
    url = _wheel_url(tmp_path / "requirements.txt")
    assert url.startswith(stack.url + "/v1/addin/wheels/")
    assert url.endswith("/creditdesk-0.1.0-py3-none-any.whl")
    assert "YOUR-SERVER" not in (tmp_path / "requirements.txt").read_text()

    got = httpx.get(url, headers={"Origin": ORIGIN, "Accept": "*/*"}, timeout=30)
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/zip"
    assert got.headers["access-control-allow-origin"] == ORIGIN
    assert "immutable" in got.headers["cache-control"]
    assert f"/{hashlib.sha256(got.content).hexdigest()}/" in url  # the content's hash
    with zipfile.ZipFile(io.BytesIO(got.content)) as z:
        names = z.namelist()
    assert {"creditdesk_addin/scripts.py", "creditdesk/domain/ledger.py"} <= set(names)

    pre = httpx.options(url, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
                        timeout=30)
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == ORIGIN
    assert "GET" in pre.headers["access-control-allow-methods"]


def test_the_creditdesk_command_runs_it_through_its_plugin(stack, tmp_path, monkeypatch,
                                                          capsys):
    """What pyproject's `addin = ...` entry point does, installed: the CLI loads the
    declared register function (the only plugin it is shown)."""
    import importlib.metadata as md
    import tomllib

    from creditdesk.cli import main as cli

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "entry-points"]["creditdesk.commands"]
    installed = md.EntryPoints([md.EntryPoint("addin", declared["addin"],
                                              "creditdesk.commands")])
    real = md.entry_points
    monkeypatch.setattr(md, "entry_points", lambda **kw: installed if kw.get(
        "group") == "creditdesk.commands" else real(**kw))
    assert cli.main(["addin", "lite", "--url", stack.url, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"Wrote {tmp_path / 'requirements.txt'}" in out
    assert httpx.get(_wheel_url(tmp_path / "requirements.txt"), timeout=30).status_code == 200


def test_a_wheel_address_that_is_not_served_answers_404_naming_the_right_one(stack):
    info = httpx.get(stack.url + "/v1/addin", timeout=30).json()
    stale = f"{stack.url}/v1/addin/wheels/{'0' * 64}/{info['filename']}"
    r = httpx.get(stale, headers={"Origin": ORIGIN}, timeout=30)
    assert r.status_code == 404
    assert info["path"] in r.json()["message"]
    assert r.headers["access-control-allow-origin"] == ORIGIN


def test_an_unreachable_backend_is_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "creditdesk_addin.lite", "--url",
                        "http://127.0.0.1:9", "--out", str(tmp_path)], capture_output=True,
                       text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 2
    assert r.stderr.startswith("creditdesk addin lite: cannot reach the Creditdesk backend")
    assert "Traceback" not in r.stderr and not (tmp_path / "requirements.txt").exists()
