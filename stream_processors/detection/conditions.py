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
from tooltrail.stream_processors.detection.literals import guarded
from tooltrail.stream_processors.yamlsrc import LocDict, LocList

Predicate = Callable[[Mapping[str, Any]], bool]
# Fields every view carries eagerly; the engine specialises conditions on their values.
DISCRIMINATORS = (
    "tool", "category", "outcome", "verdict", "stage", "kind", "labels",
    "destination_external", "first_seen_destination", "tool_server",
)  # fmt: skip
_SCALARS = (str, int, float, bool)
_EMPTY: tuple[Any, ...] = (None, [], "")  # what ``exists: false`` means
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


@dataclass(frozen=True, eq=False)
class Leaf:
    """One test of one field: ``test(value_of_field)``."""

    field: str
    op: str
    arg: Any
    test: Callable[[Any], bool]


@dataclass(frozen=True, eq=False)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class AnyOf:
    children: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Not:
    child: Node


Node = Leaf | All | AnyOf | Not


def specialise(node: Node, known: Mapping[str, Any]) -> Node | bool:  # noqa: PLR0911
    """Partially evaluate ``node`` given some field values: True, False, or what is left."""
    if isinstance(node, Leaf):
        if node.field in known:
            return bool(node.test(known[node.field]))
        return node
    if isinstance(node, Not):
        inner = specialise(node.child, known)
        return (not inner) if isinstance(inner, bool) else Not(inner)
    is_all = isinstance(node, All)
    rest: list[Node] = []
    for child in node.children:
        value = specialise(child, known)
        if isinstance(value, bool):
            if value is not is_all:  # False in an All, True in an AnyOf: decided
                return value
            continue
        rest.append(value)
    if not rest:
        return is_all
    if len(rest) == 1:
        return rest[0]
    return All(tuple(rest)) if is_all else AnyOf(tuple(rest))


def to_predicate(node: Node) -> Predicate:  # noqa: PLR0911 (one closure shape per node)
    """A closure evaluating ``node`` on a view."""
    if isinstance(node, Leaf):
        # Subscripting the view in the closure costs less than calling an itemgetter; the
        # common operators are inlined instead of calling the leaf's test.
        name = node.field
        test = node.test
        op = node.op
        if op == "eq":
            want = node.arg
            return lambda v: v[name] == want
        if op in ("in", "in_list"):
            values = node.arg
            return lambda v: v[name] in values
        if op == "exists":
            # Same as the test: (x is not None and x not in ([], "")) is arg.
            if node.arg is True:
                return lambda v: v[name] not in _EMPTY
            return lambda v: v[name] in _EMPTY
        return lambda v: test(v[name])
    if isinstance(node, Not):
        inner = to_predicate(node.child)
        return lambda v: not inner(v)
    preds = tuple(to_predicate(c) for c in node.children)
    if isinstance(node, All):
        if len(preds) == 2:
            a, b = preds
            return lambda v: a(v) and b(v)
        return lambda v: all(p(v) for p in preds)
    if len(preds) == 2:
        a, b = preds
        return lambda v: a(v) or b(v)
    return lambda v: any(p(v) for p in preds)


def _err(reason: str, node: Any, scope: Scope, key: str | None = None) -> RuleError:
    line = None
    if isinstance(node, LocDict):
        line = node.line_of(key) if key is not None else node.line
    elif isinstance(node, LocList):
        line = node.line
    return RuleError(reason, file=scope.file, line=line)


def compile_condition(node: Any, scope: Scope) -> Node:
    """Compile one condition mapping, raising :class:`RuleError` on anything invalid."""
    if not isinstance(node, Mapping) or not node:
        raise _err("a condition must be a non-empty mapping", node, scope)
    parts = [_compile_key(key, value, node, scope) for key, value in node.items()]
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _compile_key(key: str, value: Any, node: Any, scope: Scope) -> Node:  # noqa: PLR0911
    if key == "all":
        items = _cond_list(value, node, scope, key)
        return All(tuple(compile_condition(c, scope) for c in items))
    if key == "any":
        items = _cond_list(value, node, scope, key)
        return AnyOf(tuple(compile_condition(c, scope) for c in items))
    if key == "not":
        return Not(compile_condition(value, scope))
    if key == "macro":
        return _macro(value, node, scope)
    if not is_known_field(key):
        raise _err(f"unknown field {key!r}", node, scope, key)
    if isinstance(value, Mapping):
        if not value:
            raise _err(f"no operator given for field {key!r}", node, scope, key)
        ops = [_operator(key, op, arg, value, scope) for op, arg in value.items()]
        return ops[0] if len(ops) == 1 else All(tuple(ops))
    if isinstance(value, list):
        return _operator(key, "contains_any" if key in LIST_FIELDS else "in", value, node, scope)
    return _operator(key, "contains" if key in LIST_FIELDS else "eq", value, node, scope)


