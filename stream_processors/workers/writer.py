"""Durable writes of the processors: outputs and changelog records through librdkafka.

A confluent-kafka (librdkafka) producer costs about a microsecond per record where
aiokafka costs tens; ``flush`` waits in a thread, so the event loop keeps running.
:meth:`KafkaWriter.deliver` returns once Kafka has acknowledged every output;
changelog records are sent and settled in two steps, so a checkpoint's wait for Kafka
does not hold up the next batches.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from tooltrail.closing import Closing
from tooltrail.errors import ServiceError
from tooltrail.stream_processors.workers.metrics import ProcessorMetrics
from tooltrail.stream_processors.workers.pipeline import Output

log = logging.getLogger(__name__)

_RETRY_BACKOFF = (0.1, 0.5, 1.0, 2.0, 5.0)
_topic = itemgetter(0)  # of a (topic, output) pair


def _runs(pairs: Iterable[tuple[str, Output]]) -> list[tuple[str, Sequence[Output]]]:
    """``(topic, output)`` pairs as runs of one topic's outputs, in order."""
    return [(topic, [out for _, out in run]) for topic, run in groupby(pairs, _topic)]


@dataclass(slots=True)
class _Round:
    """One sending round of outputs: the failed ones and how many reports ran."""

    failed: list[tuple[str, Output]] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    reported: list[int] = field(default_factory=lambda: [0])

    def sent(self, err: Any, msg: Any) -> None:
        if err is not None:  # runs in flush() or poll(), in an executor thread
            self.failed.append((msg.topic(), Output(msg.key(), msg.value())))
            self.errors.append(err)
        self.reported[0] += 1


@dataclass(slots=True)
class ChangelogWrite:
    """Changelog records handed to librdkafka, and what Kafka answered so far."""

    topic: str
    expected: int
    reported: list[int] = field(default_factory=lambda: [0])
    errors: list[Any] = field(default_factory=list)

    def sent(self, err: Any, msg: Any) -> None:
        """librdkafka's delivery report (in whichever thread polls)."""
        if err is not None:
            self.errors.append(err)
        self.reported[0] += 1


