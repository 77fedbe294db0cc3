"""Rule conditions: a small declarative language compiled once into Python closures.

A condition is a mapping. Each key is a field name (AND-ed together) or one of the
combinators ``all``, ``any``, ``not`` and ``macro``::

    {category: delete}                        # equality
    {category: [delete, exec]}                # in-list
    {labels: private_data}                    # list fields: contains
    {outcome: {in: [error, timeout]}, duration_us: {gt: 1000000}}
    {args.url: {regex: "^https?://"}, tool: {glob: "browser_*"}}
    {any: [{verdict: deny}, {outcome: denied}]}
    {not: {macro: trusted_tool}}

Operators: eq ne in not_in in_list not_in_list lt lte gt gte regex not_regex glob
exists contains not_contains contains_any startswith endswith. Nothing is evaluated as
Python: the rule only chooses among these operators and gives constant operands.
"""

from __future__ import annotations

import fnmatch
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tooltrail.errors import RuleError
from tooltrail.stream_processors.detection.fields import LIST_FIELDS, is_known_field
from tooltrail.stream_processors.yamlsrc import LocDict, LocList

Predicate = Callable[[Mapping[str, Any]], bool]
# Fields an index can dispatch on: every event has them eagerly.
DISCRIMINATORS = ("tool", "category", "outcome")
_SCALARS = (str, int, float, bool)
OPERATORS = frozenset(
    {
        "eq", "ne", "in", "not_in", "in_list", "not_in_list", "lt", "lte", "gt", "gte",
        "regex", "not_regex", "glob", "exists", "contains", "not_contains", "contains_any",
        "startswith", "endswith",
    }
)  # fmt: skip


@dataclass
class Scope:
    """What conditions can refer to: named lists and macros, and where errors point."""

    lists: dict[str, frozenset[Any]] = field(default_factory=dict)
    macros: dict[str, Any] = field(default_factory=dict)  # name -> raw condition node
    file: str | None = None
    _expanding: tuple[str, ...] = ()


@dataclass(frozen=True)
class Compiled:
    """A compiled condition, with the discriminator values it requires (for the index)."""

    predicate: Predicate
    requires: Mapping[str, frozenset[Any]]


def _err(reason: str, node: Any, scope: Scope, key: str | None = None) -> RuleError:
    line = None
    if isinstance(node, LocDict):
        line = node.line_of(key) if key is not None else node.line
    elif isinstance(node, LocList):
        line = node.line
    return RuleError(reason, file=scope.file, line=line)


def compile_condition(node: Any, scope: Scope) -> Compiled:
    """Compile one condition mapping, raising :class:`RuleError` on anything invalid."""
    if not isinstance(node, Mapping) or not node:
        raise _err("a condition must be a non-empty mapping", node, scope)
    parts: list[Compiled] = []
    for key, value in node.items():
        parts.append(_compile_key(key, value, node, scope))
    return _and(parts)


def _and(parts: list[Compiled]) -> Compiled:
    if len(parts) == 1:
        return parts[0]
    requires: dict[str, frozenset[Any]] = {}
    for part in parts:
        for fname, values in part.requires.items():
            requires[fname] = requires[fname] & values if fname in requires else values
    preds = tuple(p.predicate for p in parts)
    if len(preds) == 2:
        a, b = preds
        return Compiled(lambda v: a(v) and b(v), requires)
    return Compiled(lambda v: all(p(v) for p in preds), requires)


def _compile_key(key: str, value: Any, node: Any, scope: Scope) -> Compiled:
    if key == "all":
        items = _cond_list(value, node, scope, key)
        return _and([compile_condition(c, scope) for c in items])
    if key == "any":
        items = _cond_list(value, node, scope, key)
        compiled = [compile_condition(c, scope) for c in items]
        preds = tuple(c.predicate for c in compiled)
        return Compiled(lambda v: any(p(v) for p in preds), _union(compiled))
    if key == "not":
        inner = compile_condition(value, scope).predicate
        return Compiled(lambda v: not inner(v), {})
    if key == "macro":
        return _macro(value, node, scope)
    if not is_known_field(key):
        raise _err(f"unknown field {key!r}", node, scope, key)
    if isinstance(value, Mapping):
        if not value:
            raise _err(f"no operator given for field {key!r}", node, scope, key)
        return _and([_operator(key, op, arg, value, scope) for op, arg in value.items()])
    if isinstance(value, list):
        return _operator(key, "contains_any" if key in LIST_FIELDS else "in", value, node, scope)
    return _operator(key, "contains" if key in LIST_FIELDS else "eq", value, node, scope)


def _union(compiled: list[Compiled]) -> dict[str, frozenset[Any]]:
    """A disjunction requires a discriminator only when every branch constrains it."""
    if not compiled:
        return {}
    common = set(compiled[0].requires)
    for c in compiled[1:]:
        common &= set(c.requires)
    return {f: frozenset().union(*(c.requires[f] for c in compiled)) for f in common}


