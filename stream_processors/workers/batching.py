"""A Faust transport whose consumer hands the raw topic to the worker a fetch at a time.

Faust delivers every record on its own: the fetcher awaits one callback per record (two
tasks and an ``asyncio.wait`` each), the conductor queues it into a channel, the stream
wraps it in an event and calls the sensors. Measured here with a pipeline that only
counts, that path tops out near 7,000-8,700 records/s on one core: below the 20,000
records/s a worker must handle before doing any work. So the records of *batch topics*
skip it: the fetcher collects those of one ``getmany`` call and awaits one handler per
batch, as light records of the handler's own type rather than Faust messages. Everything
else stays Faust's: the consumer group, assignment and rebalances, flow control, offsets
and commits (the handler acknowledges records with ``Consumer.ack`` or, a batch at a time,
:meth:`BatchingConsumer.ack_offsets`; only acknowledged offsets are committed), tables and
their recovery, the other topics, the web server. A batch is what one fetch returned, at
most the app's ``broker_max_poll_records``.

The loop below follows ``faust.transport.consumer.Consumer._drain_messages`` of
faust-streaming 0.15 (same read-offset and gap bookkeeping) with the batch branch added;
``_fetch`` is its ``getmany`` returning a list instead of yielding record by record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

BatchHandler = Callable[[Sequence[Any]], Awaitable[None]]
#: Builds what a batch handler receives from ``(tp, aiokafka ConsumerRecord)``; it needs
#: ``topic`` and ``offset`` attributes (the dispatcher reads them).
BatchRecord = Callable[[Any, Any], Any]


#: How long the broker may hold a fetch waiting for data. Faust asks for 1.5 s, and
#: aiokafka sends no new fetch to a broker while one is in flight: records arriving for a
#: partition just consumed then wait up to that long (seen here as 0.5-1.4 s stalls with
#: a backlog at 5,000 records/s).
FETCH_MAX_WAIT_MS = 50


class BatchingConsumerThread(aiokafka_driver.AIOKafkaConsumerThread):
    """Faust's aiokafka consumer thread with a short fetch wait."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when the consumer starts
        return consumer


class BatchingConsumer(aiokafka_driver.Consumer):
    """The aiokafka consumer with batch delivery for its transport's batch topics."""

    def _new_consumer_thread(self) -> Any:
        return BatchingConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _fetch(self, timeout: float) -> Fetched:
        """Faust's ``getmany`` as lists, with the generation it was fetched in.

        ``getmany`` is an async generator: an ``await`` per record, and the end offset
        handed to the monitor per record. Here they go once per fetch (once per partition).
        A batch topic's records come per partition, as the topic's own records (see
        :func:`on_batches`); other topics' as Faust messages, in Faust's scheduling order.
        """
        records, active = await self._wait_next_records(timeout)
        generation = self.app.consumer_generation_id
        if records is None or self.should_stop:
            return Fetched(generation)
        if not self.flow_active:
            self.log.dev("fetched while flow not active. Seek back to committed offsets.")
            try:
                await self.perform_seek()
            except Exception as exc:  # as getmany does: the next fetch tries again
                self.log.warning(f"exception performing seek when flow not active {exc}")
            return Fetched(generation)
        buffered = self._buffered_partitions
        track = self.app.monitor.track_tp_end_offset
        transport = self.transport
        assert isinstance(transport, BatchingTransport)  # install() gave the app this one
        fetched = Fetched(generation)
        others: dict[Any, list[Any]] = {}
        for tp, got in records.items():
            if not got or not (active is None or tp in active or tp in buffered):
                continue
            track(tp, self.highwater(tp))
            make = transport.batch_records.get(tp.topic)
            if make is None:
                others[tp] = got
            else:
                fetched.batched.append((tp, [make(tp, record) for record in got]))
        if others:
            to_message = self._to_message
            fetched.single = [(tp, to_message(tp, r)) for tp, r in self.scheduler.iterate(others)]
        return fetched

    def ack_offsets(self, tp: Any, offsets: Sequence[int]) -> int:
        """Acknowledge records of a batch topic by offset (they have no Faust message).

        What ``Consumer.ack`` does per message (same lock, same bookkeeping: only offsets
        at or above the committed one count, each once), once per batch; returns how many
        were newly acknowledged. Faust commits acknowledged offsets only.
        """
        if not offsets or not self.app.topics.acks_enabled_for(tp.topic):
            return 0
        with ack_lock:
            committed = self._committed_offset[tp]
            index = self._acked_index[tp]
            new = []
            for offset in offsets:
                if (committed is None or offset >= committed) and offset not in index:
                    index.add(offset)
                    new.append(offset)
            self._acked[tp].extend(new)
            self._n_acked += len(new)
            notify(self._waiting_for_ack)
        return len(new)

    async def _drain_messages(self, fetcher: Any) -> None:  # the fetcher's loop
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        commit_every = self._commit_every
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                self.diag.set_flag("FETCHING")
                await asyncio.sleep(0)  # a fetch can return at once, again and again
                if self.should_stop:
                    continue
                await self._dispatch(await self._fetch(1.0))
                if commit_every is not None and self._n_acked >= commit_every:
                    self._n_acked = 0
                    await self.commit()
                self.diag.unset_flag("FETCHING")
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
        finally:
            self.diag.unset_flag("FETCHING")

    def _current(self, generation: Any) -> bool:
        """What Faust's getmany checks before yielding each record."""
        return bool(self.flow_active) and self.app.consumer_generation_id == generation

    async def _dispatch(self, fetched: Fetched) -> None:
        """Batch topics' records to their handler (one call per topic), others one by one.

        Faust checks flow and generation before each record; they change only while this
        task awaits, so they are checked before each partition's records and after each
        ``await``. The read-offset bookkeeping is Faust's, per partition: records before
        the read offset (re-delivered after a seek) are skipped, and a jump in offsets
        (compaction, transaction markers) is recorded as a gap so commits can pass it.
        """
        generation = fetched.generation
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        transport = self.transport
        assert isinstance(transport, BatchingTransport)  # install() gave the app this one
        handlers = transport.batch_handlers
        batches: dict[str, list[Any]] = {}
        for tp, got in fetched.batched:
            if not self._current(generation):
                break
            last = read_offset[tp]
            records = got
            if last is not None and got[0].offset < last:
                records = [r for r in got if r.offset >= last]  # re-delivered: handled
                if not records:
                    continue
            if acks_enabled_for(tp.topic):
                gaps = _gaps(last, records)
                for begin, end in gaps:
                    await self._add_gap(tp, begin, end)
                if gaps and not self._current(generation):
                    break
            read_offset[tp] = records[-1].offset
            batches.setdefault(tp.topic, []).extend(records)
        for topic, batch in batches.items():
            await handlers[topic](batch)
        for tp, message in fetched.single:
            if not self._current(generation):
                break
            offset = message.offset
            last = read_offset[tp]
            if last is not None and offset < last:
                continue  # re-delivered after a seek: already handled
            if last and offset - last > 1 and acks_enabled_for(message.topic):
                await self._add_gap(tp, last + 1, offset)  # compacted / aborted
            read_offset[tp] = offset
            await self.wait_first(self.callback(message), self.suspend_flow.wait())