class KafkaWriter(Closing):
    """Produces records and waits until Kafka has them.

    Args:
        bootstrap_servers: the Kafka cluster.
        metrics: counts re-sent outputs.
        config: extra librdkafka settings (SASL/TLS ...), applied last.
    """

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        metrics: ProcessorMetrics,
        config: dict[str, Any] | None = None,
    ) -> None:
        from confluent_kafka import Producer  # noqa: PLC0415

        settings: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "linger.ms": 5,
            "compression.type": "lz4",
            # idempotent: retries keep each partition's order (the changelog relies on it)
            "enable.idempotence": True,
            "logger": logging.getLogger("tooltrail.processors.librdkafka"),
        }
        settings.update(config or {})
        self.producer = Producer(settings)
        # librdkafka's queue bound (its default unless configured): see _send_run
        self._queue_max = int(settings.get("queue.buffering.max.messages", 100_000))
        self.metrics = metrics

    async def deliver(self, outputs: Sequence[tuple[str, Output]]) -> None:
        """Produce ``(topic, output)`` pairs; re-send failed ones until all are delivered."""
        await self.deliver_runs(_runs(outputs))

    async def deliver_runs(self, runs: Sequence[tuple[str, Sequence[Output]]]) -> None:
        """:meth:`deliver` of runs of one topic's outputs each, in order.

        Each run is handed to librdkafka in one ``produce_batch`` call (about a third of
        the cost of a ``produce`` per record here) when its queue has room for all of it;
        otherwise record by record, waiting while the queue is full.
        """
        pending = [(topic, run) for topic, run in runs if run]
        attempt = 0
        while pending:
            round_ = _Round()
            total = 0
            for topic, run in pending:
                await self._send_run(topic, run, round_.sent)
                total += len(run)
            await self._reports(round_.reported, total, "outputs")
            if round_.failed:
                delay = _RETRY_BACKOFF[min(attempt, len(_RETRY_BACKOFF) - 1)]
                log.warning(
                    "%d of %d outputs not delivered (%s); retrying in %.1fs",
                    len(round_.failed), total, round_.errors[0], delay,
                )  # fmt: skip
                self.metrics.send_retries.inc(len(round_.failed))
                attempt += 1
                await asyncio.sleep(delay)
            pending = _runs(round_.failed)

    async def _send_run(self, topic: str, outputs: Sequence[Output], sent: Any) -> None:
        """Hand one topic's outputs to librdkafka, in order (see :meth:`deliver`)."""
        producer = self.producer
        if self._has_room(len(outputs)):
            messages: list[dict[str, Any]] = [{"key": o.key, "value": o.value} for o in outputs]
            if producer.produce_batch(topic, messages, on_delivery=sent) == len(messages):
                return
            # The queue reached its size limit in bytes (the count was checked): the
            # refused records follow once it drains (any other refusal is an error,
            # as from produce()). A refused record may then follow a later one of the run.
            for out, message in zip(outputs, messages, strict=True):
                error = message.get("_error")
                if error is None:
                    continue
                if error.code() != KafkaError._QUEUE_FULL:
                    raise KafkaException(error)
                await self._produce(topic, out.key, out.value, None, sent)
            return
        produce = producer.produce
        for out in outputs:
            try:  # the common case without a coroutine per record
                produce(topic, key=out.key, value=out.value, on_delivery=sent)
            except BufferError:
                await self._produce(topic, out.key, out.value, None, sent)

    def _has_room(self, records: int) -> bool:
        """Whether librdkafka's queue can take ``records`` more by count (only the event
        loop's thread produces, so nothing else fills it meanwhile)."""
        return len(self.producer) + records <= self._queue_max

    async def send_changelog(
        self, topic: str, records: Sequence[tuple[int, bytes, bytes | None]]
    ) -> ChangelogWrite:
        """Produce ``(partition, key, value)`` records in order (None is a tombstone).

        Returns at once; ``await`` :meth:`ChangelogWrite.settled` for Kafka's answer.
        """
        write = ChangelogWrite(topic=topic, expected=len(records))
        producer = self.producer
        if self._has_room(len(records)):
            # one call; a refusal anyway is an error: a record must not follow a later one
            messages: list[dict[str, Any]] = [
                {"key": k, "value": v, "partition": p} for p, k, v in records
            ]
            if producer.produce_batch(topic, messages, on_delivery=write.sent) != len(messages):
                error = next(m["_error"] for m in messages if "_error" in m)
                raise ServiceError(f"changelog records refused by librdkafka: {error}")
            return write
        for partition, key, value in records:
            await self._produce(topic, key, value, partition, write.sent)
        return write

    async def settle(self, write: ChangelogWrite) -> None:
        """Wait until Kafka has every record of ``write``.

        Raises:
            ServiceError: Kafka refused a record (the idempotent producer retries all
                transient errors itself): the batches it covers must not be acknowledged.
        """
        await self._reports(write.reported, write.expected, "changelog")
        if write.errors:
            raise ServiceError(
                f"state not written to the changelog {write.topic}: {write.errors[0]}"
            )

    async def _reports(self, reported: list[int], expected: int, what: str) -> None:
        """Wait until ``expected`` delivery reports of ours ran, serving librdkafka's queue.

        Not ``flush``: that waits for every record in flight, so a batch's outputs would
        wait behind a checkpoint's changelog records (and with two flushes at once, the
        other thread may still be running one of our callbacks when ours returns).
        """
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        warned = 0.0
        while reported[0] < expected:
            await loop.run_in_executor(None, self.producer.poll, 0.05)
            waited = time.monotonic() - started
            if waited - warned >= 30.0:
                warned = waited
                log.warning(
                    "%d %s records not acknowledged after %.0fs; waiting",
                    expected - reported[0], what, waited,
                )  # fmt: skip

    async def _produce(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None, cb: Any
    ) -> None:
        while True:
            try:
                if partition is None:
                    self.producer.produce(topic, key=key, value=value, on_delivery=cb)
                else:
                    self.producer.produce(
                        topic, key=key, value=value, partition=partition, on_delivery=cb
                    )
                return
            except BufferError:  # librdkafka's queue is full: let it drain
                await asyncio.get_running_loop().run_in_executor(None, self.producer.flush, 1.0)

    async def connect(self, topics: Sequence[str], timeout: float = 10.0) -> None:
        """Open the connections and fetch the metadata of ``topics`` ahead of the first send.

        The first send otherwise pays for them (about half a second here) on the first
        batch a worker handles.
        """
        loop = asyncio.get_running_loop()
        for topic in topics:
            try:
                await loop.run_in_executor(
                    None, functools.partial(self.producer.list_topics, topic, timeout=timeout)
                )
            except Exception as exc:  # the broker may be slow to answer: sending will wait
                log.warning("no metadata for %s yet: %r", topic, exc)

    def flush(self, timeout: float = 10.0) -> int:
        """Wait up to ``timeout`` s; the number of records still in flight."""
        remaining: int = self.producer.flush(timeout)
        return remaining

    def close(self) -> None:
        self.flush(10.0)
