"""The Kafka publisher with no broker: nothing raises, nothing is lost, order is kept.

Points at a closed port (127.0.0.1:1); no service is needed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tooltrail.errors import ConfigError
from tooltrail.producer.emitter import _batch_method
from tooltrail.producer.kafka import KafkaPublisher
from tooltrail.producer.spool import Spool

NOWHERE = "127.0.0.1:1"


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
    assert pub.in_backlog and len(pub._producer) <= 10  # (all brokers down may come first)
    pub.close(timeout=0.2)  # what librdkafka held is purged into the spool
    spool = Spool(directory=tmp_path)
    got = [v for _, _, v in spool.iter_pending()]
    spool.close()
    assert got == [b"v-%03d" % i for i in range(30)]
    assert pub.metrics.dropped_value("queue_full") == 0


def test_capture_batches_only_into_a_publish_many_that_stands_for_publish() -> None:
    """A subclass that overrides ``publish`` keeps seeing every event through it."""

    class Tee(KafkaPublisher):
        def publish(self, event: dict[str, Any], **kwargs: Any) -> bool:
            return super().publish(event, **kwargs)

    plain, tee = KafkaPublisher(bootstrap_servers=NOWHERE), Tee(bootstrap_servers=NOWHERE)
    try:
        assert _batch_method(plain) == plain.publish_many
        assert _batch_method(tee) is None
    finally:
        plain.close(timeout=0.1)
        tee.close(timeout=0.1)
