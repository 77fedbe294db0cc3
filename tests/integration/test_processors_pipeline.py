"""The processors worker against the real broker: events in, enriched events and alerts out;
poison records dead-lettered while good ones flow."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tooltrail.schemas import (
    ALERT,
    DEAD_LETTER,
    ENRICHED_TOOL_CALL_EVENT,
    TOOL_CALL_EVENT,
    Decoder,
    single_object_serializer,
)
from tooltrail.stream_processors.workers.chained import chained_events
from tooltrail.stream_processors.workers.config import Topics
from tooltrail.stream_processors.workers.kafkaio import produce_all, read_all, replay
from tooltrail.stream_processors.workers.process import WorkerProcess

ENCODE = single_object_serializer(TOOL_CALL_EVENT)
PARTITIONS = 3


@pytest.fixture
def topics(unique_topic: Callable[..., str]) -> Topics:
    return Topics(
        raw=unique_topic("raw", partitions=PARTITIONS),
        enriched=unique_topic("enriched", partitions=PARTITIONS),
        alerts=unique_topic("alerts", partitions=PARTITIONS),
        deadletter=unique_topic("dead", partitions=PARTITIONS),
    )


def wait_processed(worker: WorkerProcess, total: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    seen = 0.0
    while time.monotonic() < deadline:
        seen = worker.metrics().get("tooltrail_processor_records_total", 0.0)
        if seen >= total:
            return
        time.sleep(0.25)
    raise AssertionError(f"worker processed {seen} of {total} records")


def test_events_enriched_alerts_raised_and_poison_dead_lettered(
    kafka_bootstrap: str, topics: Topics, app_id: str, tmp_path: Path
) -> None:
    events = list(chained_events(events=1500, sessions=30, attack_rate=1.0, seed=11))
    tampered = dict(events[200], arguments='{"path": "/etc/shadow"}')  # hash no longer matches
    events[200] = tampered
    registry_framed = b"\x00\x00\x00\x00\x07" + ENCODE(events[0])[10:]
    poison = [
        (b"p1", b"not avro at all"),
        (b"p2", ENCODE(events[1])[:25]),
        (b"p3", b"\xc3\x01" + b"\x00" * 5000),
        (b"p4", registry_framed),
    ]
    items: list[tuple[bytes | None, bytes]] = []
    for i, event in enumerate(events):
        items.append((event["session_id"].encode(), ENCODE(event)))
        if i % 400 == 7:
            items.append(poison[(i // 400) % len(poison)])
    dead_expected = len(items) - len(events)
    produce_all(kafka_bootstrap, topics.raw, items)

    worker = WorkerProcess(
        bootstrap=kafka_bootstrap,
        app_id=app_id,
        topics=topics,
        datadir=tmp_path / "w1",
        log=tmp_path / "w1.log",
        env={"TOOLTRAIL_PROCESSORS_MAX_RECORD_BYTES": "4096"},
    )
    with worker:
        worker.wait_ready()
        wait_processed(worker, len(items))
        metrics = worker.metrics()
        expected = replay(read_all(kafka_bootstrap, topics.raw))
        wanted = {a["alert_id"] for a in expected.stream_alerts}
        enriched = read_all(kafka_bootstrap, topics.enriched, expect=len(events))
        dead = read_all(kafka_bootstrap, topics.deadletter, expect=dead_expected)
        alerts = read_all(kafka_bootstrap, topics.alerts, expect=len(wanted), timeout=30)

    # Every good event is enriched exactly once (no crash, no rebalance: no redelivery).
    enriched_ids = [Decoder().decode(r.value or b"").record["event"]["event_id"] for r in enriched]
    assert sorted(enriched_ids) == sorted(e["event_id"] for e in events)
    assert (
        Decoder(expect=ENRICHED_TOOL_CALL_EVENT).decode(enriched[0].value or b"").record["category"]
    )

    # Poison records: dead-lettered byte for byte, with where they came from and why.
    letters = [Decoder(expect=DEAD_LETTER).decode(r.value or b"").record for r in dead]
    assert len(letters) == dead_expected
    assert {bytes(d["original"]) for d in letters} <= {v for _, v in poison}
    reasons = Counter(d["reason"] for d in letters)
    assert set(reasons) == {"unknown_magic", "truncated", "oversized", "no_registry"}
    assert all(d["topic"] == topics.raw and d["offset"] >= 0 for d in letters)
    assert metrics['tooltrail_processor_dead_letters_total{reason="oversized",stage="decode"}'] >= 1

    # Alerts: every alert the pipeline raises on this input, the tampered event included.
    decoded = [Decoder(expect=ALERT).decode(r.value or b"").record for r in alerts]
    got = {a["alert_id"] for a in decoded}
    assert wanted <= got
    assert got <= wanted | {a["alert_id"] for a in expected.idle_alerts}
    assert any(
        a["rule_id"] == "integrity.modified" and a["event_ids"] == [tampered["event_id"]]
        for a in decoded
    )
    assert len({a["rule_id"] for a in decoded if a["kind"] == "detection"}) >= 3
    by_rule = sum(v for k, v in metrics.items() if k.startswith("tooltrail_processor_alerts_total"))
    assert by_rule == len(decoded)
    assert 'tooltrail_processor_lag{partition="0"}' in metrics
