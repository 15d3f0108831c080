"""The import contract of the project (docs/architecture.md), read from the code's own imports.

Every ``import`` and ``from ... import`` counts, at module level or inside a function: a cycle
hidden in a function is still a cycle, and a forbidden import inside a function still ships.
Each rule names the file and line at fault. ``test_the_checks_can_fail`` shows that each rule
catches a violation written for it.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Where each importable name of the project lives (package root -> folder on disk).
PACKAGES = {
    "creditdesk": ROOT / "creditdesk",
    "creditdesk_addin": ROOT / "addin" / "creditdesk_addin",
    "devkit": ROOT / "devkit",
    "backend": ROOT / "backend",
    "chalicelib": ROOT / "backend" / "chalicelib",
    "bench": ROOT / "bench",
    "infra": ROOT / "infra",
    "workbook_templates": ROOT / "workbook_templates",
}
PRODUCT = ("creditdesk", "creditdesk_addin", "chalicelib")
# What the rules may import besides the standard library (email-validator is pydantic's
# e-mail extra; babel formats a reminder's dates and money in the customer's language).
DOMAIN_THIRD_PARTY = {"numpy", "pydantic", "email_validator", "babel"}
# The creditdesk subpackages and what each may import of the project.
LAYERS = {
    "creditdesk.domain": {"creditdesk.domain"},
    "creditdesk.analysis": {"creditdesk.domain", "creditdesk.analysis"},
    "creditdesk.api": {"creditdesk.domain", "creditdesk.api"},
    # PDFs rendered as bytes (fpdf2): what the Lambda may import to mail and serve them
    "creditdesk.documents": {"creditdesk.domain", "creditdesk.analysis", "creditdesk.documents"},
    "creditdesk.files": {"creditdesk.domain", "creditdesk.analysis", "creditdesk.documents",
                         "creditdesk.files", "creditdesk.imports"},
    "creditdesk.imports": {"creditdesk.domain", "creditdesk.imports"},
    "creditdesk.app": {"creditdesk.domain", "creditdesk.analysis", "creditdesk.documents",
                       "creditdesk.files", "creditdesk.imports", "creditdesk.api",
                       "creditdesk.app"},
}
# Third-party packages a layer must not import (it runs where they are absent: xlwings Lite
# has no file libraries, the Lambda has no xlwings).
FORBIDDEN_THIRD_PARTY = {
    "creditdesk.app": {"xlwings"},
    "creditdesk.analysis": {"xlwings", "python_calamine", "xlsxwriter", "httpx"},
    "creditdesk.imports": {"xlwings", "python_calamine", "xlsxwriter", "httpx"},
    # the Lambda imports the documents: no workbook library, no xlwings, no HTTP client
    "creditdesk.documents": {"xlwings", "python_calamine", "xlsxwriter", "openpyxl", "httpx"},
    "creditdesk.api.models": {"httpx", "xlwings"},
    "creditdesk_addin": {"python_calamine", "xlsxwriter"},
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (or name under a module)
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} imports {self.target}"


def module_name(path: Path) -> str | None:
    for root, folder in sorted(PACKAGES.items(), key=lambda kv: -len(kv[1].parts)):
        if path.is_relative_to(folder):
            parts = [root, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            return ".".join(parts)
    return None


def project_files() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for folder in PACKAGES.values():
        for path in sorted(folder.rglob("*.py")):
            if any(p in {"__pycache__", "vendor", ".chalice"} for p in path.parts):
                continue
            name = module_name(path)
            # backend/chalicelib is both backend.chalicelib and chalicelib: one name.
            if name and not name.startswith("backend.chalicelib"):
                out.setdefault(name, path)
    return out


def imports_of(name: str, path: Path, source: str | None = None) -> list[Import]:
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [Import(name, a.name, path, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            out += [Import(name, f"{mod}.{a.name}", path, node.lineno) for a in node.names]
    return out


def resolve(target: str, modules: dict[str, Path]) -> str | None:
    """The project module an import loads: ``a.b.c`` is module a.b.c, or the name c of a.b."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def graph(modules: dict[str, Path], extra: dict[str, str] | None = None
          ) -> dict[str, list[Import]]:
    out = {}
    for name, path in modules.items():
        src = (extra or {}).get(name)
        out[name] = imports_of(name, path, src)
    return out


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


# ---------------------------------------------------------------------------------------
# The rules: each returns the offending imports (empty: the rule holds).


def domain_purity(g: dict[str, list[Import]], modules: dict[str, Path]) -> list[str]:
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    bad = []
    for src, imps in g.items():
        if not within(src, "creditdesk.domain"):
            continue
        for imp in imps:
            root = imp.target.split(".")[0]
            mod = resolve(imp.target, modules)
            if mod is not None:
                if not within(mod, "creditdesk.domain"):
                    bad.append(f"{imp} (the domain imports nothing of the rest of the project)")
            elif root not in stdlib and root not in DOMAIN_THIRD_PARTY:
                bad.append(f"{imp} (the domain imports only the standard library, "
                           f"{', '.join(sorted(DOMAIN_THIRD_PARTY))})")
    return bad


