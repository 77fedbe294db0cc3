"""The pure hash-chain verifier: what is missing, out of order, forked, repeated or altered.

Used in-stream by the processors (one state per session in a changelog-backed table), by
the CLI and by tests. No I/O, no framework; events are the Avro dicts of ToolCallEvent.

API:

* ``SessionVerifier(*, keys=None, require_signatures=False, window=256)``: the state of one
  session. ``check(event) -> list[Finding]`` takes events in arrival order (the order of the
  session's Kafka partition); ``finish() -> list[Finding]`` reports what is still open at the
  end or on demand (session never closed, session_start never seen, seqs still missing);
  ``to_dict()`` gives a JSON-able dict of the state and
  ``SessionVerifier.from_dict(data, *, keys=None, require_signatures=False, window=256)``
  restores it (keys and options are not part of the state: pass them again).
* ``verify(events, *, keys=None, require_signatures=False) -> Report``: the batch form,
  grouping events by ``session_id`` and calling ``finish()`` on every session at the end.
* ``Finding(kind, session_id, seq, event_id, detail)``, ``kind`` a :class:`FindingKind`:

  - ``gap``: seqs never received (``seq`` is the first missing one; ``detail`` has the range);
    reported when a higher seq arrives, again at session_end and at ``finish()``.
  - ``reorder``: a seq arrived after a higher one (it fills an earlier gap).
  - ``fork``: two different events (different event_id) claim the same seq, or chain from
    the same ``prev_hash``.
  - ``duplicate``: the same event (same event_id, same hash) delivered again: harmless
    re-delivery, distinguished from a fork.
  - ``modified``: the content does not hash to its ``event_hash``; or a successor's
    ``prev_hash`` does not match it (the event was rewritten and re-hashed); or the same
    event_id re-delivered with different content.
  - ``forged``: bad signature, signature by an unknown ``key_id``, or unsigned when
    ``require_signatures`` is set.
  - ``missing_start``: seq 1 is not a session_start marker, or a session_start sits at another
    seq, or (at ``finish()``) no session_start was ever seen.
  - ``not_closed``: at ``finish()``, no session_end marker was seen.
  - ``after_close``: an event with a seq beyond the session_end marker's final seq.

Pass records exactly as decoded (``Decoder(expect=TOOL_CALL_EVENT).decode(...).record``):
the hash covers every field but the three integrity ones, so a key added by the caller
reads as ``modified``. Hashes are computed with
:func:`tooltrail.producer.chain.compute_event_hash` (the same bytes the producer hashed).

Memory is bounded: the last ``window`` seqs are remembered for fork and duplicate checks (an
older seq arriving again is reported as ``reorder`` with "beyond the window") and at most
``MAX_MISSING_RANGES`` missing ranges are tracked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from tooltrail.producer.chain import compute_event_hash
from tooltrail.producer.signing import KeyRing

STATE_VERSION = 1
MAX_MISSING_RANGES = 1000


class FindingKind(StrEnum):
    GAP = "gap"
    REORDER = "reorder"
    FORK = "fork"
    DUPLICATE = "duplicate"
    MODIFIED = "modified"
    FORGED = "forged"
    MISSING_START = "missing_start"
    NOT_CLOSED = "not_closed"
    AFTER_CLOSE = "after_close"


@dataclass(frozen=True)
class Finding:
    """One integrity problem: which session, which seq, which event, what is wrong."""

    kind: FindingKind
    session_id: str
    seq: int | None
    event_id: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = str(self.kind)
        return out


@dataclass
class Report:
    """The outcome of a batch :func:`verify`."""

    sessions: int = 0
    events: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[str(f.kind)] = counts.get(str(f.kind), 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "sessions": self.sessions,
            "events": self.events,
            "by_kind": self.by_kind(),
            "findings": [f.to_dict() for f in self.findings],
        }


def _ranges_text(ranges: list[list[int]]) -> str:
    return ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)


class SessionVerifier:
    """Incremental verifier of one session's chain; its state is JSON-able (see module doc)."""

    def __init__(
        self,
        *,
        keys: KeyRing | None = None,
        require_signatures: bool = False,
        window: int = 256,
    ) -> None:
        self.keys = keys
        self.require_signatures = require_signatures
        self.window = max(1, window)
        self.session_id: str | None = None
        self.high = 0  # highest seq seen
        self.started = False
        self.start_flagged = False  # a missing_start finding was already reported
        self.closed_seq: int | None = None
        self.events = 0
        # seq -> (event_id, event_hash, prev_hash) for the last `window` seqs
        self.recent: dict[int, tuple[str, str, str | None]] = {}
        self._by_prev: dict[str | None, int] = {}
        self._low = 1  # no seq below this is in `recent` (makes _trim O(1) per event)
        self.missing: list[list[int]] = []  # sorted, disjoint [lo, hi] ranges

    # -- state ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The state as plain JSON types (for a changelog-backed table)."""
        return {
            "v": STATE_VERSION,
            "session_id": self.session_id,
            "high": self.high,
            "started": self.started,
            "start_flagged": self.start_flagged,
            "closed_seq": self.closed_seq,
            "events": self.events,
            "recent": [[s, e, h, p] for s, (e, h, p) in sorted(self.recent.items())],
            "missing": [list(r) for r in self.missing],
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        keys: KeyRing | None = None,
        require_signatures: bool = False,
        window: int = 256,
    ) -> SessionVerifier:
        """Restore a state written by :meth:`to_dict`."""
        if data.get("v") != STATE_VERSION:
            raise ValueError(f"unsupported verifier state version {data.get('v')!r}")
        v = cls(keys=keys, require_signatures=require_signatures, window=window)
        v.session_id = data["session_id"]
        v.high = int(data["high"])
        v.started = bool(data["started"])
        v.start_flagged = bool(data["start_flagged"])
        v.closed_seq = data["closed_seq"]
        v.events = int(data["events"])
        for s, e, h, p in data["recent"]:
            v.recent[int(s)] = (e, h, p)
            v._by_prev[p] = int(s)
        v._low = min(v.recent, default=1)
        v.missing = [[int(lo), int(hi)] for lo, hi in data["missing"]]
        return v

    # -- checks --------------------------------------------------------------------------

    def check(self, event: Mapping[str, Any]) -> list[Finding]:
        """Check the next event of the session (in arrival order); returns its findings."""
        sid = event["session_id"]
        if self.session_id is None:
            self.session_id = sid
        elif sid != self.session_id:
            raise ValueError(f"event of session {sid!r} given to verifier of {self.session_id!r}")
        self.events += 1
        seq = int(event["seq"])
        eid = event["event_id"]
        claimed = event.get("event_hash") or ""
        prev = event.get("prev_hash")
        kind = event.get("kind", "tool_call")
        out: list[Finding] = []

        def add(k: FindingKind, detail: str, at: int | None = seq) -> None:
            out.append(Finding(k, sid, at, eid if at == seq else None, detail))

        seen = self.recent.get(seq)
        if seen is not None:
            self._check_seen(event, seen, add)
            return out

        actual = compute_event_hash(event)
        if actual != claimed:
            add(
                FindingKind.MODIFIED,
                f"seq {seq}: content hashes to {actual[:16]}..., event_hash says {claimed[:16]}...",
            )
        self._check_signature(event, claimed, add)

        if seq <= self.high:
            if self._take_missing(seq):
                add(FindingKind.REORDER, f"seq {seq} arrived after seq {self.high}")
            else:
                add(
                    FindingKind.REORDER,
                    f"seq {seq} arrived after seq {self.high}, beyond the {self.window}-seq "
                    "window: duplicate or fork cannot be told",
                )
                return out
        elif seq > self.high + 1:
            lo, hi = self.high + 1, seq - 1
            self._add_missing(lo, hi)
            add(
                FindingKind.GAP,
                f"seqs {_ranges_text([[lo, hi]])} missing before seq {seq}",
                at=lo,
            )

        self._check_links(seq, claimed, prev, add)
        self._check_markers(seq, kind, add)

        self.recent[seq] = (eid, claimed, prev)
        self._low = min(self._low, seq)
        self._by_prev.setdefault(prev, seq)
        self.high = max(self.high, seq)
        self._trim()
        return out

    def finish(self) -> list[Finding]:
        """Findings still open now: no session_start, no session_end, seqs still missing."""
        sid = self.session_id or ""
        out: list[Finding] = []
        if not self.started and not self.start_flagged:
            out.append(Finding(FindingKind.MISSING_START, sid, 1, None, "no session_start seen"))
        if self.missing:
            out.append(
                Finding(
                    FindingKind.GAP,
                    sid,
                    self.missing[0][0],
                    None,
                    f"seqs {_ranges_text(self.missing)} never received",
                )
            )
        if self.closed_seq is None:
            out.append(
                Finding(
                    FindingKind.NOT_CLOSED,
                    sid,
                    self.high or None,
                    None,
                    f"no session_end seen; last seq {self.high}",
                )
            )
        return out

    # -- helpers -------------------------------------------------------------------------

    def _check_seen(
        self, event: Mapping[str, Any], seen: tuple[str, str, str | None], add: Any
    ) -> None:
        """A seq already in the window arrives again: duplicate, fork or modified copy."""
        seq, eid, claimed = event["seq"], event["event_id"], event.get("event_hash") or ""
        if seen[0] == eid and seen[1] == claimed:
            if compute_event_hash(event) == claimed:
                add(FindingKind.DUPLICATE, f"seq {seq} delivered again (same event_id)")
            else:
                add(FindingKind.MODIFIED, f"seq {seq} re-delivered with altered content")
        elif seen[0] == eid:
            add(FindingKind.MODIFIED, f"seq {seq} re-delivered with a different event_hash")
        else:
            add(FindingKind.FORK, f"seq {seq} claimed by two events: {seen[0]} and {eid}")

    def _check_signature(self, event: Mapping[str, Any], claimed: str, add: Any) -> None:
        sig = event.get("signature")
        key_id = event.get("key_id")
        if sig is None:
            if self.require_signatures:
                add(FindingKind.FORGED, f"seq {event['seq']} is unsigned")
            return
        if self.keys is None:
            if self.require_signatures:
                add(FindingKind.FORGED, "signatures required but no keys given")
            return
        key = self.keys.get(key_id or "")
        if key is None:
            add(FindingKind.FORGED, f"seq {event['seq']} signed with unknown key_id {key_id!r}")
        elif not key.verify(claimed, sig):
            add(FindingKind.FORGED, f"seq {event['seq']}: signature does not verify ({key_id})")

    def _check_links(self, seq: int, claimed: str, prev: str | None, add: Any) -> None:
        if seq == 1:
            if prev is not None:
                add(FindingKind.MODIFIED, "seq 1 carries a prev_hash; the chain starts at seq 1")
        else:
            before = self.recent.get(seq - 1)
            if before is not None and before[1] != prev:
                add(
                    FindingKind.MODIFIED,
                    f"seq {seq - 1} altered after seq {seq} chained to it: its event_hash "
                    f"{before[1][:16]}... != prev_hash {str(prev)[:16]}... of seq {seq}",
                    at=seq - 1,
                )
        after = self.recent.get(seq + 1)
        if after is not None and after[2] != claimed:
            add(
                FindingKind.MODIFIED,
                f"seq {seq} does not match prev_hash of seq {seq + 1} (altered or substituted)",
            )
        twin = self._by_prev.get(prev)
        if prev is not None and twin is not None and twin != seq:
            add(FindingKind.FORK, f"seq {seq} and seq {twin} both chain from {prev[:16]}...")

    def _check_markers(self, seq: int, kind: str, add: Any) -> None:
        if kind == "session_start":
            if seq == 1:
                self.started = True
            else:
                self.start_flagged = True
                add(FindingKind.MISSING_START, f"session_start marker at seq {seq}, not seq 1")
        elif seq == 1:
            self.start_flagged = True
            add(FindingKind.MISSING_START, f"seq 1 is a {kind} event, not session_start")
        if self.closed_seq is not None and seq > self.closed_seq:
            add(FindingKind.AFTER_CLOSE, f"seq {seq} after session_end at seq {self.closed_seq}")
        if kind == "session_end":
            if self.closed_seq is None or seq < self.closed_seq:
                self.closed_seq = seq
            pending = [r for r in self.missing if r[0] < seq]
            if pending:
                add(
                    FindingKind.GAP,
                    f"session closed at seq {seq} with seqs {_ranges_text(pending)} missing",
                    at=pending[0][0],
                )
            if self.high > seq:
                add(FindingKind.AFTER_CLOSE, f"seq {self.high} seen beyond session_end at {seq}")

    def _trim(self) -> None:
        recent = self.recent
        if len(recent) <= self.window:
            return
        floor = self.high - self.window
        if floor - self._low < len(recent):  # usually one seq fell out: visit just those
            old: list[int] = [s for s in range(self._low, floor + 1) if s in recent]
        else:  # after a jump, scanning the window is cheaper
            old = [s for s in recent if s <= floor]
        self._low = max(self._low, floor + 1)
        for s in old:
            _, _, p = recent.pop(s)
            if self._by_prev.get(p) == s:
                del self._by_prev[p]

    def _add_missing(self, lo: int, hi: int) -> None:
        self.missing.append([lo, hi])
        if len(self.missing) > MAX_MISSING_RANGES:
            # keep the oldest ranges (they prove the earliest loss); merge the newest two
            last = self.missing.pop()
            self.missing[-1][1] = last[1]

    def _take_missing(self, seq: int) -> bool:
        for i, (lo, hi) in enumerate(self.missing):
            if lo <= seq <= hi:
                parts = [[lo, seq - 1]] if lo < seq else []
                if seq < hi:
                    parts.append([seq + 1, hi])
                self.missing[i : i + 1] = parts
                return True
        return False


def verify(
    events: Iterable[Mapping[str, Any]],
    *,
    keys: KeyRing | None = None,
    require_signatures: bool = False,
    window: int = 256,
) -> Report:
    """Verify a batch of events of any number of sessions (arrival order kept per session)."""
    sessions: dict[str, SessionVerifier] = {}
    report = Report()
    for event in events:
        sid = event["session_id"]
        v = sessions.get(sid)
        if v is None:
            v = sessions[sid] = SessionVerifier(
                keys=keys, require_signatures=require_signatures, window=window
            )
        report.events += 1
        report.findings.extend(v.check(event))
    for v in sessions.values():
        report.findings.extend(v.finish())
    report.sessions = len(sessions)
    return report
