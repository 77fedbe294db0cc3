"""The Kafka publisher: confluent-kafka ``Producer`` plus the disk spool.

Producer settings: idempotent, ``acks=all``, compression (lz4 by default), key = session id,
``message.timeout.ms=0`` (librdkafka retries until the broker is back; nothing times out in
its queue, so nothing is reordered by a timeout), a bounded local queue, and librdkafka's
logs routed to Python logging (logger ``tooltrail.producer.librdkafka``).

Durability modes:

* ``memory``: events go straight to librdkafka's queue. While the queue is full, the broker
  is reported down, or older spooled events are still being replayed ("backlog"), events
  are appended to the spool instead and replayed in order. At close, whatever librdkafka
  still holds is purged into the spool, so the next process delivers it. A ``kill -9``
  loses what was only in librdkafka's queue.
* ``disk``: the calling thread appends the event to the spool before ``publish`` returns
  (so before the audited call returns): its canonical JSON, which the hash chain made
  anyway (``spooled.py``; signed events, and :meth:`KafkaPublisher.publish_bytes`, spool
  the encoded bytes). The append is a copy into the OS page cache through a shared mapping
  of the segment file (``segment.py``): the record belongs to the OS when the copy is
  done, as with a returned ``write(2)``, without a system call or a GIL release per event.
  The poll thread then encodes the event and hands it to librdkafka (``feed.py``), in
  spool order, one generation at a time. It reads the canonical JSON straight into Avro,
  a batch per call with the GIL released (``transcode.py``; the caller hands over the JSON,
  not the event dict), or, without the compiled transcoder, encodes the event dict. When
  librdkafka's queue is empty again, every record of the generation that did not report a
  failure is acknowledged in the spool
  (librdkafka reports failures only, ``delivery.report.only.error``; see ``_settle``).
  Guarantee: a process killed at any moment (``kill -9``) loses no event whose
  ``publish`` returned; the next process replays every record not acknowledged
  (at-least-once: a record delivered just before the kill may arrive twice, with the same
  event_id). A machine crash can lose what the OS had not written to the device yet: the
  ``fsync`` policy bounds that (``interval``: at most about ``fsync_interval`` seconds of
  records; ``always``: nothing, at one sync per event; ``never``: the OS decides);
  fail-closed (``durable``) events are synced before the tool runs, whatever the policy.

``publish`` never blocks on the network and never raises; failures are counted as drops.
confluent_kafka is imported only when a publisher is built.
"""

from __future__ import annotations

import atexit
import collections
import functools
import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tooltrail.closing import Closing
from tooltrail.errors import ConfigError
from tooltrail.producer.delivery import Delivery
from tooltrail.producer.feed import SpoolFeed
from tooltrail.producer.feedloops import encode_events, spool_event, spool_event_json
from tooltrail.producer.metrics import ProducerMetrics
from tooltrail.producer.publisher import Serializer, default_serializer
from tooltrail.producer.spool import RecordRef, Spool
from tooltrail.producer.transcode import json_transcoder

log = logging.getLogger(__name__)
DEFAULT_TOPIC = "tooltrail.toolcalls.v1"
DURABILITY_MODES = ("memory", "disk")


