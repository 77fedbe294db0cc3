"""The stateful analysis of one raw-topic partition: chain verification, enrichment, detection.

One :class:`PartitionRuntime` per assigned partition, so what a partition's records produce
never depends on which other partitions share the worker: a partition moved to another
worker (rebalance, ``kill -9``) is rebuilt there from its own table entries and continues
exactly. Cross-session state (per agent, per principal) is therefore kept per partition.

Table keys, relative to the partition (the app prefixes ``"<partition>/"``):
``e/<key>`` enricher state, ``d/<key>`` detection state, ``c/<session_id>`` chain-verifier
state (loaded lazily), and the last batch's record: ``b/<parity>/<i>`` chunks and the
``b`` header.

The batch record makes a batch's state change atomic. Its chunks hold every key the batch
changed; its header, written after them, the offset of the last record applied, the batch
number and the chunk count; then the keys themselves are written. A worker killed while
writing leaves a half-written batch: without its header (chunks alternate between two
parities, so the previous batch's chunks stay intact) the previous batch record applies;
with it, its chunks complete the half-updated keys. Either way the restored state matches
the offset it claims, and no record is applied twice or skipped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from tooltrail.metrics import DropCounter
from tooltrail.producer.verify import Finding, FindingKind, SessionVerifier
from tooltrail.stream_processors import (
    Catalog,
    DetectionEngine,
    Enricher,
    Rule,
    default_catalog,
    default_rules,
)

Record = dict[str, Any]
ChainLoader = Callable[[str], bytes | None]
BATCH = "b"
CHUNK_BYTES = 256 * 1024  # well below Kafka's default 1 MiB message limit

# kind -> (severity, risk score, rule name); duplicates are harmless re-deliveries: no alert.
_INTEGRITY: dict[FindingKind, tuple[str, int, str]] = {
    FindingKind.GAP: ("high", 70, "Hash chain gap: events missing from the session"),
    FindingKind.REORDER: ("medium", 50, "Hash chain: event arrived out of order"),
    FindingKind.FORK: ("critical", 90, "Hash chain fork: two events claim one position"),
    FindingKind.MODIFIED: ("critical", 95, "Event modified after it was hashed"),
    FindingKind.FORGED: ("critical", 95, "Event signature invalid or missing"),
    FindingKind.MISSING_START: ("medium", 40, "Session without its session_start marker"),
    FindingKind.AFTER_CLOSE: ("high", 80, "Event appended after the session ended"),
    FindingKind.NOT_CLOSED: ("low", 20, "Session never closed"),
}


@dataclass(frozen=True, kw_only=True)
class AnalysisConfig:
    """What every partition runtime is built from.

    Attributes:
        rules: detection rules; the default pack when None.
        catalog: tool catalog; the default one when None.
        internal_domains: domains that do not count as external destinations.
        allowed_lateness: seconds an event may trail the newest one and still be applied in
            order; alerts wait about this long. An idle partition advances on the wall clock.
        chain_window: seqs per session remembered for fork and duplicate checks.
        closed_chain_retention: seconds (of event time) a closed session's chain state is
            kept after its ``session_end``, so that an event appended later is reported as
            such (``integrity.after_close``). Then the state is deleted, keeping the table
            bounded; an event of that session arriving later still raises an integrity
            alert, as for a session seen mid-way (``integrity.gap``: seqs before it
            missing).
    """

    rules: tuple[Rule, ...] | None = None
    catalog: Catalog | None = None
    internal_domains: tuple[str, ...] = ()
    allowed_lateness: float = 0.25
    chain_window: int = 32
    closed_chain_retention: float = 86_400.0


def event_time(event: Record) -> datetime:
    ended: datetime | None = event.get("ended_at")
    return ended if ended is not None else event["started_at"]


def integrity_alert(finding: Finding, event: Record) -> Record | None:
    """The Alert dict of a chain finding (deterministic id), or None for a harmless one."""
    spec = _INTEGRITY.get(finding.kind)
    if spec is None:
        return None
    severity, risk, name = spec
    rule_id = f"integrity.{finding.kind}"
    at = event_time(event)
    ident = "\x1f".join([rule_id, finding.session_id, str(finding.seq), finding.event_id or ""])
    captures = {"seq": str(finding.seq)} if finding.seq is not None else {}
    return {
        "alert_id": hashlib.sha256(ident.encode()).hexdigest(),
        "kind": "integrity",
        "rule_id": rule_id,
        "rule_name": name,
        "severity": severity,
        "risk_score": risk,
        "tags": ["tooltrail.integrity", "OWASP-LLM-Agentic:T8-repudiation"],
        "tenant_id": event["tenant_id"],
        "session_id": finding.session_id,
        "agent_id": event["agent"]["id"],
        "principal": event.get("principal"),
        "event_ids": [finding.event_id] if finding.event_id else [],
        "first_event_at": at,
        "last_event_at": at,
        "message": finding.detail,
        "captures": captures,
        "detected_at": at,
    }


class PartitionRuntime:
    """Chain verifier, enricher and detection engine of one partition, with its state.

    Args:
        config: rules, catalog and tuning.
        load_chain: reads a session's stored verifier state (``c/<session_id>``).
        drops: counts late events dropped by detection.
        max_cached_chains: verifier states kept in memory (others are re-read when needed).
    """

    def __init__(
        self,
        *,
        config: AnalysisConfig,
        load_chain: ChainLoader,
        drops: DropCounter | None = None,
        max_cached_chains: int = 20_000,
    ) -> None:
        self.config = config
        self.load_chain = load_chain
        self.enricher = Enricher(
            catalog=config.catalog or default_catalog(), internal_domains=config.internal_domains
        )
        self.engine = DetectionEngine(
            rules=config.rules if config.rules is not None else default_rules(),
            allowed_lateness=config.allowed_lateness,
            drops=drops,
        )
        self.max_cached_chains = max_cached_chains
        self.last_offset = -1
        self.batch_no = 0
        self._saved_offset = -1
        self.max_event_time: datetime | None = None
        self.last_arrival = time.monotonic()
        self.duplicates = 0
        self._chain_overlay: dict[str, bytes | None] = {}  # from the batch record
        self._chains: dict[str, SessionVerifier] = {}
        self._dirty_chains: set[str] = set()
        self._ended: set[str] = set()
        # sessions closed, by the minute (epoch) of their end: "z/<minute>" in the table
        self._closed: dict[int, list[str]] = {}
        self._dirty_closed: set[int] = set()

    # -- state --------------------------------------------------------------------------

    def restore(self, items: Iterable[tuple[str, bytes | None]]) -> None:
        """Load the stored state: keys first, then the last batch record over them."""
        header: bytes | None = None
        chunks: dict[str, bytes] = {}
        for key, raw in items:
            if key == BATCH:
                header = raw
            elif key.startswith(BATCH + "/"):
                if raw is not None:
                    chunks[key] = raw
            elif raw is not None:
                self._restore_key(key, raw)
        if not header:
            return
        head = orjson.loads(header)
        self.last_offset, self.batch_no = int(head["o"]), int(head["n"])
        self._saved_offset = self.last_offset
        for i in range(int(head["chunks"])):
            raw_chunk = chunks.get(f"{BATCH}/{self.batch_no % 2}/{i}")
            chunk = orjson.loads(raw_chunk) if raw_chunk else None
            if chunk is None or chunk["n"] != self.batch_no:
                raise ValueError(f"batch record {self.batch_no}: chunk {i} missing")
            self._apply_chunk(chunk)
        mark = self.engine.watermark
        if mark is not None:
            self.max_event_time = mark + timedelta(seconds=self.config.allowed_lateness)

    def _apply_chunk(self, chunk: dict[str, Any]) -> None:
        """The keys of one batch-record chunk, over the keys restored before."""
        changes: Iterable[tuple[str, Any]]
        if "cj" in chunk:  # the values as JSON
            changes = chunk["cj"].items()
        else:  # written before: the values as JSON text
            changes = ((k, None if t is None else orjson.loads(t)) for k, t in chunk["ch"].items())
        for key, state in changes:
            if key.startswith("c/"):
                self._chain_overlay[key[2:]] = None if state is None else orjson.dumps(state)
            else:
                self._restore_state(key, state)

    def _restore_key(self, key: str, raw: bytes | None) -> None:
        self._restore_state(key, None if raw is None else orjson.loads(raw))

    def _restore_state(self, key: str, state: Any) -> None:
        if key.startswith("z/"):
            minute = int(key[2:])
            if state is None:
                self._closed.pop(minute, None)
            else:
                self._closed[minute] = list(state)
        elif key.startswith("e/"):
            self.enricher.restore(key[2:], state)
        elif key.startswith("d/"):
            self.engine.restore(key[2:], state)

    def drain_state(self) -> dict[str, bytes | None]:
        """State changed since the last call (None deletes a key), batch record first."""
        out: dict[str, bytes | None] = {}
        for key in self.enricher.dirty_keys():
            snap = self.enricher.snapshot(key)
            out[f"e/{key}"] = None if snap is None else orjson.dumps(snap)
        for key in self.engine.dirty_keys():
            out[f"d/{key}"] = self.engine.snapshot_json(key)
        for sid in self._dirty_chains:
            out[f"c/{sid}"] = orjson.dumps(self._chains[sid].to_dict())
        self._dirty_chains.clear()
        for sid in self._ended:
            self._chains.pop(sid, None)
        self._ended.clear()
        self._drain_closed(out)
        if len(self._chains) > self.max_cached_chains:
            for sid in list(self._chains)[: len(self._chains) - self.max_cached_chains]:
                del self._chains[sid]
        if not out and self.last_offset == self._saved_offset:
            return {}
        self._saved_offset = self.last_offset
        return {**self._batch_record(out), **out}

    def _drain_closed(self, out: dict[str, bytes | None]) -> None:
        """Delete the chain state of sessions closed longer ago than the retention."""
        if self._closed and self.max_event_time is not None:
            horizon = self.max_event_time.timestamp() - self.config.closed_chain_retention
            for minute in [m for m in self._closed if (m + 1) * 60 <= horizon]:
                for sid in self._closed.pop(minute):
                    out[f"c/{sid}"] = None
                    self._chains.pop(sid, None)
                    self._chain_overlay.pop(sid, None)
                out[f"z/{minute}"] = None
                self._dirty_closed.discard(minute)
        for minute in self._dirty_closed:
            out[f"z/{minute}"] = orjson.dumps(self._closed[minute])
        self._dirty_closed.clear()

    def _batch_record(self, changes: dict[str, bytes | None]) -> dict[str, bytes | None]:
        """Chunks of ``changes`` then the header: keys and values to write first, in order."""
        self.batch_no += 1
        parity = self.batch_no % 2
        # the values go in as they are (JSON within JSON, not escaped into strings)
        chunks: list[dict[str, orjson.Fragment | None]] = [{}]
        size = 0
        for key, value in changes.items():
            grows = len(key) + (len(value) if value else 0) + 8
            if size + grows > CHUNK_BYTES and chunks[-1]:
                chunks.append({})
                size = 0
            chunks[-1][key] = None if value is None else orjson.Fragment(value)
            size += grows
        record: dict[str, bytes | None] = {
            f"{BATCH}/{parity}/{i}": orjson.dumps({"n": self.batch_no, "cj": chunk})
            for i, chunk in enumerate(chunks)
        }
        header = {"o": self.last_offset, "n": self.batch_no, "chunks": len(chunks)}
        record[BATCH] = orjson.dumps(header)
        return record

    # -- processing ---------------------------------------------------------------------

    def handle(self, event: Record) -> tuple[Record, list[Record]]:
        """Verify, enrich and detect one event; the enriched event and its alerts."""
        self.last_arrival = time.monotonic()
        at = event_time(event)
        if self.max_event_time is None or at > self.max_event_time:
            self.max_event_time = at
        alerts: list[Record] = []
        for finding in self._verifier(event["session_id"]).check(event):
            if finding.kind is FindingKind.DUPLICATE:
                self.duplicates += 1
            alert = integrity_alert(finding, event)
            if alert is not None:
                alerts.append(alert)
        self._dirty_chains.add(event["session_id"])
        if event.get("kind") == "session_end":
            self._ended.add(event["session_id"])
            minute = int(at.timestamp()) // 60
            self._closed.setdefault(minute, []).append(event["session_id"])
            self._dirty_closed.add(minute)
        enriched = self.enricher.enrich(event)
        alerts.extend(self.engine.process(enriched))
        return enriched, alerts

    def heartbeat(self, now: float | None = None) -> list[Record]:
        """Advance event time by the wall time this partition has been idle.

        Lets the lateness buffer and absence rules release alerts when traffic pauses;
        does nothing until the partition has been idle for ``allowed_lateness``.
        """
        if self.max_event_time is None:
            return []
        idle = (now if now is not None else time.monotonic()) - self.last_arrival
        if idle < self.config.allowed_lateness:
            return []
        return self.engine.advance(self.max_event_time + timedelta(seconds=idle))

    def _verifier(self, session_id: str) -> SessionVerifier:
        verifier = self._chains.get(session_id)
        if verifier is None:
            if session_id in self._chain_overlay:
                raw = self._chain_overlay.pop(session_id)
            else:
                raw = self.load_chain(session_id)
            window = self.config.chain_window
            verifier = (
                SessionVerifier.from_dict(orjson.loads(raw), window=window)
                if raw
                else SessionVerifier(window=window)
            )
            self._chains[session_id] = verifier
        return verifier
