"""Per-rule state machines: single event, sequence, threshold and co-occurrence.

Each matcher keeps its state per key inside a plain JSON-able dict the engine hands it, so
the engine can snapshot and restore any key. Sequences follow Elastic EQL: one pending
partial match per step per key, the newest overwriting the older, ``within`` measured from
the first to the last event (inclusive), ``until`` expiring pending matches; absent steps
follow Flink CEP / Elasticsearch (a timer closes the window), not the eql Python engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tooltrail.stream_processors.detection.conditions import Node
from tooltrail.stream_processors.detection.model import Rule

if TYPE_CHECKING:
    from tooltrail.stream_processors.detection.engine import DetectionEngine

UNTIL = -1
_PRUNE_AT = 8  # inner tables above this size drop their expired entries first


def _prune_groups(groups: dict[str, Any], horizon: int, distinct: bool) -> None:
    """Drop threshold windows whose newest entry left the window (not an eviction)."""
    stale = []
    for name, win in groups.items():
        if not win:
            stale.append(name)
            continue
        newest = max(v[0] for v in win.values()) if distinct else win[-1][0]
        if newest < horizon:
            stale.append(name)
    for name in stale:
        del groups[name]


# A partial match: [first_ts, last_ts, event_ids, captures, identity, suppress_key].
Partial = list[Any]


def _key_fn(fields: tuple[str, ...]) -> Any:
    """A function view -> key string (None when a field is missing, as EQL joins require)."""
    if len(fields) == 1:
        (only,) = fields
        prefix = only + "="
        slot = "\x00key:" + only  # cached in the view: several rules share a key field

        def one(v: Any) -> str | None:
            key: str | None = v.get(slot)
            if key is None:
                x = v[only]
                if x is None:
                    return None
                key = v[slot] = prefix + str(x)
            return key

        return one

    def many(v: Mapping[str, Any]) -> str | None:
        parts = []
        for name in fields:
            x = v[name]
            if x is None:
                return None
            parts.append(f"{name}={x}")
        return "\x1f".join(parts)

    return many


def _group_fn(fields: tuple[str, ...]) -> Any:
    """A function view -> group string inside a rule's state (None when a field is missing)."""
    if len(fields) == 1:
        (only,) = fields

        def one(v: Mapping[str, Any]) -> str | None:
            x = v[only]
            return None if x is None else str(x)

        return one
    if len(fields) == 2:
        first, second = fields

        def two(v: Mapping[str, Any]) -> str | None:
            a = v[first]
            b = v[second]
            return None if a is None or b is None else f"{a}\x1f{b}"

        return two

    def many(v: Mapping[str, Any]) -> str | None:
        values = [v[name] for name in fields]
        return None if None in values else "\x1f".join(map(str, values))

    return many


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(i) for i in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Matcher:
    """Common parts: key, captures, exceptions, suppression and firing."""

    def __init__(self, rule: Rule, index: int) -> None:
        self.rule = rule
        self.index = index
        self.id = rule.id
        # State lives under the first ``by`` field (the partition key, usually session_id);
        # the other fields index groups inside it, so one session's state is one table entry.
        self.key_of = _key_fn(rule.by[:1])
        self.group_of = _group_fn(rule.by[1:]) if len(rule.by) > 1 else None
        self.sup_of = _key_fn(rule.suppress_by) if rule.suppress_by else None
        self.ttl = max(rule.within_us or 0, rule.suppress_us)
        self.stateful = self.ttl > 0
        # (role, condition) in the order roles must be applied to one event.
        self.checks: list[tuple[int, Node]] = []

    def captures_of(self, v: Mapping[str, Any], step: int | None) -> dict[str, str]:
        out: dict[str, str] = {}
        for cap in self.rule.captures:
            if cap.step is None or cap.step == step:
                value = v[cap.field]
                if value is not None:
                    out[cap.name] = _text(value)
        return out

    def excepted(self, v: Mapping[str, Any]) -> bool:
        return any(tuple(v[f] for f in e.fields) in e.rows for e in self.rule.exceptions)

    def ident(self, v: Mapping[str, Any]) -> list[Any]:
        return [v["tenant_id"], v["session_id"], v["agent_id"], v["principal"]]

    def group(self, v: Mapping[str, Any]) -> str | None:
        """The group inside the key (the ``by`` fields after the first); None: a field is null."""
        if self.group_of is None:
            return ""
        group: str | None = self.group_of(v)
        return group

    def sup_key(self, v: Mapping[str, Any], group: str) -> str:
        if self.sup_of is None:
            return group
        return group + "\x1e" + (self.sup_of(v) or "")

    def fire(
        self, engine: DetectionEngine, rs: dict[str, Any], part: Partial, at: int, out: list[Any]
    ) -> None:
        """Emit an alert for a complete match unless it is suppressed."""
        if self.rule.suppress_us:
            sup = rs.setdefault("sup", {})
            until = sup.get(part[5])
            if until is not None and at <= until:
                engine.stats["suppressed"] += 1
                return
            sup[part[5]] = part[1] + self.rule.suppress_us
            if len(sup) > _PRUNE_AT:
                for name in [k for k, t in sup.items() if t < at]:
                    del sup[name]
                engine.cap_dict(sup)
        out.append(engine.alert(self.rule, part, at))

    def starts(self, role: int) -> bool:
        """Whether an event in this role can create state (else it needs existing state)."""
        return True

    def on_event(
        self, engine: DetectionEngine, v: Mapping[str, Any], roles: list[int], out: list[Any]
    ) -> None:
        raise NotImplementedError

    def on_timer(
        self, engine: DetectionEngine, rs: dict[str, Any], sub: str, token: str, out: list[Any]
    ) -> None:
        """A deadline registered by this matcher passed (sequences with a trailing absence)."""

    def timers(self, rs: dict[str, Any]) -> list[tuple[int, str, str]]:
        """``(deadline, sub, token)`` of the timers a restored state needs."""
        return []


