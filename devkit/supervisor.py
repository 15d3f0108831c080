"""``LocalBackend``: the local stack (``creditdesk backend serve``) as a child process, started
and always stopped; the demo, the end-to-end tests and the benchmarks start the backend with
it. The stack runs as ``python -m backend.ops serve``: this package never imports backend code.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO


class BackendNotStarted(RuntimeError):
    """The local backend is not installed here, or did not come up in time."""


class LocalBackend:
    """The local stack (``creditdesk backend serve``) as a child process::

        with LocalBackend(outbox) as b:
            client = Client(b.url, b.api_key)

    ``info`` is its ready line: ``{"url", "api_key", "aws_endpoint", "outbox"}``. Always
    stopped on exit (SIGTERM, then kill after ``grace`` seconds)."""

    def __init__(self, outbox: Path, *, schedules: bool = False, timeout: float = 90.0,
                 grace: float = 20.0, extra_args: tuple[str, ...] = ()) -> None:
        self.outbox = Path(outbox)
        self.schedules = schedules
        self.timeout = timeout
        self.grace = grace
        self.extra_args = extra_args
        self.proc: subprocess.Popen | None = None
        self.info: dict[str, str] = {}
        self._log: IO[bytes] | None = None

    @staticmethod
    def available() -> bool:
        try:
            return importlib.util.find_spec("backend.ops") is not None
        except (ImportError, ValueError):
            return False

    @property
    def url(self) -> str:
        return self.info["url"]

    @property
    def api_key(self) -> str:
        return self.info["api_key"]

    def log_text(self) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")

    def start(self) -> dict[str, str]:
        if not self.available():
            raise BackendNotStarted("the backend is not installed here (pip install -e "
                                    "'.[backend,local]')")
        args = [sys.executable, "-m", "backend.ops", "serve", "--outbox", str(self.outbox),
                *([] if self.schedules else ["--no-schedule"]), *self.extra_args]
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (lives as long as the child)
            prefix="creditdesk-backend-", suffix=".log", delete=False)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._log, env=env)
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(self.timeout)
        if not line or not line[0].strip():
            log = self.log_text().strip().splitlines()
            self.stop()
            raise BackendNotStarted("the local backend did not start"
                                    + (f": {log[-1]}" if log else ""))
        self.info = json.loads(line[0])
        return self.info

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self) -> int | None:
        p, self.proc = self.proc, None
        code = None
        if p is not None:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM if hasattr(signal, "SIGTERM") else signal.SIGINT)
                try:
                    code = p.wait(self.grace)
                except subprocess.TimeoutExpired:
                    p.kill()
                    code = p.wait(10)
            else:
                code = p.returncode
            if p.stdout:
                p.stdout.close()
        if self._log is not None:
            self._log.close()
            with contextlib.suppress(OSError):
                os.unlink(self._log.name)
            self._log = None
        return code

    def __enter__(self) -> LocalBackend:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
