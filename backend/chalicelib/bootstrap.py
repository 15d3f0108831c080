"""Wiring: ``bootstrap()`` builds the dependencies the service layer takes, with the real
adapters by default (lazily: no AWS client is made until one is used). Tests pass fakes, or
install a whole set for the handlers with ``use()``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from . import config as _config
from .ports import Clock, Mailer, Queue, Store


@dataclass
class Deps:
    store: Store
    mailer: Mailer
    queue: Queue
    clock: Clock
    config: _config.Config


def bootstrap(store: Store | None = None, mailer: Mailer | None = None,
              queue: Queue | None = None, clock: Clock | None = None,
              config: _config.Config | None = None) -> Deps:
    from .adapters import DynamoStore, SesMailer, SqsQueue, SystemClock

    cfg = config or _config.load()
    return Deps(
        store=store or DynamoStore(cfg.table, cfg.bucket),
        mailer=mailer or SesMailer(cfg.configuration_set, cfg.outbox, cfg.ses_quota),
        queue=queue or SqsQueue({"send": cfg.send_queue, "work": cfg.work_queue}),
        clock=clock or SystemClock(),
        config=cfg,
    )


_installed: Deps | None = None


def current() -> Deps:
    """What the handlers use: the installed set (tests), else real adapters for the current
    environment."""
    return _installed if _installed is not None else bootstrap()


@contextlib.contextmanager
def use(deps: Deps) -> Iterator[Deps]:
    """Make the handlers use ``deps`` inside the block."""
    global _installed
    before, _installed = _installed, deps
    try:
        yield deps
    finally:
        _installed = before
