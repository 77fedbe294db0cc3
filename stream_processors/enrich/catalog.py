"""The tool catalog: which category and labels a tool has, by name, glob or regex.

A catalog is YAML (see ``catalog/default.yaml``)::

    internal_domains: [corp.example.com]
    tools:
      - match: read_file            # exact name, or a glob such as "web_*"
        category: read
        labels: [private_data]
      - regex: "^(delete|rm)_"       # a regular expression on the tool name
        server: "fs*"                # optional: only for this MCP server (glob)
        category: delete
        labels: [destructive]
    agents:                          # optional per-agent allow-lists (globs)
      billing-bot: {allowed_tools: [invoice_*, send_email]}

Entries are tried in file order after exact names; the first match wins. Lookups are cached.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tooltrail.errors import RuleError
from tooltrail.stream_processors.yamlsrc import LocDict, LocList, load_yaml, load_yaml_file

CATEGORIES: frozenset[str] = frozenset(
    {
        "read", "search", "write", "delete", "exec", "network", "payment", "auth",
        "credential", "permission", "config", "memory", "approval", "other",
    }
)  # fmt: skip
# Labels a catalog may assign; the enricher adds derived ones (see enricher.DERIVED_LABELS).
CATALOG_LABELS: frozenset[str] = frozenset(
    {
        "private_data", "sensitive", "untrusted_content", "external_comm", "destructive",
        "privileged", "audit_control", "agent_config", "secret_store", "tool_install",
    }
)  # fmt: skip
_CACHE_LIMIT = 65_536


@dataclass(frozen=True)
class CatalogEntry:
    """One catalog line: how a tool name (and optionally its MCP server) is recognised."""

    pattern: str
    category: str
    labels: tuple[str, ...]
    server: str | None = None
    regex: re.Pattern[str] | None = field(default=None, compare=False)

    def matches(self, name: str, server: str | None) -> bool:
        if self.server is not None and (
            server is None or not fnmatch.fnmatchcase(server, self.server)
        ):
            return False
        if self.regex is not None:
            return self.regex.search(name) is not None
        return fnmatch.fnmatchcase(name, self.pattern)


@dataclass
class Catalog:
    """Tool name -> (category, labels), internal domains and per-agent allow-lists."""

    entries: tuple[CatalogEntry, ...] = ()
    internal_domains: tuple[str, ...] = ()
    agent_allowlists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = "<catalog>"

    def __post_init__(self) -> None:
        self._exact: dict[str, CatalogEntry] = {}
        self._patterns: list[CatalogEntry] = []
        for entry in self.entries:
            is_exact = entry.regex is None and entry.server is None and not _is_glob(entry.pattern)
            if is_exact and entry.pattern not in self._exact:
                self._exact[entry.pattern] = entry
            elif not is_exact:
                self._patterns.append(entry)
        self._cache: dict[tuple[str, str | None], CatalogEntry | None] = {}

    def lookup(self, name: str, server: str | None = None) -> CatalogEntry | None:
        """The entry for a tool, or None for an unknown tool."""
        key = (name, server)
        try:
            return self._cache[key]
        except KeyError:
            pass
        found: CatalogEntry | None = None
        # Server-specific patterns come first so they can override a generic exact name.
        for entry in self._patterns:
            if entry.server is not None and entry.matches(name, server):
                found = entry
                break
        if found is None:
            found = self._exact.get(name)
        if found is None:
            for entry in self._patterns:
                if entry.server is None and entry.matches(name, server):
                    found = entry
                    break
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = found
        return found

    def allowed(self, agent_id: str, tool: str) -> bool | None:
        """Whether the agent's allow-list permits the tool; None when the agent has none."""
        patterns = self.agent_allowlists.get(agent_id)
        if patterns is None:
            return None
        return any(fnmatch.fnmatchcase(tool, p) for p in patterns)


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _fail(reason: str, node: LocDict | LocList | None, key: str | int | None = None) -> RuleError:
    line = None
    file = None
    if isinstance(node, LocDict):
        line = node.line_of(key) if isinstance(key, str) else node.line
        file = node.file
    elif isinstance(node, LocList):
        line = node.line_of(key) if isinstance(key, int) else node.line
    return RuleError(reason, file=file, line=line)


def _str_list(node: LocDict, key: str, *, where: str) -> tuple[str, ...]:
    value = node.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(f"{where}: {key} must be a list of strings", node, key)
    return tuple(value)


