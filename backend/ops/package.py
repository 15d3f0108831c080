"""``creditdesk backend package OUTDIR``: the deployable CloudFormation (SAM) template and zip.

Steps, in a build copy of the app (``build/backend/``, so ``backend/`` stays as it is):

1. ``app.py``, ``chalicelib/`` and ``.chalice/config.json`` are copied; ``requirements.txt``
   is copied without what Lambda already has (boto3, botocore, s3transfer) and what the numpy
   layer brings (numpy), so the zip stays under 15 MB;
2. the domain package is built as a wheel, and the modules of it the handlers import
   (``lambda_modules``: read from the source, imports inside functions included) are unpacked
   into ``vendor/`` (the route Chalice documents for packages it should not fetch from PyPI);
   the CLI, the file reader and writer and the HTTP client stay out; the wheel itself goes
   into ``vendor/addin-wheel/`` (the folder ``addin-wheel`` at the zip's root), from where the
   API serves it to xlwings Lite (``GET /v1/addin``; no separate server to host it);
3. ``chalice package`` runs once to name the functions, ``infra/merge_template.py`` builds the
   merge template from its output and ``ops/resources.py``, and ``chalice package
   --merge-template`` writes ``sam.json`` and ``deployment.zip`` into OUTDIR (with the merge
   template beside them, for review).

Chalice fetches the Lambda (manylinux) builds of the requirements from PyPI on the first run;
later runs reuse its cache in ``build/backend/.chalice/deployments``.
"""

from __future__ import annotations

import ast
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
# babel's CLDR data (reminders' dates and money) is kept for these languages (with their
# regional variants) and root: all of it would be 11 MB of the zip. Mail the backend computes
# in another language is formatted with British English conventions (``mail_locale`` falls
# back); the CLI and the add-in have every language.
BABEL_LANGUAGES = frozenset({"en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "fi",
                             "nb", "ga", "cy"})
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


def _imports(path: Path, name: str) -> set[str]:
    """The dotted names a module imports, anywhere in it (inside functions too), relative
    imports resolved; for ``from X import y`` both ``X`` and ``X.y``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package
                for _ in range(node.level - 1):
                    up = up.rpartition(".")[0]
                base = f"{up}.{base}" if base else up
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def _module_file(name: str, src: Path) -> Path | None:
    base = src.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def lambda_modules(app_dir: Path = BACKEND_DIR, src: Path = ROOT) -> list[str]:
    """The modules of ``creditdesk`` the handlers import: every ``creditdesk`` import in
    ``app.py`` and ``chalicelib/`` (at module level or inside a function, which a test of the
    running app would miss), and what those import in turn, with their packages. Read from
    the source, so a handler's new import is vendored without a list to keep up."""
    todo: list[str] = []
    for path in [app_dir / "app.py", *sorted((app_dir / "chalicelib").rglob("*.py"))]:
        parts = path.relative_to(app_dir).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        todo.extend(i for i in _imports(path, name) if i.split(".")[0] == "creditdesk")
    found: set[str] = set()
    while todo:
        name = todo.pop()
        if name in found or _module_file(name, src) is None:
            continue  # done already, or a name inside a module rather than a module
        found.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # its packages
        path = _module_file(name, src)
        todo.extend(i for i in _imports(path, name) if i.split(".")[0] == "creditdesk")
    return sorted(found)


def _lambda_files(modules: list[str], wheel: list[str]) -> set[str]:
    """The files (paths in the wheel) of ``modules``, and the data files of their packages
    (what the wheel has in their folders that are not packages: ``creditdesk/domain/data/``)."""
    names = set(wheel)
    files: set[str] = set()
    packages = set()
    for module in modules:
        base = module.replace(".", "/")
        if f"{base}/__init__.py" in names:
            files.add(f"{base}/__init__.py")
            packages.add(base)
        else:
            files.add(f"{base}.py")
    for name in names:
        folder, _, _ = name.rpartition("/")
        if name.endswith((".py", ".pyc")) or ".dist-info/" in name:
            continue
        while folder and f"{folder}/__init__.py" not in names:  # up to the package it is in
            folder = folder.rpartition("/")[0]
        if folder in packages:
            files.add(name)
    return files


