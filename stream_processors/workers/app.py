"""The Faust app factory: a batch handler over the raw topic, a state table, web views.

The raw topic is delivered a fetch at a time (see :mod:`.batching`: Faust's per-record
path costs more than a worker's whole budget per record). The handler calls the pure
:class:`Pipeline` on the batch, produces the outputs and waits until Kafka has every one;
nothing is acknowledged by itself. State is saved at checkpoints (every
``checkpoint_interval`` seconds, from the handler or the heartbeat timer): the changed
state of every partition goes to the table and its changelog, and only once Kafka has it
are the batches since the previous checkpoint acknowledged; Faust commits only
acknowledged offsets. So an offset is never committed before its record's outputs and
state are in Kafka (at-least-once). A crash replays the records after the last checkpoint
from the state saved with it: their outputs are sent again with the same content (alert
ids are deterministic, so consumers drop duplicates).
Both writes go through :class:`KafkaWriter` (librdkafka); Faust keeps the consumer group,
the table store, changelog recovery, commits and the web server.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import faust
from faust.streams import _current_event  # the context Faust tables read a partition from
from faust.types import TP
from faust.types.tuples import ConsumerMessage
from prometheus_client import CONTENT_TYPE_LATEST

from tooltrail.schemas import TOOL_CALL_EVENT, Decoder
from tooltrail.stream_processors import default_catalog
from tooltrail.stream_processors.workers import batching
from tooltrail.stream_processors.workers.config import ProcessorConfig
from tooltrail.stream_processors.workers.metrics import ProcessorMetrics
from tooltrail.stream_processors.workers.pipeline import (
    BatchResult,
    Pipeline,
    RawRecord,
    raw_record,
)
from tooltrail.stream_processors.workers.runtime import AnalysisConfig, PartitionRuntime
from tooltrail.stream_processors.workers.writer import ChangelogWrite, KafkaWriter

log = logging.getLogger(__name__)
GC_THRESHOLDS = (50_000, 20, 20)  # the worker's garbage-collector thresholds (see _warm_up)

STATE_TABLE = "state"
MAX_IN_FLIGHT = 8  # batches whose outputs may wait for Kafka while the next are processed


@contextlib.contextmanager
def _in_partition(event: Any) -> Iterator[None]:
    """Make Faust tables write to the partition of ``event`` (in this task only).

    Tables take the changelog partition from the "current event", which Faust sets only in
    the task iterating the stream; the batch handler sets it per partition itself.
    """
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def _decoder(schema_registry_url: str | None) -> Decoder:
    """Decodes both framings; Confluent framing needs the registry, when one is configured."""
    if schema_registry_url is None:
        return Decoder(expect=TOOL_CALL_EVENT)
    from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: PLC0415

    registry = SchemaRegistryClient.new_client({"url": schema_registry_url})
    return Decoder(expect=TOOL_CALL_EVENT, registry=registry)


class ProcessorsApp:
    """A Faust app running the tooltrail pipeline.

    Args:
        config: topics, broker, store, batching and web settings.
        analysis: rules, catalog and tuning of the per-partition analysis.
        metrics: where counters go; a fresh registry by default.
    """

    def __init__(
        self,
        *,
        config: ProcessorConfig,
        analysis: AnalysisConfig,
        metrics: ProcessorMetrics | None = None,
    ) -> None:
        self.config = config
        # one catalog for every partition (parsing the YAML took ~0.1 s per partition
        # assigned, in the middle of the stream); its lookup cache is a pure memo
        self.analysis = (
            analysis
            if analysis.catalog is not None
            else dataclasses.replace(analysis, catalog=default_catalog())
        )
        self.metrics = metrics if metrics is not None else ProcessorMetrics()
        self.pipeline = Pipeline(
            decoder=_decoder(config.schema_registry_url),
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
            broker_max_poll_interval=max(60.0, config.session_timeout * 6),
            web_enabled=config.web_port != 0,
            web_port=config.web_port or 6066,
            web_bind=config.web_host,
            web_host=config.web_host,
            producer_linger=0.005,
            broker_max_poll_records=config.batch_size,
        )
        batching.install(self.app)
        self.raw_topic = self.app.topic(
            config.topics.raw,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=config.partitions,
        )
        # bytes keys and values: Faust's "raw" codec both ways; keys are "<partition>/<key>".
        self.state = self.app.Table(
            STATE_TABLE,
            partitions=config.partitions,
            key_type=bytes,
            value_type=bytes,
            help="Per-partition chain-verification, enrichment and detection state.",
        )
        self.runtimes: dict[int, PartitionRuntime] = {}
        self._anchor: dict[int, Any] = {}  # partition -> an event of it, for table writes
        self._read: dict[int, int] = {}  # partition -> last offset handled
        self._lock = asyncio.Lock()
        # by partition: records processed and sent, waiting for their checkpoint
        self._pending: dict[int, list[int]] = {}  # (their offsets)
        self._settling: asyncio.Future[None] | None = None  # the last checkpoint's settle
        self._deliveries: deque[asyncio.Future[None]] = deque()  # batches' outputs in flight
        self._saved_at: dict[int, float] = {}  # partition -> when its state was last saved
        self._stopping = False
        self._revocations = 0
        self.writer: KafkaWriter | None = None
        self.batches_done = 0
        self.checkpoints_done = 0
        batching.on_batches(self.app, self.raw_topic, self._on_batch, record=raw_record)
        self.app.timer(max(0.05, analysis.allowed_lateness / 2), name="tooltrail-heartbeat")(
            self._heartbeat
        )
        self.app.on_partitions_revoked.connect(self._on_revoked)
        faust_on_stop = self.app.on_stop

        async def on_stop() -> None:
            # Faust stops timers first, then waits for every unacknowledged record: save the
            # pending batches now, and from here on after every batch.
            self._stopping = True
            async with self._lock:
                if any(self._pending.values()):
                    await self.checkpoint(list(self.runtimes))
                if self._settling is not None:
                    await self._settling
            self.metrics.unwatch_gc()
            await faust_on_stop()

        self.app.on_stop = on_stop  # type: ignore[method-assign]
        self.app.task(self._warm_up)
        self._add_views()
        self.metrics.set_lag_source(self._lag)

    # -- the raw topic ------------------------------------------------------------------

    async def _on_batch(self, messages: Sequence[Any]) -> None:
        started = time.perf_counter()
        async with self._fatal("batch"):
            await self.handle_batch(messages)
            if due := self._checkpoint_due():
                async with self._lock:
                    await self.checkpoint(due)
        self.metrics.batch_seconds.observe(time.perf_counter() - started)

    @contextlib.asynccontextmanager
    async def _fatal(self, what: str) -> AsyncIterator[None]:
        """Any error but cancellation stops the worker. Nothing of ``what`` is acknowledged,
        so the replacement resumes from the last committed offset rather than skip records.
        """
        try:
            yield
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.critical("%s failed; stopping the worker: %r", what, exc, exc_info=exc)
            await self.app.crash(exc)
            raise

    async def handle_batch(self, messages: Sequence[Any]) -> BatchResult:
        """Run the pipeline over a batch of raw-topic records and send its outputs.

        The next batch does not wait for Kafka's answer (up to ``MAX_IN_FLIGHT`` batches'
        outputs are in flight; failed ones are re-sent); the next checkpoint does, before
        it saves the state, and then acknowledges (so commits) the records.
        """
        records: Sequence[RawRecord] = messages  # (raw_record made them: batching.py)
        last = {r.partition: r for r in records}
        async with self._lock:
            for partition, record in last.items():
                self._read[partition] = record.offset
                if partition not in self._anchor:
                    self._anchor[partition] = self._event_of(record)
            result = self.pipeline.process(records, self._runtime, drain=False)
            revocations = self._revocations
            self._deliveries.append(asyncio.ensure_future(self._deliver(result)))
            while len(self._deliveries) > MAX_IN_FLIGHT:
                await self._deliveries.popleft()
            if revocations != self._revocations:  # a rebalance took partitions meanwhile
                ours = {
                    tp.partition
                    for tp in self.app.consumer.assignment()
                    if tp.topic == self.config.topics.raw
                }
                records = [r for r in records if r.partition in ours]
            pending = self._pending
            for record in records:
                offsets = pending.get(record.partition)
                if offsets is None:
                    offsets = pending[record.partition] = []
                offsets.append(record.offset)
        self.metrics.observe(result)
        self.batches_done += 1
        return result

    def _event_of(self, record: RawRecord) -> Any:
        """A Faust event of ``record``'s partition: what tables read the partition from."""
        tp = TP(record.topic, record.partition)
        message = ConsumerMessage(
            record.topic,
            record.partition,
            record.offset,
            0.0,  # (the record's timestamp: no table here reads it)
            0,
            [],
            record.key,
            record.value,
            None,
            tp=tp,
            generation_id=self.app.consumer_generation_id,
        )
        return self.app.create_event(record.key, record.value, [], message)

    async def _warm_up(self, *args: Any) -> None:
        """Pay the one-time costs at start, not on the first records (latency after a
        start or a rebalance): broker connections and topic metadata, the compiled Avro
        reader, the rule pack."""
        self.pipeline.warm_up()
        PartitionRuntime(config=self.analysis, load_chain=lambda session_id: None)
        topics = self.config.topics
        await self._writer().connect(
            [
                topics.enriched,
                topics.alerts,
                topics.deadletter,
                self.state.changelog_topic.get_topic_name(),
            ]
        )
        # What exists now (modules, Faust, the rule pack) lives as long as the worker: keep
        # it out of the collector's full passes, which stop every partition while they run.
        gc.freeze()
        # A batch's objects die together when it is done, so a young collection every 700
        # allocations mostly walks objects about to be freed anyway. Measured over 150,000
        # records: 870 young, 79 middle and 7 full collections, 0.9 s in all, became 4
        # young ones of 35-40 ms, 0.15 s in all (tooltrail_processor_gc_pause_seconds).
        gc.set_threshold(*GC_THRESHOLDS)
        self.metrics.watch_gc()

    async def _heartbeat(self, *args: Any) -> None:
        """Let idle partitions release buffered alerts (see PartitionRuntime.heartbeat)."""
        async with self._lock:
            result = BatchResult()
            now = time.monotonic()
            lateness = self.analysis.allowed_lateness
            idle = {
                p
                for p, rt in self.runtimes.items()
                if now - rt.last_arrival >= lateness and p in self._anchor
            }
            # records may be waiting: event time comes from them, not the clock
            caught_up = self._caught_up(idle) if idle else set()
            for partition, runtime in list(self.runtimes.items()):
                if partition not in caught_up:
                    continue
                try:
                    alerts = runtime.heartbeat(now)
                except Exception as exc:  # a detection bug must not stop the worker
                    log.exception("heartbeat of partition %d failed: %r", partition, exc)
                    self.metrics.drops.inc("detect", "heartbeat_error")
                    continue
                if alerts:
                    self.pipeline.add_alerts(alerts, None, result)
            if result.alerts:
                await self._deliver(result)  # their state goes with the next checkpoint
                self.metrics.observe_alerts(result)
            if due := self._checkpoint_due(idle=True):
                await self.checkpoint(due)

    def _checkpoint_due(self, *, idle: bool = False) -> list[int]:
        """The partition to checkpoint now, if any: the one saved longest ago among those
        with records waiting (or, from the idle heartbeat, with any state).

        One partition at a time: their checkpoints spread over the interval instead of
        stalling every partition's records at once (draining state costs tens of ms).
        """
        if self._stopping:
            return [p for p, waiting in self._pending.items() if waiting]
        now = time.monotonic()
        interval = self.config.checkpoint_interval
        due = [
            p
            for p in self.runtimes
            if (self._pending.get(p) or idle)
            and now - self._saved_at.setdefault(p, now) >= interval
        ]
        if interval <= 0 or not due:
            return due  # 0: every partition after every batch
        return [min(due, key=lambda p: self._saved_at[p])]

    async def checkpoint(self, partitions: Sequence[int]) -> None:
        """Save the changed state of ``partitions``, then acknowledge their records.

        Call with the lock held. It first waits until Kafka has every output of the
        batches handled so far, so once this state is in Kafka their offsets may be
        committed (a replacement that restores it skips those records: their outputs
        must not be missing).
        The state is drained and handed to librdkafka here; waiting for Kafka's answer
        and acknowledging happen in a task, so the next batches need not wait for it.
        Checkpoints settle in order (each task waits for the one before).
        """
        started = time.perf_counter()
        while self._deliveries:
            await self._deliveries.popleft()
        pending = {p: offsets for p in partitions if (offsets := self._pending.pop(p, None))}
        runtimes = [(p, rt) for p in partitions if (rt := self.runtimes.get(p)) is not None]
        writes = {p: w for p, rt in runtimes if (w := rt.drain_state())}
        anchors = {p: self._anchor[p] for p in writes}
        write = await self._save(writes, anchors)
        now = time.monotonic()
        for p in partitions:
            self._saved_at[p] = now
        self.checkpoints_done += 1
        self._settling = asyncio.ensure_future(
            self._settle(self._settling, write, pending, started)
        )
        if self._stopping:
            await self._settling

    async def _settle(
        self,
        previous: asyncio.Future[None] | None,
        write: ChangelogWrite | None,
        pending: dict[int, list[int]],
        started: float,
    ) -> None:
        """Wait until Kafka has a checkpoint's state, then acknowledge what it covers
        (``pending``: offsets by partition)."""
        async with self._fatal("checkpoint"):
            if previous is not None:
                await previous
            if write is not None:
                await self._writer().settle(write)
        consumer, topic = self.app.consumer, self.config.topics.raw
        assert isinstance(consumer, batching.BatchingConsumer)  # (batching.install)
        for partition, offsets in pending.items():  # Faust discards commits of partitions
            consumer.ack_offsets(TP(topic, partition), offsets)  # revoked meanwhile
        self.metrics.checkpoint_seconds.observe(time.perf_counter() - started)

    def _caught_up(self, partitions: set[int]) -> set[int]:
        """Those of ``partitions`` whose every record (to the high-water mark) was applied."""
        consumer = self.app.consumer
        done: set[int] = set()
        for tp in consumer.assignment():
            runtime = self.runtimes.get(tp.partition)
            if tp.topic != self.config.topics.raw or runtime is None:
                continue
            if tp.partition not in partitions:
                continue
            try:
                high = int(consumer.highwater(tp))
            except Exception:  # nothing fetched yet
                continue
            if runtime.last_offset >= high - 1:
                done.add(tp.partition)
        return done

    def _runtime(self, partition: int) -> PartitionRuntime:
        runtime = self.runtimes.get(partition)
        if runtime is None:
            prefix = f"{partition}/".encode()
            table = self.state

            def load_chain(session_id: str) -> bytes | None:
                value: bytes | None = table.get(prefix + b"c/" + session_id.encode())
                return value

            runtime = PartitionRuntime(
                config=self.analysis, load_chain=load_chain, drops=self.metrics.drops
            )
            runtime.restore(
                (key[len(prefix) :].decode(), value)
                for key, value in list(table.items())
                if key.startswith(prefix) and not key.startswith(prefix + b"c/")
            )
            self.runtimes[partition] = runtime
        return runtime

    async def _save(
        self, writes: dict[int, dict[str, bytes | None]], anchors: dict[int, Any]
    ) -> ChangelogWrite | None:
        """Write changed state to the table and hand its changelog records to librdkafka.

        The records go straight to the table's changelog partition (in order: the batch
        record first) and the store is updated alongside: what ``table[key] = value``
        does, without Faust's per-record send path. Faust recovers tables from these
        records as from its own.
        """
        store = self.state.data
        key_partition = getattr(store, "_key_partition", None)  # memory store bookkeeping
        records: list[tuple[int, bytes, bytes | None]] = []
        for partition, changes in writes.items():
            prefix = f"{partition}/"
            with _in_partition(anchors[partition]):  # the batch's own: revocation-proof
                for key, value in changes.items():
                    full = (prefix + key).encode()
                    records.append((partition, full, value))
                    if value is None:
                        store.pop(full, None)
                    else:
                        store[full] = value
                        if key_partition is not None:
                            key_partition[full] = partition
        if not records:
            return None
        topic = self.state.changelog_topic.get_topic_name()
        return await self._writer().send_changelog(topic, records)

    def _on_revoked(self, sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        # A partition may come back later after another worker changed its state: rebuild.
        revoked = args[0] if args else kwargs.get("revoked", ())
        for tp in revoked:
            if tp.topic == self.config.topics.raw:
                self.runtimes.pop(tp.partition, None)
                self._anchor.pop(tp.partition, None)
                self._read.pop(tp.partition, None)
        # records of a revoked partition whose state was never saved: the next owner
        # replays them from the last checkpoint
        gone = {tp.partition for tp in revoked if tp.topic == self.config.topics.raw}
        self._revocations += 1
        for partition in gone:
            self._pending.pop(partition, None)
            self._saved_at.pop(partition, None)

    async def _deliver(self, result: BatchResult) -> None:
        """Produce every output and wait until Kafka has all of them (failures re-sent)."""
        topics = self.config.topics
        await self._writer().deliver_runs(
            [
                (topics.enriched, result.enriched),
                (topics.alerts, result.alerts),
                (topics.deadletter, result.dead_letters),
            ]
        )

    def _writer(self) -> KafkaWriter:
        if self.writer is None:
            self.writer = KafkaWriter(
                bootstrap_servers=self.config.bootstrap_servers, metrics=self.metrics
            )
        return self.writer

    # -- web views ----------------------------------------------------------------------

    def _lag(self) -> dict[int, int]:
        consumer = self.app.consumer
        read = self._read
        lags: dict[int, int] = {}
        for tp in consumer.assignment():
            if tp.topic != self.config.topics.raw:
                continue
            try:
                high: int | None = consumer.highwater(tp)  # None before the first fetch
            except Exception:  # nothing fetched yet
                continue
            if high is None:  # (Faust types it int): no lag to report yet
                continue
            last = read.get(tp.partition)
            lags[tp.partition] = max(int(high) - (last + 1 if last is not None else 0), 0)
        return lags

    def _add_views(self) -> None:
        owner = self

        async def metrics_view(view: Any, request: Any) -> Any:
            body = owner.metrics.render()
            return view.bytes(body, headers={"Content-Type": CONTENT_TYPE_LATEST})

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
    analysis: AnalysisConfig | None = None,
    metrics: ProcessorMetrics | None = None,
) -> ProcessorsApp:
    """Build the processors app from settings (the CLI's and the tests' entry point)."""
    return ProcessorsApp(config=config, analysis=analysis or AnalysisConfig(), metrics=metrics)
