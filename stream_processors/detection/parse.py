"""Parsing rule files into :class:`Rule` objects, with file and line in every error."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from tooltrail.errors import RuleError
from tooltrail.stream_processors.detection.conditions import Scope, compile_condition
from tooltrail.stream_processors.detection.fields import is_known_field
from tooltrail.stream_processors.detection.model import (
    BUILTIN_PLACEHOLDERS,
    KINDS,
    MAX_COUNT,
    MAX_RUNS,
    SEVERITIES,
    TEMPLATE_FIELD,
    Capture,
    ExceptionList,
    Rule,
    Step,
    Threshold,
)
from tooltrail.stream_processors.timeutil import parse_duration
from tooltrail.stream_processors.yamlsrc import LocDict, LocList

_RULE_KEYS = frozenset(
    {
        "id", "name", "kind", "severity", "risk_score", "tags", "description", "version",
        "enabled", "by", "within", "where", "steps", "until", "legs", "count", "distinct",
        "sum", "suppress", "exceptions", "captures", "message", "tests", "references",
    }
)  # fmt: skip
_STEP_KEYS = frozenset({"name", "where", "absent", "runs", "by"})
_FILE_KEYS = frozenset({"lists", "macros", "rules", "description"})


class _Ctx:
    """Where we are: the file, for errors."""

    def __init__(self, file: str | None) -> None:
        self.file = file

    def err(self, reason: str, node: Any = None, key: str | int | None = None) -> RuleError:
        line = None
        if isinstance(node, LocDict):
            line = node.line_of(key) if isinstance(key, str) else node.line
        elif isinstance(node, LocList):
            line = node.line_of(key) if isinstance(key, int) else node.line
        return RuleError(reason, file=self.file, line=line)


def collect_shared(docs: Iterable[tuple[str, Any]]) -> Scope:  # noqa: PLR0912
    """Gather the ``lists`` and ``macros`` of every file (names are global to a rule set)."""
    scope = Scope()
    for file, doc in docs:
        ctx = _Ctx(file)
        if not isinstance(doc, LocDict):
            raise ctx.err(
                "a rule file must be a mapping with 'rules' (and optional lists, macros)", doc
            )
        for key in doc:
            if key not in _FILE_KEYS:
                raise ctx.err(
                    f"unknown top-level key {key!r} (allowed: {sorted(_FILE_KEYS)})", doc, key
                )
        lists = doc.get("lists") or {}
        if not isinstance(lists, dict):
            raise ctx.err("'lists' must map names to lists of values", doc, "lists")
        for name, items in lists.items():
            if name in scope.lists:
                raise ctx.err(f"list {name!r} is defined twice", lists, name)
            if not isinstance(items, list) or not all(
                isinstance(i, str | int | float) for i in items
            ):
                raise ctx.err(f"list {name!r} must be a list of scalars", lists, name)
            scope.lists[name] = frozenset(items)
        macros = doc.get("macros") or {}
        if not isinstance(macros, dict):
            raise ctx.err("'macros' must map names to conditions", doc, "macros")
        for name, cond in macros.items():
            if name in scope.macros:
                raise ctx.err(f"macro {name!r} is defined twice", macros, name)
            scope.macros[name] = cond
    # Compile every macro once so a broken macro is reported at its own line.
    for file, doc in docs:
        for name, cond in (doc.get("macros") or {}).items():
            compile_condition(cond, Scope(scope.lists, scope.macros, file, (name,)))
    return scope


def parse_rules(file: str, doc: LocDict, shared: Scope) -> list[Rule]:
    """The rules of one loaded file."""
    ctx = _Ctx(file)
    raw = doc.get("rules")
    if raw is None and ("lists" in doc or "macros" in doc):
        return []  # a file of shared lists and macros only
    if not isinstance(raw, LocList) or not raw:
        raise ctx.err("'rules' must be a non-empty list", doc, "rules")
    scope = Scope(shared.lists, shared.macros, file)
    return [_parse_rule(node, raw, i, ctx, scope) for i, node in enumerate(raw)]


def _get_str(
    node: LocDict, key: str, ctx: _Ctx, *, required: bool = False, default: str = ""
) -> str:
    value = node.get(key)
    if value is None:
        if required:
            raise ctx.err(f"missing required key {key!r}", node)
        return default
    if not isinstance(value, str) or not value.strip():
        raise ctx.err(f"{key!r} must be a non-empty string", node, key)
    return value


def _fields(node: LocDict, key: str, ctx: _Ctx, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    value = node.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(f, str) for f in value):
        raise ctx.err(f"{key!r} must be a field name or a list of field names", node, key)
    for name in value:
        if not is_known_field(name):
            raise ctx.err(f"unknown field {name!r} in {key!r}", node, key)
    return tuple(value)


def _duration(node: LocDict, key: str, ctx: _Ctx, value: Any) -> int:
    try:
        micros = parse_duration(value)
    except ValueError as exc:
        raise ctx.err(f"{key}: {exc}", node, key) from exc
    if micros <= 0:
        raise ctx.err(f"{key} must be positive", node, key)
    return micros


# Validation of one rule, key by key, in the order a reader meets them in the file.
def _parse_rule(  # noqa: PLR0912, PLR0915
    node: Any, parent: LocList, index: int, ctx: _Ctx, scope: Scope
) -> Rule:
    if not isinstance(node, LocDict):
        raise ctx.err("each rule must be a mapping", parent, index)
    for key in node:
        if key not in _RULE_KEYS:
            raise ctx.err(f"unknown rule key {key!r} (allowed: {sorted(_RULE_KEYS)})", node, key)
    rule_id = _get_str(node, "id", ctx, required=True)
    kind = node.get("kind")
    if kind not in KINDS:
        raise ctx.err(
            f"rule {rule_id}: kind must be one of {list(KINDS)}, got {kind!r}", node, "kind"
        )
    severity = node.get("severity", "medium")
    if severity not in SEVERITIES:
        raise ctx.err(
            f"rule {rule_id}: severity must be one of {list(SEVERITIES)}", node, "severity"
        )
    risk = node.get("risk_score", 0)
    if not isinstance(risk, int) or isinstance(risk, bool) or not 0 <= risk <= 100:
        raise ctx.err(f"rule {rule_id}: risk_score must be an integer 0..100", node, "risk_score")
    tags = node.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ctx.err(f"rule {rule_id}: tags must be a list of strings", node, "tags")
    enabled = node.get("enabled", True)
    version = node.get("version", 1)
    if not isinstance(enabled, bool) or not isinstance(version, int):
        raise ctx.err(f"rule {rule_id}: enabled must be a boolean and version an integer", node)
    rule = Rule(
        id=rule_id,
        name=_get_str(node, "name", ctx, required=True),
        kind=kind,
        severity=severity,
        risk_score=risk,
        tags=tuple(tags),
        description=_get_str(node, "description", ctx),
        version=version,
        enabled=enabled,
        by=_fields(node, "by", ctx, ("session_id",)),
        file=ctx.file,
        line=node.line,
    )
    if "within" in node:
        rule.within_us = _duration(node, "within", ctx, node["within"])
    elif kind != "event":
        # A stateful rule without a bound would grow without limit (EQL leans on a heap breaker).
        raise ctx.err(f"rule {rule_id}: a {kind} rule needs 'within'", node)
    allowed_for_kind = {
        "event": {"where"},
        "sequence": {"steps", "until"},
        "threshold": {"where", "count", "distinct", "sum"},
        "cooccurrence": {"legs"},
    }[kind]
    for key in ("where", "steps", "until", "legs", "count", "distinct", "sum"):
        if key in node and key not in allowed_for_kind:
            raise ctx.err(f"rule {rule_id}: '{key}' does not apply to a {kind} rule", node, key)
    if kind in ("event", "threshold"):
        if "where" not in node:
            raise ctx.err(f"rule {rule_id}: a {kind} rule needs 'where'", node)
        rule.where = compile_condition(node["where"], scope)
    if kind == "sequence":
        rule.steps = _parse_steps(node, "steps", rule, ctx, scope)
        if "until" in node:
            rule.until = compile_condition(node["until"], scope)
    if kind == "cooccurrence":
        rule.steps = _parse_steps(node, "legs", rule, ctx, scope)
    if kind == "threshold":
        rule.threshold = _parse_threshold(node, rule, ctx)
    _parse_suppress(node, rule, ctx)
    rule.exceptions = _parse_exceptions(node, rule, ctx)
    rule.captures = _parse_captures(node, rule, ctx)
    rule.message = _get_str(node, "message", ctx, default=f"{rule.name} matched")
    for placeholder in TEMPLATE_FIELD.findall(rule.message):
        if placeholder not in BUILTIN_PLACEHOLDERS and placeholder not in {
            c.name for c in rule.captures
        }:
            raise ctx.err(
                f"rule {rule_id}: message uses unknown placeholder {{{placeholder}}}",
                node,
                "message",
            )
    tests = node.get("tests", [])
    if not isinstance(tests, list):
        raise ctx.err(f"rule {rule_id}: tests must be a list", node, "tests")
    rule.tests = tests
    return rule


def _parse_steps(  # noqa: PLR0912 (each check names its own error)
    node: LocDict, key: str, rule: Rule, ctx: _Ctx, scope: Scope
) -> tuple[Step, ...]:
    raw = node.get(key)
    if not isinstance(raw, LocList) or not raw:
        raise ctx.err(f"rule {rule.id}: '{key}' must be a non-empty list", node, key)
    steps: list[Step] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, LocDict):
            raise ctx.err(f"rule {rule.id}: each of '{key}' must be a mapping", raw, i)
        for k in item:
            if k not in _STEP_KEYS or (key == "legs" and k in ("absent", "runs", "by")):
                raise ctx.err(f"rule {rule.id}: unknown key {k!r} in {key}", item, k)
        name = _get_str(item, "name", ctx, default=f"step{i + 1}")
        if name in names:
            raise ctx.err(f"rule {rule.id}: duplicate step name {name!r}", item, "name")
        names.add(name)
        if "where" not in item:
            raise ctx.err(f"rule {rule.id}: step {name!r} needs 'where'", item)
        condition = compile_condition(item["where"], scope)
        absent = item.get("absent", False)
        runs = item.get("runs", 1)
        if not isinstance(absent, bool):
            raise ctx.err(f"rule {rule.id}: absent must be true or false", item, "absent")
        if not isinstance(runs, int) or isinstance(runs, bool) or not 1 <= runs <= MAX_RUNS:
            raise ctx.err(f"rule {rule.id}: runs must be an integer 1..{MAX_RUNS}", item, "runs")
        if absent and runs != 1:
            raise ctx.err(f"rule {rule.id}: an absent step cannot have runs", item, "runs")
        by = _fields(item, "by", ctx)
        step = Step(name, condition, absent, by, item.line)
        steps.extend([step] * runs)
    if key == "steps":
        positives = [s for s in steps if not s.absent]
        if not positives:
            raise ctx.err(
                f"rule {rule.id}: a sequence needs at least one step that is not absent", node, key
            )
        if len(steps) < 2:
            raise ctx.err(f"rule {rule.id}: a sequence needs at least two steps", node, key)
        widths = {len(s.by) for s in steps}
        if len(widths) > 1:
            raise ctx.err(
                f"rule {rule.id}: every step needs the same number of 'by' fields", node, key
            )
        for a, b in itertools.pairwise(steps):
            if a.absent and b.absent:
                raise ctx.err(
                    f"rule {rule.id}: two absent steps in a row; merge them with 'any'", node, key
                )
    elif len(steps) < 2:
        raise ctx.err(f"rule {rule.id}: a co-occurrence needs at least two legs", node, key)
    return tuple(steps)


def _parse_threshold(node: LocDict, rule: Rule, ctx: _Ctx) -> Threshold:
    given = [k for k in ("count", "distinct", "sum") if k in node]
    if len(given) != 1:
        raise ctx.err(
            f"rule {rule.id}: a threshold rule needs exactly one of count, distinct, sum", node
        )
    measure = given[0]
    spec = node[measure]
    if isinstance(spec, int) and not isinstance(spec, bool) and measure == "count":
        spec = LocDict(gte=spec)
    if not isinstance(spec, dict):
        raise ctx.err(f"rule {rule.id}: {measure} must be a mapping", node, measure)
    for k in spec:
        if k not in ("gte", "gt", "field"):
            raise ctx.err(
                f"rule {rule.id}: unknown key {k!r} in {measure} (gte, gt, field)", node, measure
            )
    ops = [k for k in ("gte", "gt") if k in spec]
    if len(ops) != 1:
        raise ctx.err(f"rule {rule.id}: {measure} needs exactly one of gte or gt", node, measure)
    value = spec[ops[0]]
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ctx.err(
            f"rule {rule.id}: {measure} {ops[0]} must be a positive number", node, measure
        )
    fname = spec.get("field")
    if measure == "count":
        if fname is not None:
            raise ctx.err(f"rule {rule.id}: count takes no field", node, measure)
        needed = int(value) + 1 if ops[0] == "gt" else int(value)
        if needed != value + (1 if ops[0] == "gt" else 0) or needed > MAX_COUNT:
            raise ctx.err(
                f"rule {rule.id}: count must be a whole number up to {MAX_COUNT}", node, measure
            )
    elif not isinstance(fname, str) or not is_known_field(fname):
        raise ctx.err(f"rule {rule.id}: {measure} needs a known 'field'", node, measure)
    if measure == "distinct" and value > MAX_COUNT:
        raise ctx.err(f"rule {rule.id}: distinct must be at most {MAX_COUNT}", node, measure)
    return Threshold(measure, float(value), ops[0] == "gt", fname)


def _parse_suppress(node: LocDict, rule: Rule, ctx: _Ctx) -> None:
    spec = node.get("suppress")
    if spec is None:
        return
    if isinstance(spec, str | int):
        rule.suppress_us = _duration(node, "suppress", ctx, spec)
        return
    if not isinstance(spec, LocDict) or "for" not in spec or set(spec) - {"for", "by"}:
        raise ctx.err(
            f"rule {rule.id}: suppress must be a duration or {{for: 10m, by: [...]}}",
            node,
            "suppress",
        )
    rule.suppress_us = _duration(spec, "for", ctx, spec["for"])
    rule.suppress_by = _fields(spec, "by", ctx)


def _parse_exceptions(node: LocDict, rule: Rule, ctx: _Ctx) -> tuple[ExceptionList, ...]:
    raw = node.get("exceptions", [])
    if not isinstance(raw, list):
        raise ctx.err(f"rule {rule.id}: exceptions must be a list", node, "exceptions")
    out: list[ExceptionList] = []
    for item in raw:
        if not isinstance(item, LocDict) or set(item) - {"name", "fields", "values"}:
            raise ctx.err(
                f"rule {rule.id}: an exception is {{name, fields, values}}", node, "exceptions"
            )
        fields = _fields(item, "fields", ctx)
        if not fields:
            raise ctx.err(f"rule {rule.id}: an exception needs fields", item)
        values = item.get("values")
        if not isinstance(values, list) or not values:
            raise ctx.err(
                f"rule {rule.id}: exception values must be a list of rows", item, "values"
            )
        rows = []
        for row in values:
            row_list = row if isinstance(row, list) else [row]
            if len(row_list) != len(fields):
                raise ctx.err(
                    f"rule {rule.id}: each exception row needs {len(fields)} values", item, "values"
                )
            rows.append(tuple(row_list))
        out.append(
            ExceptionList(_get_str(item, "name", ctx, default="exception"), fields, frozenset(rows))
        )
    return tuple(out)


def _parse_captures(node: LocDict, rule: Rule, ctx: _Ctx) -> tuple[Capture, ...]:
    raw = node.get("captures", {})
    if not isinstance(raw, dict):
        raise ctx.err(f"rule {rule.id}: captures must map names to fields", node, "captures")
    step_index = {s.name: i for i, s in enumerate(rule.steps)}
    out: list[Capture] = []
    for name, ref in raw.items():
        if not isinstance(ref, str):
            raise ctx.err(f"rule {rule.id}: capture {name!r} must name a field", raw, name)
        step: int | None = None
        fname = ref
        head, _, rest = ref.partition(".")
        if rest and head in step_index:
            step, fname = step_index[head], rest
            if rule.steps[step].absent:
                raise ctx.err(
                    f"rule {rule.id}: cannot capture from absent step {head!r}", raw, name
                )
        if not is_known_field(fname):
            raise ctx.err(f"rule {rule.id}: capture {name!r}: unknown field {fname!r}", raw, name)
        out.append(Capture(name, fname, step))
    return tuple(out)
