"""The worker times the garbage collector's pauses."""

from __future__ import annotations

import gc

from tooltrail.stream_processors.workers.metrics import ProcessorMetrics


def full_collections(metrics: ProcessorMetrics) -> float:
    value = metrics.registry.get_sample_value(
        "tooltrail_processor_gc_pause_seconds_count", {"generation": "2"}
    )
    return value or 0.0


def test_gc_pauses_are_timed_by_generation_until_unwatched() -> None:
    metrics = ProcessorMetrics()
    metrics.watch_gc()
    metrics.watch_gc()  # idempotent: one callback
    try:
        gc.collect(2)
        assert full_collections(metrics) == 1
        assert b'tooltrail_processor_gc_pause_seconds_count{generation="2"} 1.0' in metrics.render()
    finally:
        metrics.unwatch_gc()
    gc.collect(2)
    assert full_collections(metrics) == 1
