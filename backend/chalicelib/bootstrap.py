"""The composition root: ``bootstrap()`` wires the real adapters into the ``Deps`` the service
layer takes (lazily: no AWS client is made until one is used); tests pass fakes for any port,
or install a whole set for the handlers with ``use()``. The entry points get theirs from
``current()``. The only module that imports both the services and the adapters."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from . import config as _config
from .services.ports import Clock, Deps, Idempotency, Mailer, Queue, Store

__all__ = ["Deps", "bootstrap", "current", "use"]


def bootstrap(store: Store | None = None, mailer: Mailer | None = None,
              queue: Queue | None = None, clock: Clock | None = None,
              idempotency: Idempotency | None = None,
              config: _config.Config | None = None) -> Deps:
    # imported here: the handlers' module import (a cold start) stays free of the adapters
    from .adapters.clock import SystemClock
    from .adapters.dynamo import DynamoStore
    from .adapters.idempotency import PowertoolsIdempotency
    from .adapters.ses import SesMailer
    from .adapters.sqs import SqsQueue

    cfg = config or _config.load()
    return Deps(
        store=store or DynamoStore(cfg.table, cfg.bucket),
        mailer=mailer or SesMailer(cfg.configuration_set, cfg.outbox, cfg.ses_quota),
        queue=queue or SqsQueue({"send": cfg.send_queue, "work": cfg.work_queue}),
        clock=clock or SystemClock(),
        idempotency=idempotency or PowertoolsIdempotency(cfg.table),
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
