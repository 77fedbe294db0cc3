"""Alert records: deterministic ids and rendered messages."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from tooltrail.stream_processors.detection.model import Rule
from tooltrail.stream_processors.timeutil import from_micros


def alert_id(rule_id: str, event_ids: list[str]) -> str:
    """sha256 hex of the rule id and the matched event ids joined by 0x1F: replays agree."""
    return hashlib.sha256("\x1f".join([rule_id, *event_ids]).encode()).hexdigest()


def build_alert(rule: Rule, part: list[Any], detected_at: datetime) -> dict[str, Any]:
    """The Alert Avro dict of a complete match.

    ``part`` is a matcher's match: first and last event time (microseconds), event ids,
    captures, identity ``[tenant, session, agent, principal]`` of the last event.
    """
    first, last, ids, caps, ident = part[0], part[1], part[2], part[3], part[4]
    tenant, session, agent, principal = ident
    values = {
        **caps,
        "rule_id": rule.id,
        "rule_name": rule.name,
        "session_id": session,
        "agent_id": agent,
        "principal": principal or "",
        "tenant_id": tenant,
    }
    values.setdefault("count", str(len(ids)))
    return {
        "alert_id": alert_id(rule.id, ids),
        "kind": "detection",
        "rule_id": rule.id,
        "rule_name": rule.name,
        "severity": rule.severity,
        "risk_score": rule.risk_score,
        "tags": list(rule.tags),
        "tenant_id": tenant,
        "session_id": session,
        "agent_id": agent,
        "principal": principal,
        "event_ids": list(ids),
        "first_event_at": from_micros(first),
        "last_event_at": from_micros(last),
        "message": rule.render(values),
        "captures": dict(caps),
        "detected_at": detected_at,
    }