def _gaps(last: int | None, records: Sequence[Any]) -> list[tuple[int, int]]:
    """The jumps before and between ``records`` (ascending offsets), as the arguments Faust's
    own loop gives ``_add_gap``: (the offset after the previous record, the record's)."""
    first, final = records[0].offset, records[-1].offset
    gaps: list[tuple[int, int]] = []
    if last and first - last > 1:  # (as Faust: no gap is recorded after offset 0)
        gaps.append((last + 1, first))
    if final - first != len(records) - 1:  # not consecutive: find the jumps
        previous = first
        for record in records[1:]:
            if previous and record.offset - previous > 1:  # (Faust's test, record by record)
                gaps.append((previous + 1, record.offset))
            previous = record.offset
    return gaps


class Fetched:
    """One fetch: batch topics' records per partition, other topics' messages in order."""

    __slots__ = ("batched", "generation", "single")

    def __init__(self, generation: Any) -> None:
        self.generation = generation
        self.batched: list[tuple[Any, list[Any]]] = []
        self.single: list[tuple[Any, Any]] = []


class BatchingTransport(aiokafka_driver.Transport):
    """The aiokafka transport with :class:`BatchingConsumer`."""

    Consumer = BatchingConsumer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_handlers: dict[str, BatchHandler] = {}
        self.batch_records: dict[str, BatchRecord] = {}


def install(app: Any) -> None:
    """Give ``app`` the batching transport (before anything creates its consumer)."""
    if app._transport is not None and not isinstance(app._transport, BatchingTransport):
        raise RuntimeError("install the batching transport before the app's consumer exists")
    app.transport = BatchingTransport(app.conf.broker_consumer, app)


def on_batches(
    app: Any, topic: Any, handler: BatchHandler, *, record: BatchRecord | None = None
) -> None:
    """Subscribe ``app`` to ``topic`` and deliver its records to ``handler`` in batches.

    The handler owns the records: it acknowledges each once its results are safe
    (``app.consumer.ack(message)``, or ``app.consumer.ack_offsets(tp, offsets)``), and
    Faust commits acknowledged offsets only. ``record`` builds what the handler gets from
    ``(tp, aiokafka ConsumerRecord)`` instead of a Faust message (building a message costs
    more than a light record that only the handler reads); it must have ``topic`` and
    ``offset`` attributes.
    """
    transport = app.transport
    if not isinstance(transport, BatchingTransport):
        raise RuntimeError("the app's transport does not batch: call install(app) first")
    for name in topic.topics:
        transport.batch_handlers[name] = handler
        if record is not None:
            transport.batch_records[name] = record
    app.topics.add(topic)
