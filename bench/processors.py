"""Processors benchmark: events/s per worker process through Kafka, and alert latency.

Run: ``.venv/bin/python bench/processors.py`` (or ``make bench``); needs the Kafka broker on
TOOLTRAIL_BOOTSTRAP_SERVERS (default 127.0.0.1:9092) and starts the local one if none
answers (stopping it at the end). About two minutes.

1. Throughput: chained synthetic sessions (attacks included) are produced to a fresh raw
   topic (lz4, as the producer library sends them); one ``tooltrail worker processors``
   process (memory store) then reads them all: raw in, enriched events, alerts and state
   out. Timed by its /metrics record counter, read every 0.25 s: from the first reading
   above zero to the last below the total. Goal: >= 20,000 events/s per worker process.
   Baseline, same run, same input: a bare confluent-kafka consume -> produce passthrough
   in one process (what Kafka and a Python loop cost without decoding, detection or
   Faust). Also measured: the same worker with a pipeline that only counts
   (``faust_only``: Faust's own cost per event).
2. Alert latency at a fixed input rate (5,000 events/s, then 1,000): events are sent on
   schedule with event time = send time; latency = when the alert is read from the alerts
   topic minus when the last event it names was sent. Goal: p99 <= 500 ms at 5,000/s.
   The worker starts idle; the first ``WARMUP_SECONDS`` at the rate are not in the
   ``alert_latency_*`` figures (a fresh worker compiles rule plans and opens every
   session's state then), nor the last ``TAIL_SECONDS``: once the input stops, what the
   last events raise waits for the idle heartbeat (the allowed lateness of idle time,
   then the next tick) instead of newer events, which is the latency of a stream's end,
   not of a stream at the rate. ``*_from_cold_start`` counts every alert from the first
   event to the last.
   Baseline: the same events through the bare passthrough (send -> read back).
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import cli, metric, write

from tooltrail.local import LocalKafka, broker_answers
from tooltrail.schemas import ALERT, TOOL_CALL_EVENT, Decoder, single_object_serializer
from tooltrail.settings import Settings
from tooltrail.stream_processors.workers.chained import chained_events
from tooltrail.stream_processors.workers.config import Topics
from tooltrail.stream_processors.workers.kafkaio import produce_all
from tooltrail.stream_processors.workers.process import WorkerProcess, delete_app_topics
from tooltrail.topics import admin_client

LOG = logging.getLogger("tooltrail.bench.processors")
PARTITIONS = 4
THROUGHPUT_EVENTS = 150_000  # ~10 s of a worker: long enough to include its checkpoints
RATES = (5_000, 1_000)
RATE_SECONDS = 8.0
WARMUP_SECONDS = 3.0  # sent at the same rate before the measured window
TAIL_SECONDS = 1.0  # and after it
POLL_SECONDS = 0.25  # worker /metrics readings while timing throughput
ENCODE = single_object_serializer(TOOL_CALL_EVENT)


def new_topics(admin: Any, tag: str) -> Topics:
    topics = Topics(
        raw=f"bench.proc.{tag}.raw",
        enriched=f"bench.proc.{tag}.enriched",
        alerts=f"bench.proc.{tag}.alerts",
        deadletter=f"bench.proc.{tag}.dead",
    )
    names = [topics.raw, topics.enriched, topics.alerts, topics.deadletter, f"{topics.raw}.pass"]
    for future in admin.create_topics([NewTopic(n, PARTITIONS, 1) for n in names]).values():
        future.result(30)
    time.sleep(1.0)
    return topics


def drop_topics(admin: Any, topics: Topics) -> None:
    names = [topics.raw, topics.enriched, topics.alerts, topics.deadletter, f"{topics.raw}.pass"]
    names += [f"{topics.raw}.{suffix}" for suffix in ("ne", "na", "nd")]
    for future in admin.delete_topics(names, operation_timeout=30).values():
        try:
            future.result(30)
        except Exception as exc:  # cleanup only
            LOG.warning("could not delete %s", exc)


def consumer(bootstrap: str, topic: str, *, group: str | None = None) -> Any:
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group or f"bench-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "logger": LOG,
        }
    )
    c.subscribe([topic])
    return c


def passthrough(bootstrap: str, source: str, sink: str, count: int) -> float:
    """Bare consume -> produce -> commit loop; events/s over ``count`` records."""
    c = consumer(bootstrap, source)
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "logger": LOG})
    done, started = 0, 0.0
    while done < count:
        batch = c.consume(1000, timeout=1.0)
        if batch and not started:
            started = time.perf_counter()
        for msg in batch:
            if msg.error() is None:
                p.produce(sink, key=msg.key(), value=msg.value())
                done += 1
        p.poll(0)
        if batch:
            c.commit(asynchronous=True)
    p.flush(30)
    elapsed = time.perf_counter() - started
    c.close()
    return done / elapsed


def start_worker(bootstrap: str, topics: Topics, workdir: Path, name: str) -> WorkerProcess:
    worker = WorkerProcess(
        bootstrap=bootstrap,
        app_id=f"bench-proc-{name}-{uuid.uuid4().hex[:6]}",
        topics=topics,
        datadir=workdir / name,
        log=workdir / f"{name}.log",
        env={"TOOLTRAIL_PROCESSORS_ALLOWED_LATENESS": "0.2"},
    )
    worker.start().wait_ready(timeout=90)
    return worker


def throughput(bootstrap: str, topics: Topics, workdir: Path) -> tuple[float, float, float, float]:
    events = list(chained_events(events=THROUGHPUT_EVENTS, sessions=500, attack_rate=0.3))
    produce_all(bootstrap, topics.raw, ((e["session_id"].encode(), ENCODE(e)) for e in events))
    total = len(events)
    baseline = passthrough(bootstrap, topics.raw, f"{topics.raw}.pass", total)
    ceiling = faust_ceiling(bootstrap, topics, workdir, total)
    worker = start_worker(bootstrap, topics, workdir, "throughput")
    try:
        import psutil  # noqa: PLC0415

        proc = psutil.Process(worker.process.pid if worker.process else 0)

        def cpu_seconds() -> float:
            times = proc.cpu_times()
            return float(times.user + times.system)

        rate, per_cpu_s = rate_while_processing(
            lambda: worker.metrics().get("tooltrail_processor_records_total", 0.0),
            total,
            cpu_seconds,
        )
    finally:
        worker.stop()
        delete_app_topics(bootstrap, worker.app_id)
    return rate, per_cpu_s, baseline, ceiling


NULL_WORKER = """
import sys
from pathlib import Path
from tooltrail.stream_processors.workers import pipeline
from tooltrail.stream_processors.workers.config import ProcessorConfig, Topics
from tooltrail.stream_processors.workers.runner import run_worker

