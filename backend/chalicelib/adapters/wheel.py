"""The add-in's wheel as the Lambda package carries it (``ops/package.py`` puts it into the
folder ``addin-wheel`` at the package's root; the local stack builds one of the checkout): the
file ``GET /v1/addin/wheels/<sha256>/<filename>`` serves to xlwings Lite.

The path names the version (in the file name) and the content (its SHA-256), so the URL is
immutable: the same URL always answers the same bytes, or 404 once another wheel is packaged.
The hash is computed once per file (and again only if the file changes)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

WHEEL_NAME = re.compile(r"^creditdesk-(?P<version>[0-9][0-9A-Za-z.+!]*)-py3-none-any\.whl$")
CONTENT_TYPE = "application/zip"  # a wheel is a ZIP archive (PEP 427)
URL_PREFIX = "/v1/addin/wheels"


class WheelError(RuntimeError):
    """The folder holds no usable wheel, or more than one."""


@dataclass(frozen=True)
class Wheel:
    path: Path
    version: str
    sha256: str
    size: int

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def url_path(self) -> str:
        return f"{URL_PREFIX}/{self.sha256}/{self.filename}"

    def read(self) -> bytes:
        return self.path.read_bytes()


_known: dict[tuple[str, int, int], Wheel] = {}


def packaged_wheel(folder: str | Path) -> Wheel:
    """The one ``creditdesk-<version>-py3-none-any.whl`` in ``folder``."""
    folder = Path(folder)
    found = sorted(p for p in folder.glob("creditdesk-*.whl") if WHEEL_NAME.match(p.name)) \
        if folder.is_dir() else []
    if not found:
        raise WheelError("this backend was packaged without the add-in's wheel")
    if len(found) > 1:
        raise WheelError("the backend's wheel folder holds more than one wheel: "
                         + ", ".join(p.name for p in found))
    path = found[0]
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    wheel = _known.get(key)
    if wheel is None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        match = WHEEL_NAME.match(path.name)
        assert match is not None
        wheel = Wheel(path, match["version"], digest, st.st_size)
        _known.clear()
        _known[key] = wheel
    return wheel
