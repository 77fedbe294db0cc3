"""Sequences: ordered steps by key within a span, with ``until``, ``runs`` and absent steps.

Elastic EQL semantics: one pending partial match per step per key, the newest overwriting
the older, ``within`` from the first to the last event (inclusive), ``until`` expiring pending
matches. Absent steps follow Flink CEP / Elasticsearch: a trailing one fires when a timer
closes the window, not on the next unrelated event as the eql Python engine does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tooltrail.stream_processors.detection.matcher import (
    PRUNE_AT,
    UNTIL,
    Matcher,
    Partial,
    key_fn,
    text_of,
)
from tooltrail.stream_processors.detection.model import Rule

if TYPE_CHECKING:
    from tooltrail.stream_processors.detection.engine import DetectionEngine


class SequenceMatcher(Matcher):
    """Ordered steps by key within a span, with ``until``, ``runs`` and absent steps."""

    def __init__(self, rule: Rule, index: int) -> None:
        super().__init__(rule, index)
        steps = rule.steps
        self.within = rule.within_us or 0
        self.positive = [i for i, s in enumerate(steps) if not s.absent]
        self.k = len(self.positive)
        self.pos_of = {i: n for n, i in enumerate(self.positive)}
        self.has_tail = steps[-1].absent
        self.has_lead = steps[0].absent
        # Whether a first-step event simply opens a partial match (see on_event).
        self.opens = self.k > 1 and not self.has_lead
        # absent step index -> the pending slot it cancels (None: the leading guard).
        self.cancels: dict[int, int | None] = {}
        for i, s in enumerate(steps):
            if s.absent:
                before = [p for p in self.positive if p < i]
                self.cancels[i] = self.pos_of[before[-1]] if before else None
        self.step_by = [key_fn(s.by) if s.by else None for s in steps]
        self.step_caps = {
            i: tuple(c for c in rule.captures if c.step in (i, None)) for i in range(len(steps))
        }
        # Roles that can create state; any other role only acts on state that exists.
        self.starters = frozenset(
            {self.positive[0], *(i for i, c in self.cancels.items() if c is None)}
        )
        if rule.until is not None:
            self.checks.append((UNTIL, rule.until))
        for i, s in enumerate(steps):
            if s.absent:
                self.checks.append((i, s.condition))
        # Positive steps last to first, so one event advances a partial match by one step.
        for i in reversed(self.positive):
            s = steps[i]
            self.checks.append((i, s.condition))

    def starts(self, role: int) -> bool:
        return role in self.starters

    def handler(self, roles: list[int]) -> Any:
        """:meth:`_open` when ``roles`` is only the first step of a simple sequence."""
        if (
            self.opens
            and len(roles) == 1
            and roles[0] == self.positive[0]
            and self.group_of is None
            and self.step_by[roles[0]] is None
        ):
            return self._open
        return self.on_event

    def _open(
        self, engine: DetectionEngine, v: Mapping[str, Any], roles: list[int], out: list[Any]
    ) -> None:
        """on_event for a first step that opens a partial match, without the general loop."""
        key = self.key_of(v)
        if key is None:
            return
        ts = v["ts"]
        state = self._sub(engine, engine.rule_state(key, self, ts), "")
        state["p"][0] = self._opening(v, roles[0], ts)

    def _opening(self, v: Mapping[str, Any], role: int, ts: int) -> tuple[Any, ...]:
        """A new partial match at the first step: its captures and the event.

        A tuple: never changed in place (advancing copies it), one allocation instead of
        a list's two, and the collector stops tracking it (it holds no containers that
        are tracked), so full collections do not walk every pending match.
        """
        caps = {}
        for cap in self.step_caps[role]:
            value = v[cap.field]
            if value is not None:
                caps[cap.name] = value if type(value) is str else text_of(value)
        return (ts, ts, (v["event_id"],), caps, None, "")

    def waiting_slot(self, roles: list[int]) -> int | None:
        """The pending slot (sub-key ``""``) an event in ``roles`` can only act on if filled.

        For a later step of a sequence without groups or per-step keys: the engine skips the
        event (and its predicate) while nothing waits there. None when there is no such test.
        """
        if len(roles) != 1 or self.group_of is not None:
            return None
        role = roles[0]
        if role == UNTIL or role in self.cancels or self.step_by[role] is not None:
            return None
        pos = self.pos_of[role]
        return pos - 1 if pos > 0 else None

    def _sub(self, engine: DetectionEngine, rs: dict[str, Any], sub: str) -> dict[str, Any]:
        subs: dict[str, Any] | None = rs.get("s")
        if subs is None:
            subs = rs["s"] = {}
        state = subs.get(sub)
        if state is None:
            state = {"p": [None] * self.k, "lead": None}
            if len(subs) >= PRUNE_AT:
                self._prune(subs)
            subs[sub] = state
            engine.cap_dict(subs)
        return state

    def _prune(self, subs: dict[str, Any]) -> None:
        """Drop sub-keys with nothing pending (not an eviction: they hold no match)."""
        for name in [n for n, st in subs.items() if st["lead"] is None and not any(st["p"])]:
            del subs[name]

    def on_event(  # noqa: PLR0912 (the hot path: helpers inlined on purpose)
        self, engine: DetectionEngine, v: Mapping[str, Any], roles: list[int], out: list[Any]
    ) -> None:
        key = self.key_of(v)
        if key is None:
            return
        ts = v["ts"]
        # without a starting role the event only advances or cancels: no state, nothing to do
        rs = engine.rule_state(key, self, ts, create=not self.starters.isdisjoint(roles))
        if rs is None:
            return
        group_of = self.group_of  # inlined self.group()
        group = "" if group_of is None else group_of(v)
        if group is None:
            return
        subs = rs.get("s")
        for role in roles:
            if role == UNTIL:
                # until expires the pending matches of this key and group (every step sub-key).
                if subs:
                    for sub_key, state in subs.items():
                        if not group or sub_key.split("\x1d", 1)[0] == group:
                            state["p"] = [None] * self.k
                continue
            by = self.step_by[role]
            sub = group
            if by is not None:
                step_sub = by(v)
                if step_sub is None:
                    continue
                sub = group + "\x1d" + step_sub
            if role in self.cancels:
                self._absent(engine, rs, sub, role, ts)
                subs = rs.get("s")
                continue
            # _sub inlined for an existing sub-key (the common case).
            state = subs.get(sub) if subs is not None else None
            if state is None:
                state = self._sub(engine, rs, sub)
                subs = rs["s"]
            pos = self.pos_of[role]
            if pos:
                if state["p"][pos - 1] is None:
                    continue  # nothing waits for this step: the common case, kept cheap
            elif self.opens:
                # The first step of a longer sequence without a leading absence: _advance
                # would only put a new partial match in the first slot.
                state["p"][0] = self._opening(v, role, ts)
                continue
            self._advance(engine, v, role, rs=rs, state=state, sub=sub, key=key, out=out)

    def _absent(
        self, engine: DetectionEngine, rs: dict[str, Any], sub: str, role: int, ts: int
    ) -> None:
        state = self._sub(engine, rs, sub)
        slot = self.cancels[role]
        if slot is None:
            state["lead"] = ts
            return
        part = state["p"][slot]
        if part is not None and ts >= part[1] and ts - part[0] <= self.within:
            state["p"][slot] = None

    def _advance(
        self,
        engine: DetectionEngine,
        v: Mapping[str, Any],
        role: int,
        *,
        rs: dict[str, Any],
        state: dict[str, Any],
        sub: str,
        key: str,
        out: list[Any],
    ) -> None:
        ts = v["ts"]
        pos = self.pos_of[role]
        pending = state["p"]
        caps = {}
        for cap in self.step_caps[role]:
            value = v[cap.field]
            if value is not None:
                # A string is its own text: skip the call (most captures are tool names).
                caps[cap.name] = value if type(value) is str else text_of(value)
        if pos == 0:
            lead = state["lead"]
            if self.has_lead and lead is not None and ts - lead <= self.within:
                return
            part: Partial = [ts, ts, [v["event_id"]], caps, None, ""]
        else:
            prev = pending[pos - 1]
            if prev is None:
                return
            pending[pos - 1] = None
            if ts - prev[0] > self.within or ts < prev[1]:
                return
            part = [prev[0], ts, [*prev[2], v["event_id"]], {**prev[3], **caps}, None, ""]
        if pos < self.k - 1:
            pending[pos] = part
            return
        # The last positive step: check exceptions on the completing event.
        if self.rule.exceptions and self.excepted(v):
            engine.stats["excepted"] += 1
            return
        part[4] = self.ident(v)
        part[5] = self.sup_key(v, sub)
        if self.has_tail:
            pending[pos] = part
            engine.add_timer(part[0] + self.within, key, self.index, sub, part[2][0])
            return
        self.fire(engine, rs, part, ts, out)

    def on_timer(
        self, engine: DetectionEngine, rs: dict[str, Any], sub: str, token: str, out: list[Any]
    ) -> None:
        state = (rs.get("s") or {}).get(sub)
        if state is None:
            return
        part = state["p"][self.k - 1]
        if part is None or part[2][0] != token:
            return  # cancelled by the absent event, or replaced by a newer partial match
        state["p"][self.k - 1] = None
        self.fire(engine, rs, part, part[0] + self.within, out)

    def timers(self, rs: dict[str, Any]) -> list[tuple[int, str, str]]:
        if not self.has_tail:
            return []
        found = []
        for sub, state in (rs.get("s") or {}).items():
            part = state["p"][self.k - 1]
            if part is not None:
                found.append((part[0] + self.within, sub, part[2][0]))
        return found