ADDIN_WHEEL_FOLDER = "addin-wheel"  # chalicelib.config.ADDIN_WHEEL_FOLDER: the API serves it


def build_wheel(dest: Path | str) -> Path:
    """The project's wheel (``creditdesk-<version>-py3-none-any.whl``: the domain package and
    the add-in), built from the checkout into ``dest``, which holds only it afterwards."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("creditdesk-*.whl"):
        old.unlink()
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                        "--wheel-dir", str(dest), str(ROOT)], capture_output=True, text=True,
                       timeout=300)
    wheels = list(dest.glob("creditdesk-*.whl"))
    if r.returncode != 0 or len(wheels) != 1:
        raise PackageError("building the creditdesk wheel failed: "
                           + (r.stderr.strip().splitlines() or ["no wheel"])[-1])
    return wheels[0]


def _vendor_domain(build: Path) -> tuple[str, list[str]]:
    """Build the project's wheel and unpack into vendor/ only the ``creditdesk`` modules the
    handlers import (``lambda_modules``; not the CLI, the file reader and writer or the HTTP
    client), and its metadata; the wheel itself goes to ``vendor/addin-wheel/`` for the API to
    serve to xlwings Lite. Returns the wheel's name and the modules."""
    vendor = build / "vendor"
    vendor.mkdir()
    modules = lambda_modules()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(tmp)
        served = vendor / ADDIN_WHEEL_FOLDER
        served.mkdir()
        shutil.copy2(wheel, served / wheel.name)
        wheels = [wheel]
        with zipfile.ZipFile(wheels[0]) as z:
            names = z.namelist()
            wanted = _lambda_files(modules, names)
            if missing := sorted(wanted - set(names)):
                raise PackageError(f"the creditdesk wheel lacks {', '.join(missing)}")
            for name in names:
                top, _, rest = name.partition("/")
                if name in wanted:
                    z.extract(name, vendor)
                elif top.startswith("creditdesk-") and top.endswith(".dist-info"):
                    if rest == "RECORD":  # the files that are here, and only those
                        kept = [line for line in z.read(name).decode().splitlines()
                                if line.split(",", 1)[0] in wanted | {name}]
                        (vendor / top).mkdir(exist_ok=True)
                        (vendor / name).write_text("\n".join(kept) + "\n")
                    elif rest != "entry_points.txt":  # the CLI's plugins: not here
                        z.extract(name, vendor)
        return wheels[0].name, modules


def babel_unused(name: str) -> bool:
    """A file of the zip that is babel's data for a language not in ``BABEL_LANGUAGES``."""
    if not name.startswith("babel/locale-data/"):
        return False
    stem = name.rsplit("/", 1)[-1].split(".", 1)[0]
    return stem != "root" and stem.split("_", 1)[0] not in BABEL_LANGUAGES


def fonttools_unused(name: str, names: set[str]) -> bool:
    """fontTools' Cython accelerators (``*.cpython-*.so``) and their C sources (``*.c``),
    whose pure-Python module is in the zip beside them (``names``): fontTools uses that one
    when the compiled one is absent. The PDFs (fpdf2 subsetting one static TTF) hardly touch
    the outline maths they speed up; together they are 5.5 MB of the zip."""
    if not name.startswith("fontTools/") or not name.endswith((".so", ".c")):
        return False
    return name.split(".cpython-", 1)[0].removesuffix(".c") + ".py" in names


# What no handler ever reads, in any vendored package (fpdf2, fontTools and Pillow
# included): compiled caches (Lambda's file system is read-only, Python compiles in
# memory), type stubs, gettext sources (only the compiled .mo files are read), a package's own
# tests, and pip's file list of an installed distribution (RECORD: read by ``pip uninstall``
# only; METADATA, entry points and licences stay).
_NEVER_READ_SUFFIXES = (".pyc", ".pyo", ".pyi", ".po", ".pot")
_NEVER_READ_FOLDERS = frozenset({"__pycache__", "tests", "test"})