def _cond_list(value: Any, node: Any, scope: Scope, key: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise _err(f"'{key}' needs a non-empty list of conditions", node, scope, key)
    return value


def _macro(name: Any, node: Any, scope: Scope) -> Node:
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


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _operator(fname: str, op: str, arg: Any, node: Any, scope: Scope) -> Leaf:
    if op not in OPERATORS:
        raise _err(
            f"unknown operator {op!r} on {fname!r} (one of {sorted(OPERATORS)})", node, scope, op
        )
    test = _test(fname, op, arg, node, scope)
    if op in ("in", "in_list", "not_in", "not_in_list", "contains_any"):
        arg = _collection(arg, fname, op, node, scope)
    return Leaf(fname, op, arg, test)


# One branch per operator keeps the whole operator table readable in one place.
def _test(  # noqa: PLR0911, PLR0912
    fname: str, op: str, arg: Any, node: Any, scope: Scope
) -> Callable[[Any], bool]:
    """The test of one field value for one operator (operands validated here)."""
    if op == "eq":
        want = _scalar(arg, fname, op, node, scope)
        return lambda x: bool(x == want)
    if op == "ne":
        want = _scalar(arg, fname, op, node, scope)
        return lambda x: bool(x != want)
    if op in ("in", "in_list"):
        values = _collection(arg, fname, op, node, scope)
        return lambda x: x in values
    if op in ("not_in", "not_in_list"):
        values = _collection(arg, fname, op, node, scope)
        return lambda x: x not in values
    if op in ("lt", "lte", "gt", "gte"):
        if not _is_number(arg):
            raise _err(f"{fname} {op}: operand must be a number", node, scope, op)
        cmp = getattr(operator, op[:2] if op in ("lt", "gt") else op.replace("te", "e"))
        return lambda x: _is_number(x) and bool(cmp(x, arg))
    if op in ("regex", "not_regex", "glob"):
        if not isinstance(arg, str):
            raise _err(f"{fname} {op}: operand must be a string", node, scope, op)
        try:
            rx = re.compile(fnmatch.translate(arg) if op == "glob" else arg)
        except re.error as exc:
            raise _err(f"{fname} {op}: invalid pattern {arg!r}: {exc}", node, scope, op) from exc
        # A required-literal prefilter in front: same outcome, a fraction of the cost.
        search = guarded(rx.match if op == "glob" else rx.search, rx)
        if op == "not_regex":
            return lambda x: not (isinstance(x, str) and search(x) is not None)
        return lambda x: isinstance(x, str) and search(x) is not None
    if op == "exists":
        if not isinstance(arg, bool):
            raise _err(f"{fname} exists: operand must be true or false", node, scope, op)
        return lambda x: (x is not None and x not in ([], "")) is arg
    if op in ("contains", "not_contains"):
        want = _scalar(arg, fname, op, node, scope)

        def contains(x: Any) -> bool:
            if isinstance(x, list):
                return want in x
            return isinstance(x, str) and isinstance(want, str) and want in x

        if op == "not_contains":
            return lambda x: not contains(x)
        return contains
    if op == "contains_any":
        values = _collection(arg, fname, op, node, scope)

        def contains_any(x: Any) -> bool:
            if isinstance(x, list):
                return any(i in values for i in x)
            return isinstance(x, str) and any(isinstance(w, str) and w in x for w in values)

        return contains_any
    # startswith / endswith
    if not isinstance(arg, str | list) or (
        isinstance(arg, list) and not all(isinstance(a, str) for a in arg)
    ):
        raise _err(f"{fname} {op}: operand must be a string or a list of strings", node, scope, op)
    prefixes = tuple(arg) if isinstance(arg, list) else (arg,)
    if op == "startswith":
        return lambda x: isinstance(x, str) and x.startswith(prefixes)
    return lambda x: isinstance(x, str) and x.endswith(prefixes)
