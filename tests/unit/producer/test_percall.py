"""The caller's per-event byte work in C (``_percall.c``): the same results as hashlib and
as the spool's Python writes, and clear errors."""

from __future__ import annotations

import hashlib
import mmap
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tooltrail.producer import percall, spool
from tooltrail.producer.segment import HASHED, record_ok
from tooltrail.producer.spool import Spool

_percall = pytest.importorskip("tooltrail.producer._percall", reason="not built")


@given(st.binary(max_size=5000))
def test_sha256_hex_is_hashlibs(data: bytes) -> None:
    expected = hashlib.sha256(data).hexdigest()
    assert percall.sha256_hex(data) == expected
    assert _percall.sha256_hex(memoryview(data)) == expected
    assert _percall.sha256_hex(bytearray(data)) == expected
    assert percall._hashlib_sha256_hex(data) == expected  # the fallback


def test_sha256_hex_of_every_padding_boundary() -> None:
    for n in range(0, 200):  # one, two and three 64-byte blocks, each padding case
        data = bytes(range(256))[: n % 256] * (1 + n // 256)
        assert percall.sha256_hex(data) == hashlib.sha256(data).hexdigest(), n


def test_sha256_hex_of_large_inputs_hashed_without_the_gil() -> None:
    for n in (2047, 2048, 2049, 1 << 20):  # from 2 KiB on, hashed with the GIL released
        data = bytes(range(256)) * (n // 256) + b"x" * (n % 256)
        assert percall.sha256_hex(data) == hashlib.sha256(data).hexdigest(), n


def test_sha256_hex_refuses_what_is_not_bytes() -> None:
    with pytest.raises(TypeError):
        _percall.sha256_hex("text")


@given(st.binary(max_size=300), st.binary(min_size=1, max_size=40))
def test_put_record_writes_a_record_the_reader_accepts(value: bytes, key: bytes) -> None:
    prefix = struct.pack("<H", len(key)) + key
    key_crc = zlib.crc32(prefix)
    digest = hashlib.sha256(value).hexdigest()
    buf = mmap.mmap(-1, 4096)
    end = _percall.put_record(buf, 16, prefix, key_crc, value, digest)
    assert end == 16 + 8 + len(prefix) + len(value)
    word, check = struct.unpack_from("<II", buf, 16)
    assert word == (len(prefix) + len(value)) | HASHED
    assert check == int(digest[:8], 16) ^ key_crc
    assert buf[24:end] == prefix + value
    assert record_ok(word, check, buf[24:end])
    assert buf[:16] == bytes(16) and buf[end:] == bytes(4096 - end)  # nothing else written


@pytest.mark.parametrize(
    ("pos", "value", "digest", "error"),
    [
        (4090, b"v" * 10, "ab" * 32, ValueError),  # does not fit
        (-1, b"v", "ab" * 32, ValueError),
        (0, b"v", "xyz", ValueError),  # not 8 hex digits
        (0, b"v", "abcdefg1" + "0" * 56, ValueError),
        (0, "v", "ab" * 32, TypeError),
    ],
)
def test_put_record_refuses_bad_input_and_writes_nothing(
    pos: int, value: object, digest: str, error: type[Exception]
) -> None:
    buf = mmap.mmap(-1, 4096)
    with pytest.raises(error):
        _percall.put_record(buf, pos, b"\x01\x00k", 1, value, digest)
    assert buf[:] == bytes(4096)


def test_put_record_needs_a_writable_buffer() -> None:
    with pytest.raises(BufferError):
        _percall.put_record(b"\x00" * 64, 0, b"\x01\x00k", 1, b"v", "ab" * 32)


def test_the_spool_writes_the_same_bytes_with_and_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hashed appends go through put_record; the segment files are identical to the ones
    the Python writes make, and read back as the same records."""
    values = [b'{"n":%d,"pad":"%s"}' % (i, b"x" * (i * 37 % 300)) for i in range(300)]

    def fill(directory: Path) -> list[tuple[tuple[int, int], bytes, bytes]]:
        s = Spool(directory=directory, segment_bytes=16384)
        with s.lock:
            for i, v in enumerate(values):
                key = b"session-%d" % (i % 3)
                assert s.append_locked(key, v, False, None, hashlib.sha256(v).hexdigest())
        s.close()
        again = Spool(directory=directory)
        out = list(again.iter_pending())
        again.close()
        return out

    with_c = fill(tmp_path / "c")
    monkeypatch.setattr(spool, "_put_record", None)
    without = fill(tmp_path / "py")
    assert with_c == without
    assert [v for _, _, v in with_c] == values
    files_c = sorted((tmp_path / "c").glob("*.seg"))
    files_py = sorted((tmp_path / "py").glob("*.seg"))
    assert len(files_c) > 1  # rolled over segments
    assert [f.read_bytes() for f in files_c] == [f.read_bytes() for f in files_py]
