"""Small confluent-kafka helpers for the demo, tests and benchmark: produce a list, read a topic.

Also :func:`replay`: the pipeline run offline over records read back from the raw topic,
one runtime per partition, as the workers would have run it; what the workers produced can
be checked against it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tooltrail.errors import ServiceError
from tooltrail.stream_processors.workers.pipeline import Pipeline, RawRecord
from tooltrail.stream_processors.workers.runtime import AnalysisConfig, PartitionRuntime

log = logging.getLogger(__name__)


def produce_all(
    bootstrap: str, topic: str, items: Iterable[tuple[bytes | None, bytes]], *, timeout: float = 60
) -> int:
    """Produce ``(key, value)`` pairs and wait for every delivery; returns the count."""
    from confluent_kafka import Producer  # noqa: PLC0415

    errors: list[str] = []

    def delivered(err: Any, msg: Any) -> None:
        if err is not None:
            errors.append(str(err))

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 5,
            "logger": log,
            "enable.idempotence": True,
            # what tooltrail.producer uses: consumers must be able to decompress it
            "compression.type": "lz4",
        }
    )
    count = 0
    for key, value in items:
        while True:
            try:
                producer.produce(topic, key=key, value=value, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.05)
        count += 1
        if count % 1000 == 0:
            producer.poll(0)
    remaining = producer.flush(timeout)
    if remaining or errors:
        raise ServiceError(f"{remaining} records undelivered, errors: {errors[:3]}")
    return count


def read_all(
    bootstrap: str, topic: str, *, expect: int | None = None, timeout: float = 60.0
) -> list[RawRecord]:
    """Every record of ``topic`` (all partitions, from the start).

    Reads up to the end offsets seen at the start, or until ``expect`` records arrived
    (waiting up to ``timeout`` for them).
    """
    from confluent_kafka import Consumer, TopicPartition  # noqa: PLC0415

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"tooltrail-read-{time.monotonic_ns()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "logger": log,
        }
    )
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        tps = [TopicPartition(topic, p, 0) for p in meta.partitions]
        consumer.assign(tps)
        ends = {tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in tps}
        out: list[RawRecord] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if expect is not None and len(out) >= expect:
                break
            if expect is None and all(
                sum(1 for r in out if r.partition == p) >= end for p, end in ends.items()
            ):
                break
            for msg in consumer.consume(1000, timeout=0.5):
                if msg.error() is None:
                    topic_, partition, offset = msg.topic(), msg.partition(), msg.offset()
                    assert topic_ is not None and partition is not None and offset is not None
                    out.append(RawRecord(topic_, partition, offset, msg.key(), msg.value()))
        return out
    finally:
        consumer.close()


@dataclass
class Replay:
    """What the pipeline produces over a whole input, offline."""

    stream_alerts: list[dict[str, Any]] = field(default_factory=list)
    idle_alerts: list[dict[str, Any]] = field(default_factory=list)
    enriched: int = 0
    dead: int = 0


def replay(records: Iterable[RawRecord], analysis: AnalysisConfig | None = None) -> Replay:
    """Run the pipeline over raw records, one runtime per partition, in offset order.

    ``stream_alerts`` are raised while records are processed (a worker must have produced
    every one); ``idle_alerts`` only once the input has ended and event time moved on.
    """
    config = analysis or AnalysisConfig()
    chains: dict[str, bytes | None] = {}
    runtimes: dict[int, PartitionRuntime] = {}

    def runtime_for(partition: int) -> PartitionRuntime:
        if partition not in runtimes:
            runtimes[partition] = PartitionRuntime(config=config, load_chain=chains.get)
        return runtimes[partition]

    ordered = sorted(records, key=lambda r: (r.partition, r.offset))
    result = Pipeline().process(ordered, runtime_for)
    out = Replay(
        stream_alerts=result.alert_records,
        enriched=len(result.enriched),
        dead=len(result.dead_letters),
    )
    for runtime in runtimes.values():
        out.idle_alerts.extend(runtime.heartbeat(now=time.monotonic() + 86_400))
    return out
