"""Prometheus counters of the producer: produced, spooled, replayed, dropped{stage,reason}.

They live in the registry the caller passes (or a private one), so two publishers in one
process, or two tests, never share counters by accident. ``prometheus_client`` is imported
only when a publisher is built, keeping ``import tooltrail.producer`` light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry


class ProducerMetrics:
    """The producer's counters in one registry."""

    def __init__(self, *, registry: CollectorRegistry | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge  # noqa: PLC0415

        from tooltrail.metrics import DropCounter  # noqa: PLC0415

        reg = registry if registry is not None else CollectorRegistry()
        self.registry = reg
        self.produced = Counter(
            "tooltrail_producer_events_produced",
            "Events acknowledged by the Kafka broker (delivery report without error).",
            registry=reg,
        )
        self.spooled = Counter(
            "tooltrail_producer_events_spooled",
            "Events appended to the disk spool.",
            registry=reg,
        )
        self.replayed = Counter(
            "tooltrail_producer_events_replayed",
            "Spooled events handed to Kafka again (after an outage or a restart).",
            registry=reg,
        )
        self.spool_bytes = Gauge(
            "tooltrail_producer_spool_bytes",
            "Bytes currently held by the disk spool.",
            registry=reg,
        )
        self.drops = DropCounter(registry=reg)

    def dropped(self, reason: str, stage: str = "producer", amount: int = 1) -> None:
        self.drops.inc(stage, reason, amount)

    def dropped_value(self, reason: str, stage: str = "producer") -> float:
        return self.drops.value(stage, reason)
