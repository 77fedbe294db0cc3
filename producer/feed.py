"""How spooled records reach librdkafka: the disk-mode handoff and the backlog replay.

Part of :class:`~tooltrail.producer.kafka.KafkaPublisher` (a mixin, split out for size).
Both move records in spool order and set ``_cursor`` to the last one handed over, under the
publisher's ``_lock``, so a switch to the backlog (the replay reads the spool after
``_cursor``) never skips nor repeats a record.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Iterator
from typing import Any

from tooltrail.producer.feedloops import (
    encode_into,
    encode_item,
    integrity_json,
    produce_into,
    spool_then_handoff,
    take,
    transcode_each,
)
from tooltrail.producer.metrics import ProducerMetrics
from tooltrail.producer.percall import sha256_hex
from tooltrail.producer.publisher import Serializer
from tooltrail.producer.spool import RecordRef, Spool
from tooltrail.producer.spooled import is_canonical, wire_bytes

log = logging.getLogger("tooltrail.producer.kafka")
# Handed-off records taken, or produced, per hold of the publisher lock (a caller that wants
# the lock meanwhile waits for one chunk at most). The poll thread encodes ahead up to
# replay_max_inflight records: one generation (see KafkaPublisher._settle).
HANDOFF_CHUNK = 128
# Records handed over before the generation must close (librdkafka's queue empty again):
# one poll-thread turn produces at most this many, and a turn can take 100-300 ms on a busy
# 2-core machine, so 4,096 capped disk mode near 20-40k events/s there and let the handoff
# overflow into the slower replay; 16,384 gave 39.7-50.0k against 35.9-38.5k (2 alternating
# pairs of 2 runs, /tmp/prof/ab2.py). A closed generation holds (ref, wire bytes) per record.
GENERATION_MAX = 16384
ENCODE_STEP = 256  # encoded per poll-thread wake-up at least (then it polls, settles)


class SpoolFeed:
    """Handoff (disk mode, live records) and replay (backlog) of spooled records."""

    # Set by KafkaPublisher.__init__.
    spool: Spool | None
    topic: str
    serializer: Serializer
    metrics: ProducerMetrics
    closed: bool
    replay_batch: int
    replay_max_inflight: int
    _producer: Any
    _lock: threading.Lock
    _backlog: bool
    _broker_down: bool
    _cursor: RecordRef | None
    _handoff: collections.deque[tuple[RecordRef, bytes, Any]]
    _handed: int
    _gen: list[tuple[RecordRef, bytes]]
    _deliver_spooled: Any
    _ready: list[tuple[RecordRef, bytes, bytes]]
    _ready_epoch: int
    _epoch: int
    _transit: int
    _overflow: bool
    _append_lock: threading.RLock
    durability: str
    _replay_iter: Iterator[tuple[RecordRef, bytes, bytes]] | None
    _replay_held: list[tuple[RecordRef, bytes, bytes | None]]
    _many: Any  # JsonTranscoder.many, or None (see transcode.py)
    _handoff_max: int  # records on the handoff at most (then the replay takes over)

    def _enter_backlog(self, why: str) -> None:
        raise NotImplementedError

    def _spool_then_handoff(
        self,
        key: bytes,
        value: bytes,
        item: Any,
        *,
        sync: bool = False,
        sha256_hex: str | None = None,
    ) -> bool:
        """Disk mode, caller: ``value`` into the spool (recorded when this returns), then
        ``item`` (the event dict to encode, or the wire bytes) onto the handoff for the poll
        thread to encode and produce, in spool order. ``sha256_hex``: see
        :meth:`Spool.append`.

        Only ``_append_lock`` (the spool's lock) is taken, which the poll thread holds for
        spool bookkeeping and to end a backlog (see ``_replay_step``), never while it encodes
        or produces: a caller never waits for the poll thread's work. Append and the
        push-or-not decision are one step under it, so the handoff holds records in spool
        order; a record not pushed (backlog, or the handoff is full) is sent by the replay,
        which reads the spool after ``_cursor``.
        """
        spool = self.spool
        assert spool is not None
        return spool_then_handoff(self, spool, key, value, item, sync, sha256_hex)

    def _handoff_locked(self, limit: int) -> int:
        """Encode and produce up to ``limit`` handed-off records, oldest first (``_lock`` held).

        Only for a caller while the poll thread holds nothing in transit (memory mode)."""
        queue, moved, gen = self._handoff, 0, self._gen
        encode, produce, topic = self.serializer, self._producer.produce, self.topic
        deliver = self._deliver_spooled
        while queue and moved < limit and not self._backlog and not self._ready:
            ref, key, event = queue[0]
            try:
                value = encode_item(event, encode)
            except Exception as exc:
                queue.popleft()
                self._encode_failed(ref, event, exc)
                continue
            try:
                produce(topic, value, key, -1, deliver)
            except BufferError:
                self._enter_backlog("queue_full")  # the replay takes over from the spool
                break
            queue.popleft()
            self._cursor = ref
            gen.append((ref, value))
            moved += 1
        self._handed += moved
        return moved

    def _encode_failed(self, ref: RecordRef, item: Any, exc: Exception) -> None:
        self.metrics.dropped("encode_error")
        event_id = item.get("event_id") if isinstance(item, dict) else None
        if isinstance(item, tuple):  # see feedloops.spool_event_json
            event_id = f"with hash {item[3]}"
        log.error("tooltrail: event %s does not encode", event_id, exc_info=exc)
        if self.spool is not None:
            self.spool.ack(ref)

    def _handoff_step(self) -> None:
        """Poll thread: encode what waits (outside the lock, so callers spooling meanwhile
        never wait for an encoding), then produce it once the previous generation is
        through (``KafkaPublisher._settle``), a chunk per hold of the lock. The encoded
        records (bytes; the event dicts are let go) wait while a generation is in flight,
        so the handoff itself stays short."""
        self._encode_ahead()
        if self._ready and len(self._gen) < GENERATION_MAX:
            self._produce_ready()

    def _encode_ahead(self) -> None:
        ready, encode = self._ready, self.serializer
        if ready and (self._backlog or self._epoch != self._ready_epoch):
            with self._lock:
                self._transit -= len(ready)  # void: the replay sends them, in order
                ready.clear()
        # small steps keep the GIL hold short while calls trickle in; a long handoff (the
        # poll thread is behind) is taken whole: each event dict waiting there is traversed
        # by every young collection of the garbage collector and, waiting long enough,
        # promoted to the older generations, which cost the full collections (taking half
        # per turn left 1,000-8,000 dicts waiting at 50,000 events/s; taking all gave 0.4-5%
        # more events/s in 3 alternating pairs)
        budget = len(ready) + max(ENCODE_STEP, len(self._handoff))
        # Taken a chunk per hold of the lock, then encoded at once: the transcoder releases
        # the GIL once per call, and each time the GIL is given up this thread waits about a
        # switch interval (5 ms) to get it back from a busy agent thread.
        batch: list[tuple[RecordRef, bytes, Any]] = []
        while len(ready) + len(batch) < min(budget, self.replay_max_inflight):
            with self._lock:
                if (ready or batch) and (self._backlog or self._epoch != self._ready_epoch):
                    self._transit -= len(ready) + len(batch)
                    ready.clear()
                    batch = []
                queue = self._handoff
                n = min(HANDOFF_CHUNK, len(queue))
                if self._backlog or not n:
                    break
                if not ready and not batch:
                    self._ready_epoch = self._epoch
                chunk = take(queue, n)
                cursor = self._cursor
                if cursor is not None and chunk[0][0] <= cursor:
                    # pushed by a caller that had not yet seen the backlog begin: the
                    # replay sent it (spool order: only the oldest can be such)
                    chunk = [b for b in chunk if b[0] > cursor]
                    n = len(chunk)
                self._transit += n
                batch += chunk
        if batch:
            for ref, item, exc in encode_into(batch, encode, ready, self._many):
                self._encode_failed(ref, item, exc)
                self._transit -= 1

    def _produce_ready(self) -> None:
        """Produce encoded records into the open generation, up to replay_max_inflight in
        it (then the queue empties and _settle closes it)."""
        ready = self._ready
        produce, topic = self._producer.produce, self.topic
        deliver = self._deliver_spooled
        limit = min(len(ready), GENERATION_MAX - len(self._gen))
        done, void = 0, False
        while done < limit and not void:
            with self._lock:
                if self._backlog or self._epoch != self._ready_epoch:
                    void = True  # spooled after _cursor: the replay sends them, in order
                    break
                gen = self._gen  # (a flush() caller's _settle may have closed the last one)
                before = len(gen)
                try:
                    stop = min(done + HANDOFF_CHUNK, limit)
                    produce_into(
                        ready, done, stop, produce=produce, topic=topic, deliver=deliver, gen=gen
                    )
                except BufferError:
                    self._enter_backlog("queue_full")
                    void = True
                moved = len(gen) - before
                if moved:
                    self._cursor = gen[-1][0]  # the last one produced
                self._handed += moved
                self._transit -= moved
                done += moved
        with self._lock:
            if void:
                self._transit -= len(ready) - done
                ready.clear()
            else:
                del ready[:done]

    def _replay_step(self) -> bool:
        """Hand up to ``replay_batch`` spooled records over; False when nothing could move.

        Into the open generation (see ``KafkaPublisher._settle``) while it holds fewer than
        replay_max_inflight records; the backlog ends only once the last one is closed.
        Records are read and made wire bytes a batch at a time (``_replay_fetch``); those
        librdkafka could not take yet wait in ``_replay_held``, in order.
        """
        assert self.spool is not None
        if len(self._gen) >= self.replay_max_inflight:
            return False
        moved = 0
        produce, topic, deliver = self._producer.produce, self.topic, self._deliver_spooled
        with self._lock:
            held, gen = self._replay_held, self._gen
            while moved < self.replay_batch:
                if not held:
                    held = self._replay_held = self._replay_fetch(self.replay_batch - moved)
                    if not held:
                        if not self._broker_down and not self._gen:
                            self._end_backlog()
                        break
                done = 0  # entries of held taken (produced, or passed: value None)
                for ref, key, value in held:
                    if value is not None:
                        if len(self._producer) >= self.replay_max_inflight:
                            break
                        try:
                            produce(topic, value, key, -1, deliver)
                        except BufferError:
                            break
                        gen.append((ref, value))
                        moved += 1
                    self._cursor = ref
                    done += 1
                if done < len(held):
                    del held[:done]
                    break
                held.clear()
            self._handed += moved
        if moved:
            self.metrics.replayed.inc(moved)
        return moved > 0

    def _replay_fetch(self, limit: int) -> list[tuple[RecordRef, bytes, bytes | None]]:
        """Up to ``limit`` pending records after ``_cursor``, as wire bytes (``_lock`` held).

        Canonical JSON (disk mode's spooled form) goes through the transcoder, all in one
        call; one that does not encode is dropped (counted) and acknowledged, and stays in
        the list with the value None, so ``_cursor`` passes it in order."""
        assert self.spool is not None
        records: list[tuple[RecordRef, bytes, bytes]] = []
        while len(records) < limit:
            item = self._next_pending(records[-1][0] if records else self._cursor)
            if item is None:
                break
            records.append(item)
        out: list[bytes | None] = []
        if self._many is not None:
            out = transcode_each(
                self._many,
                [
                    (v, integrity_json(sha256_hex(v))) if is_canonical(v) else None
                    for _, _, v in records
                ],
            )
        wire: list[tuple[RecordRef, bytes, bytes | None]] = []
        for k, (ref, key, value) in enumerate(records):
            encoded = out[k] if out else None
            try:
                wire.append((ref, key, encoded or wire_bytes(value, self.serializer)))
            except Exception:
                self.metrics.dropped("encode_error")
                log.exception("tooltrail: a spooled event does not encode")
                self.spool.ack(ref)
                wire.append((ref, key, None))
        return wire

    def _end_backlog(self) -> None:
        """Back to the handoff once the replay has sent every spooled record (``_lock`` held).

        Under ``_append_lock`` too, so no caller is between its append and its decision
        to push: what was appended is behind ``_cursor`` (checked here; or acknowledged
        already, an event that did not encode), what comes next is pushed."""
        spool = self.spool
        assert spool is not None
        with self._append_lock:
            tail = spool.tail()
            if (
                self.durability == "disk"
                and tail is not None
                and (self._cursor is None or tail > self._cursor)
                and spool.pending
            ):
                self._replay_iter = None  # appended since the replay looked: read it next
                return
            self._backlog = False
        log.info("tooltrail: spool replay caught up")

    def _next_pending(self, after: RecordRef | None) -> tuple[RecordRef, bytes, bytes] | None:
        """The next pending record; a new reader of the spool starts after ``after`` (the
        last record read: records read are not all produced, so past ``_cursor``)."""
        assert self.spool is not None
        for _ in range(2):
            if self._replay_iter is None:
                self._replay_iter = self.spool.iter_pending(after=after)
            item = next(self._replay_iter, None)
            if item is not None:
                return item
            self._replay_iter = None  # exhausted: look again for records appended since
        return None
