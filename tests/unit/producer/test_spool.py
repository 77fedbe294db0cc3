"""The disk spool: order, acks across restarts, torn tails after kill -9, full policies."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from tooltrail.errors import ConfigError
from tooltrail.producer.metrics import ProducerMetrics
from tooltrail.producer.spool import Spool


def values(spool: Spool) -> list[bytes]:
    return [v for _, _, v in spool.iter_pending()]


def test_append_replay_ack_and_reopen(tmp_path: Path) -> None:
    s = Spool(directory=tmp_path, segment_bytes=200)
    refs = [s.append(b"k", f"v{i}".encode()) for i in range(20)]
    assert all(r is not None for r in refs)
    assert len({r[0] for r in refs if r}) > 1  # rolled over several segments
    assert values(s) == [f"v{i}".encode() for i in range(20)]
    for r in refs[:15]:
        assert r is not None
        s.ack(r)
    s.flush_acks()
    s.close()
    again = Spool(directory=tmp_path, segment_bytes=200)
    assert values(again) == [f"v{i}".encode() for i in range(15, 20)]
    assert again.pending == 5
    keys = {k for _, k, _ in again.iter_pending()}
    assert keys == {b"k"}
    # fully acknowledged segments are gone from disk
    assert len(list(tmp_path.glob("*.seg"))) < len({r[0] for r in refs if r}) + 1
    again.close()


def test_iter_pending_after_a_cursor(tmp_path: Path) -> None:
    with_spool = Spool(directory=tmp_path)
    refs = [with_spool.append(b"", bytes([i])) for i in range(5)]
    assert [v for _, _, v in with_spool.iter_pending(after=refs[2])] == [b"\x03", b"\x04"]
    assert with_spool.tail() == refs[-1]
    with_spool.close()


@pytest.mark.parametrize("cut", [1, 5, 9, 12])
def test_torn_tail_is_cut_and_counted_not_raised(tmp_path: Path, cut: int) -> None:
    s = Spool(directory=tmp_path)
    for i in range(3):
        s.append(b"key", b"value-%d" % i)
    seg = next(tmp_path.glob("*.seg"))
    s.close()
    # a kill -9 in the middle of the last write: chop `cut` bytes off the last record
    size = seg.stat().st_size
    os.truncate(seg, size - cut)
    metrics = ProducerMetrics()
    reopened = Spool(directory=tmp_path, metrics=metrics)
    assert values(reopened) == [b"value-0", b"value-1"]
    assert reopened.torn_records == 1
    assert metrics.dropped_value("torn_record", stage="spool") == 1
    # the spool keeps working after the cut
    reopened.append(b"key", b"value-3")
    assert values(reopened) == [b"value-0", b"value-1", b"value-3"]
    reopened.close()


def test_corrupt_record_stops_the_segment(tmp_path: Path) -> None:
    s = Spool(directory=tmp_path)
    for i in range(3):
        s.append(b"k", b"payload-%d" % i)
    seg = next(tmp_path.glob("*.seg"))
    s.close()
    data = bytearray(seg.read_bytes())
    data[-3] ^= 0xFF  # flip bits inside the last record: its CRC no longer matches
    seg.write_bytes(bytes(data))
    reopened = Spool(directory=tmp_path)
    assert values(reopened) == [b"payload-0", b"payload-1"]
    assert reopened.torn_records == 1
    reopened.close()


def test_drop_new_when_full(tmp_path: Path) -> None:
    s = Spool(directory=tmp_path, max_bytes=300, segment_bytes=100)
    results = [s.append(b"", b"x" * 40) for _ in range(10)]
    assert results[0] is not None and results[-1] is None
    assert values(s) == [b"x" * 40] * sum(r is not None for r in results)
    assert s.size_bytes <= 300
    s.close()


def test_drop_oldest_when_full_counts_evictions(tmp_path: Path) -> None:
    metrics = ProducerMetrics()
    s = Spool(
        directory=tmp_path,
        max_bytes=300,
        segment_bytes=100,
        full_policy="drop_oldest",
        metrics=metrics,
    )
    for i in range(10):
        assert s.append(b"", b"%02d" % i + b"x" * 38) is not None
    kept = values(s)
    assert kept[-1].startswith(b"09") and not kept[0].startswith(b"00")
    assert metrics.dropped_value("spool_evicted", stage="spool") == 10 - len(kept)
    s.close()


def test_reserved_segment_replays_before_later_records(tmp_path: Path) -> None:
    s = Spool(directory=tmp_path)
    s.append(b"", b"old")
    reserved = s.roll(reserve=True)
    assert reserved is not None
    s.append(b"", b"new")
    s.append(b"", b"older-than-new", segment=reserved)
    assert values(s) == [b"old", b"older-than-new", b"new"]
    s.close()
    reopened = Spool(directory=tmp_path)
    assert values(reopened) == [b"old", b"older-than-new", b"new"]
    reopened.close()


def test_one_process_per_directory(tmp_path: Path) -> None:
    s = Spool(directory=tmp_path)
    with pytest.raises(ConfigError, match="in use"):
        Spool(directory=tmp_path)
    s.close()
    Spool(directory=tmp_path).close()


def test_policies_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Spool(directory=tmp_path, full_policy="block")
    with pytest.raises(ConfigError):
        Spool(directory=tmp_path / "b", fsync="sometimes")


def test_fsync_always_and_refs_order(tmp_path: Path) -> None:
    s = Spool(directory=tmp_path, fsync="always")
    a, b = s.append(b"", b"1"), s.append(b"", b"2", sync=True)
    assert a is not None and b is not None and a < b
    s.close()


def test_refs_are_plain_tuples_the_collector_untracks(tmp_path: Path) -> None:
    """A ref, and a (ref, bytes) pair holding it as a generation does, leave the garbage
    collector's lists at their first collection: records in flight do not lengthen each one."""
    s = Spool(directory=tmp_path)
    ref = s.append(b"k", b"v")
    pair = (ref, b"v")
    gc.collect()
    assert type(ref) is tuple and ref == (ref[0], 0)
    assert not gc.is_tracked(ref) and not gc.is_tracked(pair)
    s.close()