def never_read(name: str) -> bool:
    """A file of the zip no handler reads, whatever package it belongs to (see above)."""
    if name.endswith("/"):
        return False
    parts = name.split("/")
    if parts[0] in ("chalicelib",):  # the app's own code is as written
        return False
    if parts[0].endswith(".dist-info"):
        return parts[-1] == "RECORD"
    return (name.endswith(_NEVER_READ_SUFFIXES)
            or any(p in _NEVER_READ_FOLDERS for p in parts[1:-1]))


# Parts of vendored packages no handler imports, each with the reason (a prefix of the paths
# in the zip; a distribution's metadata goes with its package).
NOT_IMPORTED: dict[str, str] = {
    "dns/": "dnspython: email-validator imports it only to look up a domain's mail servers "
            "(check_deliverability=True); the app checks an address's syntax only",
    "dnspython-": "dnspython's metadata",
    **{f"aws_lambda_powertools/{part}/": "Powertools: the app uses its idempotency utility only "
       "(adapters/idempotency.py); its other utilities, the event handler (Chalice routes), "
       "are never imported (its logging and metrics are, by the idempotency utility)"
       for part in ("event_handler", "utilities/data_classes",
                    "utilities/parser", "utilities/auth_alpha", "utilities/parameters",
                    "utilities/circuit_breaker", "utilities/feature_flags",
                    "utilities/kafka", "utilities/batch", "utilities/data_masking",
                    "utilities/streaming", "utilities/validation")},
    "PIL/": "Pillow: fpdf2 imports it only to embed raster images and runs without it (its "
            "ImportError is caught); the statements hold text and lines only",
    "pillow-": "Pillow's metadata",
    "pillow.libs/": "Pillow's bundled image codecs",
    **{f"fontTools/{part}": "fontTools: parts neither fpdf2's font subsetting nor its TrueType "
       "reading imports (traced on the statement PDFs in every document language)"
       for part in ("ufoLib/", "voltLib/", "merge/", "cu2qu/", "qu2cu/", "mtiLib/",
                    "fontBuilder.py", "diff.py", "t1Lib/", "ttx.py", "tfmLib.py", "afmLib.py",
                    "help.py", "__main__.py")},
    "babel/messages/": "babel's message-catalogue tools (extract, compile); dates and amounts "
                       "are formatted by babel.dates and babel.numbers",
    # what the Lambda Python runtime has already, as botocore's dependencies (like boto3)
    "dateutil/": "python-dateutil (for holidays): in the Lambda runtime, with botocore",
    "python_dateutil-": "python-dateutil's metadata",
    "jmespath/": "jmespath (for Powertools): in the Lambda runtime, with botocore",
    "jmespath-": "jmespath's metadata",
    "six.py": "six (for python-dateutil): in the Lambda runtime, with botocore",
    "six-": "six's metadata",
}


def not_imported(name: str) -> bool:
    """A file of a vendored package's part that ``NOT_IMPORTED`` names."""
    return name.startswith(tuple(NOT_IMPORTED))


def holidays_languages() -> dict[str, str]:
    """Per country or market code of ``holidays``: its default language. The backend asks
    only for dates (``business_days``), in that language: the holiday names' translations
    into every other language (``holidays/locale/<lang>/LC_MESSAGES/<code>.mo``) are never
    read."""
    import importlib

    from holidays.registry import COUNTRIES, FINANCIAL

    out: dict[str, str] = {}
    for group, registry in (("countries", COUNTRIES), ("financial", FINANCIAL)):
        for module, (cls, code, *_rest) in registry.items():
            entity = getattr(importlib.import_module(f"holidays.{group}.{module}"), cls)
            lang = getattr(entity, "default_language", None)
            if lang:
                out[code] = lang
    return out


