"""The broker stopped mid-stream and restarted: every event arrives, in order.

Runs its own broker on a private port (``tooltrail.local.LocalKafka``) so that stopping it
does not disturb other tests using the shared one.
"""

from __future__ import annotations

import logging
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tooltrail.local import LocalKafka
from tooltrail.producer import Auditor, FindingKind, verify
from tooltrail.producer.kafka import KafkaPublisher
from tooltrail.settings import Settings
from tooltrail.topics import admin_client, create_topic

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from producer_helpers.consume import consume_all

_LOG = logging.getLogger("tooltrail.tests.producer")


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
        if port > 65000:
            continue
        with socket.socket() as b:
            try:
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return int(port)
    raise RuntimeError("no free port pair")


@pytest.fixture(scope="module")
def private_broker(kafka_bootstrap: str) -> Iterator[LocalKafka]:
    # depends on kafka_bootstrap only so the jars are known to be fetched already
    settings = Settings()
    broker = LocalKafka(
        port=_free_port_pair(), cache_dir=settings.cache_dir, heap="384m", logger=_LOG
    )
    broker.start(fresh=True, owner="test_producer_outage")
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(broker.state_dir, ignore_errors=True)


def _create_topic(bootstrap: str, name: str) -> None:
    create_topic(admin_client(bootstrap, logger=_LOG), name, partitions=2)


@pytest.mark.parametrize("mode", ["memory", "disk"])
def test_broker_restart_mid_stream_loses_nothing(
    private_broker: LocalKafka, tmp_path: Path, mode: str
) -> None:
    bootstrap = private_broker.bootstrap
    topic = f"outage-{mode}-{int(time.time())}"
    _create_topic(bootstrap, topic)
    pub = KafkaPublisher(
        bootstrap_servers=bootstrap,
        topic=topic,
        durability=mode,
        spool_dir=tmp_path,
        producer_config={"reconnect.backoff.max.ms": 500},
    )
    auditor = Auditor(publisher=pub)
    recorded: list[str] = []

    def calls(n: int, pause: float = 0.0) -> None:
        for i in range(n):
            call = auditor.start("query_db", arguments={"i": i})
            call.finish(result={"rows": i})
            recorded.append(call.event_id)
            if pause:
                time.sleep(pause)

    with auditor.session(session_id=f"outage-{mode}") as ctx:
        calls(1000)
        assert auditor.flush(30) == 0
        private_broker.stop()
        calls(1500, pause=0.001)  # ~2 s with the broker gone
        assert pub.in_backlog  # librdkafka reported the broker down: events went to disk
        private_broker.start(owner="test_producer_outage")
        calls(1000)
    assert auditor.flush(90) == 0
    auditor.close()
    assert pub.metrics.spooled._value.get() > 0
    assert pub.metrics.replayed._value.get() > 0

    got = consume_all(bootstrap, topic, expect=len(recorded) + 2, timeout=90)
    ids = [r["event_id"] for r in got]
    assert set(recorded) <= set(ids)  # every event arrived
    first: dict[str, dict[str, Any]] = {}
    for r in got:
        if r["event_id"] in first:  # a duplicate is the very same event, told by its id
            assert r["event_hash"] == first[r["event_id"]]["event_hash"]
        else:
            first[r["event_id"]] = r
    report = verify(got, window=len(got) + 10)
    others = [f for f in report.findings if f.kind != FindingKind.DUPLICATE]
    assert others == [], [f.to_dict() for f in others[:5]]  # no gap, no reorder
    assert {r["session_id"] for r in got} == {ctx.session_id}
