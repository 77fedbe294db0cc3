"""KafkaWriter: outputs re-sent until delivered, changelog failures refuse the checkpoint."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from tooltrail.errors import ServiceError
from tooltrail.stream_processors.workers.metrics import ProcessorMetrics
from tooltrail.stream_processors.workers.pipeline import Output
from tooltrail.stream_processors.workers.writer import KafkaWriter


class FakeMessage:
    """What confluent-kafka hands a delivery report: the record it was about."""

    def __init__(self, topic: str, key: Any, value: Any) -> None:
        self._topic, self._key, self._value = topic, key, value

    def topic(self) -> str:
        return self._topic

    def key(self) -> Any:
        return self._key

    def value(self) -> Any:
        return self._value


class FakeProducer:
    """Queues records; ``poll`` reports them, failing the values listed in ``fail_once``."""

    def __init__(
        self, fail_once: set[bytes] | None = None, fail_always: bool = False, full: int = 0
    ) -> None:
        self.full = full  # this many produce calls find the queue full first
        self.fail_once = set(fail_once or ())
        self.fail_always = fail_always
        self.queue: deque[tuple[str, Any, bytes | None, Any]] = deque()
        self.delivered: list[tuple[str, bytes | None]] = []
        self.keys: dict[Any, Any] = {}  # value -> key, as delivered
        self.batches = 0
        self.batch_error = KafkaError._QUEUE_FULL

    def produce(self, topic: str, *, key: Any, value: Any, on_delivery: Any, **kw: Any) -> None:
        if self.full:
            self.full -= 1
            raise BufferError("Local: Queue full")
        self.queue.append((topic, key, value, on_delivery))

    def produce_batch(self, topic: str, messages: list[dict[str, Any]], on_delivery: Any) -> int:
        """As confluent-kafka's: what finds the queue full is marked with ``_error``."""
        self.batches += 1
        queued = 0
        for message in messages:
            if self.full:
                self.full -= 1
                message["_error"] = KafkaError(self.batch_error)
                continue
            self.queue.append((topic, message["key"], message["value"], on_delivery))
            queued += 1
        return queued

    def __len__(self) -> int:
        return len(self.queue)

    def poll(self, timeout: float) -> int:
        served = 0
        while self.queue:
            topic, key, value, cb = self.queue.popleft()
            if self.fail_always or value in self.fail_once:
                self.fail_once.discard(value)
                cb("broker said no", FakeMessage(topic, key, value))
            else:
                self.delivered.append((topic, value))
                self.keys[value] = key
                cb(None, FakeMessage(topic, key, value))
            served += 1
        return served

    def flush(self, timeout: float = 0) -> int:
        self.poll(0)
        return 0


def writer_with(producer: FakeProducer) -> tuple[KafkaWriter, ProcessorMetrics]:
    metrics = ProcessorMetrics()
    writer = KafkaWriter(bootstrap_servers="127.0.0.1:1", metrics=metrics)
    writer.producer = producer
    return writer, metrics


def test_failed_outputs_are_sent_again_until_delivered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tooltrail.stream_processors.workers.writer._RETRY_BACKOFF", (0.0,))
    producer = FakeProducer(fail_once={b"b", b"c"})
    writer, metrics = writer_with(producer)
    outputs = [("enriched", Output(b"k" + v, v)) for v in (b"a", b"b", b"c")]
    asyncio.run(writer.deliver(outputs))
    assert sorted(v for _, v in producer.delivered) == [b"a", b"b", b"c"]
    assert producer.keys == {b"a": b"ka", b"b": b"kb", b"c": b"kc"}  # re-sent with their keys
    assert metrics.send_retries._value.get() == 2


def test_a_refused_changelog_record_fails_the_checkpoint() -> None:
    writer, _ = writer_with(FakeProducer(fail_always=True))

    async def run() -> None:
        write = await writer.send_changelog("state-changelog", [(0, b"k", b"v"), (0, b"j", None)])
        await writer.settle(write)

    with pytest.raises(ServiceError, match="state-changelog"):
        asyncio.run(run())


def test_settle_waits_for_every_report_of_its_own_records() -> None:
    producer = FakeProducer()
    writer, _ = writer_with(producer)

    async def run() -> int:
        write = await writer.send_changelog("log", [(1, b"k%d" % i, b"v") for i in range(5)])
        assert write.reported[0] == 0  # handed over, not yet answered
        await writer.settle(write)
        return write.reported[0]

    assert asyncio.run(run()) == 5
    assert len(producer.delivered) == 5


def test_a_full_local_queue_is_drained_and_the_record_sent_again() -> None:
    producer = FakeProducer(full=2)
    writer, _ = writer_with(producer)
    outputs = [("alerts", Output(None, v)) for v in (b"x", b"y")]
    asyncio.run(writer.deliver(outputs))
    assert [v for _, v in producer.delivered] == [b"x", b"y"]
    assert producer.full == 0


def test_a_topic_run_goes_in_one_batch_and_what_a_full_queue_refused_follows() -> None:
    producer = FakeProducer()
    writer, _ = writer_with(producer)
    outputs = [("enriched", Output(b"k", v)) for v in (b"a", b"b")]
    outputs += [("alerts", Output(b"k", b"x"))]
    asyncio.run(writer.deliver(outputs))
    assert producer.batches == 2  # one per topic run
    assert producer.delivered == [("enriched", b"a"), ("enriched", b"b"), ("alerts", b"x")]

    producer = FakeProducer(full=1)
    writer, _ = writer_with(producer)
    asyncio.run(writer.deliver([("enriched", Output(b"k", v)) for v in (b"a", b"b", b"c")]))
    assert sorted(v for _, v in producer.delivered) == [b"a", b"b", b"c"]  # none lost
    assert producer.full == 0


def test_a_batch_refused_for_another_reason_fails_as_produce_would() -> None:
    producer = FakeProducer(full=1)
    producer.batch_error = KafkaError.MSG_SIZE_TOO_LARGE
    writer, _ = writer_with(producer)
    with pytest.raises(KafkaException):
        asyncio.run(writer.deliver([("enriched", Output(b"k", b"a"))]))


def test_changelog_records_go_in_one_batch_and_a_refused_one_fails_the_write() -> None:
    producer = FakeProducer()
    writer, _ = writer_with(producer)
    records = [(2, b"k%d" % i, b"v") for i in range(4)]

    async def run() -> None:
        await writer.settle(await writer.send_changelog("log", records))

    asyncio.run(run())
    assert producer.batches == 1
    assert len(producer.delivered) == 4

    writer, _ = writer_with(FakeProducer(full=1))  # refused: order could not be kept
    with pytest.raises(ServiceError, match="refused"):
        asyncio.run(run())
