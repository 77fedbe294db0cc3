"""Lag on /metrics: partitions not fetched yet are left out, not an error."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, NamedTuple

from tooltrail.stream_processors.workers.app import ProcessorsApp


class TP(NamedTuple):
    topic: str
    partition: int


class Consumer:
    def __init__(self, highwater: dict[int, int | None]) -> None:
        self.marks = highwater

    def assignment(self) -> set[TP]:
        return {TP("raw", p) for p in self.marks} | {TP("other", 9)}

    def highwater(self, tp: Any) -> int | None:
        return self.marks[tp.partition]


def lag(highwater: dict[int, int | None], read: dict[int, int]) -> dict[int, int]:
    owner = SimpleNamespace(
        app=SimpleNamespace(consumer=Consumer(highwater)),
        _read=read,
        config=SimpleNamespace(topics=SimpleNamespace(raw="raw")),
    )
    return ProcessorsApp._lag(owner)  # type: ignore[arg-type]


def test_lag_counts_unread_records_and_skips_partitions_without_a_high_water_mark() -> None:
    assert lag({0: 10, 1: None, 2: 5}, {0: 3}) == {0: 6, 2: 5}
