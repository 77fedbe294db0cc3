"""The detection engine: enriched events in, Alert Avro dicts out. Pure, no Faust.

* Predicates are compiled once; a plan cache keyed by the event's (tool, category,
  outcome) lists the only (rule, step) checks an event can satisfy.
* Event time with allowed lateness (Flink's model): events wait in a small reorder buffer
  until the watermark (highest event time seen, or :meth:`advance`'s clock, minus the
  lateness) passes them, and are then applied in timestamp order. Events older than the
  watermark are late: counted and dropped, never allowed to re-drive sequences.
* State is per key (``session_id=...``, ``principal=...``), bounded (a cap on keys with
  evictions counted, a cap on pending entries per key, lazy expiry plus a periodic sweep),
  and JSON-able: :meth:`snapshot` / :meth:`restore` per key for a changelog-backed table.
* Output is deterministic: same input, same alerts, same ids (sha256 of the rule id and the
  matched event ids), same ``detected_at`` (the event time of detection unless a clock is given).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from tooltrail.metrics import DropCounter
from tooltrail.stream_processors.detection.alerts import build_alert
from tooltrail.stream_processors.detection.fields import (
    SESSION_KEY_SLOT,
    View,
    args_hash_of,
    discriminators,
)
from tooltrail.stream_processors.detection.matchers import MATCHERS, Matcher
from tooltrail.stream_processors.detection.model import Rule
from tooltrail.stream_processors.detection.plan import Plan, build_plan
from tooltrail.stream_processors.detection.snapshot import enriched_from_json, enriched_to_json
from tooltrail.stream_processors.timeutil import event_time_us, from_micros, to_micros

BUFFER_PREFIX = "buf:"
_PLAN_CACHE_LIMIT = 16_384
_INF = 2**62
_UNSET = object()


def _micros(value: timedelta | float | int) -> int:
    if isinstance(value, timedelta):
        return value // timedelta(microseconds=1)
    return int(value * 1_000_000)


# (event time, session, seq, event id, arrival number, enriched event)
_Buffered = tuple[int, str, int, str, int, dict[str, Any]]


class DetectionEngine:
    """Runs a rule set over EnrichedToolCallEvent dicts.

    Args:
        rules: compiled rules (disabled ones are skipped).
        allowed_lateness: how far behind the newest event time an event may arrive and still
            be applied in order (seconds or a timedelta). 0 applies every event at once.
        max_keys: keys with state kept; beyond it the least recently used are evicted
            (``stats["keys_evicted"]``).
        max_pending_per_key: entries per key in a rule's inner tables (sequence sub-keys,
            sums, suppression keys); the oldest is evicted (``stats["pending_evicted"]``).
        sweep_interval: event time between sweeps that drop expired keys.
        clock: gives ``detected_at``; by default the event time at which the rule matched.
        drops: counts late events as ``{stage="detect", reason="late"}``.
        max_future_skew: once :meth:`advance` has given a clock reading, an event more than
            this far ahead of it (a wrong clock on one agent) does not move the watermark, so
            it cannot make every other session's events late; it waits in the buffer
            (``stats["future"]``). None disables the guard.
    """

    def __init__(
        self,
        *,
        rules: Iterable[Rule],
        allowed_lateness: timedelta | float = 5.0,
        max_keys: int = 100_000,
        max_pending_per_key: int = 64,
        sweep_interval: timedelta | float = 60.0,
        clock: Callable[[], datetime] | None = None,
        drops: DropCounter | None = None,
        max_future_skew: timedelta | float | None = 300.0,
    ) -> None:
        self.rules = [r for r in rules if r.enabled]
        self.matchers: list[Matcher] = [MATCHERS[r.kind](r, i) for i, r in enumerate(self.rules)]
        self.lateness = _micros(allowed_lateness)
        self.max_keys = max_keys
        self.max_pending_per_key = max_pending_per_key
        self.sweep_us = max(1, _micros(sweep_interval))
        self._clock = clock
        self._drops = drops
        self._skew = None if max_future_skew is None else _micros(max_future_skew)
        self._clock_us: int | None = None  # the latest reading given to advance()
        self._plans: dict[tuple[Any, ...], Plan] = {}
        self._keys: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        self._timers: list[tuple[int, str, int, str, str]] = []
        self._queue: deque[_Buffered] = deque()
        self._heap: list[_Buffered] = []
        self._buf_dirty: set[str] = set()  # sessions whose buffered events changed
        self._index: dict[str, list[_Buffered]] | None = None
        # Arrival numbers; entries numbered from _dirty_from on were pushed since the last
        # dirty_keys(), so their sessions are already marked.
        self._arrival = 0
        self._dirty_from = 0
        self._max_ts = -_INF
        self._watermark = -_INF
        self._next_sweep = -_INF
        self._events = 0
        self._stats: dict[str, int] = {
            "events": 0,
            "late": 0,
            "alerts": 0,
            "suppressed": 0,
            "excepted": 0,
            "keys_expired": 0,
            "keys_evicted": 0,
            "pending_evicted": 0,
            "future": 0,
        }

    @property
    def stats(self) -> dict[str, int]:
        """Counters: events, late, alerts, suppressed, excepted, keys_*, pending_evicted."""
        self._stats["events"] = self._events
        return self._stats

    # -- input ----------------------------------------------------------------------------

    def process(self, enriched: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: PLR0912, PLR0915
        """Take one enriched event; return the alerts that became certain."""
        out: list[dict[str, Any]] = []
        event = enriched["event"]
        moment = event.get("ended_at") or event["started_at"]
        # event_time_us inlined for the usual aware datetime (the hot path).
        if type(moment) is datetime and moment.tzinfo is not None:
            ts = round(moment.timestamp() * 1_000_000)
        else:
            ts = event_time_us(event)
        self._events += 1
        if ts < self._watermark:
            self._stats["late"] += 1
            if self._drops is not None:
                self._drops.inc("detect", "late")
            return out
        if ts > self._max_ts:
            if (
                self._clock_us is not None
                and self._skew is not None
                and ts > self._clock_us + self._skew
            ):
                self._stats["future"] += 1
            else:
                self._max_ts = ts
        mark = self._max_ts - self.lateness
        queue = self._queue
        if ts <= mark and not queue and not self._heap:
            # In order and already below the watermark: no need to buffer.
            if self._timers and self._timers[0][0] < ts:
                self._fire_timers(ts, out)
            self._apply(enriched, ts, out)
            if mark > self._watermark:
                self._set_watermark(mark, out)
            return out
        # _push inlined: nearly every event takes this path when lateness is above zero.
        session = event["session_id"]
        # The arrival number breaks ties between identical entries (a re-delivered event),
        # which would otherwise make the heap compare the event dicts themselves.
        arrival = self._arrival
        self._arrival = arrival + 1
        entry = (ts, session, event["seq"], event["event_id"], arrival, enriched)
        heap = self._heap
        if not queue or entry > queue[-1]:
            queue.append(entry)  # in order: the common case, no heap operation
        else:
            heapq.heappush(heap, entry)
        self._buf_dirty.add(session)
        self._index = None
        if heap:
            self._release(mark, out)
            return out
        # _release inlined for in-order arrivals (no heap to merge).
        timers = self._timers
        if queue[0][0] <= mark:
            apply = self._apply
            dirty_from = self._dirty_from
            while queue and queue[0][0] <= mark:
                entry = queue.popleft()
                if entry[4] < dirty_from:  # else its push already marked the session
                    self._buf_dirty.add(entry[1])
                if timers and timers[0][0] < entry[0]:
                    self._fire_timers(entry[0], out)
                apply(entry[5], entry[0], out)
        if mark > self._watermark:
            # _set_watermark inlined.
            self._watermark = mark
            if timers and timers[0][0] < mark:
                self._fire_timers(mark, out)
            if mark >= self._next_sweep:
                self._sweep(mark)
                self._next_sweep = mark + self.sweep_us
        return out

    def process_many(self, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        process = self.process
        for event in events:
            found = process(event)
            if found:
                out.extend(found)
        return out

    def advance(self, now: datetime) -> list[dict[str, Any]]:
        """Move event time to ``now`` without an event (a heartbeat): absences may fire."""
        now_us = to_micros(now)
        self._clock_us = now_us if self._clock_us is None else max(self._clock_us, now_us)
        self._max_ts = max(self._max_ts, now_us)
        out: list[dict[str, Any]] = []
        self._release(self._max_ts - self.lateness, out)
        return out

    def flush(self) -> list[dict[str, Any]]:
        """End of input: apply every buffered event and close every open window."""
        out: list[dict[str, Any]] = []
        self._release(_INF - 1, out)
        return out

    @property
    def watermark(self) -> datetime | None:
        if self._watermark <= -_INF:
            return None
        return from_micros(min(self._watermark, _INF - 1))

    # -- ordering -------------------------------------------------------------------------
    # Buffered events wait in ``_queue`` while they arrive in order (appended, popped from
    # the left: no heap work) and in the ``_heap`` when they arrive out of order; release
    # merges the two. Which sessions have buffered events is worked out only when a
    # snapshot needs it (``_sessions_buffered``).

    def _push(self, enriched: dict[str, Any], ts: int) -> None:
        event = enriched["event"]
        session = event["session_id"]
        arrival = self._arrival
        self._arrival = arrival + 1
        entry = (ts, session, event["seq"], event["event_id"], arrival, enriched)
        if not self._queue or entry > self._queue[-1]:
            self._queue.append(entry)
        else:
            heapq.heappush(self._heap, entry)
        self._buf_dirty.add(session)
        # Only restore() pushes here: keep a built index valid (restoring many buffer keys
        # would otherwise rebuild it for each one).
        if self._index is not None:
            self._index.setdefault(session, []).append(entry)

    def _release(self, mark: int, out: list[dict[str, Any]]) -> None:
        queue = self._queue
        heap = self._heap
        timers = self._timers
        apply = self._apply
        dirty = self._buf_dirty
        dirty_from = self._dirty_from
        released = False
        while True:
            if heap:
                if queue and queue[0] < heap[0]:
                    if queue[0][0] > mark:
                        break
                    entry = queue.popleft()
                else:
                    if heap[0][0] > mark:
                        break
                    entry = heapq.heappop(heap)
            elif queue and queue[0][0] <= mark:
                entry = queue.popleft()
            else:
                break
            released = True
            if entry[4] < dirty_from:  # else its push already marked the session
                dirty.add(entry[1])
            if timers and timers[0][0] < entry[0]:
                self._fire_timers(entry[0], out)
            apply(entry[5], entry[0], out)
        if released:
            self._index = None
        if mark > self._watermark:
            self._set_watermark(mark, out)

    def _sessions_buffered(self) -> dict[str, list[_Buffered]]:
        """Buffered entries per session, in arrival order (built once per change)."""
        index = self._index
        if index is None:
            index = {}
            for entry in sorted((*self._queue, *self._heap), key=lambda e: e[4]):
                index.setdefault(entry[1], []).append(entry)
            self._index = index
        return index

    def _set_watermark(self, mark: int, out: list[dict[str, Any]]) -> None:
        if mark <= self._watermark:
            return
        self._watermark = mark
        self._fire_timers(mark, out)
        if mark >= self._next_sweep:
            self._sweep(mark)
            self._next_sweep = mark + self.sweep_us

    # -- matching -------------------------------------------------------------------------

    def _plan(self, disc: tuple[Any, ...]) -> Plan:
        plan = build_plan(self.matchers, disc)
        if len(self._plans) >= _PLAN_CACHE_LIMIT:
            self._plans.clear()
        self._plans[disc] = plan
        return plan

    def _apply(  # noqa: PLR0912 (the hot path: helpers inlined on purpose)
        self, enriched: dict[str, Any], ts: int, out: list[dict[str, Any]]
    ) -> None:
        event = enriched["event"]
        disc = discriminators(enriched)
        plan = self._plans.get(disc)
        if plan is None:
            plan = self._plan(disc)
        if not plan:
            return
        # fields.make_view inlined: item assignment on an empty View costs less than
        # copying a dict into it.
        view = View()
        view.enriched = enriched
        session = event["session_id"]
        view["event_id"] = event["event_id"]
        view["session_id"] = session
        view["ts"] = ts
        view["tool"] = disc[0]
        view["args_hash"] = event.get("arguments_sha256") or args_hash_of(event)
        view[SESSION_KEY_SLOT] = None if session is None else "session_id=" + session
        keys = self._keys
        sks: Any = _UNSET  # the session's state, looked up once for every rule that needs it
        for on_event, key_of, always, checks, need, slot, single, by_session in plan:
            if need is not None:
                # The event can only act on existing state: skip it (and its predicate)
                # when there is none, or when nothing waits in the slot it would advance.
                # (A rule earlier in this loop may create the session's state, but never
                # with another rule's entry in it: a stale None here skips the same way.)
                if by_session:
                    if sks is _UNSET:
                        sks = keys.get(view[SESSION_KEY_SLOT])
                    ks = sks
                else:
                    key = key_of(view)
                    ks = keys.get(key) if key is not None else None
                if ks is None:
                    continue
                rs = ks["r"].get(need)
                if rs is None:
                    continue
                if slot is not None:
                    subs = rs.get("s")
                    state = subs.get("") if subs else None
                    if state is None or state["p"][slot] is None:
                        continue
            if always is not None:
                on_event(self, view, always, out)
            elif single is not None:
                pred = checks[0][1]
                if pred is None or pred(view):
                    on_event(self, view, single, out)
            else:
                roles = [role for role, pred in checks if pred is None or pred(view)]
                if roles:
                    on_event(self, view, roles, out)

    # -- state used by matchers -----------------------------------------------------------

    def rule_state(
        self, key: str, matcher: Matcher, ts: int, *, create: bool = True
    ) -> dict[str, Any] | Any:
        """The matcher's state under ``key``, marked changed; None if absent and not ``create``."""
        ks = self._keys.get(key)
        if ks is None:
            if not create:
                return None
            if len(self._keys) >= self.max_keys:
                self._make_room()
            ks = {"r": {}, "exp": 0, "last": ts}
            self._keys[key] = ks
        states = ks["r"]
        rs: dict[str, Any] | None = states.get(matcher.id)
        if rs is None:
            if not create:
                return None
            rs = states[matcher.id] = {}
        expires = ts + matcher.ttl
        if expires > ks["exp"]:  # noqa: PLR1730 (a test is cheaper than max() on this path)
            ks["exp"] = expires
        ks["last"] = ts
        self._dirty.add(key)
        return rs

    def cap_dict(self, table: dict[str, Any]) -> None:
        """Keep an inner table within ``max_pending_per_key`` (oldest entries go first)."""
        while len(table) > self.max_pending_per_key:
            del table[next(iter(table))]
            self.stats["pending_evicted"] += 1

    def add_timer(self, deadline: int, key: str, index: int, sub: str, token: str) -> None:
        heapq.heappush(self._timers, (deadline, key, index, sub, token))

    def _fire_timers(self, before: int, out: list[dict[str, Any]]) -> None:
        timers = self._timers
        while timers and timers[0][0] < before:
            _deadline, key, index, sub, token = heapq.heappop(timers)
            ks = self._keys.get(key)
            if ks is None:
                continue
            matcher = self.matchers[index]
            rs = ks["r"].get(matcher.id)
            if rs is not None:
                matcher.on_timer(self, rs, sub, token, out)
                self._dirty.add(key)

    def alert(self, rule: Rule, part: list[Any], at: int) -> dict[str, Any]:
        """The Alert Avro dict of a complete match, detected at event time ``at``."""
        self._stats["alerts"] += 1
        return build_alert(rule, part, self._clock() if self._clock else from_micros(at))

    # -- bounding -------------------------------------------------------------------------

    def _sweep(self, mark: int) -> None:
        expired = [k for k, ks in self._keys.items() if ks["exp"] < mark]
        for key in expired:
            del self._keys[key]
            self._dirty.add(key)
        self.stats["keys_expired"] += len(expired)

    def _make_room(self) -> None:
        self._sweep(self._watermark)
        if len(self._keys) < self.max_keys:
            return
        # Evict the least recently touched sixteenth at once, so this runs rarely.
        count = max(1, self.max_keys // 16)
        oldest = sorted(self._keys, key=lambda k: self._keys[k]["last"])[:count]
        for key in oldest:
            del self._keys[key]
            self._dirty.add(key)
        self.stats["keys_evicted"] += len(oldest)

    # -- state for a changelog-backed table ----------------------------------------------

    def dirty_keys(self) -> set[str]:
        """Keys changed since the last call (then forgotten); snapshot each one."""
        keys, self._dirty = self._dirty, set()
        keys.update(BUFFER_PREFIX + s for s in self._buf_dirty)
        self._buf_dirty = set()
        self._dirty_from = self._arrival
        return keys

    def keys(self) -> list[str]:
        return [*self._keys, *(BUFFER_PREFIX + s for s in self._sessions_buffered())]

    def snapshot(self, key: str) -> dict[str, Any] | None:
        """The JSON-able state under ``key``, or None when there is none (delete it)."""
        raw = self.snapshot_json(key)
        loaded: dict[str, Any] | None = None if raw is None else orjson.loads(raw)
        return loaded

    def snapshot_json(self, key: str) -> bytes | None:
        """:meth:`snapshot` as JSON bytes (what a table stores), without the dict between:
        the live state is written out as it is."""
        if key.startswith(BUFFER_PREFIX):
            entries = self._sessions_buffered().get(key[len(BUFFER_PREFIX) :])
            if not entries:
                return None
            return orjson.dumps({"events": [enriched_to_json(e[5]) for e in entries]})
        ks = self._keys.get(key)
        return None if ks is None else orjson.dumps(ks)

    def restore(self, key: str, state: Mapping[str, Any] | None) -> None:
        """Put back what :meth:`snapshot` returned, e.g. from a table after a restart."""
        if key.startswith(BUFFER_PREFIX):
            session = key[len(BUFFER_PREFIX) :]
            index = self._sessions_buffered()
            if session in index:
                self._queue = deque(e for e in self._queue if e[1] != session)
                self._heap = [e for e in self._heap if e[1] != session]
                heapq.heapify(self._heap)
                del index[session]
            for raw in (state or {}).get("events", []):
                enriched = enriched_from_json(raw)
                self._push(enriched, event_time_us(enriched["event"]))
            return
        if state is None:
            self._keys.pop(key, None)
            return
        ks: dict[str, Any] = orjson.loads(orjson.dumps(state))
        self._keys[key] = ks
        # The key's last event was at or below the old watermark: never accept older ones.
        self._watermark = max(self._watermark, ks["last"])
        self._max_ts = max(self._max_ts, ks["last"])
        by_id = {m.id: m for m in self.matchers}
        for rule_id, rs in ks["r"].items():
            matcher = by_id.get(rule_id)
            if matcher is None:
                continue
            matcher.adopt(rs)
            for deadline, sub, token in matcher.timers(rs):
                self.add_timer(deadline, key, matcher.index, sub, token)

    def restore_all(self, items: Iterable[tuple[str, Mapping[str, Any] | None]]) -> None:
        for key, state in items:
            self.restore(key, state)

    @property
    def active_keys(self) -> int:
        return len(self._keys)

    def rule_ids(self) -> Sequence[str]:
        return [r.id for r in self.rules]
