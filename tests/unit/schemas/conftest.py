"""Fully populated sample records of every top-level model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from tooltrail.schemas import (
    AgentIdentity,
    Alert,
    AlertKind,
    CaptureLevel,
    Credential,
    DeadLetter,
    Decision,
    EnrichedToolCallEvent,
    Outcome,
    ProducerInfo,
    Provenance,
    Redaction,
    Severity,
    Stage,
    ToolCallEvent,
    ToolRef,
    Verdict,
    Why,
)

T0 = datetime(2026, 12, 4, 15, 0, 0, 123456, tzinfo=UTC)
T1 = datetime(2026, 12, 4, 15, 0, 1, tzinfo=UTC)


def make_event(**overrides: object) -> ToolCallEvent:
    fields: dict[str, object] = {
        "event_id": "0193a5b0-0000-7000-8000-000000000001",
        "tenant_id": "acme",
        "agent": AgentIdentity(
            id="agent-7", name="ops", version="1.2", framework="langchain", framework_version="1.8"
        ),
        "principal": "alice@example.com",
        "session_id": "sess-1",
        "seq": 3,
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "span_id": "00f067aa0ba902b7",
        "parent_span_id": None,
        "tool": ToolRef(name="kubectl_delete", call_id="call_1", type="function", server="k8s"),
        "capture_level": CaptureLevel.REQUEST_RESPONSE,
        "stage": Stage.COMPLETED,
        "decision": Decision(verdict=Verdict.DENY, policy_id="p-9", decided_by="opa", reason="no"),
        "outcome": Outcome.DENIED,
        "error_type": "PermissionError",
        "error_message": "denied by policy p-9",
        "duration_us": 1500,
        "arguments": '{"namespace":"prod","password":"[REDACTED]"}',
        "arguments_sha256": "ab" * 32,
        "result": None,
        "result_sha256": None,
        "redactions": [
            Redaction(path="arguments.password", rule="key:password", value_hmac="cd" * 32)
        ],
        "why": Why(model="gpt-5", generation_id="gen-1", reasoning_excerpt="clean up — ünïcode"),
        "credential": Credential(identity="arn:aws:iam::1:role/ops", scope="k8s:prod"),
        "started_at": T0,
        "ended_at": T1,
        "producer": ProducerInfo(host="host-1", pid=4242, sdk_version="0.1.0"),
        "attributes": {"env": "prod"},
        "prev_hash": "00" * 32,
        "event_hash": "11" * 32,
        "signature": "c2ln",
        "key_id": "k1",
    }
    fields.update(overrides)
    return ToolCallEvent.model_validate(fields)


def make_enriched() -> EnrichedToolCallEvent:
    return EnrichedToolCallEvent(
        event=make_event(),
        category="delete",
        labels=["destructive", "privileged"],
        catalog_entry="kubectl_*",
        destination_domain="k8s.internal",
        destination_external=False,
        first_seen_destination=True,
        provenance=[
            Provenance(
                value="evil.example",
                value_kind="domain",
                source_tool="web_fetch",
                source_event_id="e-0",
                source_seq=1,
            )
        ],
        enriched_at=T1,
    )


def make_alert() -> Alert:
    return Alert(
        alert_id="a" * 64,
        kind=AlertKind.DETECTION,
        rule_id="destructive-after-denial",
        rule_name="Destructive action after a denial",
        severity=Severity.HIGH,
        risk_score=80,
        tags=["OWASP-LLM06", "AML.T0051"],
        tenant_id="acme",
        session_id="sess-1",
        agent_id="agent-7",
        principal=None,
        event_ids=["e1", "e2"],
        first_event_at=T0,
        last_event_at=T1,
        message="kubectl_delete after a denial",
        captures={"tool": "kubectl_delete"},
        detected_at=T1,
    )


def make_dead_letter() -> DeadLetter:
    return DeadLetter(
        original=b"\xc3\x01garbage\x00\xff",
        original_key=b"sess-1",
        topic="tooltrail.toolcalls.v1",
        partition=2,
        offset=99,
        stage="decode",
        reason="unknown_schema",
        error_message="no known schema has fingerprint ...",
        failed_at=T1,
        worker="w1",
    )


SAMPLES: dict[str, Callable[[], BaseModel]] = {
    "ToolCallEvent": make_event,
    "EnrichedToolCallEvent": make_enriched,
    "Alert": make_alert,
    "DeadLetter": make_dead_letter,
}


@pytest.fixture
def event() -> ToolCallEvent:
    return make_event()


@pytest.fixture
def samples() -> dict[str, Callable[[], BaseModel]]:
    """One factory of a fully populated record per top-level model."""
    return dict(SAMPLES)
