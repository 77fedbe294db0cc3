"""Delivery accounting of the Kafka publisher without a Python callback per delivered record.

Part of :class:`~tooltrail.producer.kafka.KafkaPublisher` (a mixin, split out for size).
librdkafka runs with ``delivery.report.only.error``: only failures call back. Successes are
inferred: with ``message.timeout.ms=0`` a record leaves librdkafka's queue only delivered or
reported failed. Spooled records are acknowledged by generations: the records handed over
since the queue was last empty; when it is empty again, every one of them that did not
report a failure was delivered.
"""

from __future__ import annotations

import logging
import threading
from operator import itemgetter
from typing import Any

from tooltrail.producer.metrics import ProducerMetrics
from tooltrail.producer.spool import RecordRef, Spool

log = logging.getLogger("tooltrail.producer.kafka")
# Errors a retry cannot fix: the record is dropped (counted) instead of replayed forever.
_PERMANENT = frozenset(
    {
        "MSG_SIZE_TOO_LARGE",
        "_MSG_SIZE_TOO_LARGE",
        "INVALID_MSG",
        "CORRUPT_MESSAGE",
        "INVALID_RECORD",
        "_INVALID_ARG",
        "INVALID_REQUIRED_ACKS",
    }
)
_PURGED = frozenset({"_PURGE_QUEUE", "_PURGE_INFLIGHT"})
_ref = itemgetter(0)  # of a generation's (ref, value)


class Delivery:
    """Failure callbacks, success counting and generation acknowledgements."""

    # Set by KafkaPublisher.__init__.
    spool: Spool | None
    metrics: ProducerMetrics
    _producer: Any
    _lock: threading.Lock
    _settle_lock: threading.Lock
    _backlog: bool
    _broker_down: bool
    _reserved: int | None
    _handed: int
    _failed: int
    _counted: int
    _gen: list[tuple[RecordRef, bytes]]
    _gen_failed: dict[bytes, bool]

    def _on_delivery(self, spooled: bool, err: Any, msg: Any) -> None:
        """A failed delivery (successes are not reported: ``delivery.report.only.error``).

        ``spooled``: the record is in the spool; it stays there (the next process replays
        it), unless it failed for good (dropped, counted, acknowledged by _settle)."""
        if err is None:
            return  # counted by _settle
        name = err.name()
        permanent = name in _PERMANENT
        with self._settle_lock:  # callbacks may run in the poll thread and a flush() caller
            self._failed += 1
            if spooled:
                self._gen_failed[msg.value()] = permanent
        if permanent:
            self.metrics.dropped(name.lower().lstrip("_"))
            return
        if spooled:
            if name not in _PURGED:
                log.warning("tooltrail: delivery failed (%s); kept in the spool", err)
            return  # unacknowledged: the next process replays it
        if self.spool is not None:
            slot = self._reserved if self._backlog else None
            if self.spool.append(msg.key() or b"", msg.value(), segment=slot) is not None:
                return
        self.metrics.dropped("undelivered_at_close" if name in _PURGED else "delivery_failed")

    def _settle(self) -> None:
        """Count the delivered records; acknowledge the open generation once it is through.

        With ``message.timeout.ms=0`` a record leaves librdkafka's queue only delivered or
        reported failed, and failures call back before they leave it. So: delivered =
        handed over - failed - still queued (read in that order, a race can only undercount,
        and the next call catches up); and when the queue is empty, every spooled record of
        the open generation that did not fail is delivered. A generation takes at most
        replay_max_inflight records (feed.py), so under any load the queue does empty.
        """
        handed = self._handed
        inflight = len(self._producer)
        with self._settle_lock:
            delivered = handed - inflight - self._failed
            if delivered > self._counted:
                self.metrics.produced.inc(delivered - self._counted)
                self._counted = delivered
                self._broker_down = False
        if not self._gen or inflight:
            return
        acked: list[RecordRef] = []
        with self._lock:  # records join the generation under _lock, when produced
            if not len(self._producer):  # nothing in flight: no failure can still call back
                gen, self._gen = self._gen, []
                failed, self._gen_failed = self._gen_failed, {}
                # a record that failed for good was dropped (counted): acknowledged too
                if failed:
                    acked = [r for r, v in gen if failed.get(v) is not False]
                else:
                    acked = list(map(_ref, gen))
        if acked and self.spool is not None:
            self.spool.ack_many(acked)
