"""The add-in's wheel, served by the API to xlwings Lite: public, immutable, CORS, the right
content type; a stale or made-up path is a 404 that names the wheel served now."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from chalicelib.adapters.wheel import WheelError, packaged_wheel

ORIGIN = "https://addin.xlwings.org"


def _wheel_bytes(version: str = "0.1.0") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("creditdesk/__init__.py", f"__version__ = {version!r}\n")
        z.writestr(f"creditdesk-{version}.dist-info/WHEEL", "Wheel-Version: 1.0\n")
    return buf.getvalue()


@pytest.fixture
def wheel_dir(tmp_path, monkeypatch):
    folder = tmp_path / "addin-wheel"
    folder.mkdir()
    (folder / "creditdesk-0.1.0-py3-none-any.whl").write_bytes(_wheel_bytes())
    monkeypatch.setenv("CREDITDESK_ADDIN_WHEEL_DIR", str(folder))
    return folder


def test_the_wheel_is_described_without_a_key(client, wheel_dir):
    r = client.http.get("/v1/addin", headers={"Origin": ORIGIN})
    assert r.status_code == 200
    info = json.loads(r.body)
    data = (wheel_dir / "creditdesk-0.1.0-py3-none-any.whl").read_bytes()
    assert info["version"] == "0.1.0"
    assert info["filename"] == "creditdesk-0.1.0-py3-none-any.whl"
    assert info["sha256"] == hashlib.sha256(data).hexdigest() and info["size"] == len(data)
    assert info["path"] == f"/v1/addin/wheels/{info['sha256']}/{info['filename']}"
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_the_wheel_answers_its_bytes_as_a_zip_immutable_with_cors(client, wheel_dir):
    info = json.loads(client.http.get("/v1/addin").body)
    r = client.http.get(info["path"], headers={"Accept": "*/*", "Origin": ORIGIN})
    assert r.status_code == 200
    assert r.body == (wheel_dir / info["filename"]).read_bytes()
    assert r.headers["Content-Type"] == "application/zip"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers["ETag"] == f'"{info["sha256"]}"'
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN


@pytest.mark.parametrize("path", [
    "/v1/addin/wheels/{other}/creditdesk-0.1.0-py3-none-any.whl",
    "/v1/addin/wheels/{sha256}/creditdesk-0.0.9-py3-none-any.whl",
])
def test_another_hash_or_version_is_a_404_naming_the_wheel_served(client, wheel_dir, path):
    info = json.loads(client.http.get("/v1/addin").body)
    r = client.http.get(path.format(other="0" * 64, sha256=info["sha256"]),
                        headers={"Accept": "*/*"})
    assert r.status_code == 404
    err = json.loads(r.body)
    assert err["error"] == "not_found" and info["path"] in err["message"]


def test_a_backend_packaged_without_the_wheel_says_so(client, tmp_path, monkeypatch):
    monkeypatch.setenv("CREDITDESK_ADDIN_WHEEL_DIR", str(tmp_path / "none"))
    r = client.http.get("/v1/addin")
    assert r.status_code == 404
    assert "packaged without the add-in's wheel" in json.loads(r.body)["message"]


def test_a_changed_wheel_gets_a_new_url(tmp_path):
    path = tmp_path / "creditdesk-0.1.0-py3-none-any.whl"
    path.write_bytes(_wheel_bytes())
    first = packaged_wheel(tmp_path)
    path.write_bytes(_wheel_bytes() + b"\0")
    second = packaged_wheel(tmp_path)
    assert first.url_path != second.url_path
    assert second.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_wheels_in_the_folder_are_refused(tmp_path):
    for v in ("0.1.0", "0.2.0"):
        (tmp_path / f"creditdesk-{v}-py3-none-any.whl").write_bytes(_wheel_bytes(v))
    with pytest.raises(WheelError, match="more than one"):
        packaged_wheel(tmp_path)
