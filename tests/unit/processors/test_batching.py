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


def test_a_batch_topic_gets_its_own_records_and_other_topics_faust_messages() -> None:
    app = new_app()
    batching.install(app)

    def light(tp: Any, record: Any) -> tuple[str, int]:
        return (record.topic, record.offset)

    batching.on_batches(app, app.topic("raw-events"), handler, record=light)
    transport = app.transport

    def to_message(tp: Any, record: Any) -> str:
        return "faust message"

    assert transport.record_maker("raw-events", to_message) is light
    assert transport.record_maker("other", to_message) is to_message


def test_ack_offsets_keeps_the_books_faust_ack_keeps() -> None:
    app = new_app()
    batching.install(app)
    topic = app.topic("raw-events", value_serializer="raw")
    batching.on_batches(app, topic, handler, record=lambda tp, r: r)
    asyncio.run(app.topics._update_indices())  # what subscribing does: acks for the topic
    consumer = app.consumer
    assert isinstance(consumer, batching.BatchingConsumer)
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
