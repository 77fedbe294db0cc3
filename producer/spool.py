"""The disk spool: an append-only, bounded, crash-tolerant log of events (opaque values:
the canonical JSON of disk-mode events, see ``spooled.py``, or encoded records).

Layout: one directory (owned by one process at a time, ``flock`` on ``LOCK``) of segment
files ``<no:016d>.seg`` replayed in name order, each with an ``.ack`` sidecar listing the
record indexes already delivered (4-byte little-endian each). A segment whose records are
all acknowledged is deleted. Record format and appends: ``segment.py``.

A ``kill -9`` can leave a torn last record: on open, the first record that is short or fails
its check (a CRC, or SHA-256 based: ``segment.py``) ends the segment; the bytes after it are
cut off and counted (``dropped{stage="spool",reason="torn_record"}``), never raised. The
zero tail of a preallocated segment is not damage and is not counted.

Full policy (``max_bytes``, counted in bytes of records; the active segment's file is
preallocated to ``segment_bytes``, so the directory may hold one segment more):
``drop_new`` refuses the new record (the publisher counts it as ``spool_full`` when it
cannot deliver it another way); ``drop_oldest`` deletes the oldest segments and counts
their undelivered records as ``spool_evicted``.

Durability: an append has handed the record to the OS when :meth:`Spool.append` returns
(a copy into the shared mapping of the active segment; ``write(2)`` where there is no
mapping), so a killed process loses nothing already appended. The fsync policy is about
machine crashes: ``always`` (``msync``/``fsync`` after every append), ``interval`` (at
most every ``fsync_interval`` s, by :meth:`maybe_sync`, called by the publisher's spool
sync thread) or ``never`` (the OS writes back on its own schedule); ``sync=True`` appends
(fail-closed tools) are synced whatever the policy. Acknowledgements are buffered and
written by :meth:`Spool.flush_acks`: a kill loses at most the unwritten ones, whose records
are then replayed again (at-least-once).
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeAlias

from tooltrail.errors import ConfigError
from tooltrail.producer.metrics import ProducerMetrics
from tooltrail.producer.percall import put_record as _put_record
from tooltrail.producer.segment import (
    FSYNC_COVERS_MAPPINGS,
    HASHED,
    LENGTH,
    prefault,
    record_ok,
    scan,
)
from tooltrail.producer.segment import HEADER as _HEADER
from tooltrail.producer.segment import KEYLEN as _KEYLEN
from tooltrail.producer.segment import MAGIC as _MAGIC
from tooltrail.producer.segment import Segment as _Segment

_ACK = struct.Struct("<I")


def _check(length: int, value: bytes, key_crc: int, sha256_hex: str | None) -> tuple[int, int]:
    """A record's length word and check (segment.py): the CRC-32 of its payload, or, for a
    value whose SHA-256 is known, that hash's first 4 bytes XOR the key's CRC."""
    if sha256_hex is None:
        return length, _crc32(value, key_crc)
    return length | HASHED, int(sha256_hex[:8], 16) ^ key_crc


PREFAULT_AHEAD = 2 << 20  # bytes of the active segment kept faulted in past the appends
FULL_POLICIES = ("drop_new", "drop_oldest")
FSYNC_POLICIES = ("always", "interval", "never")


# Where a record lives: (segment number, index within the segment), ordered. A plain tuple
# of ints, not a NamedTuple: the garbage collector untracks such a tuple (and a tuple that
# holds it with bytes) at its first collection, so the refs of the records in flight (a
# generation holds up to 4096) are not traversed by every collection nor promoted to the
# oldest generation, whose full collections they would make more frequent.
RecordRef: TypeAlias = tuple[int, int]

_segment_no, _index = itemgetter(0), itemgetter(1)
_crc32 = zlib.crc32


class Spool:
    """Append-only segment files with per-record checks, acks, size bound and ordered replay."""

    def __init__(
        self,
        *,
        directory: str | os.PathLike[str],
        max_bytes: int = 1 << 30,
        segment_bytes: int = 4 << 20,
        full_policy: str = "drop_new",
        fsync: str = "interval",
        fsync_interval: float = 1.0,
        metrics: ProducerMetrics | None = None,
    ) -> None:
        if full_policy not in FULL_POLICIES:
            raise ConfigError(f"spool full_policy {full_policy!r} not in {FULL_POLICIES}")
        if fsync not in FSYNC_POLICIES:
            raise ConfigError(f"spool fsync {fsync!r} not in {FSYNC_POLICIES}")
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.full_policy = full_policy
        self.fsync = fsync
        self.fsync_interval = fsync_interval
        self.metrics = metrics if metrics is not None else ProducerMetrics()
        self._lock = threading.RLock()
        self._metrics_lock = threading.Lock()
        # Public for a writer that appends and acts on the result as one step (the Kafka
        # publisher's disk-mode handoff); the spool's own methods re-enter it.
        self.lock = self._lock
        self._lock_fd = os.open(self.dir / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self._lock_fd)
            raise ConfigError(f"spool directory {self.dir} is in use by another process") from exc
        self._segments: dict[int, _Segment] = {}
        self._size = 0  # sum of the segments' sizes, kept up to date (checked per append)
        self._pending_acks: dict[int, list[int]] = {}
        self._to_sync: list[int] = []  # descriptors of rolled-over segments not synced yet
        self._dirty = False  # a rolled-over segment waits for its sync
        self._last_sync = time.monotonic()
        self.torn_records = 0
        self.closed = False
        self._plain = fsync != "always"  # appends may take append's common case (not closed)
        self._heads: dict[bytes, tuple[bytes, int]] = {}  # see _key_head
        self._prefaulting = False  # a background thread calls prefault (see _new_segment)
        # Records appended, counted here and moved to Prometheus by sync_metrics (a
        # Counter.inc per record costs about as much as the write itself); the count at the
        # last report and at the last sync (whether there is anything to sync).
        self._appended = self._reported = self._synced_mark = 0
        self._load()
        last = max(self._segments, default=0)
        self._active = self._new_segment(last + 1)

    @classmethod
    def open_slot(cls, base: Path, *, slots: int = 1, **kwargs: Any) -> Spool:
        """``Spool(directory=base)``, or with ``slots`` > 1 the first free ``base/slot-<n>``,
        so several processes configured alike each get one (lowest first, so a restarted
        process finds what its predecessor left)."""
        if slots <= 1:
            return cls(directory=base, **kwargs)
        for n in range(slots):
            try:
                return cls(directory=base / f"slot-{n}", **kwargs)
            except ConfigError as exc:
                if "in use" not in str(exc):
                    raise
        raise ConfigError(f"all {slots} spool slots under {base} are in use")

    # -- opening -------------------------------------------------------------------------

    def _load(self) -> None:
        for path in sorted(self.dir.glob("*.seg")):
            try:
                no = int(path.stem)
            except ValueError:
                continue
            seg = _Segment(no=no, path=path)
            self._scan(seg)
            ack_path = path.with_suffix(".ack")
            if ack_path.exists():
                data = ack_path.read_bytes()
                usable = len(data) - len(data) % _ACK.size
                seg.acked = {i for (i,) in _ACK.iter_unpack(data[:usable]) if i < seg.count}
            if seg.pending == 0:
                self._delete(seg)
            else:
                self._segments[no] = seg
                self._size += seg.size
        self.metrics.spool_bytes.set(self.size_bytes)

    def _scan(self, seg: _Segment) -> None:
        """Count the valid records; cut a torn or corrupt tail off and count it."""
        if scan(seg):
            self.torn_records += 1
            self.metrics.dropped("torn_record", stage="spool")

    def _new_segment(self, no: int, *, mapped: bool = True, need: int = 0) -> _Segment:
        """Open segment ``no`` for appends: mapped (the active one) or by ``write(2)``."""
        path = self.dir / f"{no:016d}.seg"
        seg = _Segment(no=no, path=path)
        if path.exists() and path.stat().st_size > 0:  # a reserved segment reopened
            self._scan(seg)
            mapped = False
        seg.open_for_append(
            capacity=max(self.segment_bytes, len(_MAGIC) + need) if mapped else None
        )
        if self._prefaulting:
            # The background thread wakes every few tens of ms: until then each first write
            # to a page of the new segment would fault with the GIL held, about 5-7 us a
            # page on ext4 here. Populating the first pages now costs about as much kernel
            # time, once per roll, but with the GIL released (segment.prefault).
            todo = seg.prefault_range(PREFAULT_AHEAD // 4)
            if todo is not None:
                prefault(*todo)
        old = self._segments.get(no)
        if old is not None:  # a loaded segment reopened for writing: counted once
            self._size -= old.size
        self._segments[no] = seg
        self._size += seg.size
        return seg

    # -- writing -------------------------------------------------------------------------

    @property
    def size_bytes(self) -> int:
        return self._size

    @property
    def pending(self) -> int:
        """Records appended and not yet acknowledged."""
        with self._lock:
            return sum(s.pending for s in self._segments.values())

    def append(
        self,
        key: bytes,
        value: bytes,
        *,
        sync: bool = False,
        segment: int | None = None,
        sha256_hex: str | None = None,
    ) -> RecordRef | None:
        """Append one record (written to the OS when this returns); None when the spool is
        full under ``drop_new`` (the caller counts it) or closed (counted).

        ``sha256_hex``: the SHA-256 of ``value`` when the caller has it (an event's
        ``event_hash`` over its canonical JSON): the record's check is then derived from it
        instead of a CRC over the value (see ``segment.py``). It must be that digest: a
        record whose check fails is cut off as torn when the spool is opened."""
        with self._lock:
            return self.append_locked(key, value, sync, segment, sha256_hex)

    def append_view_locked(
        self, key: bytes, value: bytes, sha256_hex: str
    ) -> tuple[RecordRef, Any, int, int] | None:
        """:meth:`append_locked` (not synced, hashed), also returning where the value now is:
        ``(ref, buffer, start, stop)``, ``buffer`` a view of the whole segment's mapping (so
        the caller need not keep ``value`` alive: disk mode hands this over, see
        ``feedloops.spool_event_json``), or ``value`` itself when the record did not go
        through a mapping."""
        seg = self._active
        ref = self.append_locked(key, value, False, None, sha256_hex)
        if ref is None:
            return None
        view = seg.view  # (None once the segment is closed: then so is its mapping)
        if view is None or ref[0] != seg.no:
            return ref, value, 0, len(value)  # a file without a mapping, or the next segment
        end = seg.size  # (the record is the segment's last)
        return ref, view, end - len(value), end

    def append_locked(
        self,
        key: bytes,
        value: bytes,
        sync: bool = False,
        segment: int | None = None,
        sha256_hex: str | None = None,
    ) -> RecordRef | None:
        """:meth:`append` for a caller holding :attr:`lock` already (the Kafka publisher's
        handoff: one acquisition per event instead of two)."""
        head = self._heads.get(key)
        if head is None:
            head = self._key_head(key)
        prefix, key_crc = head
        length = len(prefix) + len(value)
        size = _HEADER.size + length
        seg = self._active
        pos = seg.size
        end = pos + size
        if (
            end <= seg.capacity  # (0 unless the segment is mapped)
            and self._plain
            and not sync
            and segment is None
            and self._size + size <= self.max_bytes
        ):
            # The common case, once per event: header and key, then the value, straight
            # into the mapping (no record assembled in between; a kill between the copies
            # leaves a record whose check fails: torn, as any partial copy).
            view = seg.view
            if sha256_hex is not None and _put_record is not None and view is not None:
                _put_record(view, pos, prefix, key_crc, value, sha256_hex)  # (percall.py)
            else:
                mm = seg.mm
                assert mm is not None
                mid = pos + _HEADER.size + len(prefix)
                mm[pos:mid] = _HEADER.pack(*_check(length, value, key_crc, sha256_hex)) + prefix
                mm[mid:end] = value
            seg.size = end
            index = seg.count
            seg.count = index + 1
            self._size += size
            self._appended += 1
            return (seg.no, index)
        header = _HEADER.pack(*_check(length, value, key_crc, sha256_hex)) + prefix
        return self._append_general(header, value, sync, segment)

    def _key_head(self, key: bytes) -> tuple[bytes, int]:
        """A key's part of the record (``<u16 length><key>``) and its CRC, cached per key
        (records of one session share their key)."""
        prefix = _KEYLEN.pack(len(key)) + key
        head = (prefix, _crc32(prefix))
        if len(self._heads) >= 4096:
            self._heads.clear()
        self._heads[key] = head
        return head

    def _append_general(
        self, header: bytes, value: bytes, sync: bool, segment: int | None
    ) -> RecordRef | None:
        """:meth:`append` past its common case: closed, full, a new segment, a reserved
        segment, ``write(2)`` appends or a sync (``_lock`` held)."""
        size = len(header) + len(value)
        if self.closed:
            self.metrics.dropped("spool_closed", stage="spool")
            return None
        if self._size + size > self.max_bytes and not self._make_room(size):
            return None  # the caller decides whether the event is lost, and counts it
        seg = self._active
        if segment is not None or not seg.fits(size) or seg.size >= self.segment_bytes:
            seg = self._writable(segment, size)
        seg.write(header + value)
        ref: RecordRef = (seg.no, seg.count)
        seg.count += 1
        self._size += size
        self._appended += 1
        if sync or self.fsync == "always":
            seg.sync()
            self._synced_mark = self._appended
        return ref

    def sync_metrics(self) -> None:
        """Move the appends counted since the last call to the Prometheus metrics."""
        if self._appended == self._reported:
            return
        with self._metrics_lock:  # (not the spool lock: appending callers do not wait)
            appended = self._appended
            records, self._reported = appended - self._reported, appended
            size = self._size
        if records:
            self.metrics.spooled.inc(records)
            self.metrics.spool_bytes.set(size)

    def _writable(self, segment: int | None, size: int) -> _Segment:
        if segment is not None and segment != self._active.no:
            seg = self._segments.get(segment)
            if seg is None or seg.fd is None:
                seg = self._new_segment(segment, mapped=False)
            return seg
        active = self._active
        if active.size >= self.segment_bytes or not active.fits(size):
            self.roll(need=size)
        return self._active

    def roll(self, *, reserve: bool = False, need: int = 0) -> int | None:
        """Start a new active segment; with ``reserve`` skip one number and return it.

        A reserved number sorts between the old and new segments: records later written to it
        replay before everything appended after this call.
        """
        with self._lock:
            old = self._active
            if old.fd is not None and old.count == 0 and not reserve and old.fits(need):
                return None
            self._close_fd(old)
            base = max(self._segments) + 1
            self._active = self._new_segment(base + 1 if reserve else base, need=need)
            if old.pending == 0 and old.count > 0:
                self._delete(old)
            return base if reserve else None

    def _make_room(self, need: int) -> bool:
        if self.size_bytes + need <= self.max_bytes:
            return True
        if self.full_policy == "drop_new":
            return False
        for no in sorted(self._segments):
            seg = self._segments[no]
            if seg is self._active:
                break
            if seg.pending:
                self.metrics.dropped("spool_evicted", stage="spool", amount=seg.pending)
            self._delete(seg)
            if self.size_bytes + need <= self.max_bytes:
                return True
        return self.size_bytes + need <= self.max_bytes

    # -- acknowledging -------------------------------------------------------------------

    def ack(self, ref: RecordRef) -> None:
        """Mark a record delivered (buffered; written by :meth:`flush_acks`)."""
        self.ack_many((ref,))

    def ack_many(self, refs: Iterable[RecordRef]) -> None:
        """Mark records delivered (buffered; written by :meth:`flush_acks`).

        The refs are grouped by segment before the lock is taken (refs of one segment in a
        row form one group); under the lock each group is one set update and one list
        extend, so an appending caller never waits for a Python loop over the refs."""
        groups = [(no, list(map(_index, run))) for no, run in groupby(refs, _segment_no)]
        with self._lock:
            segments, pending = self._segments, self._pending_acks
            for no, indexes in groups:
                seg = segments.get(no)
                if seg is None:  # deleted (evicted) meanwhile
                    continue
                seg.acked.update(indexes)  # (a repeated ack is harmless: sets, on load too)
                batch = pending.get(no)
                if batch is None:
                    pending[no] = indexes
                else:
                    batch.extend(indexes)

    def flush_acks(self) -> None:
        """Write buffered acks; delete segments that are complete; update the metrics.

        The ack files are written outside the lock (on duplicated descriptors, valid even if
        the segment is deleted meanwhile): a write lets other threads run, and a caller
        appending then must not find the lock taken."""
        self.sync_metrics()
        active = self._active
        if not self._pending_acks and not (
            active.pending == 0 and active.size >= self.segment_bytes
        ):
            return
        writes: list[tuple[int, list[int]]] = []
        with self._lock:
            batches, self._pending_acks = self._pending_acks, {}
            for no, indexes in batches.items():
                seg = self._segments.get(no)
                if seg is None:
                    continue
                if seg is not self._active and seg.fd is None and seg.pending == 0:
                    self._delete(seg)
                    continue
                if seg.ack_fd is None:
                    seg.ack_fd = os.open(
                        seg.path.with_suffix(".ack"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644
                    )
                writes.append((os.dup(seg.ack_fd), indexes))
            if self._active.pending == 0 and self._active.size >= self.segment_bytes:
                self.roll()
        for fd, indexes in writes:
            try:
                os.write(fd, struct.pack(f"<{len(indexes)}I", *indexes))
            finally:
                os.close(fd)

    def maybe_sync(self) -> None:
        """fsync the writable segments if the ``interval`` policy says it is time.

        The write-back runs outside the spool lock (on duplicated descriptors, which stay
        valid if a segment is closed meanwhile), so appends never wait for the device.
        """
        if self.fsync != "interval" or not (self._dirty or self._appended != self._synced_mark):
            return
        now = time.monotonic()
        if now - self._last_sync < self.fsync_interval:
            return
        with self._lock:
            self._dirty = False
            self._synced_mark = self._appended
            self._last_sync = now
            if not FSYNC_COVERS_MAPPINGS:  # msync it is, under the lock
                for seg in self._segments.values():
                    seg.sync()
                return
            fds = [os.dup(seg.fd) for seg in self._segments.values() if seg.fd is not None]
            fds.extend(self._to_sync)
            self._to_sync = []
        for fd in fds:
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def prefault(self) -> None:
        """Fault in the active segment's next pages, ahead of the appends (a background thread).

        The appending callers then copy into pages that are writable already, instead of
        each first write to a page faulting with the GIL held (see ``segment.py``)."""
        self._prefaulting = True
        seg = self._active
        if seg.populated - seg.size > PREFAULT_AHEAD // 2:  # (unlocked: a hint only)
            return
        with self._lock:
            todo = self._active.prefault_range(PREFAULT_AHEAD)
        if todo is not None:
            prefault(*todo)

    # -- reading -------------------------------------------------------------------------

    def iter_pending(
        self, after: RecordRef | None = None
    ) -> Iterator[tuple[RecordRef, bytes, bytes]]:
        """Unacknowledged records in replay order, strictly after ``after``."""
        with self._lock:
            plan = [(no, s.path, s.size) for no, s in sorted(self._segments.items())]
        for no, path, size in plan:
            if after is not None and no < after[0]:
                continue
            try:
                with open(path, "rb") as fh:
                    data = fh.read(size)
            except FileNotFoundError:  # deleted (acked or evicted) meanwhile
                continue
            pos, index = len(_MAGIC), 0
            while pos + _HEADER.size <= len(data):
                word, check = _HEADER.unpack_from(data, pos)
                length = word & LENGTH
                start = pos + _HEADER.size
                ref = (no, index)
                if after is not None and ref <= after and length:
                    # read before (checked then): stepped over, not checked again, or a
                    # replay resuming late in a segment would hash all of it each time
                    pos = start + length
                    index += 1
                    continue
                body = data[start : start + length]
                if len(body) != length or not record_ok(word, check, body):
                    break
                pos = start + length
                index += 1
                seg = self._segments.get(no)
                if seg is None:
                    break
                if ref[1] in seg.acked:
                    continue
                (klen,) = _KEYLEN.unpack_from(body)
                yield ref, body[2 : 2 + klen], body[2 + klen :]

    def tail(self) -> RecordRef | None:
        """The last record appended (None if the spool holds nothing)."""
        with self._lock:
            for no in sorted(self._segments, reverse=True):
                seg = self._segments[no]
                if seg.count:
                    return (no, seg.count - 1)
            return None

    # -- closing -------------------------------------------------------------------------

    def _close_fd(self, seg: _Segment, *, final: bool = False) -> None:
        """Close a segment's files. Under ``interval`` a segment rolled over is synced by the
        next :meth:`maybe_sync` (on a duplicated descriptor), not by the appending caller."""
        if self.fsync == "interval" and FSYNC_COVERS_MAPPINGS and not final and seg.fd is not None:
            self._to_sync.append(os.dup(seg.fd))
            self._dirty = True
            seg.close_files(sync=False)
        else:
            seg.close_files(sync=self.fsync != "never")

    def _delete(self, seg: _Segment) -> None:
        seg.close_files(sync=False)  # every record delivered: nothing to keep
        for p in (seg.path, seg.path.with_suffix(".ack")):
            p.unlink(missing_ok=True)
        if self._segments.pop(seg.no, None) is not None:
            self._size -= seg.size
        self.metrics.spool_bytes.set(self.size_bytes)

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.flush_acks()
            for seg in list(self._segments.values()):
                self._close_fd(seg, final=True)
                if seg.pending == 0:
                    self._delete(seg)
            for fd in self._to_sync:  # rolled-over segments the interval sync had not reached
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            self._to_sync = []
            self.closed = True
            self._plain = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
