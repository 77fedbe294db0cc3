"""The disk-mode handoff's per-record paths, as plain functions.

:class:`~tooltrail.producer.feed.SpoolFeed` is a mixin that the interpreted KafkaPublisher
subclasses, so it is not compiled; its per-record paths are, here (setup.py): the caller's
append and push (:func:`spool_then_handoff`, once per event on the agent's thread) and the
poll thread's loops taking, encoding and producing records (:func:`take`,
:func:`encode_into`, :func:`produce_into`; the last about 0.1 us less GIL time per record).
The feed keeps the rest of the locking, the counters and the decisions.
"""

from __future__ import annotations

from typing import Any

from tooltrail.producer.percall import untrack
from tooltrail.producer.spool import Spool
from tooltrail.producer.spooled import event_from_canonical


def spool_then_handoff(  # noqa: PLR0917 - positional: called once per event
    pub: Any,
    spool: Spool,
    key: bytes,
    value: bytes,
    item: Any,
    sync: bool,
    sha256_hex: str | None,
) -> bool:
    """:meth:`SpoolFeed._spool_then_handoff <tooltrail.producer.feed.SpoolFeed>` (see
    there) for the publisher ``pub``: ``value`` into ``spool``, then ``(ref, key, item)``
    onto ``pub._handoff`` unless the publisher is in a backlog or the handoff is full."""
    if pub.closed:
        pub.metrics.dropped("closed")
        return False
    lock = pub._append_lock
    lock.acquire()
    try:
        ref = spool.append_locked(key, value, sync, None, sha256_hex)
        if ref is None:
            pub.metrics.dropped("spool_full")
            return False
        push(pub, (ref, key, item))
    finally:
        lock.release()
    return True


def push(pub: Any, entry: Any) -> None:
    """``entry`` (``(ref, key, item)``) onto ``pub._handoff`` unless the publisher is in a
    backlog or the handoff is full (``pub._append_lock`` held, the record appended to the
    spool already). Typed Any: compiled code would unbox a fixed-length tuple and box a new
    one for the deque (not the one the caller untracked)."""
    if not (pub._backlog or pub._overflow):
        handoff = pub._handoff
        if len(handoff) < pub._handoff_max:
            handoff.append(entry)
        else:
            # The poll thread is far behind: the records wait in the spool (where they are
            # already) instead of in memory. From this record on nothing is pushed until
            # the poll thread has switched to the replay.
            pub._overflow = True


def spool_event(pub: Any, spool: Spool, event: dict[str, Any], canonical: bytes) -> bool:
    """:func:`spool_then_handoff` of a sealed, unsigned event and its canonical JSON (the
    bytes its ``event_hash`` is the SHA-256 of), keyed by its session."""
    key = event["session_id"].encode()
    return spool_then_handoff(pub, spool, key, canonical, event, False, event["event_hash"])


def spool_event_json(pub: Any, spool: Spool, event: dict[str, Any], canonical: bytes) -> bool:
    """:func:`spool_event`, handing over ``(buffer, start, stop, event_hash)`` for the poll
    thread to transcode (``transcode.py``): the JSON where the spool's mapping holds it
    (:meth:`Spool.append_view_locked`), neither ``canonical`` nor the event dict.

    The event dict is let go when the call returns instead of waiting on the handoff (where
    the garbage collector's young passes would walk it and promote it). Nor does
    ``canonical`` wait there: that costs each call about a microsecond, as the next call's
    JSON then goes to memory not touched for a thousand calls (cache misses), not to the
    buffer just freed. The tuples are untracked (``percall.untrack``).
    """
    if pub.closed:
        pub.metrics.dropped("closed")
        return False
    key = event["session_id"].encode()
    digest = event["event_hash"]
    lock = pub._append_lock
    lock.acquire()
    try:
        got = spool.append_view_locked(key, canonical, digest)
        if got is None:
            pub.metrics.dropped("spool_full")
            return False
        # (typed Any: compiled code would keep a tuple unboxed and box a new one per use,
        # and the one pushed would not be the one untracked)
        ref: Any = got[0]
        item: Any = (got[1], got[2], got[3], digest)
        entry: Any = (ref, key, item)
        # None of them can be part of a cycle: the collector need not walk them while they
        # wait (the view they hold stays tracked: see _transcode.c)
        untrack(ref, item, entry)
        push(pub, entry)
    finally:
        lock.release()
    return True


