"""Running the test cases embedded in rule files.

A case lists compact events and the alerts expected, as indexes into that list::

    tests:
      - name: fires
        events:
          - {tool: login, outcome: denied}
          - {tool: write_file, t: 30s, args: {path: /etc/x}}
        expect: [[0, 1]]              # or [{events: [0, 1], captures: {path: /etc/x}}]
      - name: quiet
        events: [{tool: write_file}]
        expect: []

Event keys: t (offset from the case start; default one second after the previous event),
session, agent, tenant, principal, tool, server, call (tool call id), outcome, stage, verdict,
decided_by, args, result, error_type, kind, attributes, redactions, id. Enrichment fields can be
pinned over what the catalog gives: category, labels, add_labels, destination_domain,
destination_external, first_seen_destination.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tooltrail.stream_processors.detection.engine import DetectionEngine
from tooltrail.stream_processors.detection.model import Rule
from tooltrail.stream_processors.enrich.catalog import Catalog, default_catalog
from tooltrail.stream_processors.enrich.enricher import Enricher
from tooltrail.stream_processors.events import make_event
from tooltrail.stream_processors.timeutil import parse_duration

CASE_START = datetime(2026, 1, 1, tzinfo=UTC)
_EVENT_KEYS = frozenset(
    {
        "t", "session", "agent", "tenant", "principal", "tool", "server", "outcome", "stage",
        "verdict", "decided_by", "args", "result", "error_type", "kind", "attributes",
        "redactions", "id", "call", "category", "labels", "add_labels", "destination_domain",
        "destination_external", "first_seen_destination",
    }
)  # fmt: skip
_OVERRIDES = ("category", "destination_domain", "destination_external", "first_seen_destination")


@dataclass
class CaseResult:
    """The outcome of one embedded test case."""

    rule_id: str
    case: str
    passed: bool
    detail: str = ""
    file: str | None = None
    line: int | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)


class CaseError(ValueError):
    """A test case itself is malformed (reported as a failed case, with the reason)."""


def build_case_events(raw_events: Any, catalog: Catalog) -> list[dict[str, Any]]:
    """Compact case events -> EnrichedToolCallEvent dicts (through a real Enricher)."""
    if not isinstance(raw_events, list) or not raw_events:
        raise CaseError("'events' must be a non-empty list")
    enricher = Enricher(catalog=catalog, clock=lambda: CASE_START)
    seqs: dict[str, int] = {}
    offset = -1_000_000
    out = []
    for i, raw in enumerate(raw_events):
        if not isinstance(raw, Mapping):
            raise CaseError(f"event {i} must be a mapping")
        unknown = set(raw) - _EVENT_KEYS
        if unknown:
            raise CaseError(f"event {i}: unknown keys {sorted(unknown)}")
        if "t" in raw:
            try:
                offset = parse_duration(raw["t"])
            except ValueError as exc:
                raise CaseError(f"event {i}: {exc}") from exc
        else:
            offset += 1_000_000
        session = str(raw.get("session", "s1"))
        seqs[session] = seqs.get(session, 0) + 1
        kind = raw.get("kind", "tool_call")
        event = make_event(
            session_id=session,
            seq=seqs[session],
            started_at=CASE_START + timedelta(microseconds=offset),
            duration_us=None,
            tool=raw.get("tool", None if kind != "tool_call" else "noop"),
            outcome=raw.get("outcome", "success" if kind == "tool_call" else None),
            event_id=str(raw.get("id", f"e{i}")),
            tenant_id=str(raw.get("tenant", "t1")),
            agent_id=str(raw.get("agent", "agent-1")),
            principal=raw.get("principal"),
            server=raw.get("server"),
            call_id=raw.get("call"),
            kind=kind,
            stage=raw.get("stage", "completed"),
            verdict=raw.get("verdict"),
            decided_by=raw.get("decided_by"),
            arguments=raw.get("args"),
            result=raw.get("result"),
            error_type=raw.get("error_type"),
            attributes=raw.get("attributes"),
            redactions=raw.get("redactions"),
            with_hash=False,
        )
        enriched = enricher.enrich(event)
        for key in _OVERRIDES:
            if key in raw:
                enriched[key] = raw[key]
        if "labels" in raw:
            enriched["labels"] = list(raw["labels"])
        if "add_labels" in raw:
            enriched["labels"] = [*enriched["labels"], *raw["add_labels"]]
        out.append(enriched)
    return out


def _expected(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise CaseError("'expect' must be a list (empty when nothing should fire)")
    out = []
    for item in raw:
        if isinstance(item, list):
            out.append({"events": item})
        elif isinstance(item, Mapping) and isinstance(item.get("events"), list):
            out.append(dict(item))
        else:
            raise CaseError("each expected alert is a list of event indexes or {events: [...]}")
    return out


def run_case(rule: Rule, case: Any, catalog: Catalog) -> CaseResult:
    """Run one case of ``rule`` alone through enrichment and a fresh engine."""
    name = str(case.get("name", "?")) if isinstance(case, Mapping) else "?"
    line = getattr(case, "line", rule.line)
    result = CaseResult(rule.id, name, False, file=rule.file, line=line)
    try:
        if not isinstance(case, Mapping):
            raise CaseError("a test case must be a mapping with events and expect")
        events = build_case_events(case.get("events"), catalog)
        expected = _expected(case.get("expect"))
    except CaseError as exc:
        result.detail = f"invalid test case: {exc}"
        return result
    index = {e["event"]["event_id"]: i for i, e in enumerate(events)}
    engine = DetectionEngine(rules=[rule], allowed_lateness=0)
    alerts = engine.process_many(events)
    alerts.extend(engine.flush())
    result.alerts = alerts
    got = [[index.get(eid, -1) for eid in a["event_ids"]] for a in alerts]
    want = [e["events"] for e in expected]
    if got != want:
        result.detail = f"expected alerts on events {want}, got {got}"
        return result
    for alert, exp in zip(alerts, expected, strict=True):
        for cap, value in (exp.get("captures") or {}).items():
            if alert["captures"].get(cap) != str(value):
                result.detail = (
                    f"capture {cap!r}: expected {value!r}, got {alert['captures'].get(cap)!r}"
                )
                return result
        if "message" in exp and exp["message"] != alert["message"]:
            result.detail = f"message: expected {exp['message']!r}, got {alert['message']!r}"
            return result
    result.passed = True
    return result


def run_rule_tests(rules: Iterable[Rule], *, catalog: Catalog | None = None) -> list[CaseResult]:
    """Every embedded case of every rule, in order."""
    cat = catalog if catalog is not None else default_catalog()
    return [run_case(rule, case, cat) for rule in rules for case in rule.tests]


def lint_rule(rule: Rule) -> list[str]:
    """Problems that do not stop a rule from loading but fail ``tooltrail rules check``."""
    problems = []
    expects = [c.get("expect") for c in rule.tests if isinstance(c, Mapping)]
    if not any(isinstance(e, list) and e for e in expects):
        problems.append("no test case where the rule fires")
    if not any(e == [] for e in expects):
        problems.append("no test case where the rule stays quiet")
    if not rule.tags:
        problems.append("no tags (OWASP / ATLAS mapping)")
    if not rule.description:
        problems.append("no description")
    return problems
