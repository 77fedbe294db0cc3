"""Producer benchmark: what auditing a tool call costs, and how many events/s reach Kafka.

Run: ``.venv/bin/python bench/producer.py`` (or ``make bench``); needs the Kafka broker on
TOOLTRAIL_BOOTSTRAP_SERVERS (default 127.0.0.1:9092) and starts the local one if none
answers. About a minute.

1. Added latency per audited call (p50, p99 of per-call wall time minus the bare call's),
   in ``memory`` and ``disk`` durability against the real broker, next to the cost of one
   OpenTelemetry SDK span (start + end, BatchSpanProcessor, a no-op exporter), all in the
   same run, in interleaved rounds so load from elsewhere hits every candidate alike.
   Goal: p50 added <= 20 us and no more than one OTel span.
2. Sustained events/s through the full capture path (``start``/``finish``) into the broker,
   timed until every event is acknowledged, both modes; zero loss is checked by delivery
   reports, the drop counters and the topic's offsets. Goal: >= 50,000 events/s. The
   baseline, measured in the same run, is the plain confluent-kafka Producer sending the
   same events already encoded (what librdkafka and the broker cost without tooltrail).
"""

from __future__ import annotations

import gc
import logging
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import metric, write

from tooltrail.local import LocalKafka, broker_answers
from tooltrail.producer import Auditor, InMemoryPublisher
from tooltrail.producer.kafka import KafkaPublisher
from tooltrail.schemas import TOOL_CALL_EVENT, single_object_serializer
from tooltrail.settings import Settings
from tooltrail.topics import admin_client, create_topic

LOG = logging.getLogger("tooltrail.bench")
CALLS = 20_000  # per round, per candidate
ROUNDS = 3
THROUGHPUT_EVENTS = 100_000
GOAL_P50_US = 20.0
GOAL_EPS = 50_000.0


class NoopExporter(SpanExporter):
    """Exports nothing: the span's own cost is what is measured."""

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def tool(x: int, y: int) -> int:
    return x + y


def percentiles(samples: list[int]) -> tuple[float, float]:
    samples.sort()
    return samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.99)] / 1000


def latency_rounds(candidates: dict[str, Callable[[int, int], int]]) -> dict[str, list[int]]:
    """Per-call wall time (ns) of each candidate, rounds interleaved, GC off while timing."""
    samples: dict[str, list[int]] = {name: [] for name in candidates}
    clock = time.perf_counter_ns
    for _ in range(ROUNDS):
        for name, fn in candidates.items():
            out = samples[name]
            gc.collect()
            gc.disable()
            try:
                for i in range(CALLS):
                    t0 = clock()
                    fn(i, 1)
                    out.append(clock() - t0)
            finally:
                gc.enable()
    return samples


def new_topic(bootstrap: str, partitions: int = 3) -> str:
    name = f"bench.producer.{uuid.uuid4().hex[:10]}"
    create_topic(admin_client(bootstrap, logger=LOG), name, partitions=partitions)
    return name


def delete_topics(bootstrap: str, names: list[str]) -> None:
    admin = admin_client(bootstrap, logger=LOG)  # kept alive until the futures resolve
    for name, future in admin.delete_topics(names, operation_timeout=30).items():
        try:
            future.result(30)
        except Exception as exc:
            LOG.warning("could not delete %s: %s", name, exc)


