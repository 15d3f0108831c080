"""Fixtures for every suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def backend_app(tmp_path: Path) -> Iterator:
    """The real backend app in process on a fresh moto (``tests.support.backend``)."""
    from tests.support.backend import backend_in_process

    with backend_in_process(tmp_path / "outbox") as b:
        yield b
