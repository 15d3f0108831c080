"""The backend's dependency rule, read from the source (AST: every import statement, at
module level or inside a function, and ``importlib.import_module("...")`` with a literal):

- the service layer (``chalicelib/services/``) imports neither Chalice, nor the AWS SDK, nor
  Powertools, nor any adapter, entry point or the composition root, directly or through
  another module of ``chalicelib``;
- the adapters import no entry point and not Chalice;
- nothing in the Lambda package (``app.py``, ``chalicelib/``) imports the operator tools
  (``backend/ops``), ``infra``, the tests, ``devkit``, ``bench`` or moto, nor the parts of
  ``creditdesk`` that are not packaged into the Lambda (the CLI, the file reader and writer,
  the HTTP client).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "backend"

SERVICE_FORBIDDEN_PACKAGES = ("chalicelib.adapters", "chalicelib.entry", "chalicelib.bootstrap")
SERVICE_FORBIDDEN_LIBRARIES = {"chalice", "boto3", "botocore", "aws_lambda_powertools"}
ADAPTER_FORBIDDEN_PACKAGES = ("chalicelib.entry",)
ADAPTER_FORBIDDEN_LIBRARIES = {"chalice"}
LAMBDA_FORBIDDEN = ("backend", "ops", "infra", "tests", "devkit", "bench", "moto",
                    "creditdesk.cli", "creditdesk.files", "creditdesk.api.client")


def modules(root: Path) -> dict[str, Path]:
    """``app`` and every module of ``chalicelib`` under ``root``, by dotted name."""
    out = {"app": root / "app.py"} if (root / "app.py").exists() else {}
    for path in sorted((root / "chalicelib").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def imported(name: str, path: Path) -> set[str]:
    """The dotted names ``path`` (module ``name``) imports, relative imports resolved; for
    ``from X import y``, both ``X`` and ``X.y`` (``y`` may be a submodule)."""
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.add(node.args[0].value)
    return out


def graph(root: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(edges between the app's own modules, including the packages an import runs;
    every name each module imports)."""
    mods = modules(root)
    names = {m: imported(m, p) for m, p in mods.items()}
    edges: dict[str, set[str]] = {}
    for m, imps in names.items():
        targets = set()
        for imp in imps:
            parts = imp.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b too
                if ".".join(parts[:i]) in mods:
                    targets.add(".".join(parts[:i]))
        edges[m] = targets - {m}
    return edges, names


def reach(edges: dict[str, set[str]], start: str) -> dict[str, list[str]]:
    """Every module ``start`` imports, directly or through others: the chain to each."""
    paths = {start: [start]}
    todo = [start]
    while todo:
        m = todo.pop()
        for n in sorted(edges.get(m, ())):
            if n not in paths:
                paths[n] = [*paths[m], n]
                todo.append(n)
    return paths


def violations(root: Path) -> list[str]:
    edges, names = graph(root)
    found = []

    def check(module: str, packages: tuple[str, ...], libraries: Iterable[str]) -> None:
        for m, chain in reach(edges, module).items():
            how = " -> ".join(chain)
            if m != module and _within(m, packages):
                found.append(f"{module} imports {m} ({how})")
            for imp in sorted(names[m]):
                if _within(imp, libraries):
                    found.append(f"{module} imports {imp} ({how})")

    for module in edges:
        if _within(module, ("chalicelib.services",)):
            check(module, SERVICE_FORBIDDEN_PACKAGES, SERVICE_FORBIDDEN_LIBRARIES)
        elif _within(module, ("chalicelib.adapters",)):
            check(module, ADAPTER_FORBIDDEN_PACKAGES, ADAPTER_FORBIDDEN_LIBRARIES)
        check(module, (), LAMBDA_FORBIDDEN)
    return sorted(set(found))


def test_the_backend_keeps_its_dependency_rule():
    assert modules(BACKEND).keys() >= {"app", "chalicelib.services.batches",
                                       "chalicelib.adapters.dynamo", "chalicelib.entry.routes"}
    assert violations(BACKEND) == []


def test_the_rule_is_broken_by_an_import_inside_a_function_through_another_module(tmp_path):
    files = {
        "app.py": "from chalicelib.entry import routes\n",
        "chalicelib/__init__.py": "",
        "chalicelib/config.py": "import os\n",
        "chalicelib/helpers.py": "def h():\n    from .adapters import dynamo\n",
        "chalicelib/entry/__init__.py": "",
        "chalicelib/entry/routes.py": "import chalice\nfrom ..services import bad, ok\n",
        "chalicelib/services/__init__.py": "",
        "chalicelib/services/ok.py": "from .. import config\nfrom . import errors\n",
        "chalicelib/services/errors.py": "",
        "chalicelib/services/bad.py": "def f():\n    from .. import helpers\n",
        "chalicelib/services/worse.py": "import importlib\n"
                                        "importlib.import_module('chalice.app')\n",
        "chalicelib/adapters/__init__.py": "",
        "chalicelib/adapters/dynamo.py": "import boto3\nfrom backend.ops import local\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = violations(tmp_path)
    assert ("chalicelib.services.bad imports chalicelib.adapters.dynamo (chalicelib.services."
            "bad -> chalicelib.helpers -> chalicelib.adapters.dynamo)") in found
    assert any(f.startswith("chalicelib.services.bad imports boto3") for f in found)
    assert any(f.startswith("chalicelib.services.worse imports chalice.app") for f in found)
    assert any(f.startswith("chalicelib.adapters.dynamo imports backend.ops") for f in found)
    assert any(f.startswith("app imports backend.ops") for f in found)
    assert not any(f.startswith("chalicelib.services.ok ") for f in found)
    assert not any(f.startswith("chalicelib.entry.routes imports chalice ") for f in found)


def test_the_lambda_package_vendors_the_domain_modules_the_handlers_import_and_no_others():
    from backend.ops.package import lambda_modules

    modules = lambda_modules()
    # imported inside functions only (a cold start never loads them): still found
    assert {"creditdesk.analysis.report", "creditdesk.domain.ledger",
            "creditdesk.domain.emails", "creditdesk.api.models"} <= set(modules)
    assert {"creditdesk", "creditdesk.analysis", "creditdesk.api",
            "creditdesk.domain"} <= set(modules)  # the packages they are in
    assert not [m for m in modules if m.startswith(("creditdesk.cli", "creditdesk.files"))
                or m == "creditdesk.api.client"]
