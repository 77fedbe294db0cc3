"""The Kafka publisher with no broker: nothing raises, nothing is lost, order is kept.

Points at a closed port (127.0.0.1:1); no service is needed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tooltrail.errors import ConfigError
from tooltrail.producer import Auditor
from tooltrail.producer.emitter import Emitter, _batch_method
from tooltrail.producer.kafka import KafkaPublisher
from tooltrail.producer.spool import Spool

NOWHERE = "127.0.0.1:1"


def emitter_for(pub: KafkaPublisher) -> Emitter:
    return Emitter(publisher=pub, signer=None, offload=False, max_pending=10, on_lost=print)


def wait_for(cond: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


@pytest.mark.parametrize("mode", ["memory", "disk"])
def test_unreachable_broker_spools_everything_in_order(tmp_path: Path, mode: str) -> None:
    pub = KafkaPublisher(bootstrap_servers=NOWHERE, durability=mode, spool_dir=tmp_path)
    for i in range(50):
        assert pub.publish_bytes(b"s1", b"early-%03d" % i)
    wait_for(lambda: pub.in_backlog)  # librdkafka reported all brokers down
    for i in range(50):
        assert pub.publish_bytes(b"s1", b"late-%03d" % i)
    t0 = time.monotonic()
    pub.close(timeout=0.5)
    assert time.monotonic() - t0 < 10
    spool = Spool(directory=tmp_path)
    got = [v for _, _, v in spool.iter_pending()]
    spool.close()
    expected = [b"early-%03d" % i for i in range(50)] + [b"late-%03d" % i for i in range(50)]
    assert got == expected
    assert pub.metrics.produced._value.get() == 0


def test_memory_mode_without_spool_counts_what_it_cannot_keep() -> None:
    pub = KafkaPublisher(
        bootstrap_servers=NOWHERE, queue_max_messages=10, producer_config={"linger.ms": 1000}
    )
    accepted = [pub.publish_bytes(b"k", b"v") for _ in range(30)]
    assert accepted.count(False) >= 15
    assert pub.metrics.dropped_value("queue_full") == accepted.count(False)
    pub.close(timeout=0.2)
    assert pub.metrics.dropped_value("undelivered_at_close") >= 1


def test_disk_mode_needs_a_spool_dir() -> None:
    with pytest.raises(ConfigError, match="spool_dir"):
        KafkaPublisher(bootstrap_servers=NOWHERE, durability="disk")


def test_publish_many_keeps_order_past_a_full_queue_and_counts_bad_events(tmp_path: Path) -> None:
    """Memory mode's batch path: what librdkafka cannot take goes to the spool, in order
    after what it took; an event that does not encode is counted, the rest still go."""
    pub = KafkaPublisher(
        bootstrap_servers=NOWHERE,
        spool_dir=tmp_path,
        queue_max_messages=10,
        serializer=lambda event, ctx: event["value"],
        producer_config={"linger.ms": 1000},
    )
    events = [{"session_id": "s1", "value": b"v-%03d" % i} for i in range(30)]
    events.insert(5, {"session_id": "s1"})  # no value: does not encode
    pub.publish_many(events)
    assert pub.metrics.dropped_value("encode_error") == 1
    # librdkafka took at most its 10; the rest went to the spool. (len(producer) is no
    # measure of that: it also counts error and log events waiting for poll.)
    assert pub.in_backlog and pub.spool is not None
    pub.spool.sync_metrics()  # (the poll thread moves the count on its own later)
    assert pub.metrics.spooled._value.get() >= 20
    pub.close(timeout=0.2)  # what librdkafka held is purged into the spool
    spool = Spool(directory=tmp_path)
    got = [v for _, _, v in spool.iter_pending()]
    spool.close()
    assert got == [b"v-%03d" % i for i in range(30)]
    assert pub.metrics.dropped_value("queue_full") == 0


def test_capture_batches_only_into_a_publish_many_that_stands_for_publish(
    tmp_path: Path,
) -> None:
    """A subclass that overrides ``publish`` keeps seeing every event through it: neither
    the batch path (memory mode) nor the per-event spooler (disk mode) goes around it."""

    class Tee(KafkaPublisher):
        def publish(self, event: dict[str, Any], **kwargs: Any) -> bool:
            seen.append(event["seq"])
            return super().publish(event, **kwargs)

    seen: list[int] = []
    plain, tee = KafkaPublisher(bootstrap_servers=NOWHERE), Tee(bootstrap_servers=NOWHERE)
    disk = KafkaPublisher(bootstrap_servers=NOWHERE, durability="disk", spool_dir=tmp_path / "a")
    disk_tee = Tee(bootstrap_servers=NOWHERE, durability="disk", spool_dir=tmp_path / "b")
    try:
        assert _batch_method(plain) == plain.publish_many
        assert _batch_method(tee) is None
        assert emitter_for(plain)._spool is None  # memory mode: no spooler
        assert emitter_for(disk)._spool is not None
        assert emitter_for(disk_tee)._spool is None
        auditor = Auditor(publisher=disk_tee)
        with auditor.session(session_id="tee"):
            auditor.start("t").finish(result=1)
        auditor.flush(0.1)
        assert seen == [1, 2, 3]
    finally:
        for pub in (plain, tee, disk, disk_tee):
            pub.close(timeout=0.1)


class _Err:
    def __init__(self, name: str) -> None:
        self._name = name

    def name(self) -> str:
        return self._name


class _Msg:
    def __init__(self, key: bytes, value: bytes) -> None:
        self._key, self._value = key, value

    def key(self) -> bytes:
        return self._key

    def value(self) -> bytes:
        return self._value


def test_a_closed_generation_acknowledges_all_but_the_records_that_may_still_arrive(
    tmp_path: Path,
) -> None:
    """Successes are not reported: when librdkafka's queue is empty, the generation's
    records are acknowledged, except one that failed and can be retried (kept for the next
    process); one that failed for good is dropped, counted and acknowledged."""
    pub = KafkaPublisher(bootstrap_servers=NOWHERE, durability="disk", spool_dir=tmp_path)
    assert pub.spool is not None
    # The test plays the poll thread: records join the generation here without reaching
    # librdkafka, so the real poll thread could close it before the failures below are
    # reported, or (in its backlog) replay the records into librdkafka's queue for good.
    pub._stop.set()
    pub._thread.join(5.0)
    values = [b"v-%d" % i for i in range(5)]
    with pub._lock:  # what the handoff does when it produces (here nothing reaches librdkafka)
        for v in values:
            ref = pub.spool.append(b"k", v)
            assert ref is not None
            pub._gen.append((ref, v))
            pub._cursor = ref
    pub._on_delivery(True, _Err("_PURGE_QUEUE"), _Msg(b"k", values[1]))
    pub._on_delivery(True, _Err("MSG_SIZE_TOO_LARGE"), _Msg(b"k", values[3]))

    def closed() -> bool:  # librdkafka's queue also counts its pending error events
        pub._producer.poll(0)
        pub._settle()
        return not pub._gen

    wait_for(closed)
    assert pub.metrics.dropped_value("msg_size_too_large") == 1
    pub.close(timeout=0.2)
    spool = Spool(directory=tmp_path)
    left = [v for _, _, v in spool.iter_pending()]
    spool.close()
    assert left == [values[1]]
