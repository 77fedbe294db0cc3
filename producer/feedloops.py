"""The poll thread's produce loop of the disk-mode handoff, as a plain function.

:class:`~tooltrail.producer.feed.SpoolFeed` is a mixin that the interpreted KafkaPublisher
subclasses, so it is not compiled; its loop producing encoded records is, here (setup.py):
about 0.1 us less of the poll thread's GIL time per record. The feed keeps the locking, the
counters and the decisions.
"""

from __future__ import annotations

from typing import Any


def produce_into(
    ready: list[tuple[Any, bytes, bytes]],
    start: int,
    stop: int,
    *,
    produce: Any,
    topic: str,
    deliver: Any,
    gen: list[tuple[Any, bytes]],
) -> None:
    """Produce ``ready[start:stop]`` (``(ref, key, value)``), appending each produced
    ``(ref, value)`` to ``gen``.

    A ``BufferError`` (librdkafka's queue is full) propagates; ``gen`` then holds exactly
    the records produced before it.

    The refs (``RecordRef``) are typed ``Any`` on purpose: compiled code unboxes a
    ``tuple[int, int]`` and boxes a new one into each ``gen`` entry, allocated after the
    entry, so the collector's first pass could not untrack the entry (its ref was still
    tracked) and 4096 of them per generation reached the older generations.
    """
    append = gen.append
    for i in range(start, stop):
        ref, key, value = ready[i]
        produce(topic, value, key, -1, deliver)
        append((ref, value))
