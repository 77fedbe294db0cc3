"""A worker killed with ``kill -9`` mid-stream and a new one started: state restored from the
changelog, no alert lost; and two workers sharing the partitions."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from tooltrail.schemas import ALERT, TOOL_CALL_EVENT, Decoder, single_object_serializer
from tooltrail.stream_processors.workers.chained import chained_events
from tooltrail.stream_processors.workers.config import Topics
from tooltrail.stream_processors.workers.kafkaio import produce_all, read_all, replay
from tooltrail.stream_processors.workers.pipeline import RawRecord
from tooltrail.stream_processors.workers.process import WorkerProcess

ENCODE = single_object_serializer(TOOL_CALL_EVENT)
FAST_GROUP = {"TOOLTRAIL_PROCESSORS_SESSION_TIMEOUT": "6"}


@pytest.fixture
def topics(unique_topic: Callable[..., str]) -> Topics:
    return Topics(
        raw=unique_topic("raw", partitions=4),
        enriched=unique_topic("enriched", partitions=4),
        alerts=unique_topic("alerts", partitions=4),
        deadletter=unique_topic("dead", partitions=4),
    )


def produce_sessions(bootstrap: str, topic: str, *, events: int, seed: int) -> list[str]:
    stream = list(chained_events(events=events, sessions=60, attack_rate=1.0, seed=seed))
    produce_all(bootstrap, topic, ((e["session_id"].encode(), ENCODE(e)) for e in stream))
    return [e["event_id"] for e in stream]


def committed(bootstrap: str, group: str, topic: str, partitions: int = 4) -> int:
    """Records of ``topic`` the consumer group has committed, over all partitions."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        offsets = consumer.committed(
            [TopicPartition(topic, p) for p in range(partitions)], timeout=10
        )
    finally:
        consumer.close()
    return sum(max(tp.offset, 0) for tp in offsets)


def enriched_ids(records: list[RawRecord]) -> list[str]:
    return [Decoder().decode(r.value or b"").record["event"]["event_id"] for r in records]


def wait_all_enriched(bootstrap: str, topic: str, wanted: set[str], timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        seen = enriched_ids(read_all(bootstrap, topic, timeout=10))
        if wanted <= set(seen):
            return seen
        time.sleep(1.0)
    raise AssertionError(f"{len(wanted - set(seen))} of {len(wanted)} events never enriched")


def alerts_of(bootstrap: str, topic: str) -> list[dict[str, object]]:
    return [Decoder(expect=ALERT).decode(r.value or b"").record for r in read_all(bootstrap, topic)]


def test_kill_9_mid_stream_then_a_new_worker_resumes_without_losing_alerts(
    kafka_bootstrap: str, topics: Topics, app_id: str, tmp_path: Path
) -> None:
    event_ids = produce_sessions(kafka_bootstrap, topics.raw, events=6_000, seed=21)

    first = WorkerProcess(
        bootstrap=kafka_bootstrap, app_id=app_id, topics=topics, store="rocksdb://",
        datadir=tmp_path / "a", log=tmp_path / "a.log", env=FAST_GROUP,
    ).start()  # fmt: skip
    try:
        first.wait_ready()
        # The worker may well read the first half before its first checkpoint: wait until
        # it has committed offsets, then give it the second half and kill it in the middle.
        deadline = time.monotonic() + 60
        while committed(kafka_bootstrap, app_id, topics.raw) < 3_000:
            assert time.monotonic() < deadline, "first worker committed nothing"
            time.sleep(0.1)
        done = first.metrics().get("tooltrail_processor_records_total", 0)
        event_ids += produce_sessions(kafka_bootstrap, topics.raw, events=6_000, seed=22)
        while first.metrics().get("tooltrail_processor_records_total", 0) < done + 1_000:
            assert time.monotonic() < deadline, "first worker made no progress"
            time.sleep(0.02)
    finally:
        first.kill()
    assert first.process is not None and first.process.returncode == -9

    # The replacement runs elsewhere (a new data directory): its state can only come from
    # the changelog topic.
    with WorkerProcess(
        bootstrap=kafka_bootstrap, app_id=app_id, topics=topics, store="rocksdb://",
        datadir=tmp_path / "b", log=tmp_path / "b.log", env=FAST_GROUP,
    ) as second:  # fmt: skip
        second.wait_ready(timeout=90)
        seen = wait_all_enriched(kafka_bootstrap, topics.enriched, set(event_ids), timeout=120)
        time.sleep(1.0)  # heartbeat alerts of the last events
        second_metrics = second.metrics()

    expected = replay(read_all(kafka_bootstrap, topics.raw))
    alerts = alerts_of(kafka_bootstrap, topics.alerts)
    got = {a["alert_id"] for a in alerts}
    lost = {a["alert_id"] for a in expected.stream_alerts} - got
    missing = [a for a in expected.stream_alerts if a["alert_id"] in lost]
    assert not lost, f"{len(lost)} alerts lost: {missing[:3]}"
    # A replacement without the chain state would see sessions start mid-way (gaps) and
    # raise integrity alerts; the input is clean, so any integrity alert means lost state.
    assert not [a for a in alerts if a["kind"] == "integrity"]
    assert len(seen) >= len(event_ids)
    # The second worker did not start from scratch: offsets committed by the first held.
    assert second_metrics["tooltrail_processor_records_total"] < len(event_ids)


def test_two_workers_share_the_partitions(
    kafka_bootstrap: str, topics: Topics, app_id: str, tmp_path: Path
) -> None:
    workers = [
        WorkerProcess(
            bootstrap=kafka_bootstrap, app_id=app_id, topics=topics,
            datadir=tmp_path / name, log=tmp_path / f"{name}.log", env=FAST_GROUP,
        ).start()
        for name in ("a", "b")
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        assigned: list[list[int]] = [[], []]
        while time.monotonic() < deadline:
            health = [w.health() or {} for w in workers]
            assigned = [h.get("assigned_partitions") or [] for h in health]
            if all(assigned) and sorted(assigned[0] + assigned[1]) == [0, 1, 2, 3]:
                break
            time.sleep(0.3)
        assert all(assigned) and sorted(assigned[0] + assigned[1]) == [0, 1, 2, 3], assigned

        event_ids = produce_sessions(kafka_bootstrap, topics.raw, events=4_000, seed=22)
        wait_all_enriched(kafka_bootstrap, topics.enriched, set(event_ids), timeout=90)
        time.sleep(1.0)
        processed = [w.metrics().get("tooltrail_processor_records_total", 0) for w in workers]
    finally:
        for w in workers:
            w.stop()
    assert all(n > 0 for n in processed), processed
    assert sum(processed) >= len(event_ids)
    expected = replay(read_all(kafka_bootstrap, topics.raw))
    got = {a["alert_id"] for a in alerts_of(kafka_bootstrap, topics.alerts)}
    assert {a["alert_id"] for a in expected.stream_alerts} <= got
