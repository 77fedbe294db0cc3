"""The batching transport is wired in before Faust builds its consumer, or refuses."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import faust
import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from tooltrail.stream_processors.workers import batching


def new_app() -> Any:
    return faust.App("batching-test", broker="kafka://127.0.0.1:1", autodiscover=False)


async def handler(messages: Sequence[Any]) -> None:  # never called: nothing is consumed
    await asyncio.sleep(0)


def test_a_batch_topic_is_registered_with_the_transport_and_subscribed() -> None:
    app = new_app()
    batching.install(app)
    topic = app.topic("raw-events", value_serializer="raw")
    batching.on_batches(app, topic, handler)
    assert isinstance(app.transport, batching.BatchingTransport)
    assert app.transport.batch_handlers == {"raw-events": handler}
    assert topic in app.topics  # the conductor subscribes the consumer to it
    assert app.transport.Consumer is batching.BatchingConsumer


def test_batches_need_the_batching_transport() -> None:
    app = new_app()
    with pytest.raises(RuntimeError, match="install"):
        batching.on_batches(app, app.topic("raw-events"), handler)


def test_installing_after_faust_made_its_transport_is_refused() -> None:
    app = new_app()
    assert app.transport is not None  # Faust's own aiokafka transport now exists
    with pytest.raises(RuntimeError, match="before"):
        batching.install(app)


def consumer_of(app: Any) -> batching.BatchingConsumer:
    asyncio.run(app.topics._update_indices())  # what subscribing does: acks for the topic
    consumer = app.consumer
    assert isinstance(consumer, batching.BatchingConsumer)
    return consumer


class Light:
    def __init__(self, topic: str, offset: int) -> None:
        self.topic, self.offset = topic, offset


def test_batches_come_per_partition_skipping_re_read_records_and_marking_gaps() -> None:
    app = new_app()
    batching.install(app)
    got: list[list[Any]] = []

    async def collect(records: Sequence[Any]) -> None:
        got.append(list(records))

    batching.on_batches(app, app.topic("raw-events"), collect, record=lambda tp, r: r)
    consumer = consumer_of(app)
    p0, p1 = TP("raw-events", 0), TP("raw-events", 1)
    consumer._read_offset[p0] = 11  # records up to 11 were handled before a seek back
    fetched = batching.Fetched(app.consumer_generation_id)
    fetched.batched = [
        (p0, [Light("raw-events", o) for o in (10, 11, 12, 13, 17, 18)]),
        (p1, [Light("raw-events", o) for o in (0, 1, 2)]),
    ]
    asyncio.run(consumer._dispatch(fetched))
    assert [[r.offset for r in batch] for batch in got] == [[11, 12, 13, 17, 18, 0, 1, 2]]
    assert consumer._read_offset[p0] == 18
    assert consumer._read_offset[p1] == 2
    # Faust's _add_gap(tp, 14, 17), as its own loop calls it: stored as [14, 18)
    assert sorted((i.begin, i.end) for i in consumer._gap[p0]) == [(14, 18)]
    assert not consumer._gap[p1]


def test_a_fetch_of_an_older_generation_is_dropped() -> None:
    app = new_app()
    batching.install(app)
    got: list[Any] = []

    async def collect(records: Sequence[Any]) -> None:
        got.extend(records)

    batching.on_batches(app, app.topic("raw-events"), collect, record=lambda tp, r: r)
    consumer = consumer_of(app)
    fetched = batching.Fetched(generation=-7)  # a rebalance came after this fetch
    fetched.batched = [(TP("raw-events", 0), [Light("raw-events", 0)])]
    asyncio.run(consumer._dispatch(fetched))
    assert got == []


def test_gaps_between_and_before_records() -> None:
    def at(*offsets: int) -> list[Light]:
        return [Light("t", o) for o in offsets]

    assert batching._gaps(None, at(0, 1, 2)) == []
    assert batching._gaps(4, at(5, 6)) == []
    assert batching._gaps(4, at(8, 9, 12)) == [(5, 8), (10, 12)]
    assert batching._gaps(0, at(3)) == []  # as Faust: nothing recorded after offset 0


def test_ack_offsets_keeps_the_books_faust_ack_keeps() -> None:
    app = new_app()
    batching.install(app)
    topic = app.topic("raw-events", value_serializer="raw")
    batching.on_batches(app, topic, handler, record=lambda tp, r: r)
    consumer = consumer_of(app)
    tp = TP("raw-events", 0)
    consumer._committed_offset[tp] = 5
    # below the committed offset: already committed; a repeat counts once
    assert consumer.ack_offsets(tp, [3, 4, 5, 6, 6]) == 2
    assert consumer.ack_offsets(tp, [6]) == 0
    assert list(consumer._acked[tp]) == [5, 6]
    assert consumer._n_acked == 2
    # Faust's own per-message ack agrees with it on the next offset
    message = ConsumerMessage("raw-events", 0, 7, 0.0, 0, [], None, b"", None, tp=tp)
    assert consumer.ack(message)
    assert not consumer.ack_offsets(tp, [7])
    assert consumer._new_offset(tp) == 8  # 5, 6, 7 acknowledged: commit up to 8
