"""Window rules: count, distinct count or sum over a sliding window, and co-occurrence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tooltrail.stream_processors.detection.fields import SESSION_KEY_SLOT
from tooltrail.stream_processors.detection.matcher import (
    PRUNE_AT,
    Matcher,
    prune_groups,
    text_of,
)
from tooltrail.stream_processors.detection.model import Rule

if TYPE_CHECKING:
    from tooltrail.stream_processors.detection.engine import DetectionEngine


class ThresholdMatcher(Matcher):
    """Count, distinct count or sum over a sliding window by key."""

    def __init__(self, rule: Rule, index: int) -> None:
        super().__init__(rule, index)
        assert rule.where is not None and rule.threshold is not None
        self.checks.append((0, rule.where))
        self.th = rule.threshold
        self.within = rule.within_us or 0
        self.needed = int(self.th.value) + (1 if self.th.strict else 0)
        self.width = 2 * self.needed  # entries of a full count window (see _on_count)
        self.measure = self.th.measure
        self.pair = rule.by[1:] if len(rule.by) == 3 else None
        self.by_session = rule.by[:1] == ("session_id",)

    def on_event(
        self, engine: DetectionEngine, v: Mapping[str, Any], roles: list[int], out: list[Any]
    ) -> None:
        """One more event in its group's window: distinct count or sum (count: _on_count)."""
        if self.measure == "count":
            self._on_count(engine, v, roles, out)
            return
        key = self.key_of(v)
        group_of = self.group_of  # inlined self.group()
        group = "" if group_of is None else group_of(v)
        if key is None or group is None:
            return
        ts = v["ts"]
        measure = self.measure
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
        eid = v["event_id"]
        win: Any = groups.get(group)
        if win is None:
            win = groups[group] = {} if measure == "distinct" else []
            if len(groups) > rs.get("pn", PRUNE_AT):
                self._prune(engine, rs, groups, horizon, group)
        else:
            # Keep groups in order of their latest event, so pruning stops at the first live
            # one (and a cap evicts the least recently active group).
            del groups[group]
            groups[group] = win
        if measure == "distinct":
            items = self._distinct(win, ts, eid, horizon, text_of(value))
        else:
            items = self._sum(engine, win, ts, eid, horizon=horizon, value=value)
        if items is None:
            return
        self._reached(engine, v, rs=rs, groups=groups, group=group, items=items, out=out)

    def _reached(
        self,
        engine: DetectionEngine,
        v: Mapping[str, Any],
        *,
        rs: dict[str, Any],
        groups: dict[str, Any],
        group: str,
        items: list[Any],
        out: list[Any],
    ) -> None:
        """The threshold was reached by ``items`` (oldest first): fire and reset the group."""
        if self.rule.exceptions and self.excepted(v):
            engine.stats["excepted"] += 1
            return
        ts = v["ts"]
        ids = [i[1] for i in items]
        caps = self.captures_of(v, None)
        caps["count"] = str(len(ids))
        part = [items[0][0], ts, ids, caps, self.ident(v), self.sup_key(v, group)]
        del groups[group]
        self.fire(engine, rs, part, ts, out)

    def handler(self, roles: list[int]) -> Any:
        """:meth:`_on_count` for a count (most threshold rules), else :meth:`on_event`."""
        return self._on_count if self.measure == "count" else self.on_event

    def _on_count(
        self, engine: DetectionEngine, v: Mapping[str, Any], roles: list[int], out: list[Any]
    ) -> None:
        """on_event for ``count``: one more event in its group's window (the hot path).

        A count window is one flat tuple ``(ts, event_id, ts, event_id ...)``, oldest first
        (a list when restored from JSON): most groups (identical-call loops group by tool and
        arguments) only ever see one event, and one tuple is a single allocation, where a
        list of pairs is four; the collector also stops tracking it (see
        ``SequenceMatcher._open``).
        """
        key = v[SESSION_KEY_SLOT] if self.by_session else self.key_of(v)
        pair = self.pair
        if pair is not None:
            a = v[pair[0]]
            b = v[pair[1]]
            if a is None or b is None:
                return
            group = f"{a}\x1f{b}"  # group_fn's two(), inlined
        else:
            group_of = self.group_of
            group = "" if group_of is None else group_of(v)
            if group is None:
                return
        if key is None:
            return
        ts = v["ts"]
        rs = engine.rule_state(key, self, ts)
        groups: dict[str, Any] | None = rs.get("g")
        if groups is None:
            groups = rs["g"] = {}
        win: Any = groups.get(group)
        width = self.width
        if win is None:
            win = groups[group] = (ts, v["event_id"])
            if len(groups) > rs.get("pn", PRUNE_AT):
                self._prune(engine, rs, groups, ts - self.within, group)
            if width > 2:
                return
        else:
            # A new tuple (a restored window is a list): a group of several events is rare.
            win = (*win, ts, v["event_id"]) if len(win) < width else (*win[2:], ts, v["event_id"])
            del groups[group]  # latest activity last (see on_event)
            groups[group] = win
            if len(win) < width or win[0] < ts - self.within:
                return
        items = [win[i : i + 2] for i in range(0, len(win), 2)]
        self._reached(engine, v, rs=rs, groups=groups, group=group, items=items, out=out)

    def adopt(self, rs: dict[str, Any]) -> None:
        """Count windows restored from a snapshot of the older ``[[ts, id], ...]`` form."""
        if self.measure != "count":
            return
        groups = rs.get("g") or {}
        for name, win in groups.items():
            if win and type(win[0]) is list:
                groups[name] = [x for item in win for x in item]

    def _prune(
        self,
        engine: DetectionEngine,
        rs: dict[str, Any],
        groups: dict[str, Any],
        horizon: int,
        group: str,
    ) -> None:
        """Amortised: prune again only once the table has doubled since."""
        if self.measure == "count":
            # prune_groups for flat count windows (newest time second to last), inlined.
            stale = []
            for name, win in groups.items():
                if name == group or win[-2] >= horizon:
                    break
                stale.append(name)
            for name in stale:
                del groups[name]
        else:
            prune_groups(groups, horizon, self.measure == "distinct", group)
        engine.cap_dict(groups)
        rs["pn"] = max(PRUNE_AT, 2 * len(groups))

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

    def on_event(  # noqa: PLR0912 (the hot path: helpers inlined on purpose)
        self, engine: DetectionEngine, v: Mapping[str, Any], roles: list[int], out: list[Any]
    ) -> None:
        key = self.key_of(v)
        group_of = self.group_of  # inlined self.group()
        group = "" if group_of is None else group_of(v)
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
            if len(groups) > rs.get("pn", PRUNE_AT):
                horizon = ts - self.within
                for name in [
                    g for g, ls in groups.items() if all(not x or x[0] < horizon for x in ls)
                ]:
                    if name != group:
                        del groups[name]
                engine.cap_dict(groups)
                rs["pn"] = max(PRUNE_AT, 2 * len(groups))
        eid = v["event_id"]
        if self.rule.captures:
            for role in roles:
                legs[role] = (ts, eid, self.captures_of(v, role))
        else:
            for role in roles:
                legs[role] = (ts, eid, {})  # a tuple: see SequenceMatcher._open
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