class EventMatcher(Matcher):
    """A single event matching ``where``."""

    def __init__(self, rule: Rule, index: int) -> None:
        super().__init__(rule, index)
        assert rule.where is not None
        self.checks.append((0, rule.where))

    def on_event(
        self, engine: DetectionEngine, v: Mapping[str, Any], roles: list[int], out: list[Any]
    ) -> None:
        if self.rule.exceptions and self.excepted(v):
            engine.stats["excepted"] += 1
            return
        ts = v["ts"]
        group = self.group(v)
        if group is None:
            return
        caps = self.captures_of(v, None)
        part = [ts, ts, [v["event_id"]], caps, self.ident(v), self.sup_key(v, group)]
        if not self.stateful:
            out.append(engine.alert(self.rule, part, ts))
            return
        key = self.key_of(v)
        if key is None:
            return
        self.fire(engine, engine.rule_state(key, self, ts), part, ts, out)


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
        # absent step index -> the pending slot it cancels (None: the leading guard).
        self.cancels: dict[int, int | None] = {}
        for i, s in enumerate(steps):
            if s.absent:
                before = [p for p in self.positive if p < i]
                self.cancels[i] = self.pos_of[before[-1]] if before else None
        self.step_by = [_key_fn(s.by) if s.by else None for s in steps]
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

    def _sub(self, engine: DetectionEngine, rs: dict[str, Any], sub: str) -> dict[str, Any]:
        subs: dict[str, Any] | None = rs.get("s")
        if subs is None:
            subs = rs["s"] = {}
        state = subs.get(sub)
        if state is None:
            state = {"p": [None] * self.k, "lead": None}
            if len(subs) >= _PRUNE_AT:
                self._prune(subs)
            subs[sub] = state
            engine.cap_dict(subs)
        return state

    def _prune(self, subs: dict[str, Any]) -> None:
        """Drop sub-keys with nothing pending (not an eviction: they hold no match)."""
        for name in [n for n, st in subs.items() if st["lead"] is None and not any(st["p"])]:
            del subs[name]

    def on_event(
        self, engine: DetectionEngine, v: Mapping[str, Any], roles: list[int], out: list[Any]
    ) -> None:
        key = self.key_of(v)
        if key is None:
            return
        ts = v["ts"]
        starts = not self.starters.isdisjoint(roles)
        rs = engine.rule_state(key, self, ts, create=starts)
        if rs is None:
            return
        group = self.group(v)
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
            state = self._sub(engine, rs, sub)
            subs = rs["s"]
            pos = self.pos_of[role]
            if pos and state["p"][pos - 1] is None:
                continue  # nothing waits for this step: the common case, kept cheap
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
                caps[cap.name] = _text(value)
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


