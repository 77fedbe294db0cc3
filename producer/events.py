"""Building ToolCallEvent Avro dicts on the hot path (plain dicts, not pydantic models).

Every schema field is present so that the hash computed here equals the hash a consumer
computes over the decoded record (Avro fills every field on decode).
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from tooltrail import __version__
from tooltrail.producer.context import SessionContext
from tooltrail.producer.uuid7 import uuid7

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_producer_info: tuple[int, dict[str, Any]] | None = None


def producer_info() -> dict[str, Any]:
    """host / pid / sdk_version, rebuilt after a fork (the pid changes)."""
    global _producer_info  # noqa: PLW0603 - a per-process constant, cached
    pid = os.getpid()
    if _producer_info is None or _producer_info[0] != pid:
        info = {"host": socket.gethostname(), "pid": pid, "sdk_version": __version__}
        _producer_info = (pid, info)
    return _producer_info[1]


def ts_from_ns(ns: int) -> datetime:
    """An aware UTC datetime from ``time.time_ns()`` (microsecond precision, no float)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def new_event(
    session: SessionContext,
    *,
    kind: str = "tool_call",
    started_at: datetime,
    tool: dict[str, Any] | None = None,
    capture_level: str = "metadata",
    stage: str = "completed",
    outcome: str | None = None,
) -> dict[str, Any]:
    """A ToolCallEvent dict without its chain fields (seq, prev_hash, hash, signature)."""
    return {
        "event_id": uuid7(),
        "kind": kind,
        "tenant_id": session.tenant_id,
        "agent": session.agent,
        "principal": session.principal,
        "session_id": session.session_id,
        "trace_id": session.trace_id,
        "span_id": session.span_id,
        "parent_span_id": session.parent_span_id,
        "tool": tool,
        "capture_level": capture_level,
        "stage": stage,
        "decision": None,
        "outcome": outcome,
        "error_type": None,
        "error_message": None,
        "duration_us": None,
        "arguments": None,
        "arguments_sha256": None,
        "result": None,
        "result_sha256": None,
        "redactions": [],
        "why": None,
        "credential": session.credential,
        "started_at": started_at,
        "ended_at": None,
        "producer": producer_info(),
        "attributes": dict(session.attributes),
    }


def tool_ref(
    name: str,
    *,
    call_id: str | None = None,
    type: str | None = None,
    server: str | None = None,
    definition_sha256: str | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "call_id": call_id,
        "type": type,
        "server": server,
        "definition_sha256": definition_sha256,
    }
