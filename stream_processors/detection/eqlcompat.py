"""Rule pairs written both in tooltrail's YAML and in Elastic EQL, for conformance checks.

Elastic's ``eql`` Python engine serves only as a test and benchmark oracle on the subset
whose semantics it implements faithfully (sequence, ``by``, ``maxspan``, ``until``,
``runs``); it is never imported here. :func:`flatten` gives eql the same events the
engine sees, as flat dicts with millisecond timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tooltrail.stream_processors.timeutil import event_time_us


@dataclass(frozen=True)
class Conformance:
    """One query in both languages; their matches must be identical."""

    name: str
    eql: str
    rule_yaml: str


def flatten(enriched: dict[str, Any]) -> dict[str, Any]:
    """The fields the conformance queries use, flat, with ``timestamp`` in milliseconds."""
    event = enriched["event"]
    tool = event["tool"]
    labels = enriched["labels"]
    return {
        "event_type": "tool_call",
        "timestamp": event_time_us(event) // 1000,
        "event_id": event["event_id"],
        "session_id": event["session_id"],
        "tool": tool["name"] if tool else None,
        "category": enriched["category"],
        "outcome": event["outcome"],
        "private_data": "private_data" in labels,
        "external_comm": "external_comm" in labels,
        "destination_external": bool(enriched["destination_external"]),
    }


CASES: tuple[Conformance, ...] = (
    Conformance(
        "exfil_sequence",
        "sequence by session_id with maxspan=10m "
        '[tool_call where category in ("read", "search", "credential") and private_data == true '
        'and outcome == "success"] '
        "[tool_call where destination_external == true and external_comm == true]",
        """
rules:
  - id: BENCH-EXFIL
    name: exfil_sequence
    kind: sequence
    by: [session_id]
    within: 10m
    steps:
      - where: {category: [read, search, credential], labels: private_data, outcome: success}
      - where: {destination_external: true, labels: external_comm}
""",
    ),
    Conformance(
        "write_after_denied_auth_until",
        "sequence by session_id with maxspan=5m "
        '[tool_call where category == "auth" and outcome in ("denied", "error")] '
        '[tool_call where category in ("write", "delete", "config", "permission")] '
        'until [tool_call where category == "auth" and outcome == "success"]',
        """
rules:
  - id: BENCH-UNTIL
    name: write_after_denied_auth_until
    kind: sequence
    by: [session_id]
    within: 5m
    steps:
      - where: {category: auth, outcome: [denied, error]}
      - where: {category: [write, delete, config, permission]}
    until: {category: auth, outcome: success}
""",
    ),
    Conformance(
        "retry_runs",
        "sequence by session_id, tool with maxspan=30s "
        '[tool_call where outcome == "error"] with runs=5',
        """
rules:
  - id: BENCH-RUNS
    name: retry_runs
    kind: sequence
    by: [session_id, tool]
    within: 30s
    steps:
      - where: {outcome: error}
        runs: 5
""",
    ),
)
