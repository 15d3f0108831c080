"""``creditdesk backend package OUTDIR``: the deployable CloudFormation (SAM) template and zip.

Steps, in a build copy of the app (``build/backend/``, so ``backend/`` stays as it is):

1. ``app.py``, ``chalicelib/`` and ``.chalice/config.json`` are copied; ``requirements.txt``
   is copied without what Lambda already has (boto3, botocore, s3transfer) and what the numpy
   layer brings (numpy), so the zip stays under 15 MB;
2. the domain package is built as a wheel and unpacked into ``vendor/`` (the route Chalice
   documents for packages it should not fetch from PyPI);
3. ``chalice package`` runs once to name the functions, ``infra/merge_template.py`` builds the
   merge template from its output and ``ops/resources.py``, and ``chalice package
   --merge-template`` writes ``sam.json`` and ``deployment.zip`` into OUTDIR (with the merge
   template beside them, for review).

Chalice fetches the Lambda (manylinux) builds of the requirements from PyPI on the first run;
later runs reuse its cache in ``build/backend/.chalice/deployments``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from infra import merge_template

from .project import BACKEND_DIR, ROOT

BUILD_DIR = ROOT / "build" / "backend"
PROVIDED = {"boto3", "botocore", "s3transfer", "numpy"}  # the runtime, or the numpy layer
ZIP_BUDGET = 15 * 1024 * 1024
PLACEHOLDER_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "*", "Resource": "*"}]}  # replaced by the merge template


class PackageError(RuntimeError):
    pass


def _requirement_name(line: str) -> str:
    m = re.match(r"\s*([A-Za-z0-9_.-]+)", line)
    return re.sub(r"[-_.]+", "-", m[1]).lower() if m else ""


def filtered_requirements(text: str) -> tuple[str, list[str]]:
    """requirements.txt without what Lambda or the layer provides; and what was left out."""
    kept, dropped = [], []
    for line in text.splitlines():
        name = _requirement_name(line.split("#", 1)[0])
        if name in PROVIDED:
            dropped.append(name)
            kept.append(f"# {line}  (provided by the Lambda runtime or the numpy layer)")
        else:
            kept.append(line)
    return "\n".join(kept) + "\n", dropped


def _copy_app(build: Path, stage: str) -> list[str]:
    build.mkdir(parents=True, exist_ok=True)
    for name in ("app.py", "requirements.txt"):
        if not (BACKEND_DIR / name).exists():
            raise PackageError(f"backend/{name} is missing")
    for old in ("app.py", "requirements.txt", "chalicelib", "vendor"):
        p = build / old
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    shutil.copy2(BACKEND_DIR / "app.py", build / "app.py")
    shutil.copytree(BACKEND_DIR / "chalicelib", build / "chalicelib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    reqs, dropped = filtered_requirements((BACKEND_DIR / "requirements.txt").read_text())
    (build / "requirements.txt").write_text(reqs)
    chalice_dir = build / ".chalice"
    chalice_dir.mkdir(exist_ok=True)
    config = json.loads((BACKEND_DIR / ".chalice" / "config.json").read_text())
    if stage not in config.get("stages", {}):
        raise PackageError(f"the stage '{stage}' is not in backend/.chalice/config.json "
                           f"(stages there: {', '.join(config.get('stages', {})) or 'none'})")
    (chalice_dir / "config.json").write_text(json.dumps(config, indent=2))
    policy = config.get("stages", {}).get(stage, {}).get("iam_policy_file") or config.get(
        "iam_policy_file") or f"policy-{stage}.json"
    src_policy = BACKEND_DIR / ".chalice" / policy
    (chalice_dir / policy).write_text(src_policy.read_text() if src_policy.exists()
                                      else json.dumps(PLACEHOLDER_POLICY, indent=2))
    return dropped


def _vendor_domain(build: Path) -> str:
    """Build the project's wheel and unpack the domain package (only) into vendor/."""
    vendor = build / "vendor"
    vendor.mkdir()
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                            "--wheel-dir", tmp, str(ROOT)], capture_output=True, text=True)
        wheels = list(Path(tmp).glob("creditdesk-*.whl"))
        if r.returncode != 0 or not wheels:
            raise PackageError("building the creditdesk wheel failed: "
                               + (r.stderr.strip().splitlines() or ["no wheel"])[-1])
        with zipfile.ZipFile(wheels[0]) as z:
            for name in z.namelist():
                top = name.split("/", 1)[0]
                if top == "creditdesk" or (top.startswith("creditdesk-")
                                           and top.endswith(".dist-info")):
                    z.extract(name, vendor)
        return wheels[0].name


