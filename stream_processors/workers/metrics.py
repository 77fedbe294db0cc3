"""Prometheus metrics of the processors worker, in a registry of its own.

Served in text format by the Faust web endpoint (``/metrics``); lag is computed when
scraped, from the consumer's high-water marks and read offsets.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from tooltrail.metrics import DropCounter
from tooltrail.stream_processors.workers.pipeline import BatchResult

LagSource = Callable[[], Mapping[int, int]]


class ProcessorMetrics:
    """Counters for processed, enriched, dead-lettered and alerted records, and lag."""

    def __init__(self, *, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.processed = Counter(
            "tooltrail_processor_records", "Raw records taken from the raw topic.", registry=r
        )
        self.enriched = Counter(
            "tooltrail_processor_enriched", "Enriched events produced.", registry=r
        )
        self.replayed = Counter(
            "tooltrail_processor_replayed",
            "Records re-read after a restart that the stored state already included.",
            registry=r,
        )
        self.dead_letters = Counter(
            "tooltrail_processor_dead_letters",
            "Records sent to the dead-letter topic, by stage and reason.",
            ["stage", "reason"],
            registry=r,
        )
        self.alerts = Counter(
            "tooltrail_processor_alerts",
            "Alerts produced, by kind, rule and severity.",
            ["kind", "rule_id", "severity"],
            registry=r,
        )
        self.batches = Counter(
            "tooltrail_processor_batches", "Batches handed to the pipeline.", registry=r
        )
        self.send_retries = Counter(
            "tooltrail_processor_send_retries",
            "Output records sent again after a failed delivery.",
            registry=r,
        )
        self.batch_seconds = Histogram(
            "tooltrail_processor_batch_seconds",
            "Time from taking a batch to acknowledging it (pipeline, delivery, state).",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=r,
        )
        self.checkpoint_seconds = Histogram(
            "tooltrail_processor_checkpoint_seconds",
            "Time to save changed state to the table's changelog and acknowledge the batches.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=r,
        )
        self.batch_records = Histogram(
            "tooltrail_processor_batch_records",
            "Records per batch.",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000),
            registry=r,
        )
        self.lag = Gauge(
            "tooltrail_processor_lag",
            "Records in the raw topic not yet read, by assigned partition.",
            ["partition"],
            registry=r,
        )
        self.gc_pause_seconds = Histogram(
            "tooltrail_processor_gc_pause_seconds",
            "Python garbage-collector pauses (the whole worker waits), by generation.",
            ["generation"],
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=r,
        )
        self.drops = DropCounter(registry=r)
        self._lag_source: LagSource | None = None
        self._gc_started = 0.0

    def watch_gc(self) -> None:
        """Time every garbage collection into ``gc_pause_seconds`` (alert latency spikes)."""
        if self._on_gc not in gc.callbacks:
            gc.callbacks.append(self._on_gc)

    def unwatch_gc(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            elapsed = time.perf_counter() - self._gc_started
            self.gc_pause_seconds.labels(str(info["generation"])).observe(elapsed)

    def observe(self, result: BatchResult) -> None:
        self.batches.inc()
        self.batch_records.observe(result.processed)
        self.processed.inc(result.processed)
        self.enriched.inc(len(result.enriched))
        if result.replayed:
            self.replayed.inc(result.replayed)
        for (stage, reason), n in result.dead_by.items():
            self.dead_letters.labels(stage=stage, reason=reason).inc(n)
        self.observe_alerts(result)

    def observe_alerts(self, result: BatchResult) -> None:
        for (kind, rule_id, severity), n in result.alerts_by.items():
            self.alerts.labels(kind=kind, rule_id=rule_id, severity=severity).inc(n)

    def set_lag_source(self, source: LagSource) -> None:
        self._lag_source = source

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric, lag refreshed."""
        if self._lag_source is not None:
            self.lag.clear()
            for partition, lag in self._lag_source().items():
                self.lag.labels(partition=str(partition)).set(lag)
        return generate_latest(self.registry)
