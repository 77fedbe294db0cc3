"""The Kafka publisher with no broker: nothing raises, nothing is lost, order is kept.

Points at a closed port (127.0.0.1:1); no service is needed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tooltrail.errors import ConfigError
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