def topic_count(bootstrap: str, topic: str) -> int:
    """Messages in the topic, from the partitions' offsets (independent of delivery reports)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-count", "logger": LOG})
    try:
        parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        total = 0
        for p in parts:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            total += high - low
        return total
    finally:
        consumer.close()


def auditor_for(bootstrap: str, topic: str, mode: str, spool: Path) -> Auditor:
    publisher = KafkaPublisher(
        bootstrap_servers=bootstrap, topic=topic, durability=mode, spool_dir=spool / mode
    )
    return Auditor(publisher=publisher)


def throughput(bootstrap: str, mode: str, spool: Path) -> dict[str, float]:
    topic = new_topic(bootstrap)
    auditor = auditor_for(bootstrap, topic, mode, spool)
    publisher = auditor.publisher
    sessions = 8
    per_session = THROUGHPUT_EVENTS // sessions
    start = time.perf_counter()
    for s in range(sessions):
        with auditor.session(session_id=f"bench-{mode}-{s}"):
            for i in range(per_session - 2):  # two markers per session
                auditor.start("write_file", arguments={"path": "/tmp/x", "i": i}).finish(
                    result={"ok": True}
                )
    left = auditor.flush(120)
    elapsed = time.perf_counter() - start
    auditor.close()
    expected = sessions * per_session
    produced = publisher.metrics.produced._value.get()
    dropped = sum(
        s.value
        for m in publisher.metrics.registry.collect()
        if m.name == "tooltrail_events_dropped"
        for s in m.samples
        if s.name.endswith("_total")
    )
    in_topic = topic_count(bootstrap, topic)
    delete_topics(bootstrap, [topic])
    lost = expected - min(produced, in_topic)
    return {
        "eps": expected / elapsed,
        "seconds": elapsed,
        "expected": expected,
        "produced": produced,
        "in_topic": in_topic,
        "dropped": dropped,
        "left": left,
        "lost": max(lost, 0),
    }


def prebuilt_events(n: int) -> list[dict[str, Any]]:
    """Sealed events, built (untimed) through the capture path into memory."""
    memory = InMemoryPublisher(encode=False)
    auditor = Auditor(publisher=memory)
    with auditor.session(session_id="prebuilt"):
        for i in range(n - 2):
            auditor.start("write_file", arguments={"path": "/tmp/x", "i": i}).finish(
                result={"ok": True}
            )
    return memory.events


def publish_throughput(
    bootstrap: str, mode: str, spool: Path, events: list[dict[str, Any]]
) -> dict[str, float]:
    """Encode + produce + delivery only (the transport's capacity, capture excluded)."""
    topic = new_topic(bootstrap)
    publisher = KafkaPublisher(
        bootstrap_servers=bootstrap, topic=topic, durability=mode, spool_dir=spool / f"p{mode}"
    )
    start = time.perf_counter()
    for event in events:
        publisher.publish(event)
    left = publisher.flush(120)
    elapsed = time.perf_counter() - start
    publisher.close()
    in_topic = topic_count(bootstrap, topic)
    delete_topics(bootstrap, [topic])
    return {"eps": len(events) / elapsed, "lost": len(events) - in_topic + left}


def bare_throughput(bootstrap: str, payloads: list[tuple[bytes, bytes]]) -> float:
    """Baseline: the plain confluent-kafka Producer sending the same encoded events.

    Same delivery guarantees as the publisher (idempotent, acks=all, lz4), timed until every
    delivery report is in; what librdkafka and the broker cost without tooltrail.
    """
    from confluent_kafka import Producer  # noqa: PLC0415

    topic = new_topic(bootstrap)
    acked = 0

    def on_delivery(err: Any, msg: Any) -> None:
        nonlocal acked
        if err is None:
            acked += 1

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "compression.type": "lz4",
            "linger.ms": 5,
            "queue.buffering.max.messages": 1_000_000,
            "logger": LOG,
        }
    )
    start = time.perf_counter()
    for key, value in payloads:
        while True:
            try:
                producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    producer.flush(120)
    elapsed = time.perf_counter() - start
    delete_topics(bootstrap, [topic])
    if acked != len(payloads):
        raise RuntimeError(f"baseline lost events: {acked} of {len(payloads)} acknowledged")
    return len(payloads) / elapsed


