"""Per-tool capture policy, in the spirit of the Kubernetes audit policy levels.

* ``none``: the call is recorded (tool, outcome, timing) but nothing of its content;
* ``metadata``: adds keyed hashes of the raw arguments and result;
* ``request``: adds the redacted, size-capped arguments;
* ``request_response``: adds the redacted, size-capped result too.

``fail_closed`` tools are refused (``AuditRequiredError``) when their ``started`` event cannot
be made durable before they run. Tool names may be exact or shell patterns (``db.*``); the
first matching pattern in insertion order wins, exact names before patterns.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass

LEVELS = ("none", "metadata", "request", "request_response")


@dataclass(frozen=True, slots=True)
class ToolPolicy:
    """How much of one tool's calls is captured, and whether it may run unaudited."""

    level: str = "request"
    fail_closed: bool = False
    max_argument_bytes: int = 8192
    max_result_bytes: int = 8192

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"capture level {self.level!r} is not one of {LEVELS}")


class CapturePolicy:
    """The :class:`ToolPolicy` of each tool name (exact names, then patterns, then default)."""

    def __init__(
        self,
        *,
        default: ToolPolicy | None = None,
        tools: Mapping[str, ToolPolicy] | None = None,
    ) -> None:
        self.default = default if default is not None else ToolPolicy()
        tools = dict(tools or {})
        self._exact = {k: v for k, v in tools.items() if not any(c in k for c in "*?[")}
        self._patterns = [(k, v) for k, v in tools.items() if k not in self._exact]
        self._cache: dict[str, ToolPolicy] = {}

    def for_tool(self, name: str) -> ToolPolicy:
        hit = self._cache.get(name)
        if hit is not None:
            return hit
        found = self._exact.get(name)
        if found is None:
            found = next(
                (p for pat, p in self._patterns if fnmatch.fnmatchcase(name, pat)), self.default
            )
        if len(self._cache) < 10_000:
            self._cache[name] = found
        return found
