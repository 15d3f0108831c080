"""Real Pyodide under Node.js for the tests: the ``pyodide`` npm package, installed once into
the git-ignored ``.cache/pyodide`` of the checkout (it loads offline from there), and
pure-Python wheels made from this environment's installed distributions (the Pyodide
distribution's own wheels come from a CDN that tests cannot reach). Tests that need it skip,
saying why, where Node.js or npm is missing or the npm registry cannot be reached."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "pyodide"
PYODIDE = "0.29.3"  # npm's pyodide; its lock file lists the distribution's packages
_COMPILED = (".so", ".pyd", ".dylib", ".dll")


def pyodide_dir() -> Path:
    """The pyodide npm package's folder (installed on first use), or skip with the reason."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("Node.js and npm are needed to run Pyodide (apt-get install nodejs npm)")
    here = CACHE / "node_modules" / "pyodide"
    stamp = CACHE / f"pyodide-{PYODIDE}.ok"
    if not stamp.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        r = subprocess.run([npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund",
                            "--no-save", f"pyodide@{PYODIDE}"], capture_output=True, text=True,
                           timeout=300)
        if r.returncode != 0 or not (here / "pyodide-lock.json").exists():
            pytest.skip(f"could not install the pyodide npm package: "
                        f"{(r.stderr.strip().splitlines() or ['?'])[-1]}")
        stamp.write_text(PYODIDE)
    return here


def lock(folder: Path) -> dict:
    return json.loads((folder / "pyodide-lock.json").read_text())


def compiled_files(dist: str) -> list[str]:
    return [str(f) for f in md.distribution(dist).files or () if str(f).endswith(_COMPILED)]


def repack(dist: str, dest: Path, *, drop_compiled: bool = False) -> Path:
    """A ``py3-none-any`` wheel of an installed distribution, from its installed files (for a
    pure-Python one that is its wheel; ``drop_compiled`` leaves out optional extension
    modules, as xlwings' own py3-none-any wheel does)."""
    d = md.distribution(dist)
    name = d.metadata["Name"].replace("-", "_")
    version = d.version
    files = [f for f in d.files or () if "__pycache__" not in str(f)
             and not str(f).endswith(".pyc")]
    if not drop_compiled:
        assert not [f for f in files if str(f).endswith(_COMPILED)], f"{dist} is not pure"
    info = f"{name}-{version}.dist-info"
    wheel = dest / f"{name}-{version}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            arc = str(f)
            if arc.endswith(_COMPILED) or arc.startswith("..") or ".dist-info/" in arc:
                continue
            data = Path(f.locate()).read_bytes()
            z.writestr(arc, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            records.append(f"{arc},sha256={digest.decode()},{len(data)}")
        z.writestr(f"{info}/METADATA", d.read_text("METADATA") or "")
        z.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: creditdesk-tests\n"
                   "Root-Is-Purelib: true\nTag: py3-none-any\n")
        records += [f"{info}/METADATA,,", f"{info}/WHEEL,,", f"{info}/RECORD,,"]
        z.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
    return wheel
