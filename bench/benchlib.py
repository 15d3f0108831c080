"""Shared helpers for the benchmark scripts: timing, machine facts, the docs section."""

from __future__ import annotations

import datetime as dt
import functools
import gc
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
CACHE = ROOT / "bench" / ".cache"


def pin_one_core() -> str:
    """Run this process on one core (BRIEF §5: 'on one core of a small machine')."""
    nproc()  # what `nproc` says before the pinning narrows it to one
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity on this platform)"
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[0]})
    return f"pinned to CPU {cpus[0]} of {len(cpus)}"


def timings(fn: Callable[[], object], repeat: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls after ``warmup`` untimed ones; a collection
    before each call so one run's garbage is not charged to the next."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def best_median(ts: Sequence[float]) -> tuple[float, float]:
    return min(ts), statistics.median(ts)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return m[1].strip() if m else "unknown"


@functools.cache
def nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(os.cpu_count())


def machine(pinning: str = "", *, load: bool = False) -> list[str]:
    """Lines describing where and with what the figures were measured; with ``load``, the
    load average as they are written (on a shared machine it says how far to trust them)."""
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    blas = ", ".join(f"{k}={v}" if v is not None else f"{k} not set" for k, v in env.items())
    lines = [
        f"- date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine: `nproc` = {nproc()}, CPU: {cpu_model()}, {platform.system()} "
        f"{platform.machine()}",
        f"- Python {platform.python_version()}, numpy {_version('numpy')}, "
        f"pandas {_version('pandas')}, python-calamine {_version('python-calamine')}, "
        f"xlsxwriter {_version('xlsxwriter')}",
        f"- environment: {blas} (the engine and the baseline make no BLAS calls)",
    ]
    if pinning:
        lines.append(f"- process: {pinning}")
    if load and hasattr(os, "getloadavg"):
        avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        lines.append(f"- load average (1, 5, 15 minutes) when the figures were written: {avg} "
                     f"on {nproc()} cores (every process on the machine, this run's included)")
    return lines


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (also readable on a terminal)."""
    cells = [[str(h) for h in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep, *(line(r) for r in cells[1:])])


def write_docs(marker: str, body: str, doc: Path = DOC) -> None:
    """Replace the text between ``<!-- bench:MARKER -->`` and ``<!-- /bench:MARKER -->``."""
    start, end = f"<!-- bench:{marker} -->", f"<!-- /bench:{marker} -->"
    text = doc.read_text(encoding="utf-8")
    a, b = text.find(start), text.find(end)
    if a < 0 or b < a:
        sys.exit(f"{doc}: markers {start} ... {end} not found; nothing written")
    text = text[:a + len(start)] + "\n" + body.strip("\n") + "\n" + text[b:]
    doc.write_text(text, encoding="utf-8")
    print(f"wrote the {marker} section of {doc.relative_to(ROOT)}")


def s(x: float) -> str:
    """Seconds for a table: 3 significant figures, ms below 1 s."""
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"