def test_slots_let_processes_share_a_directory(tmp_path: Path) -> None:
    first = Spool.open_slot(tmp_path, slots=2)
    second = Spool.open_slot(tmp_path, slots=2)
    assert {first.dir.name, second.dir.name} == {"slot-0", "slot-1"}
    with pytest.raises(ConfigError, match="all 2 spool slots"):
        Spool.open_slot(tmp_path, slots=2)
    first.append(b"", b"left behind")
    first.close()
    again = Spool.open_slot(tmp_path, slots=2)  # the lowest free slot: the one left behind
    assert values(again) == [b"left behind"]
    again.close()
    second.close()


def test_append_view_locked_views_outlive_the_segments_closing(tmp_path: Path) -> None:
    """Disk mode hands over a view of each record's value in the mapping: views of a rolled
    or closed segment stay readable (the mapping goes with the last of them)."""
    import hashlib  # noqa: PLC0415

    spool = Spool(directory=tmp_path, segment_bytes=4096)
    got = []
    with spool.lock:
        for i in range(40):
            value = b'{"n":"%s"}' % (b"x" * 200 + b"%03d" % i)
            appended = spool.append_view_locked(b"k", value, hashlib.sha256(value).hexdigest())
            assert appended is not None
            ref, buf, start, stop = appended
            got.append((ref, value, memoryview(buf)[start:stop]))
    assert len({ref[0] for ref, _, _ in got}) > 1  # rolled over to other segments
    mapped = [doc for _, value, doc in got if doc.obj is not value]
    assert len(mapped) > 30  # (the others: the value itself, not written through a mapping)
    assert all(doc == value for _, value, doc in got)
    spool.close()
    assert all(doc == value for _, value, doc in got)  # still there after the close
    again = Spool(directory=tmp_path)
    assert [(r, v) for r, _, v in again.iter_pending()] == [(r, v) for r, v, _ in got]
    again.close()


def test_a_new_segment_is_populated_when_a_thread_prefaults(tmp_path: Path) -> None:
    """Once a background thread prefaults (disk mode), a roll faults the first pages of the
    new segment in at once (GIL released) instead of leaving each to fault on its first
    write; a spool nobody prefaults (memory mode) does not."""
    from tooltrail.producer import segment  # noqa: PLC0415
    from tooltrail.producer.spool import PREFAULT_AHEAD  # noqa: PLC0415

    if not segment._prefault_supported:
        pytest.skip("no MADV_POPULATE_WRITE here")
    quiet = Spool(directory=tmp_path / "quiet", segment_bytes=4 << 20)
    quiet.roll()
    assert quiet._active.populated == 0
    quiet.close()
    spool = Spool(directory=tmp_path / "busy", segment_bytes=4 << 20)
    first = spool._active
    spool.prefault()  # what disk mode's background thread does
    assert first.populated >= PREFAULT_AHEAD // 2
    assert spool.append(b"k", b"v") is not None
    spool.roll()
    second = spool._active
    assert second is not first
    assert second.populated >= PREFAULT_AHEAD // 4 - os.sysconf("SC_PAGE_SIZE")
    assert spool.append(b"k", b"w") is not None
    assert values(spool) == [b"v", b"w"]
    spool.close()
