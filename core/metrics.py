"""Prometheus metrics shared by every stage.

Every drop and every error is counted with a ``stage`` and a bounded ``reason``
(Vector's component spec): ``tooltrail_events_dropped_total{stage,reason}``. Metrics live in
a registry passed in by the caller, so tests and several clients in one process never share
counters by accident; :data:`DEFAULT_REGISTRY` is the process-wide one exporters scrape.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter

DEFAULT_REGISTRY: CollectorRegistry = REGISTRY


class DropCounter:
    """``tooltrail_events_dropped_total{stage,reason}`` in one registry."""

    def __init__(self, *, registry: CollectorRegistry | None = None) -> None:
        self.counter = Counter(
            "tooltrail_events_dropped",
            "Events dropped, by pipeline stage and bounded reason.",
            ["stage", "reason"],
            registry=registry if registry is not None else CollectorRegistry(),
        )

    def inc(self, stage: str, reason: str, amount: int = 1) -> None:
        self.counter.labels(stage=stage, reason=reason).inc(amount)

    def value(self, stage: str, reason: str) -> float:
        return float(self.counter.labels(stage=stage, reason=reason)._value.get())
