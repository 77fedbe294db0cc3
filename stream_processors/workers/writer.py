"""Durable writes of the processors: outputs and changelog records through librdkafka.

A confluent-kafka (librdkafka) producer costs about a microsecond per record where
aiokafka costs tens; ``flush`` waits in a thread, so the event loop keeps running. Every
method returns only once Kafka has acknowledged every record it was given.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from tooltrail.closing import Closing
from tooltrail.errors import ServiceError
from tooltrail.stream_processors.workers.metrics import ProcessorMetrics
from tooltrail.stream_processors.workers.pipeline import Output

log = logging.getLogger(__name__)

_RETRY_BACKOFF = (0.1, 0.5, 1.0, 2.0, 5.0)


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
        self.metrics = metrics
        self._changelog_errors: list[Any] = []

    async def deliver(self, outputs: Sequence[tuple[str, Output]]) -> None:
        """Produce ``(topic, output)`` pairs; re-send failed ones until all are delivered."""
        pending = list(outputs)
        attempt = 0
        while pending:
            failed: list[tuple[str, Output]] = []
            errors: list[Any] = []
            for item in pending:
                topic, out = item

                def delivered(
                    err: Any,
                    msg: Any,
                    item: tuple[str, Output] = item,
                    failed: list[tuple[str, Output]] = failed,
                    errors: list[Any] = errors,
                ) -> None:
                    if err is not None:  # runs in flush(), in the executor thread
                        failed.append(item)
                        errors.append(err)

                await self._produce(topic, out.key, out.value, None, delivered)
            await self._flush("outputs")
            if failed:
                delay = _RETRY_BACKOFF[min(attempt, len(_RETRY_BACKOFF) - 1)]
                log.warning(
                    "%d of %d outputs not delivered (%s); retrying in %.1fs",
                    len(failed), len(pending), errors[0], delay,
                )  # fmt: skip
                self.metrics.send_retries.inc(len(failed))
                attempt += 1
                await asyncio.sleep(delay)
            pending = failed

    async def write_changelog(
        self, topic: str, records: Sequence[tuple[int, bytes, bytes | None]]
    ) -> None:
        """Produce ``(partition, key, value)`` records in order (None is a tombstone).

        Raises:
            ServiceError: Kafka refused a record (the idempotent producer retries all
                transient errors itself): the batch must not be acknowledged.
        """
        for partition, key, value in records:
            await self._produce(topic, key, value, partition, self._changelog_sent)
        await self._flush("changelog")
        if self._changelog_errors:
            errors, self._changelog_errors = self._changelog_errors, []
            raise ServiceError(f"state not written to the changelog {topic}: {errors[0]}")

    def _changelog_sent(self, err: Any, msg: Any) -> None:
        if err is not None:
            self._changelog_errors.append(err)

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

    async def _flush(self, what: str) -> None:
        loop = asyncio.get_running_loop()
        waited = 0
        while (remaining := await loop.run_in_executor(None, self.producer.flush, 30.0)) > 0:
            waited += 30
            log.warning(
                "%d %s records not acknowledged after %ds; waiting", remaining, what, waited
            )

    def flush(self, timeout: float = 10.0) -> int:
        """Wait up to ``timeout`` s; the number of records still in flight."""
        remaining: int = self.producer.flush(timeout)
        return remaining

    def close(self) -> None:
        self.flush(10.0)
