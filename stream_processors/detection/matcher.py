"""What every rule's state machine shares, and the single-event rule.

The kinds: single event (here), sequence (``sequence.py``), threshold and co-occurrence
(``windows.py``). Each matcher keeps its state per key inside a plain JSON-able dict the
engine hands it, so the engine can snapshot and restore any key.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tooltrail.stream_processors.detection.conditions import Node
from tooltrail.stream_processors.detection.fields import KEY_SLOT, SESSION_KEY_SLOT
from tooltrail.stream_processors.detection.model import Rule

if TYPE_CHECKING:
    from tooltrail.stream_processors.detection.engine import DetectionEngine

UNTIL = -1
PRUNE_AT = 8  # inner tables above this size drop their expired entries first


def prune_groups(groups: dict[str, Any], horizon: int, distinct: bool, keep: str) -> None:
    """Drop distinct or sum windows whose newest entry left the window (not an eviction).

    Groups are kept in order of their latest event (an update moves its group to the end),
    so the stale ones are at the front. ``keep`` is the group being filled (the newest; it
    may still be empty when this runs).
    """
    stale = []
    for name, win in groups.items():
        if name == keep:
            break
        if win:
            newest = max(v[0] for v in win.values()) if distinct else win[-1][0]
            if newest >= horizon:
                break
        stale.append(name)
    for name in stale:
        del groups[name]


# A partial match: [first_ts, last_ts, event_ids, captures, identity, suppress_key].
Partial = list[Any]


def key_fn(fields: tuple[str, ...]) -> Any:
    """A function view -> key string (None when a field is missing, as EQL joins require)."""
    if len(fields) == 1:
        (only,) = fields
        if only == "session_id":
            # make_view fills this slot for every view: a C-level lookup, no Python call.
            return operator.itemgetter(SESSION_KEY_SLOT)
        prefix = only + "="
        slot = KEY_SLOT + only  # cached in the view: several rules share a key field

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


def group_fn(fields: tuple[str, ...]) -> Any:
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


def text_of(value: Any) -> str:
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
        self.key_of = key_fn(rule.by[:1])
        self.group_of = group_fn(rule.by[1:]) if len(rule.by) > 1 else None
        self.sup_of = key_fn(rule.suppress_by) if rule.suppress_by else None
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
                    out[cap.name] = text_of(value)
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
            if len(sup) > PRUNE_AT:
                for name in [k for k, t in sup.items() if t < at]:
                    del sup[name]
                engine.cap_dict(sup)
        out.append(engine.alert(self.rule, part, at))

    def starts(self, role: int) -> bool:
        """Whether an event in this role can create state (else it needs existing state)."""
        return True

    def handler(self, roles: list[int]) -> Any:
        """The on_event to call for events in ``roles`` (a kind may have faster special cases)."""
        return self.on_event

    def waiting_slot(self, roles: list[int]) -> int | None:
        """See :meth:`SequenceMatcher.waiting_slot`; other kinds have no such test."""
        return None

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

    def adopt(self, rs: dict[str, Any]) -> None:
        """Bring a restored state written by an older version to the current form."""


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
