"""Mapped spool segments: a killed process leaves a zero tail, not damage; torn records in it
are cut and counted; records too big for a segment get their own."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from tooltrail.producer.metrics import ProducerMetrics
from tooltrail.producer.segment import MAGIC
from tooltrail.producer.spool import Spool

KILLED = """
import os, signal, sys
from tooltrail.producer.spool import Spool
s = Spool(directory=sys.argv[1], fsync="never")
for i in range(int(sys.argv[2])):
    s.append(b"k", b"value-%d" % i)
print("appended", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def values(spool: Spool) -> list[bytes]:
    return [v for _, _, v in spool.iter_pending()]


def test_kill_9_after_appends_loses_nothing_and_counts_no_damage(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", KILLED, str(tmp_path), "1000"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == -signal.SIGKILL and "appended" in out.stdout, out.stderr
    seg = next(tmp_path.glob("*.seg"))
    assert seg.stat().st_size > 100_000  # still preallocated: the zero tail is there
    metrics = ProducerMetrics()
    reopened = Spool(directory=tmp_path, metrics=metrics)
    assert values(reopened) == [b"value-%d" % i for i in range(1000)]
    assert reopened.torn_records == 0
    assert metrics.dropped_value("torn_record", stage="spool") == 0
    reopened.close()


def test_torn_record_before_the_zero_tail_is_cut_and_counted(tmp_path: Path) -> None:
    s = Spool(directory=tmp_path)
    for i in range(3):
        s.append(b"k", b"value-%d" % i)
    seg = next(tmp_path.glob("*.seg"))
    used = s.size_bytes
    # what a kill in the middle of the 4th copy leaves: part of a record, then zeros
    image = bytearray(seg.read_bytes())
    assert len(image) > used and not any(image[used:])
    image[used : used + 7] = b"\x20\x00\x00\x00\x12\x34\x56"
    s.close()
    seg.write_bytes(bytes(image))
    reopened = Spool(directory=tmp_path)
    assert values(reopened) == [b"value-0", b"value-1", b"value-2"]
    assert reopened.torn_records == 1
    reopened.append(b"k", b"value-3")
    assert values(reopened)[-1] == b"value-3"
    reopened.close()


def test_closed_segments_are_cut_to_their_records(tmp_path: Path) -> None:
    s = Spool(directory=tmp_path, segment_bytes=1 << 16)
    s.append(b"k", b"x" * 10)
    s.close()
    (seg,) = tmp_path.glob("*.seg")
    assert seg.stat().st_size == len(MAGIC) + 8 + 2 + 1 + 10


def test_a_record_bigger_than_a_segment_gets_its_own(tmp_path: Path) -> None:
    s = Spool(directory=tmp_path, segment_bytes=4096)
    big = os.urandom(10_000)
    refs = [s.append(b"k", b"small"), s.append(b"k", big), s.append(b"k", b"after")]
    assert all(r is not None for r in refs)
    assert len({r[0] for r in refs if r is not None}) >= 2
    assert values(s) == [b"small", big, b"after"]
    s.close()
    reopened = Spool(directory=tmp_path)
    assert values(reopened) == [b"small", big, b"after"]
    reopened.close()


def test_rolled_segments_are_synced_by_the_interval_sync_not_the_caller(tmp_path: Path) -> None:
    """Under ``interval`` a roll leaves the fsync to maybe_sync (the poll thread); no
    descriptor is left behind once it ran, nor after close."""
    fds = lambda: len(os.listdir("/proc/self/fd"))  # noqa: E731
    s = Spool(directory=tmp_path, segment_bytes=4096, fsync="interval", fsync_interval=0.0)
    before = fds()
    for i in range(200):
        s.append(b"k", b"v" * 100 + b"%d" % i)
    assert len(list(tmp_path.glob("*.seg"))) > 3
    assert fds() > before  # rolled segments wait for the interval sync
    s.maybe_sync()
    assert fds() <= before + 2  # the active segment's file (and its ack file)
    s.append(b"k", b"last")
    s.close()
    again = Spool(directory=tmp_path)
    assert len(values(again)) == 201
    again.close()


def test_records_checked_by_their_sha256_survive_a_reopen_and_damage_is_cut(
    tmp_path: Path,
) -> None:
    """A value spooled with its SHA-256 (an event's canonical JSON and event_hash) gets a
    check derived from it: read back like any record; a changed byte, or a digest that is
    not the value's, makes it torn."""
    s = Spool(directory=tmp_path)
    docs = [b'{"i":%d,"kind":"tool_call"}' % i for i in range(4)]
    for doc in docs[:3]:
        s.append(b"session", doc, sha256_hex=hashlib.sha256(doc).hexdigest())
    s.append(b"k", b"crc-checked")  # both kinds in one segment
    assert values(s) == [*docs[:3], b"crc-checked"]
    s.close()
    reopened = Spool(directory=tmp_path)
    assert values(reopened) == [*docs[:3], b"crc-checked"]
    assert [k for _, k, _ in reopened.iter_pending()] == [b"session"] * 3 + [b"k"]
    assert reopened.torn_records == 0
    reopened.append(b"session", docs[3], sha256_hex=hashlib.sha256(b"other").hexdigest())
    reopened.close()
    again = Spool(directory=tmp_path)
    assert again.torn_records == 1  # the record with the wrong digest
    assert values(again) == [*docs[:3], b"crc-checked"]
    again.close()


def test_a_changed_byte_in_a_sha256_checked_record_ends_the_segment(tmp_path: Path) -> None:
    s = Spool(directory=tmp_path)
    docs = [b'{"i":%d}' % i for i in range(3)]
    for doc in docs:
        s.append(b"session", doc, sha256_hex=hashlib.sha256(doc).hexdigest())
    s.close()
    seg = next(tmp_path.glob("*.seg"))
    image = bytearray(seg.read_bytes())
    where = image.rindex(b'{"i":1}') + 5
    image[where] ^= 0x01  # the second record's value
    seg.write_bytes(bytes(image))
    reopened = Spool(directory=tmp_path)
    assert values(reopened) == docs[:1]
    assert reopened.torn_records == 1
    reopened.close()


def test_a_segment_of_the_earlier_format_is_still_read(tmp_path: Path) -> None:
    s = Spool(directory=tmp_path)
    s.append(b"k", b"old-1")
    s.append(b"k", b"old-2")
    s.close()
    seg = next(tmp_path.glob("*.seg"))
    seg.write_bytes(b"TTSPOOL1" + seg.read_bytes()[len(MAGIC) :])
    reopened = Spool(directory=tmp_path)
    assert values(reopened) == [b"old-1", b"old-2"]
    assert reopened.torn_records == 0
    reopened.close()
