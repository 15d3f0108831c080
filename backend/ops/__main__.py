"""``python -m backend.ops serve|tenant|package ...`` (the same as ``creditdesk backend ...``)."""

from .cli import main

raise SystemExit(main())
