"""The batching transport is wired in before Faust builds its consumer, or refuses."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import faust
import pytest

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
