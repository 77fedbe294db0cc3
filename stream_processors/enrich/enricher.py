"""The pure enrich stage: ToolCallEvent dict in, EnrichedToolCallEvent dict out.

It derives, once per event, what rules would otherwise recompute: the tool's category and
labels from the catalog, the destination domain and whether it is external, whether the
agent contacts that destination for the first time, secrets left in the arguments, tools
outside an agent's allow-list, and value provenance (a value in this call's arguments that
first appeared in the result of a tool returning untrusted content).

State is per session (provenance) and per agent (destinations seen), bounded, plain
JSON-able dicts, and exposed per key through :meth:`Enricher.snapshot` /
:meth:`Enricher.restore` so a Faust table can hold it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from tooltrail.stream_processors.enrich.catalog import Catalog
from tooltrail.stream_processors.enrich.extract import (
    destination_of,
    has_secret,
    is_external,
    parse_json,
    values_in,
)

SESSION_PREFIX = "session:"
AGENT_PREFIX = "agent:"
# Labels the enricher derives itself, beyond the catalog's.
DERIVED_LABELS = frozenset({"secret_in_arguments", "outside_allowlist", "untrusted_value"})
_UNTRUSTED = "untrusted_content"
_EXTERNAL_CACHE = 4096  # destinations whose internal/external verdict is remembered


class Enricher:
    """Turns ToolCallEvent Avro dicts into EnrichedToolCallEvent Avro dicts.

    Args:
        catalog: the tool catalog.
        internal_domains: domains (and their subdomains) that are not external; added to
            the catalog's own list.
        max_sessions: sessions with provenance state kept; the least recently used is
            evicted beyond it (counted in ``stats["sessions_evicted"]``).
        max_values_per_session: untrusted values remembered per session (oldest evicted).
        max_agents: agents with first-seen destination state kept.
        max_destinations_per_agent: destinations remembered per agent (oldest evicted).
        clock: returns ``enriched_at``; wall clock by default, injectable for tests.
    """

    def __init__(
        self,
        *,
        catalog: Catalog,
        internal_domains: Iterable[str] = (),
        max_sessions: int = 100_000,
        max_values_per_session: int = 256,
        max_agents: int = 10_000,
        max_destinations_per_agent: int = 1_024,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.catalog = catalog
        self.internal_domains = tuple(
            dict.fromkeys(
                [d.lower().lstrip(".") for d in internal_domains] + list(catalog.internal_domains)
            )
        )
        self.max_sessions = max_sessions
        self.max_values = max_values_per_session
        self.max_agents = max_agents
        self.max_destinations = max_destinations_per_agent
        # datetime.now itself (no Python frame per event) unless a clock is injected.
        self._clock = clock or functools.partial(datetime.now, UTC)
        # is_external is pure and costly (an IP parse per domain); destinations repeat a lot.
        self._external: dict[str, bool] = {}
        self._external_for = self.internal_domains
        # key -> state; dicts keep insertion order, re-inserted on touch = LRU order.
        self._sessions: dict[str, dict[str, Any]] = {}
        self._agents: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        self.stats: dict[str, int] = {
            "events": 0,
            "unknown_tools": 0,
            "sessions_evicted": 0,
            "agents_evicted": 0,
            "values_evicted": 0,
            "destinations_evicted": 0,
        }

    # -- the stage ---------------------------------------------------------------------

    def enrich(self, event: dict[str, Any]) -> dict[str, Any]:
        """The EnrichedToolCallEvent dict for one ToolCallEvent dict (which is not copied)."""
        self.stats["events"] += 1
        tool = event.get("tool")
        name = tool["name"] if tool else None
        labels: list[str] = []
        category = "other"
        catalog_entry: str | None = None
        if name is not None:
            entry = self.catalog.lookup(name, tool.get("server") if tool else None)
            if entry is None:
                self.stats["unknown_tools"] += 1
            else:
                category = entry.category
                catalog_entry = entry.pattern
                labels.extend(entry.labels)
            # Most catalogs have no allow-lists: skip the call then.
            if (
                self.catalog.agent_allowlists
                and self.catalog.allowed(event["agent"]["id"], name) is False
            ):
                labels.append("outside_allowlist")

        arguments = event.get("arguments")
        args = parse_json(arguments) if arguments else None
        domain = destination_of(args, arguments) if arguments else None
        external: bool | None = None
        first_seen = False
        if domain is not None:
            external = self._is_external(domain)
            first_seen = self._first_seen(event, domain)
        redactions = event.get("redactions")
        if (arguments and has_secret(arguments)) or (
            redactions and any(r["path"].startswith("arguments") for r in redactions)
        ):
            labels.append("secret_in_arguments")

        provenance = self._provenance(event, name, labels, arguments)
        if provenance:
            labels.append("untrusted_value")
        if event.get("kind") == "session_end":
            self._drop_session(event["session_id"])
        return {
            "event": event,
            "category": category,
            "labels": labels,
            "catalog_entry": catalog_entry,
            "destination_domain": domain,
            "destination_external": external,
            "first_seen_destination": first_seen,
            "provenance": provenance,
            "enriched_at": self._clock(),
        }

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.enrich(event)

    # -- derived state -------------------------------------------------------------------

    def _is_external(self, domain: str) -> bool:
        """``is_external`` against the internal domains, cached (bounded) per domain."""
        cache = self._external
        if self._external_for is not self.internal_domains or len(cache) >= _EXTERNAL_CACHE:
            cache.clear()
            self._external_for = self.internal_domains
        external = cache.get(domain)
        if external is None:
            external = cache[domain] = is_external(domain, self.internal_domains)
        return external

    def _first_seen(self, event: dict[str, Any], domain: str) -> bool:
        key = f"{AGENT_PREFIX}{event['tenant_id']}/{event['agent']['id']}"
        state = self._agents.pop(key, None)
        if state is None:
            state = {"dest": {}}
            if len(self._agents) >= self.max_agents:
                evicted = next(iter(self._agents))
                del self._agents[evicted]
                self._dirty.add(evicted)
                self.stats["agents_evicted"] += 1
        self._agents[key] = state
        dests: dict[str, int] = state["dest"]
        if domain in dests:
            return False
        dests[domain] = 1
        if len(dests) > self.max_destinations:
            del dests[next(iter(dests))]
            self.stats["destinations_evicted"] += 1
        self._dirty.add(key)
        return True

    def _session(self, session_id: str) -> dict[str, Any]:
        key = SESSION_PREFIX + session_id
        state = self._sessions.pop(key, None)
        if state is None:
            state = {"prov": {}, "known": {}}
            if len(self._sessions) >= self.max_sessions:
                evicted = next(iter(self._sessions))
                del self._sessions[evicted]
                self._dirty.add(evicted)
                self.stats["sessions_evicted"] += 1
        self._sessions[key] = state
        return state

    def _remember(self, table: dict[str, Any], value: str, item: Any) -> None:
        table[value] = item
        if len(table) > self.max_values:
            del table[next(iter(table))]
            self.stats["values_evicted"] += 1

    def _provenance(
        self, event: dict[str, Any], name: str | None, labels: list[str], arguments: str | None
    ) -> list[dict[str, Any]]:
        result = event.get("result")
        if not arguments and not result:
            return []
        state = self._session(event["session_id"])
        prov: dict[str, list[Any]] = state["prov"]
        known: dict[str, int] = state["known"]
        out: list[dict[str, Any]] = []
        changed = False
        if arguments:
            seen_here: set[str] = set()
            for kind, value in values_in(arguments):
                if value in seen_here:
                    continue
                seen_here.add(value)
                source = prov.get(value)
                if source is not None:
                    out.append(
                        {
                            "value": value,
                            "value_kind": kind,
                            "source_tool": source[0],
                            "source_event_id": source[1],
                            "source_seq": source[2],
                        }
                    )
                elif value not in known:
                    # Named by the agent or user before any untrusted content did.
                    self._remember(known, value, 1)
                    changed = True
        if result and name is not None:
            untrusted = _UNTRUSTED in labels
            for _kind, value in values_in(result):
                if value in known or value in prov:
                    continue
                if untrusted:
                    self._remember(prov, value, [name, event["event_id"], event["seq"]])
                else:
                    self._remember(known, value, 1)
                changed = True
        if changed:
            self._dirty.add(SESSION_PREFIX + event["session_id"])
        return out

    def _drop_session(self, session_id: str) -> None:
        key = SESSION_PREFIX + session_id
        if self._sessions.pop(key, None) is not None:
            self._dirty.add(key)

    # -- state for a changelog-backed table ----------------------------------------------

    def dirty_keys(self) -> set[str]:
        """Keys whose state changed since the last call (then forgotten); snapshot each one."""
        keys, self._dirty = self._dirty, set()
        return keys

    def keys(self) -> list[str]:
        return [*self._sessions, *self._agents]

    def snapshot(self, key: str) -> dict[str, Any] | None:
        """The JSON-able state under ``key``, or None when there is none (delete it)."""
        table = self._agents if key.startswith(AGENT_PREFIX) else self._sessions
        state = table.get(key)
        if state is None:
            return None
        return {name: dict(values) for name, values in state.items()}

    def restore(self, key: str, state: dict[str, Any] | None) -> None:
        """Put back what :meth:`snapshot` returned (None removes the key)."""
        table = self._agents if key.startswith(AGENT_PREFIX) else self._sessions
        if state is None:
            table.pop(key, None)
            return
        table[key] = {name: dict(values) for name, values in state.items()}