def ensure_broker() -> tuple[str, LocalKafka | None]:
    settings = Settings()
    if broker_answers(settings.bootstrap_servers, timeout=5.0, logger=LOG):
        return settings.bootstrap_servers, None
    broker = LocalKafka.from_settings(settings, logger=LOG)
    broker.start(owner="bench")
    return broker.bootstrap, broker


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    bootstrap, started = ensure_broker()
    spool = Path(tempfile.mkdtemp(prefix="tooltrail-bench-"))
    try:
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(NoopExporter()))
        tracer = provider.get_tracer("bench")

        def otel_span(x: int, y: int) -> int:
            span = tracer.start_span("execute_tool add")
            try:
                return tool(x, y)
            finally:
                span.end()

        topics = [new_topic(bootstrap), new_topic(bootstrap)]
        mem = auditor_for(bootstrap, topics[0], "memory", spool)
        disk = auditor_for(bootstrap, topics[1], "disk", spool)
        audited_mem = mem.tool(tool)
        audited_disk = disk.tool(tool)
        with mem.session(session_id="lat-memory"), disk.session(session_id="lat-disk"):
            samples = latency_rounds(
                {
                    "bare": tool,
                    "otel_span": otel_span,
                    "audited_memory": audited_mem,
                    "audited_disk": audited_disk,
                }
            )
        for a in (mem, disk):
            a.flush(60)
            a.close()
        provider.shutdown()
        delete_topics(bootstrap, topics)

        p = {name: percentiles(s) for name, s in samples.items()}
        bare50, bare99 = p["bare"]
        otel50, otel99 = p["otel_span"][0] - bare50, p["otel_span"][1] - bare99
        metrics: dict[str, dict[str, Any]] = {
            "bare_call_p50": metric(bare50, "us", None),
            "otel_span_added_p50": metric(otel50, "us", None),
            "otel_span_added_p99": metric(otel99, "us", None),
        }
        for mode in ("memory", "disk"):
            a50, a99 = p[f"audited_{mode}"]
            metrics[f"added_latency_p50_{mode}_vs_otel_span"] = metric(a50 - bare50, "us", otel50)
            metrics[f"added_latency_p99_{mode}_vs_otel_span"] = metric(a99 - bare99, "us", otel99)
            metrics[f"added_latency_p50_{mode}_vs_goal"] = metric(a50 - bare50, "us", GOAL_P50_US)

        events = prebuilt_events(THROUGHPUT_EVENTS)
        encode = single_object_serializer(TOOL_CALL_EVENT)
        payloads = [(e["session_id"].encode(), encode(e)) for e in events]
        bare_eps = bare_throughput(bootstrap, payloads)
        metrics["bare_confluent_produce"] = metric(bare_eps, "events/s", GOAL_EPS)
        details = {}
        for mode in ("memory", "disk"):
            t = throughput(bootstrap, mode, spool)
            details[mode] = t
            metrics[f"throughput_{mode}"] = metric(t["eps"], "events/s", bare_eps)
            metrics[f"lost_events_{mode}"] = metric(float(t["lost"] + t["dropped"]), "events", None)
        for mode in ("memory", "disk"):
            t = publish_throughput(bootstrap, mode, spool, events)
            metrics[f"publish_only_{mode}"] = metric(t["eps"], "events/s", bare_eps)
            metrics[f"publish_only_lost_{mode}"] = metric(float(t["lost"]), "events", None)
        notes = (
            f"{CALLS}x{ROUNDS} calls per latency candidate; {THROUGHPUT_EVENTS} events per "
            f"throughput run; throughput baseline = plain confluent-kafka Producer sending the "
            f"same encoded events (goal: >= {GOAL_EPS:,.0f} events/s); "
            + "; ".join(
                f"{m}: {d['expected']:.0f} sent, {d['produced']:.0f} acked, "
                f"{d['in_topic']:.0f} in topic, {d['seconds']:.1f} s"
                for m, d in details.items()
            )
        )
        write("producer", metrics, notes=notes)
    finally:
        if started is not None:
            started.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
