"""Read a whole topic back and decode it."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from tooltrail.schemas import TOOL_CALL_EVENT, Decoder

_LOG = logging.getLogger("tooltrail.tests.producer")


def consume_all(
    bootstrap: str,
    topic: str,
    *,
    expect: int,
    timeout: float = 60.0,
    partitions: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Every record of ``topic`` (at least ``expect`` of them, or what came before ``timeout``),
    decoded, in partition order; the partition of each is appended to ``partitions``."""
    from confluent_kafka import Consumer  # noqa: PLC0415

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "logger": _LOG,
        }
    )
    consumer.subscribe([topic])
    decoder = Decoder(expect=TOOL_CALL_EVENT)
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    idle_after_expect = 0
    try:
        while time.monotonic() < deadline:
            batch = consumer.consume(num_messages=5000, timeout=0.5)
            if not batch and len(out) >= expect:
                idle_after_expect += 1
                if idle_after_expect >= 2:  # one more second for late duplicates
                    break
            for msg in batch:
                if msg.error():
                    continue
                record = decoder.decode(msg.value()).record
                assert msg.key() == record["session_id"].encode()
                out.append(record)
                if partitions is not None:
                    partitions.append(msg.partition())
    finally:
        consumer.close()
    return out