def count_only(self, records, analyzer_for, **kwargs):
    result = pipeline.BatchResult()
    result.processed = sum(1 for _ in records)
    return result

pipeline.Pipeline.process = count_only  # Faust and Kafka only: no decoding, no outputs
bootstrap, raw, port, datadir, app_id = sys.argv[1:6]
topics = Topics(raw=raw, enriched=raw + ".ne", alerts=raw + ".na", deadletter=raw + ".nd")
sys.exit(run_worker(ProcessorConfig(bootstrap_servers=bootstrap, app_id=app_id,
    store="memory://", datadir=Path(datadir), web_port=int(port), partitions=4, topics=topics)))
"""


def faust_ceiling(bootstrap: str, topics: Topics, workdir: Path, total: int) -> float:
    """Events/s of the same worker with a pipeline that only counts (what Faust costs)."""
    import subprocess  # noqa: PLC0415

    from tooltrail.stream_processors.workers.process import free_port, parse_metrics  # noqa: PLC0415

    port = free_port()
    app_id = f"bench-proc-null-{uuid.uuid4().hex[:6]}"
    args = [bootstrap, topics.raw, str(port), str(workdir / "null"), app_id]
    child = subprocess.Popen([sys.executable, "-c", NULL_WORKER, *args],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def processed() -> float:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                return parse_metrics(r.read().decode()).get("tooltrail_processor_records_total", 0)
        except OSError:
            return 0.0

    try:
        return rate_while_processing(processed, total, poll=0.05)[0]  # (a fast one)
    except RuntimeError:
        return float("nan")
    finally:
        child.terminate()
        child.wait(30)
        delete_app_topics(bootstrap, app_id)


def rate_while_processing(
    processed: Callable[[], float],
    total: int,
    cpu_seconds: Callable[[], float] | None = None,
    *,
    poll: float = POLL_SECONDS,
) -> tuple[float, float]:
    """Records/s (and records per CPU second) of a worker, from its record counter.

    The counter is read every ``poll`` seconds (each read costs the worker a /metrics
    render). The rate runs from the first reading above zero to the last one below
    ``total``: both are exact (count, time) pairs, where the reading that first sees
    ``total`` came up to a poll interval after the last record.
    """
    first: tuple[float, float, float] | None = None
    last: tuple[float, float, float] | None = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        n = processed()
        sample = (n, time.perf_counter(), cpu_seconds() if cpu_seconds else 0.0)
        if n >= total:
            break
        if n > 0:
            first = first or sample
            last = sample
        time.sleep(poll)
    else:
        raise RuntimeError(f"worker processed {n} of {total} in 120 s")
    if first is None or last is None or last[0] - first[0] < total / 4:
        first, last = first or sample, sample  # too fast for the poll: end at ``total``
    records, seconds, cpu = last[0] - first[0], last[1] - first[1], last[2] - first[2]
    return records / seconds, (records / cpu if cpu else float("nan"))


def paced(rate: int, seconds: float, seed: int) -> list[dict[str, Any]]:
    count = int(rate * seconds)
    return list(
        chained_events(
            events=count, sessions=max(50, rate // 20), attack_rate=1.0, seed=seed,
            start=datetime.now(UTC), every=timedelta(seconds=1 / rate),
        )
    )  # fmt: skip


def send_on_schedule(
    bootstrap: str, topic: str, events: list[dict[str, Any]], rate: int
) -> dict[str, float]:
    """Send at ``rate``/s with event time rewritten to the send time; event_id -> send time."""
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 2, "compression.type": "lz4",
                  "logger": LOG})  # fmt: skip
    sent: dict[str, float] = {}
    start = time.perf_counter()
    for i, event in enumerate(events):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        now = time.perf_counter()
        p.produce(topic, key=event["session_id"].encode(), value=event["_bytes"])
        sent[event["event_id"]] = now
        if i % 200 == 0:
            p.poll(0)
    p.flush(30)
    return sent


def prepare(events: list[dict[str, Any]]) -> None:
    for event in events:
        event["_bytes"] = ENCODE(event)


def latency(
    bootstrap: str, topics: Topics, workdir: Path, rate: int
) -> tuple[list[float], list[float]]:
    """Alert latencies (ms) at a fixed rate, and how many alerts never arrived in time."""
    events = paced(rate, WARMUP_SECONDS + RATE_SECONDS + TAIL_SECONDS, seed=rate)
    prepare(events)
    worker = start_worker(bootstrap, topics, workdir, f"latency-{rate}")
    received: dict[str, float] = {}
    names: dict[str, str] = {}
    stop = threading.Event()
    alerts = consumer(bootstrap, topics.alerts)
    decoder = Decoder(expect=ALERT)

    def read() -> None:
        while not stop.is_set():
            for msg in alerts.consume(100, timeout=0.1):
                if msg.error() is None:
                    alert = decoder.decode(msg.value()).record
                    received.setdefault(alert["alert_id"], time.perf_counter())
                    names[alert["alert_id"]] = alert["event_ids"][-1] if alert["event_ids"] else ""

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        time.sleep(2.0)  # the alerts consumer joins its group
        sent = send_on_schedule(bootstrap, topics.raw, events, rate)
        total = len(events)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if worker.metrics().get("tooltrail_processor_records_total", 0) >= total:
                break
            time.sleep(0.2)
        time.sleep(1.5)
    finally:
        stop.set()
        reader.join(5)
        alerts.close()
        worker.stop()
        delete_app_topics(bootstrap, worker.app_id)
    measured = min(sent.values()) + WARMUP_SECONDS
    until = measured + RATE_SECONDS
    pairs = [(sent[e], received[a]) for a, e in names.items() if e in sent and a in received]
    steady = [(got - at) * 1000 for at, got in pairs if measured <= at < until]
    return steady, [(got - at) * 1000 for at, got in pairs]


def passthrough_latency(bootstrap: str, topics: Topics, rate: int) -> list[float]:
    """Send -> bare passthrough -> read back, per event, at the same rate."""
    events = paced(rate, 3.0, seed=rate + 1)
    prepare(events)
    source, sink = f"{topics.raw}.lat", f"{topics.raw}.latpass"
    admin = admin_client(bootstrap, logger=LOG)
    for f in admin.create_topics([NewTopic(n, PARTITIONS, 1) for n in (source, sink)]).values():
        f.result(30)
    time.sleep(1.0)
    got: dict[bytes, float] = {}
    stop = threading.Event()

    def relay() -> None:
        c = consumer(bootstrap, source)
        p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 2, "logger": LOG})
        while not stop.is_set():
            for msg in c.consume(500, timeout=0.05):
                if msg.error() is None:
                    p.produce(sink, key=msg.key(), value=msg.value())
            p.poll(0)
        p.flush(10)
        c.close()

    def read() -> None:
        c = consumer(bootstrap, sink)
        while not stop.is_set():
            for msg in c.consume(500, timeout=0.05):
                if msg.error() is None:
                    got.setdefault(msg.value()[-64:], time.perf_counter())
        c.close()

    threads = [
        threading.Thread(target=relay, daemon=True),
        threading.Thread(target=read, daemon=True),
    ]
    for t in threads:
        t.start()
    time.sleep(3.0)
    sent = send_on_schedule(bootstrap, source, events, rate)
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(10)
    by_tail = {e["_bytes"][-64:]: sent[e["event_id"]] for e in events}
    admin.delete_topics([source, sink])
    return [(got[k] - t) * 1000 for k, t in by_tail.items() if k in got]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    cli(__doc__)
    logging.basicConfig(level=logging.ERROR)
    settings = Settings()
    bootstrap = settings.bootstrap_servers
    broker = LocalKafka.from_settings(settings, logger=LOG)
    started = False
    if not broker_answers(bootstrap, timeout=5.0, logger=LOG):
        started = broker.start(owner="bench").started
    admin = admin_client(bootstrap, logger=LOG)
    tag = uuid.uuid4().hex[:8]
    workdir = Path(tempfile.mkdtemp(prefix="tooltrail-bench-proc-"))
    metrics: dict[str, dict[str, Any]] = {}
    notes = []
    try:
        topics = new_topics(admin, tag)
        try:
            rate, per_cpu, base, ceiling = throughput(bootstrap, topics, workdir)
        finally:
            drop_topics(admin, topics)
        metrics["worker_events_per_s"] = metric(rate, "events/s", base)
        metrics["worker_events_per_cpu_s"] = metric(per_cpu, "events/cpu-s", None)
        metrics["faust_only_events_per_s"] = metric(ceiling, "events/s", base)
        for r in RATES:
            topics = new_topics(admin, f"{tag}{r}")
            try:
                lat, cold = latency(bootstrap, topics, workdir, r)
                base_lat = passthrough_latency(bootstrap, topics, r)
            finally:
                drop_topics(admin, topics)
            for q, name in ((0.5, "p50"), (0.99, "p99")):
                metrics[f"alert_latency_{name}_at_{r}_per_s"] = metric(
                    pct(lat, q), "ms", pct(base_lat, q)
                )
            metrics[f"alert_latency_p99_at_{r}_per_s_from_cold_start"] = metric(
                pct(cold, 0.99), "ms", pct(base_lat, 0.99)
            )
            metrics[f"alerts_measured_at_{r}_per_s"] = metric(float(len(lat)), "alerts", None)
            median = statistics.median(base_lat or [0.0])
            notes.append(f"{r}/s: {len(lat)} alerts, median passthrough {median:.1f} ms")
    finally:
        if started:
            broker.stop()
    write(
        "processors",
        metrics,
        notes=f"one worker process, memory store, 4 partitions; latency measured over "
        f"{RATE_SECONDS:.0f} s after a {WARMUP_SECONDS:.0f} s warm-up and before a "
        f"{TAIL_SECONDS:.0f} s tail at the same rate (the cold-start "
        "figures include both); baselines = bare confluent "
        "consume->produce passthrough in the same run; goals: >= 20,000 events/s per worker, "
        "alert p99 <= 500 ms at 5,000 events/s. " + "; ".join(notes),
    )


if __name__ == "__main__":
    main()
