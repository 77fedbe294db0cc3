"""What the capture layer publishes through, and the in-memory publisher for builders' tests.

A publisher takes finished ToolCallEvent dicts (hash-chained) and owns encoding and
transport. ``publish`` must never block for long nor raise into the agent; it returns
whether the event is durable (``durable=True`` is asked by fail-closed tools).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tooltrail.closing import Closing
from tooltrail.producer.metrics import ProducerMetrics

Serializer = Callable[[Mapping[str, Any], Any], bytes]


def default_serializer() -> Serializer:
    """Avro single-object encoding of ToolCallEvent, through the compiled encoder
    (byte-identical to fastavro, several times faster)."""
    from tooltrail.producer.avro_fast import fast_single_object_serializer  # noqa: PLC0415
    from tooltrail.schemas import TOOL_CALL_EVENT  # noqa: PLC0415

    return fast_single_object_serializer(TOOL_CALL_EVENT)


class Publisher(Protocol):
    """The transport under the capture API."""

    metrics: ProducerMetrics

    def publish(self, event: dict[str, Any], *, durable: bool = False) -> bool:
        """Hand over one event; True when it is durable (or delivered), False when dropped."""
        ...

    def flush(self, timeout: float = 10.0) -> int:
        """Wait up to ``timeout`` s for outstanding events; returns how many are still pending."""
        ...

    def close(self, timeout: float = 10.0) -> None: ...


@dataclass(frozen=True)
class PublishedRecord:
    """One record as the in-memory publisher kept it."""

    key: bytes
    value: bytes
    event: dict[str, Any]


class InMemoryPublisher(Closing):
    """Keeps every event in memory (and encodes it, so schema errors show in tests).

    For agent builders' own tests, like OpenTelemetry's ``InMemorySpanExporter``:
    ``publisher.events`` lists the event dicts; ``publisher.records`` adds key and bytes.

    Args:
        serializer: encodes each event; default Avro single-object encoding
            (:func:`default_serializer`). ``encode=False`` skips encoding.
        fail: when True every publish is refused (to test fail-closed tools).
    """

    def __init__(
        self,
        *,
        serializer: Serializer | None = None,
        encode: bool = True,
        fail: bool = False,
        metrics: ProducerMetrics | None = None,
    ) -> None:
        if serializer is None and encode:
            serializer = default_serializer()
        self.serializer = serializer
        self.fail = fail
        self.metrics = metrics if metrics is not None else ProducerMetrics()
        self.records: list[PublishedRecord] = []
        self.closed = False
        self._lock = threading.Lock()

    @property
    def events(self) -> list[dict[str, Any]]:
        return [r.event for r in self.records]

    def by_session(self, session_id: str) -> list[dict[str, Any]]:
        return [r.event for r in self.records if r.event["session_id"] == session_id]

    def clear(self) -> None:
        with self._lock:
            self.records.clear()

    def publish(self, event: dict[str, Any], *, durable: bool = False) -> bool:
        if self.fail or self.closed:
            self.metrics.dropped("closed" if self.closed else "refused")
            return False
        value = self.serializer(event, None) if self.serializer is not None else b""
        with self._lock:
            self.records.append(PublishedRecord(event["session_id"].encode(), value, event))
        self.metrics.produced.inc()
        return True

    def flush(self, timeout: float = 10.0) -> int:
        return 0

    def close(self, timeout: float = 10.0) -> None:
        self.closed = True
