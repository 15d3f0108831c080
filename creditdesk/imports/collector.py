"""The cyclic garbage collector paused while an export is read, parsed and merged (and
while a report command builds and writes its documents: ``cli.main._run_report``).

Reading 100,000 lines makes some 100,000 row lists and as many items, table rows and issues;
every 700 of them the collector runs, and every so often it walks every one of them (a few
tenths of a second each time, once the sheet is in memory), looking for reference cycles
that none of them form. Reference counting frees them as before; the collector is switched
back on (if it was on) when the step ends, and catches up then.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