def _parse_entry(node: Any, parent: LocList, index: int, file: str) -> CatalogEntry:
    if not isinstance(node, LocDict):
        raise RuleError(
            "a catalog tool entry must be a mapping", file=file, line=parent.line_of(index)
        )
    allowed = {"match", "regex", "server", "category", "labels", "description"}
    for key in node:
        if key not in allowed:
            raise _fail(f"unknown catalog key {key!r} (allowed: {sorted(allowed)})", node, key)
    if ("match" in node) == ("regex" in node):
        raise _fail("a catalog entry needs exactly one of 'match' or 'regex'", node)
    category = node.get("category")
    if category not in CATEGORIES:
        raise _fail(
            f"unknown category {category!r} (one of {sorted(CATEGORIES)})", node, "category"
        )
    labels = _str_list(node, "labels", where="catalog entry")
    for label in labels:
        if label not in CATALOG_LABELS:
            raise _fail(
                f"unknown label {label!r} (one of {sorted(CATALOG_LABELS)})", node, "labels"
            )
    server = node.get("server")
    if server is not None and not isinstance(server, str):
        raise _fail("server must be a string (a glob)", node, "server")
    if "regex" in node:
        text = node["regex"]
        if not isinstance(text, str):
            raise _fail("regex must be a string", node, "regex")
        try:
            compiled = re.compile(text)
        except re.error as exc:
            raise _fail(f"invalid regex {text!r}: {exc}", node, "regex") from exc
        return CatalogEntry(f"re:{text}", str(category), labels, server, compiled)
    pattern = node["match"]
    if not isinstance(pattern, str) or not pattern:
        raise _fail("match must be a non-empty string", node, "match")
    return CatalogEntry(pattern, str(category), labels, server)


def parse_catalog(data: Any, *, source: str) -> Catalog:
    """Build a :class:`Catalog` from loaded YAML, raising :class:`RuleError` with file and line."""
    if not isinstance(data, LocDict):
        raise RuleError("a catalog must be a mapping with a 'tools' list", file=source, line=1)
    for key in data:
        if key not in {"version", "tools", "internal_domains", "agents", "description"}:
            raise _fail(f"unknown top-level catalog key {key!r}", data, key)
    tools = data.get("tools", [])
    if not isinstance(tools, LocList):
        raise _fail("'tools' must be a list", data, "tools")
    entries = tuple(_parse_entry(n, tools, i, source) for i, n in enumerate(tools))
    internal = tuple(
        d.lower().lstrip(".") for d in _str_list(data, "internal_domains", where="catalog")
    )
    agents: dict[str, tuple[str, ...]] = {}
    raw_agents = data.get("agents") or LocDict()
    if not isinstance(raw_agents, LocDict):
        raise _fail("'agents' must be a mapping of agent id to settings", data, "agents")
    for agent_id, settings in raw_agents.items():
        if not isinstance(settings, LocDict) or set(settings) - {"allowed_tools"}:
            raise _fail(
                "agent settings must be a mapping with 'allowed_tools'", raw_agents, agent_id
            )
        agents[agent_id] = _str_list(settings, "allowed_tools", where=f"agent {agent_id}")
    return Catalog(
        entries=entries, internal_domains=internal, agent_allowlists=agents, source=source
    )


def load_catalog(path: str | Path | None = None, *, text: str | None = None) -> Catalog:
    """Load a catalog from a file, from YAML text, or the default one when neither is given."""
    if text is not None:
        return parse_catalog(load_yaml(text, source="<text>"), source="<text>")
    if path is None:
        return default_catalog()
    return parse_catalog(load_yaml_file(path), source=str(path))


def default_catalog() -> Catalog:
    """The catalog shipped with tooltrail (``stream_processors/catalog/default.yaml``)."""
    resource = resources.files("tooltrail.stream_processors.catalog") / "default.yaml"
    text = resource.read_text(encoding="utf-8")
    source = "catalog/default.yaml"
    return parse_catalog(load_yaml(text, source=source), source=source)


def merge_catalogs(catalogs: Iterable[Catalog]) -> Catalog:
    """One catalog whose entries are tried in the given order (earlier catalogs win)."""
    cats = list(catalogs)
    agents: dict[str, tuple[str, ...]] = {}
    for cat in reversed(cats):
        agents.update(cat.agent_allowlists)
    return Catalog(
        entries=tuple(e for c in cats for e in c.entries),
        internal_domains=tuple(dict.fromkeys(d for c in cats for d in c.internal_domains)),
        agent_allowlists=agents,
        source="+".join(c.source for c in cats),
    )
