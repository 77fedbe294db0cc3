"""How spooled records reach librdkafka again: the backlog replay.

Part of :class:`~tooltrail.producer.kafka.KafkaPublisher` (a mixin, split out for size).
The replay moves records in spool order and sets ``_cursor`` to the last one handed over,
under the publisher's ``_lock``, as the live disk-mode path does, so a switch to the
backlog (the replay reads the spool after ``_cursor``) never skips nor repeats a record.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from typing import Any

from tooltrail.producer.metrics import ProducerMetrics
from tooltrail.producer.publisher import Serializer
from tooltrail.producer.spool import RecordRef, Spool
from tooltrail.producer.spooled import wire_bytes

log = logging.getLogger("tooltrail.producer.kafka")


class SpoolFeed:
    """Replay (backlog) of spooled records."""

    # Set by KafkaPublisher.__init__.
    spool: Spool | None
    topic: str
    serializer: Serializer
    metrics: ProducerMetrics
    closed: bool
    replay_batch: int
    replay_max_inflight: int
    _producer: Any
    _lock: threading.Lock
    _backlog: bool
    _broker_down: bool
    _cursor: RecordRef | None
    _replay_iter: Iterator[tuple[RecordRef, bytes, bytes]] | None
    _replay_head: tuple[RecordRef, bytes, bytes] | None

    def _on_delivery(self, ref: RecordRef | None, err: Any, msg: Any) -> None:
        raise NotImplementedError

    def _enter_backlog(self, why: str) -> None:
        raise NotImplementedError

    def _replay_step(self) -> bool:
        """Hand up to ``replay_batch`` spooled records over; False when nothing could move."""
        assert self.spool is not None
        moved = 0
        with self._lock:
            while moved < self.replay_batch and len(self._producer) < self.replay_max_inflight:
                item = self._replay_head or self._next_pending()
                self._replay_head = None
                if item is None:
                    if not self._broker_down:
                        self._backlog = False
                        log.info("tooltrail: spool replay caught up")
                    break
                ref, key, value = item
                try:
                    value = wire_bytes(value, self.serializer)
                except Exception:
                    self.metrics.dropped("encode_error")
                    log.exception("tooltrail: a spooled event does not encode")
                    self.spool.ack(ref)
                    self._cursor = ref
                    continue
                try:
                    self._producer.produce(
                        self.topic,
                        value,
                        key,
                        on_delivery=functools.partial(self._on_delivery, ref),
                    )
                except BufferError:
                    self._replay_head = item
                    break
                self._cursor = ref
                self.metrics.replayed.inc()
                moved += 1
        return moved > 0

    def _next_pending(self) -> tuple[RecordRef, bytes, bytes] | None:
        assert self.spool is not None
        for _ in range(2):
            if self._replay_iter is None:
                self._replay_iter = self.spool.iter_pending(after=self._cursor)
            item = next(self._replay_iter, None)
            if item is not None:
                return item
            self._replay_iter = None  # exhausted: look again for records appended since
        return None
