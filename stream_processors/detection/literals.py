"""Required-literal prefilters for rule regexes (the idea of RE2's and ripgrep's literal scan).

CPython's ``re`` has no literal prefilter: a case-insensitive alternation such as the
audit-tampering rule's costs ~5 us per call on a 40-character argument string, and the
default pack runs it on a third of all events. Most rule regexes name literals one of which
any match must contain; testing those with ``in`` (a fast substring search) first rules out
nearly every event at a tenth of the cost, and the regex runs only on the rest, so the
outcome is exactly the regex's.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

# The parser behind ``re.compile`` (``sre_parse`` before 3.11, which now warns on import).
_parser: Any = importlib.import_module("re._parser")
_C: Any = importlib.import_module("re._constants")

_MIN_LITERAL = 3  # shorter literals would let too much through to be worth the test
Search = Callable[[str], Any]


def _best(candidates: list[frozenset[str]]) -> frozenset[str] | None:
    """The most selective set: longest shortest literal, then fewest alternatives."""
    if not candidates:
        return None
    return max(candidates, key=lambda s: (min(map(len, s)), -len(s)))


def _required(items: Any, icase: bool) -> frozenset[str] | None:
    """Literals one of which every match of the parsed sequence ``items`` contains, or None.

    Only what is certain counts: a run of plain characters, a group or a repeat of at least
    one that has such literals itself, a branch whose every alternative has them. Anything
    unclear (local flags, lookarounds, back references) contributes nothing.
    """
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def close() -> None:
        if run:
            candidates.append(frozenset({"".join(run)}))
            run.clear()

    for op, arg in items:
        if op is _C.LITERAL:
            char = chr(arg)
            if icase and not char.isascii():
                return None  # Unicode case folding is not lower(): no prefilter at all
            run.append(char.lower() if icase else char)
            continue
        close()
        found: frozenset[str] | None = None
        if op is _C.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            if (add_flags | del_flags) & re.IGNORECASE:
                continue
            found = _required(sub, icase)
        elif op is _C.ATOMIC_GROUP:
            found = _required(arg, icase)
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
            low, _high, sub = arg
            if low >= 1:
                found = _required(sub, icase)
        elif op is _C.BRANCH:
            union: set[str] = set()
            for branch in arg[1]:
                each = _required(branch, icase)
                if each is None:
                    union.clear()
                    break
                union.update(each)
            found = frozenset(union) if union else None
        if found:
            candidates.append(found)
    close()
    return _best(candidates)


def required_literals(rx: re.Pattern[str]) -> tuple[tuple[str, ...], bool] | None:
    """``(literals, case_insensitive)``: every match of ``rx`` contains one of the literals
    (lower-cased when case-insensitive); None when no useful set is certain."""
    flags = rx.flags
    if flags & re.LOCALE:
        return None
    icase = bool(flags & re.IGNORECASE)
    try:
        parsed = _parser.parse(rx.pattern, flags)
    except Exception:  # an unknown parser shape: simply no prefilter
        return None
    found = _required(parsed.data, icase)
    if not found or min(map(len, found)) < _MIN_LITERAL:
        return None
    # Drop literals containing another one: the shorter already lets those texts through.
    kept = [s for s in found if not any(o != s and o in s for o in found)]
    return tuple(sorted(kept, key=lambda s: (len(s), s))), icase


def guarded(search: Search, rx: re.Pattern[str]) -> Search:
    """``search`` (``rx.search`` or ``rx.match``), skipped when no required literal occurs."""
    req = required_literals(rx)
    if req is None:
        return search
    literals, icase = req
    if icase:

        def guarded_icase(text: str) -> Any:
            # lower() equals the regex's case folding only on ASCII text: else ask the regex.
            if text.isascii():
                low = text.lower()
                for literal in literals:
                    if literal in low:
                        break
                else:
                    return None
            return search(text)

        return guarded_icase

    def guarded_exact(text: str) -> Any:
        for literal in literals:
            if literal in text:
                return search(text)
        return None

    return guarded_exact
