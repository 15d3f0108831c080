"""A VBA project (``xl/vbaProject.bin``) written without Excel, as [MS-OVBA] prescribes for
writers other than the VBA environment itself.

The project is built from xlwings' own standalone project (``quickstart_standalone.xlsm`` of
the installed xlwings): its information and reference records, its ``xlwings`` module (with
``RunPython``) and its ``Dictionary`` class are kept as they are; its ``Module1`` is replaced
by the modules given (``addin/vba/*.bas``), and one document module is written per sheet
code name. Every module is stored as source only (MODULEOFFSET 0, no compiled code) with a
7-byte ``_VBA_PROJECT`` stream of version 0xFFFF: Excel compiles the source when the workbook
opens, as it does for the projects xlwings ships.

Three layers, each checked against oletools' reader in ``tests/addin/test_vbaproject.py``:

- ``compress`` / ``decompress``: the compression of [MS-OVBA] 2.4.1 (module sources and the
  ``dir`` stream are stored compressed);
- ``read_cfb`` / ``write_cfb``: a compound file ([MS-CFB], version 3, 512-byte sectors),
  written whole, not patched;
- ``Project``: the streams of a VBA project (``PROJECT``, ``PROJECTwm``, ``VBA/dir``,
  ``VBA/_VBA_PROJECT`` and one stream per module).

Pure Python (the standard library only); nothing here runs inside Excel.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

# ---------------------------------------------------------------------------------------
# [MS-OVBA] 2.4.1: compression

_CHUNK = 4096


def _copy_token_help(difference: int) -> tuple[int, int]:
    """(bit count of the offset, maximum length) at ``difference`` bytes into a chunk."""
    bit_count = max((difference - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    n = len(chunk)
    pos = 0
    heads: dict[bytes, list[int]] = {}  # 3-byte prefix -> positions in this chunk
    while pos < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            best_len, best_off = 0, 0
            if pos >= 1 and pos + 3 <= n:
                _, max_len = _copy_token_help(pos)
                limit = min(max_len, n - pos)
                for cand in reversed(heads.get(chunk[pos:pos + 3], ())):
                    length = 3
                    while length < limit and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            step = best_len if best_len >= 3 else 1
            if step > 1:
                bit_count, _ = _copy_token_help(pos)
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
            else:
                out.append(chunk[pos])
            for p in range(pos, pos + step):
                if p + 3 <= n:
                    heads.setdefault(chunk[p:p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """A CompressedContainer ([MS-OVBA] 2.4.1.1.1) holding ``data``."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        chunk = data[start:start + _CHUNK]
        body = _compress_chunk(chunk)
        if len(body) > _CHUNK:
            if len(chunk) < _CHUNK:  # a short raw chunk cannot be written; never text
                raise ValueError("data does not compress into a VBA chunk")
            out += struct.pack("<H", 0x3000 | (_CHUNK - 1)) + chunk  # a raw chunk
        else:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """The bytes of a CompressedContainer ([MS-OVBA] 2.4.1.3.1)."""
    if not data or data[0] != 0x01:
        raise ValueError("not a compressed VBA container (signature byte is not 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError("truncated compressed chunk header")
        (header,) = struct.unpack_from("<H", data, pos)
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0x7 != 0b011:
            raise ValueError(f"bad compressed chunk signature at byte {pos}")
        end = min(pos + size, len(data))
        pos += 2
        start = len(out)
        if not header & 0x8000:  # raw chunk
            out += data[pos:pos + _CHUNK]
            pos += _CHUNK
            continue
        while pos < end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if not flags & (1 << bit):
                    out.append(data[pos])
                    pos += 1
                    continue
                (token,) = struct.unpack_from("<H", data, pos)
                pos += 2
                bit_count, _ = _copy_token_help(len(out) - start)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > len(out) - start:
                    raise ValueError("copy token points before its chunk")
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


# ---------------------------------------------------------------------------------------
# [MS-CFB]: compound files, version 3

_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_SECTOR = 512
_MINI = 64
_CUTOFF = 4096
_FREE, _END, _FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_STORAGE, _STREAM, _ROOT = 1, 2, 5


def read_cfb(data: bytes) -> dict[str, bytes]:
    """Every stream of a compound file, by its path (``"VBA/dir"``)."""
    if data[:8] != _SIGNATURE:
        raise ValueError("not a compound file")
    sector_shift, mini_shift = struct.unpack_from("<HH", data, 30)
    ssize, msize = 1 << sector_shift, 1 << mini_shift
    (n_fat, first_dir, _, cutoff, first_minifat, n_minifat, first_difat,
     n_difat) = struct.unpack_from("<IIIIIIII", data, 44)

    def sector(i: int) -> bytes:
        return data[(i + 1) * ssize:(i + 2) * ssize]

    difat = list(struct.unpack_from("<109I", data, 76))
    d = first_difat
    for _ in range(n_difat):
        words = struct.unpack(f"<{ssize // 4}I", sector(d))
        difat += words[:-1]
        d = words[-1]
    fat: list[int] = []
    for s in difat[:n_fat]:
        fat += struct.unpack(f"<{ssize // 4}I", sector(s))

    def chain(first: int, table: list[int]) -> list[int]:
        out, s = [], first
        while s not in (_END, _FREE) and len(out) <= len(table):
            out.append(s)
            s = table[s]
        return out

    directory = b"".join(sector(s) for s in chain(first_dir, fat))
    entries = [directory[i:i + 128] for i in range(0, len(directory), 128)]
    minifat: list[int] = []
    for s in chain(first_minifat, fat)[:n_minifat]:
        minifat += struct.unpack(f"<{ssize // 4}I", sector(s))
    root_start, root_size = struct.unpack_from("<IQ", entries[0], 116)
    ministream = b"".join(sector(s) for s in chain(root_start, fat))[:root_size]

    def entry(i: int) -> tuple[str, int, int, int, int, int, int]:
        e = entries[i]
        (name_len,) = struct.unpack_from("<H", e, 64)
        name = e[:max(name_len - 2, 0)].decode("utf-16-le")
        kind = e[66]
        left, right, child = struct.unpack_from("<III", e, 68)
        start, size = struct.unpack_from("<IQ", e, 116)
        return name, kind, left, right, child, start, size & 0xFFFFFFFF

    streams: dict[str, bytes] = {}

    def walk(i: int, prefix: str) -> None:
        if i == _NOSTREAM:
            return
        name, kind, left, right, child, start, size = entry(i)
        walk(left, prefix)
        walk(right, prefix)
        path = prefix + name
        if kind == _STREAM:
            if size < cutoff:
                blob = b"".join(ministream[s * msize:(s + 1) * msize]
                                for s in chain(start, minifat))
            else:
                blob = b"".join(sector(s) for s in chain(start, fat))
            streams[path] = blob[:size]
        elif kind == _STORAGE:
            walk(child, path + "/")

    walk(entry(0)[4], "")
    return streams


def _cfb_key(name: str) -> tuple[int, str]:
    """The order of siblings in a storage: shorter names first, then by upper case."""
    return len(name), name.upper()


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[_Entry] | None = None
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    red: bool = False
    start: int = _END
    index: int = 0


def _tree(nodes: list[_Entry]) -> int:
    """Siblings as a balanced binary search tree; the nodes of its deepest level red (they
    are leaves under black parents), the others black: a valid red-black tree."""
    nodes.sort(key=lambda e: _cfb_key(e.name))
    depth: dict[int, int] = {}

    def build(lo: int, hi: int, level: int) -> int:
        if lo >= hi:
            return _NOSTREAM
        mid = (lo + hi) // 2
        node = nodes[mid]
        depth[mid] = level
        node.left = build(lo, mid, level + 1)
        node.right = build(mid + 1, hi, level + 1)
        return node.index

    root = build(0, len(nodes), 0)
    deepest = max(depth.values(), default=0)
    for i, node in enumerate(nodes):
        node.red = deepest > 0 and depth[i] == deepest
    return root


def write_cfb(streams: Mapping[str, bytes]) -> bytes:
    """A compound file holding ``streams`` (path -> bytes; ``"VBA/dir"`` is the stream
    ``dir`` in the storage ``VBA``). Deterministic: no time stamps, no class ids."""
    root = _Entry("Root Entry", _ROOT, children=[])
    storages = {"": root}
    for path in streams:
        parts = path.split("/")
        for k in range(1, len(parts)):
            key = "/".join(parts[:k])
            if key not in storages:
                entry = _Entry(parts[k - 1], _STORAGE, children=[])
                storages["/".join(parts[:k - 1])].children.append(entry)  # type: ignore
                storages[key] = entry
        storages["/".join(parts[:-1])].children.append(  # type: ignore[union-attr]
            _Entry(parts[-1], _STREAM, data=bytes(streams[path])))
    for e in _walk(root):
        if len(e.name) > 31:
            raise ValueError(f"compound file names have 31 characters at most: {e.name!r}")
    entries = list(_walk(root))
    for i, e in enumerate(entries):
        e.index = i
    for e in entries:
        if e.children is not None:
            e.child = _tree(list(e.children))

    # the mini stream: small streams in 64-byte mini sectors
    mini = bytearray()
    minifat: list[int] = []
    big: list[_Entry] = []
    for e in entries:
        if e.kind != _STREAM:
            continue
        if len(e.data) >= _CUTOFF:
            big.append(e)
            continue
        if not e.data:
            e.start = _END
            continue
        n = -(-len(e.data) // _MINI)
        e.start = len(minifat)
        minifat += [*range(e.start + 1, e.start + n), _END]
        mini += e.data.ljust(n * _MINI, b"\0")

    fat: list[int] = []

    def allocate(blob: bytes) -> int:
        n = -(-len(blob) // _SECTOR)
        if n == 0:
            return _END
        first = len(fat)
        fat.extend([*range(first + 1, first + n), _END])
        body.append(blob.ljust(n * _SECTOR, b"\0"))
        return first

    body: list[bytes] = []
    root.start = allocate(bytes(mini))
    root.data = bytes(mini)
    for e in big:
        e.start = allocate(e.data)
    directory = b"".join(_dir_entry(e) for e in entries)
    directory += _dir_entry(None) * ((-len(entries)) % (_SECTOR // 128))
    first_dir = allocate(directory)
    first_minifat = _END
    n_minifat = 0
    if minifat:
        words = minifat + [_FREE] * ((-len(minifat)) % (_SECTOR // 4))
        n_minifat = len(words) * 4 // _SECTOR
        first_minifat = allocate(struct.pack(f"<{len(words)}I", *words))
    # the FAT covers every sector, its own included
    n_fat = 1
    while (len(fat) + n_fat) > n_fat * (_SECTOR // 4):
        n_fat += 1
    if n_fat > 109:
        raise ValueError("compound file too large for a header-only DIFAT")
    fat_start = len(fat)
    fat += [_FATSECT] * n_fat
    fat += [_FREE] * (n_fat * (_SECTOR // 4) - len(fat))
    difat = list(range(fat_start, fat_start + n_fat)) + [_FREE] * (109 - n_fat)
    header = (_SIGNATURE + bytes(16)
              + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, n_fat, first_dir, 0, _CUTOFF, first_minifat,
                            n_minifat, _END, 0)
              + struct.pack("<109I", *difat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return header + b"".join(body) + fat_bytes


def _walk(e: _Entry) -> Iterable[_Entry]:
    yield e
    for c in sorted(e.children or (), key=lambda c: _cfb_key(c.name)):
        yield from _walk(c)


def _dir_entry(e: _Entry | None) -> bytes:
    if e is None:  # an unused entry
        return bytes(64) + struct.pack("<HBB3I", 0, 0, 1, _NOSTREAM, _NOSTREAM,
                                       _NOSTREAM) + bytes(36) + struct.pack("<IQ", 0, 0)
    name = e.name.encode("utf-16-le") + b"\0\0"
    size = len(e.data) if e.kind in (_STREAM, _ROOT) else 0
    start = e.start if e.kind in (_STREAM, _ROOT) and size else (
        _END if e.kind == _ROOT else 0)
    return (name.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(name), e.kind, 0 if e.red else 1, e.left, e.right,
                          e.child)
            + bytes(16) + bytes(4) + bytes(16)  # class id, state bits, times
            + struct.pack("<IQ", start, size))


# ---------------------------------------------------------------------------------------
# [MS-OVBA] 2.3: the streams of a VBA project


PROCEDURAL, DOCUMENT, CLASS = "procedural", "document", "class"
_MODULES = 0x000F  # PROJECTMODULES: the dir stream's records from here on are modules'


@dataclass(frozen=True)
class Module:
    """A module of the project: its name, kind and source (``Attribute VB_Name`` first)."""

    name: str
    kind: str  # procedural, document or class
    source: bytes
    docstring: bytes = b""


def _records(data: bytes, pos: int = 0) -> Iterable[tuple[int, int, bytes]]:
    """(offset, id, body) of the dir stream's records."""
    while pos < len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        if rid == 0x0009:  # PROJECTVERSION: Reserved (4) then 6 bytes, not a size
            size = 6
        yield pos, rid, data[pos + 6:pos + 6 + size]
        pos += 6 + size


def _record(rid: int, body: bytes) -> bytes:
    return struct.pack("<HI", rid, len(body)) + body


@dataclass(frozen=True)
class Project:
    """A VBA project: the records of the ``dir`` stream up to its modules (information and
    references), the ``PROJECT`` stream's lines, and the modules."""

    head: bytes  # the dir stream before PROJECTMODULES
    project_lines: tuple[str, ...]  # the PROJECT stream, without its module lines
    vba_project: bytes  # the _VBA_PROJECT stream
    modules: tuple[Module, ...]
    codepage: int = 1252

    @classmethod
    def read(cls, vba_project_bin: bytes) -> Project:
        """A project from a ``vbaProject.bin``: every module's source, as stored."""
        streams = read_cfb(vba_project_bin)
        dir_stream = decompress(streams["VBA/dir"])
        head_end = None
        codepage = 1252
        modules: list[Module] = []
        current: dict = {}
        for pos, rid, body in _records(dir_stream):
            if rid == 0x0003:  # PROJECTCODEPAGE
                (codepage,) = struct.unpack("<H", body)
            elif rid == _MODULES and head_end is None:
                head_end = pos
            if head_end is None:
                continue
            if rid == 0x0019:
                current = {"name": body.decode(f"cp{codepage}")}
            elif rid == 0x001A:
                current["stream"] = body.decode(f"cp{codepage}")
            elif rid == 0x001C:
                current["doc"] = body
            elif rid == 0x0031:
                (current["offset"],) = struct.unpack("<I", body)
            elif rid == 0x0021:
                current["kind"] = PROCEDURAL
            elif rid == 0x0022:
                current["kind"] = CLASS  # document or class: told apart by PROJECT
            elif rid == 0x002B:
                raw = streams["VBA/" + current["stream"]]
                source = decompress(raw[current["offset"]:])
                modules.append(Module(current["name"], current["kind"], source,
                                      current.get("doc", b"")))
        if head_end is None:
            raise ValueError("the dir stream has no modules")
        text = streams["PROJECT"].decode(f"cp{codepage}")
        lines = tuple(text.replace("\r\n", "\n").split("\n"))
        documents = {ln.split("=", 1)[1].split("/")[0] for ln in lines
                     if ln.startswith("Document=")}
        modules = [replace(m, kind=DOCUMENT) if m.name in documents else m for m in modules]
        kept = tuple(ln for ln in lines if not ln.startswith(
            ("Document=", "Module=", "Class=", "BaseClass=", "Package=")))
        return cls(dir_stream[:head_end], kept, streams["VBA/_VBA_PROJECT"],
                   tuple(modules), codepage)

    def module(self, name: str) -> Module:
        for m in self.modules:
            if m.name.casefold() == name.casefold():
                return m
        raise KeyError(name)

    def with_modules(self, modules: Iterable[Module]) -> Project:
        return replace(self, modules=tuple(modules))

    # -- writing ------------------------------------------------------------------------

    def _mbcs(self, text: str) -> bytes:
        return text.encode(f"cp{self.codepage}")

    def dir_stream(self) -> bytes:
        out = bytearray(self.head)
        out += _record(_MODULES, struct.pack("<H", len(self.modules)))
        out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
        for m in self.modules:
            name = self._mbcs(m.name)
            uname = m.name.encode("utf-16-le")
            doc_unicode = m.docstring.decode(f"cp{self.codepage}").encode("utf-16-le")
            out += _record(0x0019, name) + _record(0x0047, uname)
            out += _record(0x001A, name) + _record(0x0032, uname)
            out += _record(0x001C, m.docstring) + _record(0x0048, doc_unicode)
            out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source only
            out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
            out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
            out += _record(0x0021 if m.kind == PROCEDURAL else 0x0022, b"")
            out += _record(0x002B, b"")
        out += struct.pack("<HI", 0x0010, 0)  # dir terminator and its reserved field
        return bytes(out)

    def project_stream(self) -> bytes:
        decl = {DOCUMENT: "Document={}/&H00000000", PROCEDURAL: "Module={}",
                CLASS: "Class={}"}
        module_lines = [decl[m.kind].format(m.name) for m in self.modules]
        lines = list(self.project_lines)
        at = next(i for i, ln in enumerate(lines) if ln.startswith("ID=")) + 1
        lines[at:at] = module_lines
        out: list[str] = []
        section = None
        for ln in lines:
            if ln.startswith("["):
                section = ln
            elif section == "[Workspace]" and "=" in ln:
                continue  # written anew below, one line per module
            out.append(ln)
            if ln == "[Workspace]":
                out += [f"{m.name}=0, 0, 0, 0, C" for m in self.modules]
        while out and not out[-1]:
            out.pop()
        return self._mbcs("\r\n".join(out) + "\r\n\r\n")

    def project_wm_stream(self) -> bytes:
        out = bytearray()
        for m in self.modules:
            out += self._mbcs(m.name) + b"\0" + m.name.encode("utf-16-le") + b"\0\0"
        return bytes(out + b"\0\0")

    def streams(self) -> dict[str, bytes]:
        streams = {
            "PROJECT": self.project_stream(),
            "PROJECTwm": self.project_wm_stream(),
            "VBA/_VBA_PROJECT": self.vba_project,
            "VBA/dir": compress(self.dir_stream()),
        }
        for m in self.modules:
            streams[f"VBA/{m.name}"] = compress(m.source)
        return streams

    def to_bytes(self) -> bytes:
        """The ``vbaProject.bin``."""
        return write_cfb(self.streams())


# ---------------------------------------------------------------------------------------
# Module sources


_VB_NAME = re.compile(rb'^Attribute VB_Name = "([^"]+)"', re.MULTILINE)


def crlf(text: str | bytes) -> bytes:
    """Source with Windows line ends, as the VBA editor keeps it."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return re.sub(rb"\r?\n", b"\r\n", data)


def module_from_source(source: str, kind: str = PROCEDURAL, codepage: int = 1252) -> Module:
    """A module from the text of a ``.bas`` or ``.cls`` file (its ``Attribute VB_Name``
    line names it)."""
    data = crlf(source.encode(f"cp{codepage}"))
    m = _VB_NAME.search(data)
    if m is None:
        raise ValueError('a module source starts with Attribute VB_Name = "..."')
    return Module(m.group(1).decode(f"cp{codepage}"), kind, data)


def document_module(template: Module, name: str) -> Module:
    """A document module (a worksheet's) named ``name``, from another one's attributes."""
    source = _VB_NAME.sub(f'Attribute VB_Name = "{name}"'.encode(), template.source, count=1)
    return Module(name, DOCUMENT, source)
