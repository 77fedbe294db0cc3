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


def test_random_tail_bits_are_all_used() -> None:
    """The 62 random bits: the variant digit takes all four values, no tail repeats."""
    ids = [uuid7() for _ in range(5000)]
    assert {i[19] for i in ids} == set("89ab")
    tails = [i[19:] for i in ids]
    assert len(set(tails)) == len(tails)
    assert {c for i in ids for c in i[20:]} >= set("0123456789abcdef")