def holidays_unused(name: str, languages: dict[str, str]) -> bool:
    """A translation of holiday names into a language other than its country's default."""
    m = re.fullmatch(r"holidays/locale/([^/]+)/LC_MESSAGES/([^/]+)\.mo", name)
    return bool(m) and languages.get(m[2]) not in (None, m[1])


def _prune_zip(zip_path: Path) -> dict[str, int]:
    """Rewrite the zip without what no handler reads: babel's data for other languages,
    holiday names in other languages, fontTools' compiled accelerators (``fonttools_unused``),
    ``never_read`` files and the ``NOT_IMPORTED`` parts of packages. Returns how many files of
    each kind were left out."""
    kept = zip_path.with_name(zip_path.name + ".tmp")
    dropped = {"fonttools": 0, "babel": 0, "holidays": 0, "never_read": 0, "not_imported": 0}
    languages = holidays_languages()
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(kept, "w") as dst:
        names = set(src.namelist())
        for info in src.infolist():
            why = ("fonttools" if fonttools_unused(info.filename, names)
                   else "babel" if babel_unused(info.filename)
                   else "holidays" if holidays_unused(info.filename, languages)
                   else "never_read" if never_read(info.filename)
                   else "not_imported" if not_imported(info.filename) else "")
            if why:
                dropped[why] += 1
                continue
            dst.writestr(info, src.read(info), compress_type=zipfile.ZIP_DEFLATED,
                         compresslevel=9)
    kept.replace(zip_path)
    return dropped


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


def _cors_origin(chalice_template: dict[str, Any]) -> str | None:
    """The stage's CREDITDESK_CORS_ORIGIN, as Chalice gave it to the API's function."""
    for fn in merge_template.functions(chalice_template).values():
        env = (fn["Properties"].get("Environment") or {}).get("Variables") or {}
        if isinstance(env.get("CREDITDESK_CORS_ORIGIN"), str):
            return env["CREDITDESK_CORS_ORIGIN"]
    return None


def package(outdir: Path | str, *, stage: str = "dev", region: str | None = None,
            build_dir: Path | None = None) -> dict[str, Any]:
    """Write ``sam.json``, ``deployment.zip`` and ``merge-template.json`` into ``outdir``."""
    from . import resources

    outdir = Path(outdir).resolve()
    region = region or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-2"
    build = (build_dir or BUILD_DIR).resolve()
    dropped = _copy_app(build, stage)
    wheel, modules = _vendor_domain(build)
    with tempfile.TemporaryDirectory() as first:
        _chalice(build, Path(first) / "out", stage, region, None)
        chalice_template = json.loads((Path(first) / "out" / "sam.json").read_text())
    merge = merge_template.build(chalice_template,
                                 resources.cloudformation(_cors_origin(chalice_template)))
    merge_path = build / "merge-template.json"
    merge_path.write_text(json.dumps(merge, indent=2) + "\n")
    if outdir.exists():
        for name in ("sam.json", "deployment.zip", "merge-template.json"):
            (outdir / name).unlink(missing_ok=True)
    _chalice(build, outdir, stage, region, merge_path)
    shutil.copy2(merge_path, outdir / "merge-template.json")
    zip_path = outdir / "deployment.zip"
    pruned = _prune_zip(zip_path)
    size = zip_path.stat().st_size
    return {"template": str(outdir / "sam.json"), "zip": str(zip_path), "zip_bytes": size,
            "zip_within_budget": size < ZIP_BUDGET, "stage": stage, "region": region,
            "domain_wheel": wheel, "addin_wheel": f"{ADDIN_WHEEL_FOLDER}/{wheel}",
            "domain_modules": modules, "left_out": dropped, "babel_files_left_out": pruned["babel"],
            "holidays_files_left_out": pruned["holidays"],
            "fonttools_files_left_out": pruned["fonttools"],
            "never_read_files_left_out": pruned["never_read"],
            "not_imported_files_left_out": pruned["not_imported"],
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
