"""Building ToolCallEvent Avro dicts on the hot path (plain dicts, not pydantic models).

Every schema field is present so that the hash computed here equals the hash a consumer
computes over the decoded record (Avro fills every field on decode).

An event starts as a copy of its session's template (:attr:`SessionContext.template`):
the session's constant fields are filled once per session, not once per event, and the
keys (and the keys of every nested record this package builds) are in sorted order, so
the hash chain can serialize the event as is instead of sorting it
(:meth:`~tooltrail.producer.chain.SessionChain.seal` with ``presorted``). Nested records
(``agent``, ``attributes``, ``producer``, ``tool``) are shared between events: treat
published events as read-only.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tooltrail.producer.uuid7 import uuid7

if TYPE_CHECKING:
    from tooltrail.producer.context import SessionContext

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_version: str | None = None
_producer_info: dict[str, Any] | None = None

# The template's keys: every ToolCallEvent field but the three integrity ones, sorted.
BODY_FIELDS = (
    "agent",
    "arguments",
    "arguments_sha256",
    "attributes",
    "capture_level",
    "credential",
    "decision",
    "duration_us",
    "ended_at",
    "error_message",
    "error_type",
    "event_id",
    "kind",
    "outcome",
    "parent_span_id",
    "prev_hash",
    "principal",
    "producer",
    "redactions",
    "result",
    "result_sha256",
    "seq",
    "session_id",
    "span_id",
    "stage",
    "started_at",
    "tenant_id",
    "tool",
    "trace_id",
    "why",
)


def _reset_after_fork() -> None:
    global _producer_info  # noqa: PLW0603
    _producer_info = None  # the pid changed


os.register_at_fork(after_in_child=_reset_after_fork)


def producer_info() -> dict[str, Any]:
    """host / pid / sdk_version (keys sorted), built once per process (again after a fork).

    The version is looked up here, not at import: ``importlib.metadata`` costs tens of
    milliseconds, paid when the first :class:`~tooltrail.producer.capture.Auditor` is built.
    """
    global _producer_info, _version  # noqa: PLW0603 - a per-process constant, cached
    info = _producer_info
    if info is None:
        if _version is None:
            import tooltrail  # noqa: PLC0415

            _version = str(tooltrail.__version__)
        import socket  # noqa: PLC0415 - once per process, not at import

        info = {"host": socket.gethostname(), "pid": os.getpid(), "sdk_version": _version}
        _producer_info = info
    return info


def ts_from_ns(ns: int) -> datetime:
    """An aware UTC datetime from ``time.time_ns()`` (microsecond precision, no float)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def now() -> datetime:
    """The current time as an aware UTC datetime (microsecond precision)."""
    return datetime.now(UTC)


def session_template(session: SessionContext) -> dict[str, Any]:
    """The fields of every event of ``session``, keys sorted (see the module doc)."""
    attributes = session.attributes
    return {
        "agent": session.agent,
        "arguments": None,
        "arguments_sha256": None,
        "attributes": {k: attributes[k] for k in sorted(attributes)},
        "capture_level": "metadata",
        "credential": session.credential,
        "decision": None,
        "duration_us": None,
        "ended_at": None,
        "error_message": None,
        "error_type": None,
        "event_id": None,
        "kind": "tool_call",
        "outcome": None,
        "parent_span_id": session.parent_span_id,
        "prev_hash": None,
        "principal": session.principal,
        "producer": None,
        "redactions": None,
        "result": None,
        "result_sha256": None,
        "seq": None,
        "session_id": session.session_id,
        "span_id": session.span_id,
        "stage": "completed",
        "started_at": None,
        "tenant_id": session.tenant_id,
        "tool": None,
        "trace_id": session.trace_id,
        "why": None,
    }


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
    """A ToolCallEvent dict whose chain fields are not set yet (``seq``, ``prev_hash`` None;
    no ``event_hash``, ``signature``, ``key_id``)."""
    event = session.template.copy()
    event["event_id"] = uuid7()
    event["started_at"] = started_at
    event["producer"] = _producer_info or producer_info()
    event["redactions"] = []
    if tool is not None:
        event["tool"] = tool
    if kind != "tool_call":
        event["kind"] = kind
    if capture_level != "metadata":
        event["capture_level"] = capture_level
    if stage != "completed":
        event["stage"] = stage
    if outcome is not None:
        event["outcome"] = outcome
    return event


def tool_ref(
    name: str,
    *,
    call_id: str | None = None,
    type: str | None = None,
    server: str | None = None,
    definition_sha256: str | None = None,
) -> dict[str, Any]:
    """The ToolRef record (keys sorted)."""
    return {
        "call_id": call_id,
        "definition_sha256": definition_sha256,
        "name": name,
        "server": server,
        "type": type,
    }
