"""The Faust app factory: one thin agent over the raw topic, a state table, web views.

The agent takes a batch of events (``noack_take``: nothing is acknowledged by Faust),
calls the pure :class:`Pipeline`, produces the outputs and waits for every delivery, saves
the per-session state to the changelog-backed table, and only then acknowledges the
batch. Faust commits acknowledged offsets after flushing its producer, so an offset is
never committed before the outputs and state of its record are in Kafka.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import faust
from faust.streams import _current_event  # the context Faust tables read a partition from
from prometheus_client import CONTENT_TYPE_LATEST
from tooltrail.stream_processors.workers.config import ProcessorConfig
from tooltrail.stream_processors.workers.metrics import ProcessorMetrics
from tooltrail.stream_processors.workers.pipeline import (
    AnalyzerFactory,
    BatchResult,
    Output,
    Pipeline,
    RawRecord,
    SessionState,
)

log = logging.getLogger(__name__)

STATE_TABLE = "session_state"
_RETRY_BACKOFF = (0.1, 0.5, 1.0, 2.0, 5.0)


@contextmanager
def _in_partition(event: Any) -> Iterator[None]:
    """Make Faust tables read and write the partition of ``event`` (this task only).

    Tables take the changelog partition from the "current event", which Faust sets only
    in the task that iterates the stream; a batch handler sets it per partition itself.
    """
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


class ProcessorsApp:
    """A Faust app running the tooltrail pipeline.

    Args:
        config: topics, broker, store, batching and web settings.
        analyzer_factory: builds the per-session chain verifier + enricher + detector.
        metrics: where counters go; a fresh registry by default.
    """

    def __init__(
        self,
        *,
        config: ProcessorConfig,
        analyzer_factory: AnalyzerFactory,
        metrics: ProcessorMetrics | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics if metrics is not None else ProcessorMetrics()
        self.pipeline = Pipeline(
            analyzer_factory=analyzer_factory,
            max_record_bytes=config.max_record_bytes,
            worker=config.worker_name,
        )
        self.app = faust.App(
            config.app_id,
            broker=[f"kafka://{s.strip()}" for s in config.bootstrap_servers.split(",")],
            store=config.store,
            datadir=str(config.datadir),
            autodiscover=False,
            key_serializer="raw",
            value_serializer="raw",
            topic_partitions=config.partitions,
            topic_replication_factor=config.replication_factor,
            table_standby_replicas=0,
            consumer_auto_offset_reset="earliest",
            broker_session_timeout=config.session_timeout,
            broker_heartbeat_interval=config.heartbeat_interval,
            broker_commit_interval=config.commit_interval,
            # A batch must be processed within this many seconds or the group evicts us.
            broker_max_poll_interval=max(60.0, config.session_timeout * 6),
            web_enabled=config.web_port != 0,
            web_port=config.web_port or 6066,
            web_bind=config.web_host,
            web_host=config.web_host,
            producer_linger=0.005,
        )
        self.raw_topic = self.app.topic(
            config.topics.raw,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=config.partitions,
        )
        self.state = self.app.Table(
            STATE_TABLE,
            partitions=config.partitions,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            help="Per-session chain-verification and detection state.",
        )
        self.app.agent(self.raw_topic, name="tooltrail-processors")(self._agent)
        self._add_views()
        self.metrics.set_lag_source(self._lag)
        self.batches_done = 0

    async def _agent(self, stream: Any) -> AsyncIterator[None]:
        async for events in stream.noack_take(
            self.config.batch_size, within=self.config.batch_within
        ):
            try:
                await self.handle_batch(events)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Nothing of this batch is acknowledged: crash, and let the replacement
                # worker resume from the last committed offset rather than skip records.
                log.critical("batch failed; stopping the worker: %r", exc, exc_info=exc)
                await self.app.crash(exc)
                raise
            for event in events:
                await stream.ack(event)
            yield None

    async def handle_batch(self, events: Sequence[Any]) -> BatchResult:
        """Run the pipeline over a batch, deliver its outputs, then save the state."""
        records = []
        by_partition: dict[int, Any] = {}
        for event in events:
            message = event.message
            records.append(
                RawRecord(
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    key=message.key,
                    value=message.value,
                )
            )
            by_partition[message.partition] = event
        partition_of: dict[str, int] = {}

        def load_state(session_id: str, record: RawRecord) -> SessionState:
            partition_of[session_id] = record.partition
            with _in_partition(by_partition[record.partition]):
                return SessionState.from_bytes(self.state.get(session_id.encode()))

        result = self.pipeline.process(records, load_state)
        await self._deliver(result)
        for session_id, state in result.states.items():
            with _in_partition(by_partition[partition_of[session_id]]):
                self.state[session_id.encode()] = state.to_bytes()
        self.metrics.observe(result)
        self.batches_done += 1
        return result

    async def _deliver(self, result: BatchResult) -> None:
        """Produce every output and wait until Kafka has all of them; retry failures."""
        topics = self.config.topics
        pending: list[tuple[str, Output]] = [
            *((topics.enriched, o) for o in result.enriched),
            *((topics.alerts, o) for o in result.alerts),
            *((topics.deadletter, o) for o in result.dead_letters),
        ]
        attempt = 0
        producer = self.app.producer
        while pending:
            futures = []
            for topic, out in pending:
                futures.append(await producer.send(topic, out.key, out.value, None, None, None))
            outcomes = await asyncio.gather(*futures, return_exceptions=True)
            failed = [
                item
                for item, outcome in zip(pending, outcomes, strict=True)
                if isinstance(outcome, BaseException)
            ]
            if failed:
                first = next(o for o in outcomes if isinstance(o, BaseException))
                delay = _RETRY_BACKOFF[min(attempt, len(_RETRY_BACKOFF) - 1)]
                log.warning(
                    "%d of %d outputs not delivered (%r); retrying in %.1fs",
                    len(failed),
                    len(pending),
                    first,
                    delay,
                )
                self.metrics.send_retries.inc(len(failed))
                attempt += 1
                await asyncio.sleep(delay)
            pending = failed

    def _lag(self) -> dict[int, int]:
        consumer = self.app.consumer
        read = self.app.monitor.tp_read_offsets
        lags: dict[int, int] = {}
        for tp in consumer.assignment():
            if tp.topic != self.config.topics.raw:
                continue
            try:
                high = consumer.highwater(tp)
            except Exception:  # not fetched yet
                continue
            if high is None:
                continue
            last = read.get(tp)
            lags[tp.partition] = max(int(high) - (last + 1 if last is not None else 0), 0)
        return lags

    def _add_views(self) -> None:
        metrics = self.metrics
        owner = self

        async def metrics_view(view: Any, request: Any) -> Any:
            return view.bytes(metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

        async def health_view(view: Any, request: Any) -> Any:
            app = owner.app
            healthy = not app.should_stop and not app.crashed
            body = {
                "status": "ok" if healthy else "failing",
                "app_id": owner.config.app_id,
                "assigned_partitions": sorted(
                    tp.partition
                    for tp in app.consumer.assignment()
                    if tp.topic == owner.config.topics.raw
                ),
                "batches": owner.batches_done,
            }
            return view.json(body, status=200 if healthy else 503)

        self.app.page("/metrics")(metrics_view)
        self.app.page("/health")(health_view)


def create_app(
    config: ProcessorConfig,
    *,
    analyzer_factory: AnalyzerFactory,
    metrics: ProcessorMetrics | None = None,
) -> ProcessorsApp:
    """Build the processors app from settings (the CLI's and the tests' entry point)."""
    return ProcessorsApp(config=config, analyzer_factory=analyzer_factory, metrics=metrics)
