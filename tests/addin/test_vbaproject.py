"""The VBA project writer against independent readers: oletools (olevba's decompression and
module extraction) and olefile (the compound file). Needs oletools (the dev extra)."""

import io
import random
import struct
import zipfile

import olefile
import pytest
from oletools.olevba import VBA_Parser, decompress_stream

from workbook_templates import vbaproject as vp
from workbook_templates.xlsm import standalone_project, xlwings_folder

RED, BLACK = 0, 1  # [MS-CFB] 2.6.1 (olefile has no names for them)
STANDALONE = xlwings_folder() / "quickstart_standalone.xlsm"


def _standalone_bin() -> bytes:
    with zipfile.ZipFile(STANDALONE) as z:
        return z.read("xl/vbaProject.bin")


def _samples():
    rnd = random.Random(10)
    text = (xlwings_folder() / "xlwings.bas").read_bytes()
    yield b""
    yield b"a"
    yield b"abc"
    yield b"a" * 5000  # long runs: the longest copy tokens
    for n in (4095, 4096, 4097, 8192, 8193):
        yield text[:n]  # chunk edges
    yield text
    yield bytes(rnd.choice(b"ab \r\n") for _ in range(20_000))
    yield bytes(rnd.randrange(256) for _ in range(4096))  # incompressible: a raw chunk


@pytest.mark.parametrize("data", list(_samples()), ids=lambda d: f"{len(d)}B")
def test_olevba_decompresses_what_compress_writes(data):
    packed = vp.compress(data)
    assert bytes(decompress_stream(bytearray(packed))) == data
    assert vp.decompress(packed) == data


def test_text_compresses_as_well_as_xlwings_own_writer():
    project = standalone_project()
    theirs = vp.read_cfb(_standalone_bin())["VBA/xlwings"]
    ours = vp.compress(project.module("xlwings").source)
    assert len(ours) <= len(theirs)  # xlwings' module is stored source only, as ours are


def test_decompress_reads_what_oletools_reads_from_xlwings_project():
    streams = vp.read_cfb(_standalone_bin())
    dir_stream = vp.decompress(streams["VBA/dir"])
    assert dir_stream == bytes(decompress_stream(bytearray(streams["VBA/dir"])))
    with pytest.raises(ValueError):
        vp.decompress(b"\x02\x00\x00")


def test_read_cfb_reads_every_stream_as_olefile_does():
    data = _standalone_bin()
    ole = olefile.OleFileIO(io.BytesIO(data))
    ours = vp.read_cfb(data)
    theirs = {"/".join(p): ole.openstream(p).read() for p in ole.listdir()}
    assert ours == theirs


def _tree_is_red_black(ole: olefile.OleFileIO) -> None:
    """Every storage's children: a binary search tree in CFB order, no red node with a red
    child, the same number of black nodes on every path."""
    entries = ole.direntries

    def check(sid, lo, hi):
        if sid == olefile.NOSTREAM:
            return 1
        e = entries[sid]
        key = (len(e.name), e.name.upper())
        assert (lo is None or lo < key) and (hi is None or key < hi)
        if e.color == RED:
            for child in (e.sid_left, e.sid_right):
                assert child == olefile.NOSTREAM or entries[child].color == BLACK
        left = check(e.sid_left, lo, key)
        right = check(e.sid_right, key, hi)
        assert left == right
        return left + (e.color == BLACK)

    for e in entries:
        if e is not None and e.sid_child != olefile.NOSTREAM:
            assert entries[e.sid_child].color == BLACK  # each tree's root
            check(e.sid_child, None, None)


def test_write_cfb_writes_a_compound_file_olefile_reads_back():
    rnd = random.Random(3)
    streams = {"PROJECT": b"ID=\r\n", "PROJECTwm": b"\0\0", "VBA/dir": b"x" * 1200,
               "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x01\x00", "VBA/empty": b"",
               "VBA/big": bytes(rnd.randrange(256) for _ in range(70_000))}
    streams.update({f"VBA/Sheet{i}": bytes([i]) * (i * 37) for i in range(1, 25)})
    data = vp.write_cfb(streams)
    assert len(data) % 512 == 0
    ole = olefile.OleFileIO(io.BytesIO(data))
    assert {"/".join(p): ole.openstream(p).read() for p in ole.listdir()} == streams
    assert vp.read_cfb(data) == streams
    _tree_is_red_black(ole)
    assert vp.write_cfb(streams) == data  # no time stamps: the same bytes every time


def test_a_project_written_anew_reads_back_module_for_module():
    project = standalone_project()
    data = project.to_bytes()
    again = vp.Project.read(data)
    assert again.modules == project.modules
    parsed = VBA_Parser("vbaProject.bin", data=data)
    code = {stream: src for _, stream, _, src in parsed.extract_macros()}
    assert set(code) == {f"VBA/{m.name}" for m in project.modules}
    lines = project.project_stream().decode("cp1252").splitlines()
    assert "Module=xlwings" in lines and "Class=Dictionary" in lines
    assert "Document=ThisWorkbook/&H00000000" in lines
    streams = vp.read_cfb(data)
    assert streams["VBA/_VBA_PROJECT"] == b"\xcc\x61\xff\xff\x00\x01\x00"  # version 0xFFFF


def test_every_module_record_says_source_only():
    project = standalone_project()
    dir_stream = project.dir_stream()
    offsets = [struct.unpack("<I", body)[0] for _, rid, body in vp._records(dir_stream)
               if rid == 0x0031]
    assert offsets == [0] * len(project.modules)
    cookies = [body for _, rid, body in vp._records(dir_stream) if rid == 0x002C]
    assert cookies == [b"\xff\xff"] * len(project.modules)


def test_a_module_source_needs_its_name_attribute():
    m = vp.module_from_source('Attribute VB_Name = "Tools"\nSub A()\nEnd Sub\n')
    assert (m.name, m.kind) == ("Tools", vp.PROCEDURAL)
    assert m.source == b'Attribute VB_Name = "Tools"\r\nSub A()\r\nEnd Sub\r\n'
    with pytest.raises(ValueError):
        vp.module_from_source("Sub A()\nEnd Sub\n")
