"""Detection rules: the parsed, validated form of the YAML rule language.

A rule file holds ``lists``, ``macros`` and ``rules``; lists and macros are shared by every
file of a rule set. See ``stream_processors/README.md`` for the language and
``rules/*.yaml`` for the default pack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tooltrail.stream_processors.detection.conditions import Node

KINDS = ("event", "sequence", "threshold", "cooccurrence")
SEVERITIES = ("info", "low", "medium", "high", "critical")
TEMPLATE_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TEMPLATE_PARTS: dict[str, list[str]] = {}  # message -> literal, field, literal, ... (per rule)


def render_template(message: str, values: dict[str, str]) -> str:
    """``message`` with each ``{field}`` replaced by its value ("" when absent).

    The message is split once (per distinct message, i.e. per rule): an alert then costs a
    join, not a regex substitution calling back per placeholder.
    """
    parts = _TEMPLATE_PARTS.get(message)
    if parts is None:
        parts = _TEMPLATE_PARTS[message] = TEMPLATE_FIELD.split(message)
    if len(parts) == 1:
        return message
    return "".join([values.get(p, "") if i % 2 else p for i, p in enumerate(parts)])


BUILTIN_PLACEHOLDERS = frozenset(
    {"rule_id", "rule_name", "session_id", "agent_id", "principal", "tenant_id", "count"}
)
MAX_RUNS = 100
MAX_COUNT = 1_000


@dataclass(frozen=True)
class Step:
    """One step of a sequence (``absent`` steps must not happen), or one co-occurrence leg."""

    name: str
    condition: Node
    absent: bool = False
    by: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Threshold:
    """``count`` (events), ``distinct`` (values of ``field``) or ``sum`` (of ``field``)."""

    measure: str
    value: float
    strict: bool  # gt rather than gte
    field: str | None = None

    def reached(self, amount: float) -> bool:
        return amount > self.value if self.strict else amount >= self.value


@dataclass(frozen=True)
class ExceptionList:
    """A Falco-style structured allow-list: matches when the fields equal one value row."""

    name: str
    fields: tuple[str, ...]
    rows: frozenset[tuple[Any, ...]]


@dataclass(frozen=True)
class Capture:
    """A value copied from a matched event into the alert (``step`` None: the last event)."""

    name: str
    field: str
    step: int | None = None


@dataclass
class Rule:
    """One compiled rule with its metadata and embedded test cases."""

    id: str
    name: str
    kind: str
    severity: str = "medium"
    risk_score: int = 0
    tags: tuple[str, ...] = ()
    description: str = ""
    version: int = 1
    enabled: bool = True
    by: tuple[str, ...] = ("session_id",)
    within_us: int | None = None
    where: Node | None = None
    steps: tuple[Step, ...] = ()  # sequence steps (runs expanded) or co-occurrence legs
    until: Node | None = None
    threshold: Threshold | None = None
    suppress_us: int = 0
    suppress_by: tuple[str, ...] = ()
    exceptions: tuple[ExceptionList, ...] = ()
    captures: tuple[Capture, ...] = ()
    message: str = ""
    tests: list[dict[str, Any]] = field(default_factory=list, repr=False)
    file: str | None = None
    line: int | None = None

    @property
    def positive_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if not s.absent)

    def render(self, values: dict[str, str]) -> str:
        """The alert message with ``{placeholders}`` filled (unknown ones were rejected at load)."""
        return render_template(self.message, values)