class KafkaPublisher(SpoolFeed, Delivery, Closing):
    """Publishes encoded events to Kafka, spooling to disk when it cannot (see module doc).

    Args:
        bootstrap_servers: Kafka bootstrap list.
        topic: destination topic.
        durability: ``memory`` or ``disk``.
        spool_dir: spool directory; required for ``disk``; without it ``memory`` mode drops
            (and counts) what librdkafka cannot take.
        serializer: event dict -> bytes; default Avro single-object encoding (the compiled
            encoder); pass a ``ConfluentSerializer`` when a schema registry is used.
        producer_config: extra librdkafka settings (SASL/TLS ...), applied last.
        spool_*, fsync, fsync_interval: see :class:`~tooltrail.producer.spool.Spool`;
            with ``spool_slots`` > 1, processes sharing ``spool_dir`` each take a free
            ``slot-<n>`` subdirectory (and drain what an earlier process left there).
        replay_batch: records handed to librdkafka per replay step (bounds lock hold time).
        replay_max_inflight: replay pauses while librdkafka holds this many records; disk
            mode's handoff to the poll thread holds as many (4x with the transcoder, see
            ``_disk_handoff``) before the replay takes over.
        metrics: counters; default a private registry.
    """

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        topic: str = DEFAULT_TOPIC,
        durability: str = "memory",
        spool_dir: str | Path | None = None,
        spool_max_bytes: int = 1 << 30,
        spool_segment_bytes: int = 4 << 20,
        spool_full_policy: str = "drop_new",
        spool_slots: int = 1,
        fsync: str = "interval",
        fsync_interval: float = 1.0,
        serializer: Serializer | None = None,
        compression: str = "lz4",
        linger_ms: float = 5.0,
        queue_max_messages: int = 100_000,
        queue_max_kbytes: int = 65_536,
        producer_config: Mapping[str, Any] | None = None,
        replay_batch: int = 1000,
        replay_max_inflight: int = 20_000,
        metrics: ProducerMetrics | None = None,
    ) -> None:
        if durability not in DURABILITY_MODES:
            raise ConfigError(f"durability {durability!r} not in {DURABILITY_MODES}")
        if durability == "disk" and spool_dir is None:
            raise ConfigError("durability 'disk' needs a spool_dir")
        from confluent_kafka import Producer  # noqa: PLC0415 - keep the agent import light

        if serializer is None:
            serializer = default_serializer()
        self.serializer = serializer
        self._many, self._spool_event, self._handoff_max = _disk_handoff(
            serializer, durability, replay_max_inflight
        )
        self.topic = topic
        self.durability = durability
        self._memory = durability == "memory"
        self.metrics = metrics if metrics is not None else ProducerMetrics()
        self.replay_batch = replay_batch
        self.replay_max_inflight = replay_max_inflight
        self.spool = (
            Spool.open_slot(
                Path(spool_dir),
                slots=spool_slots,
                max_bytes=spool_max_bytes,
                segment_bytes=spool_segment_bytes,
                full_policy=spool_full_policy,
                fsync=fsync,
                fsync_interval=fsync_interval,
                metrics=self.metrics,
            )
            if spool_dir is not None
            else None
        )
        config: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "enable.idempotence": True,
            "acks": "all",
            "compression.type": compression,
            "linger.ms": linger_ms,
            "message.timeout.ms": 0,
            "queue.buffering.max.messages": queue_max_messages,
            "queue.buffering.max.kbytes": queue_max_kbytes,
            "logger": logging.getLogger("tooltrail.producer.librdkafka"),
            "error_cb": self._on_error,
        }
        config.update(producer_config or {})
        # Successes are not reported one by one (a Python callback per message cost about as
        # much as the produce call itself): they are inferred from counts (_settle), and
        # spooled records are acknowledged by generations (see _settle). Only failures call
        # back, so this is not left to producer_config.
        config["delivery.report.only.error"] = True
        self._producer = Producer(config)
        self._lock = threading.Lock()
        self._backlog = self.spool is not None and self.spool.pending > 0
        self._broker_down = False
        self._cursor: RecordRef | None = None  # last spooled record handed to librdkafka
        self._reserved: int | None = None  # spool slot for records purged at close
        # the replay's reader of the spool, and records it read but did not produce yet
        self._replay_iter, self._replay_held = None, []
        self._deliver_plain = functools.partial(self._on_delivery, False)
        # Spooled records share one callback too (a partial per record, created and freed
        # per message, cost about 2 us): a failure names its record by value (see _settle).
        self._deliver_spooled = functools.partial(self._on_delivery, True)
        # disk mode: records spooled by the caller, handed to librdkafka by the poll thread
        # (see publish): (ref, key, event dict to encode, or bytes already encoded); guarded
        # by _lock, cleared when the backlog takes over.
        self._handoff: collections.deque[tuple[RecordRef, bytes, Any]] = collections.deque()
        # The poll thread's records taken off the handoff and encoded, not yet produced
        # (_handoff_step); the epoch counts switches to the backlog, which void them.
        self._ready: list[tuple[RecordRef, bytes, bytes]] = []
        self._ready_epoch = self._epoch = 0
        self._transit = 0  # records taken off the handoff and not yet produced
        # disk mode: callers append and push under the spool's own lock only (see
        # _spool_then_handoff); _overflow: a caller found the handoff full, the poll thread
        # switches to the replay
        self._append_lock = self.spool.lock if self.spool is not None else threading.RLock()
        self._overflow = False
        self._stop = threading.Event()
        self.closed = False
        # Delivery accounting without a callback per success (see _settle): records handed
        # to librdkafka (under _lock), failure reports, and the spooled records handed over
        # since librdkafka's queue was last empty (the open "generation", under _lock) with
        # those of them that failed.
        self._handed = 0
        self._failed = 0
        self._counted = 0  # successes already added to metrics.produced
        self._gen: list[tuple[RecordRef, bytes]] = []
        self._gen_failed: dict[bytes, bool] = {}  # value -> failed for good
        self._settle_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="tooltrail-producer", daemon=True)
        self._thread.start()
        # The spool's fsync (which can take a few hundred ms on a busy disk) and prefault run
        # on their own thread, with the GIL released: the poll thread, which feeds librdkafka,
        # never waits for the disk.
        self._sync_thread: threading.Thread | None = None
        if self.spool is not None:
            self._sync_thread = threading.Thread(
                target=self._sync_loop, name="tooltrail-spool-sync", daemon=True
            )
            self._sync_thread.start()
        self._atexit = _closer(weakref.ref(self))
        atexit.register(self._atexit)

    @property
    def prefers_offload(self) -> bool:
        """Whether the capture layer should hand events over from a background thread."""
        return self.durability == "memory"

    @property
    def in_backlog(self) -> bool:
        return self._backlog

    @property
    def takes_canonical(self) -> bool:
        """Whether :meth:`publish` wants the event's canonical JSON (``disk`` mode)."""
        return self.durability == "disk"

    def canonical_spooler(self) -> Callable[[dict[str, Any], bytes], bool] | None:
        """``disk`` mode: a callable ``(event, canonical) -> bool`` doing what :meth:`publish`
        does for an unsigned event given its canonical JSON, without the durable flag; the
        capture layer calls it once per event instead (compiled, no interpreted frame)."""
        if self.durability != "disk" or self.spool is None:
            return None
        return functools.partial(self._spool_event, self, self.spool)

    # -- publishing ----------------------------------------------------------------------

    def publish(
        self, event: dict[str, Any], *, durable: bool = False, canonical: bytes | None = None
    ) -> bool:
        """Encode and hand over one event; True when queued durably or to librdkafka.

        In ``disk`` mode the event is in the spool when this returns. With ``canonical``
        (the event's canonical JSON, from the hash chain: the bytes whose SHA-256 is its
        ``event_hash``) the caller only spools those bytes; the poll thread encodes and
        produces the event, in spool order.
        """
        # (spooled.spoolable inlined: unsigned events only). The chain made event_hash the
        # SHA-256 of exactly these bytes: the spool derives the record's check from it.
        spool = self.spool
        if canonical is not None and not durable and event["signature"] is None and spool:
            spooled: bool = self._spool_event(self, spool, event, canonical)
            return spooled  # (see canonical_spooler)
        try:
            value = self.serializer(event, None)
        except Exception:
            self.metrics.dropped("encode_error")
            log.exception("tooltrail: event %s does not encode", event.get("event_id"))
            return False
        key = event["session_id"].encode()
        if not durable and self._memory:
            # memory mode's common case, straight to librdkafka (publish_bytes otherwise)
            with self._lock:
                if not (self._backlog or self.closed or self._handoff):
                    try:
                        self._producer.produce(self.topic, value, key, -1, self._deliver_plain)
                    except BufferError:
                        self._enter_backlog("queue_full")
                    else:
                        self._handed += 1
                        return True
        return self.publish_bytes(key, value, durable=durable)

    def publish_many(
        self, events: list[dict[str, Any]], canonical: list[bytes] | None = None
    ) -> None:
        """:meth:`publish` of each event (not durable), in order, produced under one lock hold
        in ``memory`` mode (the capture layer's background thread drains its queue here).

        ``canonical``: each event's canonical JSON (from the hash chain), read straight into
        Avro by the transcoder (transcode.py, the GIL released) where there is one, instead
        of encoding the event dicts."""
        encoded, failed = encode_events(events, canonical, self.serializer, self._many)
        for event, exc in failed:
            self.metrics.dropped("encode_error")
            log.error("tooltrail: event %s does not encode", event.get("event_id"), exc_info=exc)
        done = 0
        if self._memory:
            produce, topic, deliver = self._producer.produce, self.topic, self._deliver_plain
            with self._lock:
                if not (self._backlog or self.closed or self._handoff):
                    try:
                        for key, value in encoded:
                            produce(topic, value, key, -1, deliver)
                            done += 1
                    except BufferError:
                        self._enter_backlog("queue_full")
                    self._handed += done
        for key, value in encoded[done:]:  # the general path: spool, backlog, drops
            self.publish_bytes(key, value)

    def publish_bytes(  # noqa: PLR0911 - each way an event can end is its own return
        self, key: bytes, value: bytes, *, durable: bool = False
    ) -> bool:
        """Hand over one already-encoded record (see :meth:`publish`)."""
        spool = self.spool
        if spool is not None and not self._memory:
            # produced by the poll thread, after what was spooled before it (order)
            return self._spool_then_handoff(key, value, value, sync=durable)
        if self.closed:
            self.metrics.dropped("closed")
            return False
        with self._lock:
            ref = None
            if spool is not None and durable:
                ref = spool.append(key, value, sync=True)
                if ref is None:
                    self.metrics.dropped("spool_full")
                    return False
            if self._handoff:  # records spooled earlier go to librdkafka first (order)
                self._handoff_locked(len(self._handoff))
            if not self._backlog and self._produce_locked(key, value, ref):
                return True
            if ref is not None:
                return True
            if spool is not None:
                ref = spool.append(key, value)
                if ref is not None:
                    return True
                self.metrics.dropped("spool_full")
                return False
            self.metrics.dropped("queue_full")
            return False

    def _produce_locked(self, key: bytes, value: bytes, ref: RecordRef | None) -> bool:
        """Memory mode: one record to librdkafka; False (and backlog) when its queue is full."""
        try:
            self._producer.produce(
                self.topic,
                value,
                key,
                on_delivery=self._deliver_plain if ref is None else self._deliver_spooled,
            )
        except BufferError:
            self._enter_backlog("queue_full")
            return False
        self._handed += 1
        if ref is not None:
            self._cursor = ref
            self._gen.append((ref, value))
        return True

    def _enter_backlog(self, why: str) -> None:
        if self._backlog or self.spool is None:
            self._overflow = False  # the replay is on already: it sends what was not pushed
            return
        log.warning("tooltrail: spooling events to disk (%s)", why)
        self._backlog = True
        # Cleared after _backlog is set: callers go on not pushing. (One that read _backlog
        # just before may still push a record the replay sends too: _encode_ahead skips it.)
        self._overflow = False
        self._epoch += 1  # what the poll thread holds encoded is void: the replay sends it
        self._handoff.clear()  # spooled after _cursor: the replay hands them over, in order
        self._replay_iter = None
        if self.durability == "memory":
            self._reserved = self.spool.roll(reserve=True)

    # -- callbacks (run in the poll thread or inside flush) ------------------------------

    def _on_error(self, err: Any) -> None:
        name = err.name()
        if name == "_ALL_BROKERS_DOWN":
            self._broker_down = True
            with self._lock:
                self._enter_backlog("all brokers down")
        if err.fatal():
            self.metrics.dropped("fatal_producer_error")
            log.error("tooltrail: fatal Kafka producer error: %s", err)
        else:
            log.debug("tooltrail: Kafka: %s", err)

    # -- background: poll, acks, replay (and the spool's fsync, prefault) ----------------

    def _run(self) -> None:
        active = 0.0  # when the disk-mode handoff last had work
        while not self._stop.is_set():
            try:
                idle = 0.05
                if self._overflow:
                    with self._lock:
                        self._enter_backlog("handoff_full")
                if self._handoff or self._ready:
                    self._handoff_step()
                    active = time.monotonic()
                if active and time.monotonic() - active < 0.1:
                    idle = 0.001  # while calls come in, pick them up every millisecond
                self._producer.poll(0.0 if self._backlog else idle)
                self._settle()
                if self.spool is not None:
                    self.spool.flush_acks()
                    if self._backlog and not self._replay_step():
                        self._stop.wait(0.01)
            except Exception:  # the background thread must survive anything
                log.exception("tooltrail: producer background loop error")
                self._stop.wait(0.1)

    def _sync_loop(self) -> None:
        """The spool's interval fsync and, in disk mode, its prefault (see __init__)."""
        spool = self.spool
        assert spool is not None
        # disk mode: 2 MB faulted in ahead last ~40 ms at 50k events/s; memory mode only
        # syncs (each wake-up takes the GIL from the agent's threads for a moment)
        pause = 0.02 if not self._memory else min(0.2, max(0.01, spool.fsync_interval))
        while not self._stop.wait(pause):
            try:
                spool.maybe_sync()
                if not self._memory:  # (memory mode spools only in a backlog)
                    spool.prefault()
            except Exception:  # the thread must survive anything
                log.exception("tooltrail: spool sync loop error")
                self._stop.wait(0.1)

    # -- lifecycle -----------------------------------------------------------------------

    def pending(self) -> int:
        """Records not yet acknowledged by the broker (librdkafka queue + unsent backlog)."""
        queued = len(self._producer) + len(self._handoff) + self._transit
        if self._backlog and self.spool is not None:
            return max(queued, self.spool.pending)
        return queued

    def flush(self, timeout: float = 10.0) -> int:
        """Wait up to ``timeout`` s for delivery of everything published; returns what is left."""
        deadline = time.monotonic() + timeout
        while True:
            left = self.pending()
            remaining = deadline - time.monotonic()
            if left == 0 or remaining <= 0:
                break
            if len(self._producer):
                self._producer.flush(min(0.1, remaining))
            else:  # the poll thread is handing records over (disk mode)
                self._stop.wait(min(0.001, remaining))
        self._settle()
        if self.spool is not None:
            self.spool.flush_acks()
        return self.pending()

    def close(self, timeout: float = 10.0) -> None:
        """Flush, then purge what is left into the spool (delivered by the next process)."""
        if self.closed:
            return
        self.flush(timeout)
        self._stop.set()
        self._thread.join(5.0)
        if self._sync_thread is not None:
            self._sync_thread.join(5.0)
        with self._lock:
            self.closed = True
        if len(self._producer):
            self._producer.purge(in_queue=True, in_flight=True)
            self._producer.flush(1.0)
        self._producer.poll(0)
        self._settle()
        if self.spool is not None:
            self.spool.close()
        atexit.unregister(self._atexit)


def _disk_handoff(serializer: Serializer, durability: str, inflight: int) -> tuple[Any, Any, int]:
    """The transcoder's ``many`` (or None), the caller's spool-and-handoff step, and how many
    records the handoff holds at most before the replay takes over.

    In memory mode the transcoder reads the events' canonical JSON in ``publish_many``. In
    disk mode the poll thread reads the spooled canonical JSON straight into Avro when it
    can (transcode.py), so the caller hands over where the JSON is and its hash (about 200
    bytes a record), not the event dict (about 2 KB, encoded by ``serializer``): the handoff
    then takes 4 x ``inflight`` records, for the same memory, and rides out a stall of the
    poll thread (a new producer's first second: 100-300 ms turns) without switching to the
    replay, which reads the spool files back."""
    transcoder = json_transcoder(serializer)
    if transcoder is None or durability != "disk":
        return (None if transcoder is None else transcoder.many), spool_event, inflight
    return transcoder.many, spool_event_json, 4 * inflight


def _closer(ref: weakref.ref[KafkaPublisher]) -> Any:
    """An atexit hook that closes the publisher if it is still alive (flush at exit)."""

    def close() -> None:
        publisher = ref()
        if publisher is not None:
            publisher.close(5.0)

    return close