def _cond_list(value: Any, node: Any, scope: Scope, key: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise _err(f"'{key}' needs a non-empty list of conditions", node, scope, key)
    return value


def _macro(name: Any, node: Any, scope: Scope) -> Compiled:
    if not isinstance(name, str) or name not in scope.macros:
        raise _err(f"unknown macro {name!r}", node, scope, "macro")
    if name in scope._expanding:
        raise _err(f"macro {name!r} refers to itself", node, scope, "macro")
    inner = Scope(scope.lists, scope.macros, scope.file, (*scope._expanding, name))
    return compile_condition(scope.macros[name], inner)


def _scalar(arg: Any, fname: str, op: str, node: Any, scope: Scope) -> Any:
    if not isinstance(arg, _SCALARS) and arg is not None:
        raise _err(f"{fname} {op}: operand must be a scalar", node, scope, op)
    return arg


def _collection(arg: Any, fname: str, op: str, node: Any, scope: Scope) -> frozenset[Any]:
    if op in ("in_list", "not_in_list"):
        if not isinstance(arg, str) or arg not in scope.lists:
            raise _err(f"{fname} {op}: unknown list {arg!r}", node, scope, op)
        return scope.lists[arg]
    if not isinstance(arg, list) or not all(isinstance(a, _SCALARS) for a in arg):
        raise _err(f"{fname} {op}: operand must be a list of scalars", node, scope, op)
    return frozenset(arg)


def _operator(fname: str, op: str, arg: Any, node: Any, scope: Scope) -> Compiled:
    get = operator.itemgetter(fname)
    if op not in OPERATORS:
        raise _err(f"unknown operator {op!r} on {fname!r} (one of {sorted(OPERATORS)})", node, scope, op)
    if op == "eq":
        want = _scalar(arg, fname, op, node, scope)
        req = {fname: frozenset([want])} if fname in DISCRIMINATORS else {}
        return Compiled(lambda v: get(v) == want, req)
    if op == "ne":
        want = _scalar(arg, fname, op, node, scope)
        return Compiled(lambda v: get(v) != want, {})
    if op in ("in", "in_list"):
        values = _collection(arg, fname, op, node, scope)
        req = {fname: values} if fname in DISCRIMINATORS else {}
        return Compiled(lambda v: get(v) in values, req)
    if op in ("not_in", "not_in_list"):
        values = _collection(arg, fname, op, node, scope)
        return Compiled(lambda v: get(v) not in values, {})
    if op in ("lt", "lte", "gt", "gte"):
        if not isinstance(arg, int | float) or isinstance(arg, bool):
            raise _err(f"{fname} {op}: operand must be a number", node, scope, op)
        cmp = getattr(operator, op[:2] if op in ("lt", "gt") else op.replace("te", "e"))

        def compare(v: Mapping[str, Any]) -> bool:
            x = get(v)
            return isinstance(x, int | float) and not isinstance(x, bool) and cmp(x, arg)

        return Compiled(compare, {})
    if op in ("regex", "not_regex", "glob"):
        if not isinstance(arg, str):
            raise _err(f"{fname} {op}: operand must be a string", node, scope, op)
        try:
            rx = re.compile(fnmatch.translate(arg) if op == "glob" else arg)
        except re.error as exc:
            raise _err(f"{fname} {op}: invalid pattern {arg!r}: {exc}", node, scope, op) from exc
        search = rx.match if op == "glob" else rx.search
        if op == "not_regex":
            return Compiled(lambda v: not (isinstance(x := get(v), str) and search(x)), {})
        return Compiled(lambda v: isinstance(x := get(v), str) and search(x) is not None, {})
    if op == "exists":
        if not isinstance(arg, bool):
            raise _err(f"{fname} exists: operand must be true or false", node, scope, op)

        def exists(v: Mapping[str, Any]) -> bool:
            x = get(v)
            present = x is not None and x != [] and x != ""
            return present is arg

        return Compiled(exists, {})
    if op in ("contains", "not_contains"):
        want = _scalar(arg, fname, op, node, scope)

        def contains(v: Mapping[str, Any]) -> bool:
            x = get(v)
            if isinstance(x, list):
                return want in x
            return isinstance(x, str) and isinstance(want, str) and want in x

        if op == "not_contains":
            return Compiled(lambda v: not contains(v), {})
        return Compiled(contains, {})
    if op == "contains_any":
        values = _collection(arg, fname, op, node, scope)

        def contains_any(v: Mapping[str, Any]) -> bool:
            x = get(v)
            if isinstance(x, list):
                return any(i in values for i in x)
            return isinstance(x, str) and any(isinstance(w, str) and w in x for w in values)

        return Compiled(contains_any, {})
    # startswith / endswith
    if not isinstance(arg, str | list):
        raise _err(f"{fname} {op}: operand must be a string or a list of strings", node, scope, op)
    prefixes = tuple(arg) if isinstance(arg, list) else (arg,)
    method = str.startswith if op == "startswith" else str.endswith
    return Compiled(lambda v: isinstance(x := get(v), str) and method(x, prefixes), {})
