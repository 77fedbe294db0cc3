"""Plans: which rule checks an event can satisfy, decided once per discriminator combination.

Every rule condition is specialised on the event's discriminator values (tool, category,
outcome, labels ...): checks that become False drop out, checks that become True need no
evaluation, and only what is left is compiled into a residual predicate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tooltrail.stream_processors.detection.conditions import (
    DISCRIMINATORS,
    Predicate,
    specialise,
    to_predicate,
)
from tooltrail.stream_processors.detection.matchers import Matcher

# Per candidate rule: its bound ``on_event`` and ``key_of``, the roles always taken (when no
# check is left to evaluate) or None, the (role, residual predicate or None for "always")
# checks in order, and None or the rule id whose state must already exist under the key (the
# event can only advance or cancel a pending match, not start one), and None or the slot of
# that state's pending matches that must be filled (``Matcher.waiting_slot``); then the roles
# list of a single check (built once), and whether the state key is the session's.
Plan = list[
    tuple[
        Callable[..., None],
        Callable[[Any], str | None],
        list[int] | None,
        list[tuple[int, Predicate | None]],
        str | None,
        int | None,
        list[int] | None,
        bool,
    ]
]


def build_plan(matchers: Sequence[Matcher], disc: tuple[Any, ...]) -> Plan:
    """The plan for events whose discriminators are ``disc`` (order of ``DISCRIMINATORS``)."""
    known = dict(zip(DISCRIMINATORS, disc, strict=True))
    known["labels"] = list(known["labels"])
    plan: Plan = []
    for matcher in matchers:
        checks: list[tuple[int, Predicate | None]] = []
        residuals: dict[int, Predicate] = {}
        for role, node in matcher.checks:
            left = specialise(node, known)
            if left is False:
                continue
            if left is True:
                checks.append((role, None))
                continue
            # Repeated steps (runs) share a node: compile its residual once.
            pred = residuals.get(id(node))
            if pred is None:
                pred = residuals[id(node)] = to_predicate(left)
            checks.append((role, pred))
        if checks:
            always = [r for r, _ in checks] if all(p is None for _, p in checks) else None
            starts = any(matcher.starts(role) for role, _ in checks)
            need = None if starts else matcher.id
            slot = None if starts else matcher.waiting_slot([r for r, _ in checks])
            single = [checks[0][0]] if len(checks) == 1 else None
            by_session = matcher.rule.by[:1] == ("session_id",)
            on_event = matcher.handler([r for r, _ in checks])
            plan.append((on_event, matcher.key_of, always, checks, need, slot, single, by_session))
    return plan
