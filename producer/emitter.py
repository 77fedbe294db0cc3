"""Sealing events into their session's hash chain and publishing them, in one order.

Inline (the caller's thread) or offloaded to one background thread; either way a single
lock covers seal + publish, and queued events always go first, so seq order is publish
order (which the per-session chain and Kafka's per-partition order rely on).
"""

from __future__ import annotations

import collections
import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

from tooltrail.producer.chain import SessionChain
from tooltrail.producer.percall import untrack
from tooltrail.producer.publisher import Publisher
from tooltrail.producer.signing import Signer

log = logging.getLogger("tooltrail.producer.capture")
_HELP_BATCH = 32


class Emitter:
    """Chains and publishes events for an :class:`~tooltrail.producer.capture.Auditor`."""

    def __init__(
        self,
        *,
        publisher: Publisher,
        signer: Signer | None,
        offload: bool,
        max_pending: int,
        on_lost: Callable[[str], None],
    ) -> None:
        self.publisher = publisher
        self.signer = signer
        self._offload = offload
        # The publisher spools the canonical JSON the chain already made (Kafka disk mode).
        # (A subclass overriding publish without the argument gets the plain call.)
        self._canonical = bool(getattr(publisher, "takes_canonical", False)) and (
            "canonical" in inspect.signature(publisher.publish).parameters
        )
        self._publish: Any = publisher.publish  # (bound once: called once per event)
        self.max_pending = max_pending
        self._on_lost = on_lost
        # A publisher that takes a batch (Kafka memory mode) gets the drained events at once,
        # and their canonical JSON from the chain when it takes that (unsigned events: the
        # JSON holds no signature), so it need not encode the event dicts
        self._many = _batch_method(publisher)
        self._many_canonical = (
            self._many is not None
            and signer is None
            and "canonical" in inspect.signature(self._many).parameters
        )
        # disk mode's per-event path (see KafkaPublisher.canonical_spooler): what publish()
        # does for an unsigned event (no signer) published without the durable flag
        spooler = _stands_for_publish(publisher, "canonical_spooler")
        usable = self._canonical and spooler is not None and signer is None
        self._spool: Any = spooler() if usable else None
        self._chains: dict[str, SessionChain] = {}
        self._lock = threading.Lock()
        self._queue: collections.deque[dict[str, Any]] = collections.deque()
        self._wake = threading.Event()
        self._idle = True
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None

    def emit(self, event: dict[str, Any], *, durable: bool = False) -> bool:
        """Chain and publish, inline or through the background queue (one order either way)."""
        if self._offload and not durable:
            if self._worker is None:
                self._start_worker()
            if len(self._queue) >= self.max_pending:
                # The worker is behind: help it with a bounded batch (the oldest events, so
                # order holds) instead of growing memory or dropping.
                try:
                    with self._lock:
                        self._drain_locked(_HELP_BATCH)
                except Exception:
                    log.exception("tooltrail: could not publish queued events")
            # Waiting for the worker, the event is not walked by the collector's young
            # passes (it holds no containers the collector needs to see: see percall.py)
            untrack(event)
            self._queue.append(event)
            if self._idle:
                self._wake.set()
            return True
        try:
            with self._lock:
                if self._queue:
                    self._drain_locked(len(self._queue))
                return self._publish_locked(event, durable)
        except Exception:
            self._on_lost("publish_error")
            log.exception("tooltrail: could not publish event of session %s", event["session_id"])
            return False

    def _seal(self, event: dict[str, Any]) -> SessionChain:
        sid = event["session_id"]
        chain = self._chains.get(sid)
        if chain is None:
            chain = self._chains[sid] = SessionChain(session_id=sid)
        chain.seal(event, self.signer, presorted=True)  # built by events.new_event
        if event["kind"] == "session_end":  # sealed in queue order, so nothing follows it
            del self._chains[sid]
        return chain

    def _publish_locked(self, event: dict[str, Any], durable: bool) -> bool:
        chain = self._seal(event)
        if self._canonical:
            if self._spool is not None and not durable:
                return bool(self._spool(event, chain.last_body))
            return bool(self._publish(event, durable=durable, canonical=chain.last_body))
        return bool(self._publish(event, durable=durable))

    def _drain_locked(self, limit: int) -> None:
        queue = self._queue
        many = None if self._canonical else self._many
        batch: list[dict[str, Any]] = []
        bodies: list[bytes] | None = [] if self._many_canonical else None
        for _ in range(limit):
            try:
                event = queue.popleft()
            except IndexError:
                break
            try:
                if many is None:
                    self._publish_locked(event, False)
                else:
                    chain = self._seal(event)
                    batch.append(event)
                    if bodies is not None:
                        bodies.append(chain.last_body)
            except Exception:
                self._on_lost("publish_error")
                log.exception("tooltrail: could not publish event %s", event.get("event_id"))
        if batch:
            assert many is not None
            try:
                if bodies is not None:
                    many(batch, canonical=bodies)
                else:
                    many(batch)
            except Exception:
                for _ in batch:
                    self._on_lost("publish_error")
                log.exception("tooltrail: could not publish %d events", len(batch))

    def _start_worker(self) -> None:
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="tooltrail-capture", daemon=True
                )
                self._worker.start()

    def _work(self) -> None:
        while not self._stop.is_set():
            if not self._queue:
                self._idle = True
                if not self._queue:
                    self._wake.wait(0.05)
                self._wake.clear()
                self._idle = False
                continue
            with self._lock:
                self._drain_locked(1000)

    def drain(self) -> None:
        with self._lock:
            self._drain_locked(len(self._queue))

    def close(self) -> None:
        """Stop the worker and publish whatever is still queued."""
        self._stop.set()
        self._wake.set()
        if self._worker is not None:
            self._worker.join(5.0)
        self.drain()


def _batch_method(publisher: Publisher) -> Callable[..., None] | None:
    """``publisher.publish_many`` when it stands for ``publish`` (a subclass that overrides
    ``publish`` but not ``publish_many`` gets its own ``publish`` called, event by event)."""
    many: Callable[..., None] | None = _stands_for_publish(publisher, "publish_many")
    return many


def _stands_for_publish(publisher: Publisher, name: str) -> Any:
    """``publisher``'s attribute ``name`` when the class defining it also defines the
    ``publish`` in use: a shortcut past ``publish`` is only taken where ``publish`` is the
    one it was written for."""
    attr = getattr(publisher, name, None)
    if attr is None:
        return None
    cls = type(publisher)
    owner = next((c for c in cls.__mro__ if name in c.__dict__), None)
    if owner is None or cls.publish is not owner.__dict__.get("publish"):
        return None
    return attr
