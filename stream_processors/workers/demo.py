"""``tooltrail demo run``: the whole pipeline on this machine, then a summary.

Starts the local broker when none answers, creates the topics, starts a processors
worker (a child process), plays the demo fleet through the producer library, prints each
alert as it fires, and closes with what went in and what came out. It stops what it
started and leaves no consumer group or changelog behind.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooltrail.errors import DecodeError, ServiceError
from tooltrail.producer import Auditor
from tooltrail.producer.kafka import KafkaPublisher
from tooltrail.schemas import ALERT, DEAD_LETTER, Decoder
from tooltrail.stream_processors.workers.config import Topics
from tooltrail.stream_processors.workers.fleet import TamperingPublisher, plan, play
from tooltrail.stream_processors.workers.kafkaio import produce_all
from tooltrail.stream_processors.workers.process import WorkerProcess, delete_app_topics

log = logging.getLogger(__name__)
Echo = Callable[[str], None]
AlertSink = Callable[[dict[str, Any]], None]

POISON = (b"{'not': 'avro'}", b"\xc3\x01\x00\x00\x00\x00\x00\x00\x00\x00garbage")


@dataclass
class DemoReport:
    """What the demo put in and what the pipeline made of it."""

    sessions: int = 0
    calls: int = 0
    produced: int = 0
    enriched: int = 0
    dead_by: Counter[str] = field(default_factory=Counter)
    alerts_by: Counter[tuple[str, str]] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return self.enriched + sum(self.dead_by.values()) >= self.produced


class OutputWatcher:
    """Reads the enriched, alert and dead-letter topics from given offsets in a thread."""

    def __init__(
        self, *, bootstrap: str, topics: Topics, echo: Echo, alert_line: AlertSink
    ) -> None:
        from confluent_kafka import Consumer, TopicPartition  # noqa: PLC0415

        self.topics = topics
        self.echo = echo
        self.alert_line = alert_line
        self.report = DemoReport()
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"tooltrail-demo-watch-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "logger": log,
            }
        )
        assignment = []
        for name in (topics.enriched, topics.alerts, topics.deadletter):
            for p, end in end_offsets(self.consumer, name).items():
                assignment.append(TopicPartition(name, p, end))
        self.consumer.assign(assignment)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-watcher", daemon=True)
        self.last_output = time.monotonic()

    def start(self) -> OutputWatcher:
        self._thread.start()
        return self

    def stop(self) -> DemoReport:
        self._stop.set()
        self._thread.join(10)
        self.consumer.close()
        return self.report

    def _run(self) -> None:
        alerts, dead = Decoder(expect=ALERT), Decoder(expect=DEAD_LETTER)
        while not self._stop.is_set():
            for msg in self.consumer.consume(500, timeout=0.2):
                if msg.error() is not None:
                    continue
                self.last_output = time.monotonic()
                topic = msg.topic()
                try:
                    if topic == self.topics.enriched:
                        self.report.enriched += 1
                    elif topic == self.topics.alerts:
                        alert = alerts.decode(msg.value() or b"").record
                        self.report.alerts_by[(str(alert["kind"]), alert["rule_id"])] += 1
                        self.alert_line(alert)
                    else:
                        letter = dead.decode(msg.value() or b"").record
                        self.report.dead_by[letter["reason"]] += 1
                        self.echo(
                            f"  dead letter: {letter['reason']} at "
                            f"{letter['topic']}[{letter['partition']}]@{letter['offset']}"
                        )
                except DecodeError as exc:
                    self.echo(f"  undecodable output on {topic}: {exc}")


def end_offsets(consumer: Any, topic: str, *, timeout: float = 30.0) -> dict[int, int]:
    """Partition -> end offset, waiting for new topics to get their leaders."""
    from confluent_kafka import KafkaException, TopicPartition  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    while True:
        try:
            meta = consumer.list_topics(topic, timeout=10).topics[topic]
            return {
                p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in meta.partitions
            }
        except KafkaException as exc:
            if time.monotonic() > deadline:
                raise ServiceError(f"no end offsets for {topic}: {exc}") from exc
            time.sleep(0.5)


def commit_to_end(bootstrap: str, group: str, topic: str) -> None:
    """Make a new consumer group start at the current end of ``topic`` (not the beginning)."""
    from confluent_kafka import Consumer, TopicPartition  # noqa: PLC0415

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "logger": log})
    try:
        ends = end_offsets(consumer, topic)
        offsets = [TopicPartition(topic, p, end) for p, end in ends.items()]
        consumer.commit(offsets=offsets, asynchronous=False)
    finally:
        consumer.close()


def run_demo(
    *,
    bootstrap: str,
    workdir: Path,
    echo: Echo,
    alert_line: AlertSink,
    sessions: int = 36,
    pace: float = 0.02,
    timeout: float = 90.0,
) -> DemoReport:
    """Play the fleet through a fresh processors worker; the broker must answer."""
    began = time.monotonic()
    topics = Topics()
    app_id = f"tooltrail-demo-{uuid.uuid4().hex[:8]}"
    commit_to_end(bootstrap, app_id, topics.raw)
    workdir.mkdir(parents=True, exist_ok=True)
    worker = WorkerProcess(
        bootstrap=bootstrap,
        app_id=app_id,
        topics=topics,
        datadir=workdir / app_id,
        log=workdir / "worker.log",
        env={"TOOLTRAIL_PROCESSORS_ALLOWED_LATENESS": "0.25"},
    )
    echo(f"starting the processors worker ({app_id}, log {workdir / 'worker.log'}) ...")
    worker.start()
    watcher: OutputWatcher | None = None
    try:
        worker.wait_ready(timeout=90)
        watcher = OutputWatcher(
            bootstrap=bootstrap, topics=topics, echo=echo, alert_line=alert_line
        ).start()
        report = _play(bootstrap, topics, echo, sessions=sessions, pace=pace)
        _drain(worker, watcher, report.produced, timeout=timeout)
        seen = watcher.stop()
        watcher = None
        report.enriched, report.dead_by, report.alerts_by = (
            seen.enriched,
            seen.dead_by,
            seen.alerts_by,
        )
    finally:
        if watcher is not None:
            watcher.stop()
        worker.stop()
        delete_app_topics(bootstrap, app_id)
    report.seconds = time.monotonic() - began
    return report


def _play(bootstrap: str, topics: Topics, echo: Echo, *, sessions: int, pace: float) -> DemoReport:
    plans = plan(sessions=sessions)
    tampered = {p.session_id for p in plans if p.tampered}
    kafka = KafkaPublisher(bootstrap_servers=bootstrap, topic=topics.raw)
    publisher = TamperingPublisher(kafka, tampered=tampered)
    auditor = Auditor(publisher=publisher)

    def announce(session: Any) -> None:
        what = f"attack: {session.attack}" if session.attack else "benign"
        if session.tampered:
            what += ", its events are tampered with in transit"
        echo(f"- {session.agent_id:15} session {session.session_id[-12:]} ({what})")

    echo(f"playing {len(plans)} agent sessions through the producer library ...")
    calls = play(auditor, plans, pace=pace, on_session=announce)
    echo(f"- a misconfigured agent sends {len(POISON)} records that are not events")
    produce_all(bootstrap, topics.raw, [(b"misconfigured", value) for value in POISON])
    auditor.close(10.0)
    lost_in_transit = 1 if tampered else 0
    return DemoReport(
        sessions=len(plans),
        calls=calls,
        produced=publisher.published - lost_in_transit + len(POISON),
    )


def _drain(worker: WorkerProcess, watcher: OutputWatcher, produced: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process is not None and worker.process.poll() is not None:
            raise ServiceError(f"the processors worker died; see {worker.log}")
        processed = worker.metrics().get("tooltrail_processor_records_total", 0.0)
        if processed >= produced and time.monotonic() - watcher.last_output > 1.5:
            return
        time.sleep(0.25)
    raise ServiceError(f"the worker did not process all {produced} records in {timeout:.0f}s")
