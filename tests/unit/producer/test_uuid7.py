"""UUIDv7 event ids: RFC 9562 layout, time-ordered, unique."""

from __future__ import annotations

import time
import uuid

from tooltrail.producer.uuid7 import uuid7, uuid7_time_ms


def test_layout_and_order() -> None:
    before = time.time_ns() // 1_000_000
    ids = [uuid7() for _ in range(10_000)]
    after = time.time_ns() // 1_000_000
    parsed = [uuid.UUID(i) for i in ids]
    assert all(p.version == 7 and p.variant == uuid.RFC_4122 for p in parsed)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert before <= uuid7_time_ms(ids[0]) <= uuid7_time_ms(ids[-1]) <= after + 5