def _chalice(build: Path, out: Path, stage: str, region: str, merge: Path | None) -> None:
    env = {**os.environ, "AWS_DEFAULT_REGION": region}
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        env.pop(var, None)
    args = [sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())",
            "--project-dir", str(build), "package", "--stage", stage]
    if merge is not None:
        args += ["--merge-template", str(merge)]
    r = subprocess.run([*args, str(out)], capture_output=True, text=True, env=env, cwd=build)
    if r.returncode != 0:
        lines = (r.stderr or r.stdout).strip().splitlines()
        raise PackageError("chalice package failed: " + (lines[-1] if lines else "?"))


def package(outdir: Path | str, *, stage: str = "dev", region: str | None = None,
            build_dir: Path | None = None) -> dict[str, Any]:
    """Write ``sam.json``, ``deployment.zip`` and ``merge-template.json`` into ``outdir``."""
    from . import resources

    outdir = Path(outdir).resolve()
    region = region or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-2"
    build = (build_dir or BUILD_DIR).resolve()
    dropped = _copy_app(build, stage)
    wheel = _vendor_domain(build)
    with tempfile.TemporaryDirectory() as first:
        _chalice(build, Path(first) / "out", stage, region, None)
        chalice_template = json.loads((Path(first) / "out" / "sam.json").read_text())
    merge = merge_template.build(chalice_template, resources.cloudformation(),
                                 resources.iam_statements())
    merge_path = build / "merge-template.json"
    merge_path.write_text(json.dumps(merge, indent=2) + "\n")
    if outdir.exists():
        for name in ("sam.json", "deployment.zip", "merge-template.json"):
            (outdir / name).unlink(missing_ok=True)
    _chalice(build, outdir, stage, region, merge_path)
    shutil.copy2(merge_path, outdir / "merge-template.json")
    zip_path = outdir / "deployment.zip"
    size = zip_path.stat().st_size
    return {"template": str(outdir / "sam.json"), "zip": str(zip_path), "zip_bytes": size,
            "zip_within_budget": size < ZIP_BUDGET, "stage": stage, "region": region,
            "domain_wheel": wheel, "left_out": dropped,
            "layer_parameter": merge_template.LAYER_PARAMETER}


def lambda_tree(zip_path: Path | str, dest: Path | str) -> tuple[Path, Path]:
    """What a Lambda function sees, on this machine: the zip unpacked into ``dest/task``, and
    ``dest/runtime`` standing in for what Lambda adds (the runtime's boto3, the layer's numpy,
    linked from this environment). Import from both with ``python -S`` to keep this
    environment's site-packages out. Returns (task, runtime)."""
    import numpy

    site = Path(numpy.__file__).resolve().parents[1]
    dest = Path(dest)
    task, runtime = dest / "task", dest / "runtime"
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(task)
    runtime.mkdir(parents=True, exist_ok=True)
    for name in ("numpy", "numpy.libs", "boto3", "botocore", "s3transfer", "urllib3",
                 "jmespath", "dateutil", "six.py"):
        if (site / name).exists() and not (runtime / name).exists():
            (runtime / name).symlink_to(site / name)
    return task, runtime


def import_seconds(module: str, task: Path, runtime: Path, then: str = "") -> float:
    """Seconds to import ``module`` (and run the statement ``then``, if given) in a fresh
    ``python -S`` from the Lambda tree."""
    code = "\n".join(["import time", "t = time.perf_counter()", f"import {module}", then,
                      "print(time.perf_counter() - t)"])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(task), str(runtime)))}
    r = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                       timeout=120, cwd=task, env=env)
    if r.returncode != 0:
        raise PackageError(f"import {module} failed: " + (r.stderr.strip().splitlines()
                                                           or ["?"])[-1])
    return float(r.stdout.strip().splitlines()[-1])
