"""The field names rules may use, and the per-event view that serves them.

A view is built once per enriched event. Common fields are filled eagerly; the others are
computed on first use (``__missing__``) and cached, so a rule pays only for what it reads.
Nested fields: ``args.<path>`` (the parsed arguments JSON), ``result_json.<path>``,
``attributes.<key>`` and ``event.<path>`` (the raw ToolCallEvent).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from tooltrail.stream_processors.enrich.extract import parse_json
from tooltrail.stream_processors.timeutil import event_time_us


def _tool(key: str) -> Callable[[dict[str, Any]], Any]:
    def get(ev: dict[str, Any]) -> Any:
        tool = ev.get("tool")
        return tool.get(key) if tool else None

    return get


def _decision(key: str) -> Callable[[dict[str, Any]], Any]:
    def get(ev: dict[str, Any]) -> Any:
        dec = ev.get("decision")
        return dec.get(key) if dec else None

    return get


def _credential(key: str) -> Callable[[dict[str, Any]], Any]:
    def get(ev: dict[str, Any]) -> Any:
        cred = ev.get("credential")
        return cred.get(key) if cred else None

    return get


def _plain(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda ev: ev.get(key)


# Lazily computed fields, read from the raw ToolCallEvent dict.
_EVENT_FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "agent_id": lambda ev: ev["agent"]["id"],
    "tool": _tool("name"),
    "tool_server": _tool("server"),
    "outcome": _plain("outcome"),
    "verdict": _decision("verdict"),
    "stage": _plain("stage"),
    "kind": _plain("kind"),
    "tenant_id": _plain("tenant_id"),
    "seq": _plain("seq"),
    "principal": _plain("principal"),
    "trace_id": _plain("trace_id"),
    "span_id": _plain("span_id"),
    "parent_span_id": _plain("parent_span_id"),
    "agent_name": lambda ev: ev["agent"].get("name"),
    "agent_framework": lambda ev: ev["agent"].get("framework"),
    "tool_type": _tool("type"),
    "tool_call_id": _tool("call_id"),
    "tool_definition_sha256": _tool("definition_sha256"),
    "capture_level": _plain("capture_level"),
    "decided_by": _decision("decided_by"),
    "policy_id": _decision("policy_id"),
    "decision_reason": _decision("reason"),
    "error_type": _plain("error_type"),
    "error_message": _plain("error_message"),
    "duration_us": _plain("duration_us"),
    "arguments": _plain("arguments"),
    "arguments_sha256": _plain("arguments_sha256"),
    "result": _plain("result"),
    "result_sha256": _plain("result_sha256"),
    "credential_identity": _credential("identity"),
    "credential_scope": _credential("scope"),
    "redaction_rules": lambda ev: [r["rule"] for r in ev.get("redactions") or ()],
    "args_hash": lambda ev: ev.get("arguments_sha256") or _sha256(ev.get("arguments")),
    "model": lambda ev: (ev.get("why") or {}).get("model"),
}
# Lazily computed fields, read from the enriched envelope.
_ENRICHED_FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "category": lambda en: en["category"],
    "labels": lambda en: en["labels"],
    "destination_external": lambda en: en["destination_external"],
    "first_seen_destination": lambda en: en["first_seen_destination"],
    "catalog_entry": lambda en: en.get("catalog_entry"),
    "destination_domain": lambda en: en.get("destination_domain"),
    "provenance_kinds": lambda en: sorted({p["value_kind"] for p in en.get("provenance") or ()}),
    "provenance_sources": lambda en: sorted({p["source_tool"] for p in en.get("provenance") or ()}),
    "provenance_values": lambda en: [p["value"] for p in en.get("provenance") or ()],
}
# Filled eagerly for every event: its identity and time.
EAGER_FIELDS = ("event_id", "session_id", "ts")
FIELDS: frozenset[str] = frozenset((*EAGER_FIELDS, *_EVENT_FIELDS, *_ENRICHED_FIELDS))
NESTED_PREFIXES = ("args.", "result_json.", "attributes.", "event.")
# Fields whose value is a list: equality shorthand means "contains".
LIST_FIELDS: frozenset[str] = frozenset(
    {"labels", "redaction_rules", "provenance_kinds", "provenance_sources", "provenance_values"}
)
_MISSING = object()
# Where a view caches the state key string of a single ``by`` field (see matcher.key_fn);
# the session's is filled when the view is made, since nearly every rule is keyed by it.
KEY_SLOT = "\x00key:"
SESSION_KEY_SLOT = KEY_SLOT + "session_id"


def _sha256(text: str | None) -> str | None:
    """A hash of the captured arguments when the producer sent none (identical-call checks)."""
    return hashlib.sha256(text.encode()).hexdigest() if text else None


def args_hash_of(event: dict[str, Any]) -> str | None:
    """``args_hash`` when the producer sent no ``arguments_sha256``."""
    return _sha256(event.get("arguments"))


def is_known_field(name: str) -> bool:
    """Whether a rule may reference ``name``."""
    if name in FIELDS:
        return True
    return any(name.startswith(p) and len(name) > len(p) for p in NESTED_PREFIXES)


def _walk(value: Any, path: list[str]) -> Any:
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
        if value is None:
            return None
    return value


class View(dict[str, Any]):
    """The fields of one enriched event, computed on demand."""

    __slots__ = ("enriched",)
    enriched: dict[str, Any]

    def __missing__(self, key: str) -> Any:
        enriched = self.enriched
        event = enriched["event"]
        getter = _EVENT_FIELDS.get(key)
        if getter is not None:
            value = getter(event)
        else:
            getter = _ENRICHED_FIELDS.get(key)
            if getter is not None:
                value = getter(enriched)
            elif key.startswith("args."):
                value = _walk(self._parsed("_args", event.get("arguments")), key[5:].split("."))
            elif key.startswith("result_json."):
                value = _walk(self._parsed("_result", event.get("result")), key[12:].split("."))
            elif key.startswith("attributes."):
                value = (event.get("attributes") or {}).get(key[11:])
            elif key.startswith("event."):
                value = _walk(event, key[6:].split("."))
            else:
                raise KeyError(key)
        self[key] = value
        return value

    def _parsed(self, slot: str, text: str | None) -> Any:
        value = self.get(slot, _MISSING)
        if value is _MISSING:
            value = parse_json(text)
            self[slot] = value
        return value


def discriminators(enriched: dict[str, Any]) -> tuple[Any, ...]:
    """The values the engine's plan cache is keyed on (order of ``DISCRIMINATORS``)."""
    event = enriched["event"]
    tool = event["tool"]
    decision = event["decision"]
    return (
        tool["name"] if tool else None,
        enriched["category"],
        event["outcome"],
        decision["verdict"] if decision else None,
        event["stage"],
        event["kind"],
        tuple(enriched["labels"]),
        enriched["destination_external"],
        enriched["first_seen_destination"],
        tool["server"] if tool else None,
    )


def make_view(enriched: dict[str, Any], ts: int | None = None) -> View:
    """The view of one EnrichedToolCallEvent dict (``ts``: its event time, if known).

    The identity and the time are copied now, and ``tool`` and ``args_hash``, which the
    default pack reads for nearly every event (filling them here costs less than a
    ``__missing__`` call each); every other field on first use. The discriminators were
    already used to choose the plan and are rarely read again.
    """
    event = enriched["event"]
    tool = event.get("tool")
    session = event["session_id"]
    view = View(
        {
            "event_id": event["event_id"],
            "session_id": session,
            "ts": event_time_us(event) if ts is None else ts,
            "tool": tool.get("name") if tool else None,
            "args_hash": event.get("arguments_sha256") or _sha256(event.get("arguments")),
            # The state key of every rule partitioned by session (see matcher.key_fn).
            SESSION_KEY_SLOT: None if session is None else "session_id=" + str(session),
        }
    )
    view.enriched = enriched
    return view
