"""The backend project as the operator tools see it: where it is, and its app loaded the way
the ``chalice`` command loads it.

Chalice's layout puts ``app.py`` and ``chalicelib/`` at the top of the Lambda package, so the
app imports ``chalicelib`` as a top-level package. Chalice's own loader
(``CLIFactory(project_dir).load_chalice_app()``) puts the project directory on the import
path to do the same; after ``load_app()``, ``import chalicelib`` works here too. (pytest has
``backend`` in its ``pythonpath`` setting for the same reason.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

BACKEND_DIR = Path(__file__).resolve().parents[1]
ROOT = BACKEND_DIR.parent


def load_app() -> Any:
    """The Chalice app (``backend/app.py``'s ``app``), imported once per process."""
    from chalice.cli.factory import CLIFactory

    return CLIFactory(str(BACKEND_DIR)).load_chalice_app()