class ThresholdMatcher(Matcher):
    """Count, distinct count or sum over a sliding window by key."""

    def __init__(self, rule: Rule, index: int) -> None:
        super().__init__(rule, index)
        assert rule.where is not None and rule.threshold is not None
        self.checks.append((0, rule.where))
        self.th = rule.threshold
        self.within = rule.within_us or 0
        self.needed = int(self.th.value) + (1 if self.th.strict else 0)

    def on_event(
        self, engine: DetectionEngine, v: Mapping[str, Any], roles: list[int], out: list[Any]
    ) -> None:
        key = self.key_of(v)
        group = self.group(v)
        if key is None or group is None:
            return
        ts = v["ts"]
        measure = self.th.measure
        value: Any = None
        if measure != "count":
            value = v[self.th.field or ""]
            if value is None:
                return
            if measure == "sum" and (not isinstance(value, int | float) or isinstance(value, bool)):
                return
        rs = engine.rule_state(key, self, ts)
        groups: dict[str, Any] | None = rs.get("g")
        if groups is None:
            groups = rs["g"] = {}
        horizon = ts - self.within
        win: Any = groups.get(group)
        if win is None:
            win = groups[group] = {} if measure == "distinct" else []
            if len(groups) > rs.get("pn", _PRUNE_AT):
                # Amortised: prune again only once the table has doubled since.
                _prune_groups(groups, horizon, measure == "distinct")
                engine.cap_dict(groups)
                rs["pn"] = max(_PRUNE_AT, 2 * len(groups))
        eid = v["event_id"]
        if measure == "count":
            items = self._count(win, ts, eid, horizon)
        elif measure == "distinct":
            items = self._distinct(win, ts, eid, horizon, _text(value))
        else:
            items = self._sum(engine, win, ts, eid, horizon=horizon, value=value)
        if items is None:
            return
        if self.rule.exceptions and self.excepted(v):
            engine.stats["excepted"] += 1
            return
        ids = [i[1] for i in items]
        caps = self.captures_of(v, None)
        caps["count"] = str(len(ids))
        part = [items[0][0], ts, ids, caps, self.ident(v), self.sup_key(v, group)]
        del groups[group]
        self.fire(engine, rs, part, ts, out)

    def _count(self, win: list[Any], ts: int, eid: str, horizon: int) -> list[Any] | None:
        """The last ``needed`` events are kept; reached when they all fit in the window."""
        win.append([ts, eid])
        if len(win) > self.needed:
            del win[0]
        if len(win) < self.needed or win[0][0] < horizon:
            return None
        return win

    def _distinct(
        self, win: dict[str, Any], ts: int, eid: str, horizon: int, text: str
    ) -> list[Any] | None:
        """The latest event per distinct value, oldest first, pruned to the window."""
        win.pop(text, None)
        win[text] = [ts, eid]
        while win:
            oldest = next(iter(win))
            if win[oldest][0] >= horizon:
                break
            del win[oldest]
        return sorted(win.values()) if len(win) >= self.needed else None

    def _sum(
        self,
        engine: DetectionEngine,
        win: list[Any],
        ts: int,
        eid: str,
        *,
        horizon: int,
        value: float,
    ) -> list[Any] | None:
        win.append([ts, eid, value])
        while win and win[0][0] < horizon:
            del win[0]
        if len(win) > engine.max_pending_per_key:
            del win[0]
            engine.stats["pending_evicted"] += 1
        return win if self.th.reached(sum(i[2] for i in win)) else None


class CooccurrenceMatcher(Matcher):
    """Every leg seen by key within the span, in any order (one event may fill several legs)."""

    def __init__(self, rule: Rule, index: int) -> None:
        super().__init__(rule, index)
        self.within = rule.within_us or 0
        self.n = len(rule.steps)
        for i, leg in enumerate(rule.steps):
            self.checks.append((i, leg.condition))

    def on_event(
        self, engine: DetectionEngine, v: Mapping[str, Any], roles: list[int], out: list[Any]
    ) -> None:
        key = self.key_of(v)
        group = self.group(v)
        if key is None or group is None:
            return
        ts = v["ts"]
        rs = engine.rule_state(key, self, ts)
        groups: dict[str, Any] | None = rs.get("g")
        if groups is None:
            groups = rs["g"] = {}
        legs = groups.get(group)
        if legs is None:
            legs = groups[group] = [None] * self.n
            if len(groups) > rs.get("pn", _PRUNE_AT):
                horizon = ts - self.within
                for name in [
                    g for g, ls in groups.items() if all(not x or x[0] < horizon for x in ls)
                ]:
                    if name != group:
                        del groups[name]
                engine.cap_dict(groups)
                rs["pn"] = max(_PRUNE_AT, 2 * len(groups))
        eid = v["event_id"]
        for role in roles:
            legs[role] = [ts, eid, self.captures_of(v, role)]
        horizon = ts - self.within
        for i, leg in enumerate(legs):
            if leg is None:
                return
            if leg[0] < horizon:
                legs[i] = None
                return
        if self.rule.exceptions and self.excepted(v):
            engine.stats["excepted"] += 1
            return
        ordered = sorted(legs, key=lambda leg: (leg[0], leg[1]))
        ids = list(dict.fromkeys(leg[1] for leg in ordered))
        caps: dict[str, str] = {}
        for leg in legs:
            caps.update(leg[2])
        del groups[group]
        part = [ordered[0][0], ts, ids, caps, self.ident(v), self.sup_key(v, group)]
        self.fire(engine, rs, part, ts, out)


MATCHERS: dict[str, type[Matcher]] = {
    "event": EventMatcher,
    "sequence": SequenceMatcher,
    "threshold": ThresholdMatcher,
    "cooccurrence": CooccurrenceMatcher,
}