def layers(g: dict[str, list[Import]], modules: dict[str, Path]) -> list[str]:
    bad = []
    for src, imps in g.items():
        for imp in imps:
            mod = resolve(imp.target, modules)
            if mod is None:
                for layer, banned in FORBIDDEN_THIRD_PARTY.items():
                    if within(src, layer) and imp.target.split(".")[0] in banned:
                        bad.append(f"{imp} ({layer} runs where {imp.target.split('.')[0]} "
                                   "is absent)")
                continue
            for layer, allowed in LAYERS.items():
                if within(src, layer) and within(mod, "creditdesk") and mod != "creditdesk" \
                        and not any(within(mod, a) for a in allowed):
                    bad.append(f"{imp} ({layer} may import only {', '.join(sorted(allowed))})")
            if any(within(src, p) for p in PRODUCT) and mod.split(".")[0] in {
                    "devkit", "backend", "bench", "infra", "workbook_templates"}:
                bad.append(f"{imp} (product code imports no development or operator tool)")
            if within(src, "creditdesk") and within(mod, "creditdesk_addin"):
                bad.append(f"{imp} (the creditdesk package never imports the add-in)")
            if within(src, "creditdesk") and not within(src, "creditdesk.cli") \
                    and within(mod, "creditdesk.cli"):
                bad.append(f"{imp} (only the CLI's own modules import the CLI)")
            if within(src, "devkit") and within(mod, "creditdesk.cli"):
                bad.append(f"{imp} (the demo uses the application layer, not the CLI)")
            if within(src, "creditdesk_addin") and within(mod, "creditdesk.cli"):
                bad.append(f"{imp} (the add-in does not go through the CLI)")
            if within(src, "chalicelib") and (within(mod, "creditdesk.cli")
                                              or within(mod, "creditdesk.files")
                                              or mod == "creditdesk.api.client"):
                bad.append(f"{imp} (the Lambda ships no CLI, file writer or client)")
    return bad


def cycles(g: dict[str, list[Import]], modules: dict[str, Path]) -> list[str]:
    """Import cycles between project modules (Tarjan's strongly connected components)."""
    edges = {n: sorted({m for i in imps if (m := resolve(i.target, modules)) and m != n})
             for n, imps in g.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    out = []
    for comp in found:
        ties = [str(i) for n in comp for i in g[n] if resolve(i.target, modules) in comp
                and resolve(i.target, modules) != n]
        out.append(f"cycle {' <-> '.join(comp)}: " + "; ".join(ties))
    return out


def no_test_doubles(modules: dict[str, Path], sources: dict[str, str] | None = None
                    ) -> list[str]:
    bad = []
    for name, path in modules.items():
        if not any(within(name, p) for p in PRODUCT):
            continue
        src = (sources or {}).get(name)
        tree = ast.parse(src if src is not None else path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name.lstrip("_").startswith(
                    ("Fake", "Stub", "Mock", "Dummy")):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} defines {node.name} "
                           "(test doubles live in tests/)")
    return bad


RULES = {"domain_purity": domain_purity, "layers": layers, "cycles": cycles}


@pytest.fixture(scope="module")
def project():
    modules = project_files()
    return modules, graph(modules)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_import_contract_holds(project, rule):
    modules, g = project
    problems = RULES[rule](g, modules)
    assert not problems, "\n".join(problems)


def test_no_test_double_lives_in_product_code(project):
    modules, _ = project
    problems = no_test_doubles(modules)
    assert not problems, "\n".join(problems)


def test_the_walk_sees_the_whole_project(project):
    modules, g = project
    for expected in ("creditdesk.domain.ledger", "creditdesk.cli.main",
                     "creditdesk_addin.scripts", "devkit.demo", "chalicelib"):
        assert expected in modules
    # Imports inside functions count: the CLI imports the analysis only when it runs.
    cli = {resolve(i.target, modules) for i in g["creditdesk.cli.main"]}
    assert "creditdesk.analysis.report" in cli or any(
        m and m.startswith("creditdesk.analysis") for m in cli)


VIOLATIONS = {
    "domain_purity": ("creditdesk.domain.ageing", "def f():\n    import xlwings\n"),
    "layers": ("creditdesk.domain.kpis", "def f():\n    from creditdesk.files import xlsx_read\n"),
    "cycles": ("creditdesk.domain.cells", "def f():\n    from creditdesk.domain import ledger\n"),
}


@pytest.mark.parametrize("rule", sorted(VIOLATIONS))
def test_the_checks_can_fail(project, rule):
    modules, _ = project
    name, source = VIOLATIONS[rule]
    original = modules[name].read_text(encoding="utf-8")
    bad = graph(modules, {name: original + "\n\n" + source})
    assert RULES[rule](bad, modules), f"{rule} did not catch a violation"


def test_the_test_double_check_can_fail(project):
    modules, _ = project
    source = modules["creditdesk.domain.ageing"].read_text(encoding="utf-8")
    assert no_test_doubles(modules, {"creditdesk.domain.ageing":
                                     source + "\n\nclass FakeStore:\n    pass\n"})
