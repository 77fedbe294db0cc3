"""Records in both wire framings survive a trip through the real broker byte for byte."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from confluent_kafka import Consumer, Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient

from tooltrail.schemas import (
    TOOL_CALL_EVENT,
    AgentIdentity,
    ConfluentSerializer,
    Decoder,
    Outcome,
    ProducerInfo,
    ToolCallEvent,
    ToolRef,
    bundled,
    single_object_serializer,
)

_LOG = logging.getLogger("tooltrail.tests.kafka")
T0 = datetime(2026, 12, 4, 15, 0, 0, 250001, tzinfo=UTC)


def _events(count: int) -> list[dict[str, Any]]:
    """Avro dicts of ``count`` events over two sessions, some with optional fields set."""
    events = []
    for i in range(count):
        event = ToolCallEvent(
            event_id=f"0193a5b0-0000-7000-8000-{i:012d}",
            tenant_id="acme",
            agent=AgentIdentity(id="agent-1", name="ops", framework="custom"),
            session_id=f"sess-{i % 2}",
            seq=i // 2 + 1,
            tool=ToolRef(name="http_get" if i % 3 else "shell", call_id=f"call-{i}"),
            outcome=Outcome.SUCCESS if i % 4 else Outcome.ERROR,
            error_message=None if i % 4 else "exit 1 — ünïcode",
            arguments=f'{{"url":"https://example.com/{i}"}}',
            duration_us=1000 + i,
            started_at=T0 + timedelta(microseconds=i),
            ended_at=T0 + timedelta(seconds=1, microseconds=i) if i % 2 else None,
            producer=ProducerInfo(host="host-1", pid=4242, sdk_version="0.1.0"),
            attributes={"i": str(i)},
            event_hash=f"{i:064x}",
        )
        events.append(event.to_avro())
    return events


def _produce(config: dict[str, Any], topic: str, items: list[tuple[bytes, bytes]]) -> None:
    errors: list[str] = []

    def on_delivery(err: Any, msg: Message) -> None:
        if err is not None:
            errors.append(str(err))

    producer = Producer({**config, "enable.idempotence": True, "linger.ms": 5})
    for key, value in items:
        producer.produce(topic, key=key, value=value, on_delivery=on_delivery)
    remaining = producer.flush(30)
    assert remaining == 0, f"{remaining} messages not delivered"
    assert errors == []


def _consume(config: dict[str, Any], topic: str, count: int) -> list[Message]:
    consumer = Consumer(
        {
            **config,
            "group.id": f"{topic}.reader",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    received: list[Message] = []
    deadline = time.monotonic() + 60
    try:
        while len(received) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            received.append(msg)
    finally:
        consumer.close()
    assert len(received) == count, f"got {len(received)} of {count} messages back"
    return received


@pytest.mark.parametrize("framing", ["single_object", "confluent"])
def test_both_framings_roundtrip_byte_for_byte(
    framing: str, kafka_client_config: dict[str, Any], unique_topic: Any
) -> None:
    topic = unique_topic(partitions=2)
    records = _events(20)
    registry = SchemaRegistryClient.new_client({"url": "mock://"})
    if framing == "single_object":
        serialize: Any = single_object_serializer(TOOL_CALL_EVENT)
    else:
        serialize = ConfluentSerializer(
            bundled().current(TOOL_CALL_EVENT), registry=registry, subject=f"{topic}-value"
        )
    sent = {
        rec["event_id"].encode(): (rec["session_id"].encode(), serialize(rec, None))
        for rec in records
    }
    _produce(kafka_client_config, topic, list(sent.values()))

    messages = _consume(kafka_client_config, topic, len(records))

    decoder = Decoder(expect=TOOL_CALL_EVENT, registry=registry)
    originals = {rec["event_id"]: rec for rec in records}
    order: dict[tuple[int | None, bytes], list[int]] = {}
    for msg in messages:
        value = msg.value()
        assert isinstance(value, bytes)
        decoded = decoder.decode(value)
        assert decoded.framing == framing
        event_id = decoded.record["event_id"]
        key, payload = sent[event_id.encode()]
        assert msg.key() == key
        assert value == payload  # byte for byte what was produced
        assert decoded.record == originals[event_id]
        order.setdefault((msg.partition(), key), []).append(decoded.record["seq"])
    # Keyed by session: one partition per session, and the session's order is kept.
    sessions = {key for _, key in order}
    assert len(order) == len(sessions) == 2
    for seqs in order.values():
        assert seqs == sorted(seqs)
