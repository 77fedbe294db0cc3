"""The disk-mode handoff's per-record loops (compiled in a compiled build)."""

from __future__ import annotations

import collections
from typing import Any

from tooltrail.producer.feedloops import encode_into, take


def test_take_removes_the_oldest_items_in_order() -> None:
    queue = collections.deque(range(10))
    assert take(queue, 4) == [0, 1, 2, 3]
    assert list(queue) == [4, 5, 6, 7, 8, 9]
    assert take(queue, 0) == []


def test_encode_into_keeps_order_passes_bytes_and_reports_each_failure() -> None:
    def encode(event: dict[str, Any], ctx: object) -> bytes:
        return b"avro-%d" % event["n"]  # KeyError for an event without "n"

    batch: list[tuple[Any, bytes, Any]] = [
        ((1, 0), b"k", {"n": 0}),
        ((1, 1), b"k", {"event_id": "bad"}),
        ((1, 2), b"k", b"wire bytes, as they are"),
        ((1, 3), b"k", {"n": 3}),
    ]
    ready: list[tuple[Any, bytes, Any]] = [((0, 9), b"k", b"already there")]
    failed = encode_into(batch, encode, ready)
    assert ready == [
        ((0, 9), b"k", b"already there"),
        ((1, 0), b"k", b"avro-0"),
        ((1, 2), b"k", b"wire bytes, as they are"),
        ((1, 3), b"k", b"avro-3"),
    ]
    assert [(ref, item) for ref, item, _ in failed] == [((1, 1), {"event_id": "bad"})]
    assert isinstance(failed[0][2], KeyError)
