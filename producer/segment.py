"""One spool segment file: its record format, its appends (memory-mapped) and its recovery.

Record: ``<u32 length><u32 check><payload>``; payload ``<u16 key length><key><value>``; a
segment starts with the magic ``TTSPOOL2`` (``TTSPOOL1``: an earlier version's segment, read
the same way). The check is the CRC-32 of the payload; or, when the length's top bit
(``HASHED``) is set, the first 4 bytes of the value's SHA-256 XOR the CRC-32 of
``<u16 key length><key>``: an event spooled as its canonical JSON has that SHA-256 already
(its ``event_hash``), so its record is checked without a second pass over the bytes on the
appending caller's path (:func:`record_ok` verifies either kind on reading).

The active segment is written through a shared memory mapping of a file preallocated to its
capacity (``posix_fallocate``, so a full disk shows at allocation, never as a fault while
copying). An append is a copy into the OS page cache: no system call, and the calling
thread keeps the GIL (a ``write(2)`` per event let the producer's background threads in at
every call). Once copied the record belongs to the OS: it survives the process being
killed exactly as a returned ``write(2)`` does, and reaches the device on the OS's schedule
or on :meth:`Segment.sync`. Where a mapping cannot be made the segment falls
back to ``write(2)`` appends.

The first write to each page of the mapping faults (the file system makes the page
writable: on ext4 about 2-3 us of kernel time per 4 KiB page, with the GIL held, in the
appending caller). A publisher's background thread therefore faults the pages ahead of the
appends in (:meth:`Segment.prefault`, Linux ``MADV_POPULATE_WRITE``, called through ctypes
so the GIL is released meanwhile); where that is not available the appends fault as before.

A segment is cut to its used size when closed; after a kill the preallocated zero tail is
still there, and :func:`scan` treats it as the end of the records (not as damage).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import mmap
import os
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tooltrail.errors import ConfigError

# On Linux fsync(2) writes back the pages dirtied through a shared mapping too (msync is
# fsync of the mapped range there), and os.fsync lets other threads run meanwhile, where
# mmap.flush holds the GIL for the whole write-back. Elsewhere msync is the portable way.
FSYNC_COVERS_MAPPINGS = sys.platform.startswith("linux")
HEADER = struct.Struct("<II")
KEYLEN = struct.Struct("<H")
MAGIC = b"TTSPOOL2"
_MAGICS = (MAGIC, b"TTSPOOL1")  # TTSPOOL1: CRC-checked records only
HASHED = 0x8000_0000  # in the length word: the check is SHA-256-based (see the module doc)
LENGTH = 0x7FFF_FFFF
MADV_POPULATE_WRITE = 23  # Linux >= 5.14: fault pages in writable, as a write would


def _libc_madvise() -> Callable[[int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    fn.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    fn.restype = ctypes.c_int
    return fn


# A ctypes foreign call releases the GIL (mmap.madvise holds it for the whole populate).
_madvise = _libc_madvise()
_prefault_supported = _madvise is not None


@dataclass
class Segment:
    """A segment's bookkeeping and, while it is writable, its open file (and mapping)."""

    no: int
    path: Path
    size: int = len(MAGIC)  # bytes used (magic + whole records)
    count: int = 0
    acked: set[int] = field(default_factory=set)
    fd: int | None = None  # open while writable
    ack_fd: int | None = None
    mm: mmap.mmap | None = None  # the mapping, when appends are mapped
    capacity: int = 0  # mapped size; 0 when appends are write(2) calls
    address: int = 0  # where the mapping starts in memory (for prefault), 0 if unknown
    populated: int = 0  # bytes of the mapping faulted in ahead of the appends
    view: memoryview | None = None  # of the whole mapping (``Spool.append_view_locked``)

    @property
    def pending(self) -> int:
        return self.count - len(self.acked)

    def open_for_append(self, *, capacity: int | None) -> None:
        """Open (create) the file for appends; mapped with ``capacity`` bytes if given."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        self.fd = fd
        if os.fstat(fd).st_size == 0:
            os.write(fd, MAGIC)
            self.size = len(MAGIC)
        if capacity is None:
            return
        capacity = max(capacity, self.size)
        try:
            os.posix_fallocate(fd, 0, capacity)
            self.mm = mmap.mmap(fd, capacity, flags=mmap.MAP_SHARED)
        except (OSError, ValueError):  # no room, or no mapping here: plain appends
            os.ftruncate(fd, self.size)
            self.mm = None
            return
        self.capacity = capacity
        self.view = memoryview(self.mm)
        if _prefault_supported:
            view = ctypes.c_char.from_buffer(self.mm)
            self.address = ctypes.addressof(view)
            del view  # (a live view would keep the mapping from being closed)

    def prefault_range(self, ahead: int) -> tuple[int, int] | None:
        """The next range to fault in so ``ahead`` bytes past the appends are ready, or None.

        Marks it populated: called under the spool lock, the range then faulted in outside.
        """
        if not (self.address and _prefault_supported) or self.mm is None:
            return None
        page = mmap.PAGESIZE
        start = max(self.populated, self.size - self.size % page)  # (madvise: page-aligned)
        stop = min(self.capacity, self.size + ahead)
        stop -= stop % page
        if stop - start < ahead // 2:
            return None
        self.populated = stop
        return self.address + start, stop - start

    def fits(self, size: int) -> bool:
        """Whether a record of ``size`` bytes can be appended here."""
        return self.mm is None or self.size + size <= self.capacity

    def write(self, record: bytes) -> None:
        """Append one whole record (see :meth:`fits` for mapped segments)."""
        size, end = len(record), self.size + len(record)
        mm = self.mm
        if mm is not None:
            mm[self.size : end] = record
        else:
            fd = self.fd
            assert fd is not None
            done = os.pwrite(fd, record, self.size)
            while done < size:  # a short write (signal, full disk): finish the record
                done += os.pwrite(fd, record[done:], self.size + done)
        self.size = end

    def sync(self) -> None:
        """Push the appended records to the device (``fsync``; ``msync`` where needed)."""
        if self.mm is not None and not FSYNC_COVERS_MAPPINGS:
            self.mm.flush()
        elif self.fd is not None:
            os.fsync(self.fd)

    def close_files(self, *, sync: bool) -> None:
        """Unmap, cut the file to its used size, close (after a sync if asked)."""
        if self.mm is not None:
            if sync and not FSYNC_COVERS_MAPPINGS:
                self.mm.flush()
            # disk mode's handoff may still hold the view (for records not yet sent): the
            # mapping then goes when the last of them does (the view holds the mmap
            # object), and the file can close now
            self.view = None
            with contextlib.suppress(BufferError):
                self.mm.close()
            self.mm = None
            self.capacity = self.address = 0
        if self.fd is not None:
            if os.fstat(self.fd).st_size != self.size:
                os.ftruncate(self.fd, self.size)
            if sync:
                os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None
        if self.ack_fd is not None:
            os.close(self.ack_fd)
            self.ack_fd = None


def prefault(address: int, length: int) -> None:
    """Fault ``length`` bytes of a mapping at ``address`` in, writable (GIL released).

    Harmless if the mapping was closed meanwhile (the range is then unmapped, or another
    mapping of this process whose contents populating does not change)."""
    global _prefault_supported  # noqa: PLW0603 - learnt once per process
    assert _madvise is not None
    if _madvise(address, length, MADV_POPULATE_WRITE) != 0 and ctypes.get_errno() in (
        errno.EINVAL,
        errno.ENOSYS,
        errno.EPERM,
    ):
        _prefault_supported = False  # an older kernel: the appends fault the pages


def record_ok(word: int, check: int, body: bytes) -> bool:
    """Whether ``body`` (the payload) matches the ``check`` of its header ``word``."""
    if not word & HASHED:
        return zlib.crc32(body) == check
    if len(body) < KEYLEN.size:
        return False
    (klen,) = KEYLEN.unpack_from(body)
    split = KEYLEN.size + klen
    digest = hashlib.sha256(memoryview(body)[split:]).digest()
    return int.from_bytes(digest[:4], "big") ^ zlib.crc32(body[:split]) == check


def scan(seg: Segment) -> bool:
    """Count ``seg``'s valid records and cut the file after them.

    Returns True when bytes that were neither records nor the preallocated zero tail had to
    be cut off (a record torn by a kill, or corruption), which the caller counts.
    """
    with open(seg.path, "rb") as fh:
        data = fh.read()
    if not data:  # killed between create and the magic write: nothing was lost
        with open(seg.path, "wb") as fh:
            fh.write(MAGIC)
        seg.size, seg.count = len(MAGIC), 0
        return False
    if data[: len(MAGIC)] not in _MAGICS:
        if len(data) < len(MAGIC) and MAGIC.startswith(data):  # torn at creation
            data = b""
        else:
            raise ConfigError(f"{seg.path} is not a tooltrail spool segment")
    pos, count, end = len(MAGIC), 0, len(data)
    while pos + HEADER.size <= end:
        word, check = HEADER.unpack_from(data, pos)
        length = word & LENGTH
        if length == 0:  # no record is empty (the key length is in it): the end
            break
        body = data[pos + HEADER.size : pos + HEADER.size + length]
        if len(body) != length or not record_ok(word, check, body):
            break
        pos += HEADER.size + length
        count += 1
    torn = end < len(MAGIC) or data.count(0, pos) != end - pos  # anything but zeros left
    if pos != end or end < len(MAGIC):
        with open(seg.path, "r+b") as fh:
            if end < len(MAGIC):
                fh.write(MAGIC)
                pos = len(MAGIC)
            fh.truncate(pos)
    seg.size, seg.count = pos, count
    return torn