def handed_json(item: Any) -> bytes:
    """The canonical JSON of a :func:`spool_event_json` item."""
    return bytes(memoryview(item[0])[item[1] : item[2]])


def encode_events(
    events: list[dict[str, Any]], canonical: list[bytes] | None, encode: Any, many: Any
) -> tuple[list[tuple[bytes, bytes]], list[tuple[dict[str, Any], Exception]]]:
    """``(key, wire bytes)`` of each sealed event, in order, and ``(event, exception)`` of
    those that do not encode (memory mode's ``publish_many``).

    With ``canonical`` (each event's canonical JSON) and a transcoder's ``many``, unsigned
    events are read from their JSON, all in one call (the GIL released); the others, and
    any the transcoder gives back as None, are encoded from the dict by ``encode``."""
    wire: list[bytes | None] = []
    if canonical is not None and many is not None:
        wire = transcode_each(
            many,
            [
                (body, integrity_json(e["event_hash"]))
                for e, body in zip(events, canonical, strict=True)
            ],
        )
    out: list[tuple[bytes, bytes]] = []
    failed: list[tuple[dict[str, Any], Exception]] = []
    for i, event in enumerate(events):
        try:
            value = wire[i] if wire and event["signature"] is None else None
            if value is None:
                value = encode(event, None)
            out.append((event["session_id"].encode(), value))
        except Exception as exc:
            failed.append((event, exc))
    return out, failed


def transcode_each(many: Any, docs: list[Any]) -> list[bytes | None]:
    """The transcoder ``many``'s result for each ``(json, extra_json)`` of ``docs``, in
    place: None where the entry is None (not one for the transcoder) or the transcoder gave
    None back. One call for them all (the GIL released once)."""
    jobs = [d for d in docs if d is not None]
    if not jobs:
        return [None] * len(docs)
    out: list[bytes | None] = many(jobs)
    if len(jobs) == len(docs):
        return out
    results = iter(out)
    return [None if d is None else next(results) for d in docs]


def integrity_json(event_hash: str) -> bytes:
    """The integrity fields of an unsigned event (signed ones are spooled encoded) as the
    JSON object the transcoder reads the fields missing from the canonical JSON from."""
    return b'{"event_hash":"' + event_hash.encode() + b'","key_id":null,"signature":null}'


def encode_item(item: Any, encode: Any) -> bytes:
    """A handed-off item as wire bytes, without the transcoder: bytes as they are, a
    :func:`spool_event_json` tuple rebuilt into its event dict, an event dict encoded."""
    if item.__class__ is bytes:
        wire: bytes = item
        return wire
    if item.__class__ is tuple:
        item = event_from_canonical(handed_json(item))
    encoded: bytes = encode(item, None)
    return encoded


def take(queue: Any, n: int) -> list[Any]:
    """The ``n`` oldest items of the deque ``queue``, removed from it."""
    popleft = queue.popleft
    return [popleft() for _ in range(n)]


def encode_into(
    batch: list[tuple[Any, bytes, Any]],
    encode: Any,
    ready: list[tuple[Any, bytes, Any]],
    many: Any = None,
) -> list[tuple[Any, Any, Exception]]:
    """Encode each handed-off ``(ref, key, item)`` of ``batch`` onto ``ready`` as ``(ref, key,
    value)``; returns ``(ref, item, error)`` for each that did not encode.

    An item is wire bytes (kept as they are), an event dict (``encode``), or a
    :func:`spool_event_json` tuple: those go through ``many`` (a
    :meth:`JsonTranscoder.many <tooltrail.producer.transcode.JsonTranscoder.many>`) all in
    one call, so the GIL is released once per batch; one it does not take is rebuilt into
    its event dict and encoded."""
    out: list[bytes | None] = []
    if many is not None:  # (the item is the document: (buffer, start, stop, ...))
        out = transcode_each(
            many, [(i, integrity_json(i[3])) if i.__class__ is tuple else None for _, _, i in batch]
        )
    failed: list[tuple[Any, Any, Exception]] = []
    append = ready.append
    for k, (ref, key, item) in enumerate(batch):
        try:
            value = out[k] if out else None
            if value is None:
                value = encode_item(item, encode)
        except Exception as exc:  # (the feed counts and logs it)
            failed.append((ref, item, exc))
            continue
        append((ref, key, value))
    return failed


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
