"""Building valid ToolCallEvent Avro dicts from a few fields (tests, rule cases, demos).

The hash chain belongs to the producer: here ``prev_hash`` is None and ``event_hash`` is the
SHA-256 of the event's canonical JSON, a placeholder of the right shape.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import orjson

from tooltrail.canonical import canonical_json
from tooltrail.stream_processors.timeutil import to_micros


def uuid7(ts: datetime, rand: int) -> str:
    """A UUIDv7 string from a timestamp and 74 random bits (deterministic for tests)."""
    ms = to_micros(ts) // 1000
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _json(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def make_event(
    *,
    session_id: str,
    seq: int,
    started_at: datetime,
    tool: str | None,
    outcome: str | None = "success",
    event_id: str | None = None,
    tenant_id: str = "t1",
    agent_id: str = "agent-1",
    principal: str | None = None,
    server: str | None = None,
    call_id: str | None = None,
    kind: str = "tool_call",
    stage: str = "completed",
    verdict: str | None = None,
    decided_by: str | None = None,
    arguments: Any = None,
    result: Any = None,
    error_type: str | None = None,
    duration_us: int | None = 1_000,
    attributes: dict[str, str] | None = None,
    redactions: list[dict[str, Any]] | None = None,
    trace_id: str | None = None,
    with_hash: bool = True,
) -> dict[str, Any]:
    """One ToolCallEvent Avro dict (timestamps aware UTC datetimes, enums as strings)."""
    args_text = _json(arguments)
    result_text = _json(result)
    capture = (
        "request_response" if result_text is not None else "request" if args_text else "metadata"
    )
    ended = started_at + timedelta(microseconds=duration_us) if duration_us is not None else None
    event: dict[str, Any] = {
        "event_id": event_id or uuid7(started_at, _rand(session_id, seq)),
        "kind": kind,
        "tenant_id": tenant_id,
        "agent": {"id": agent_id, "name": None, "version": None, "framework": "custom",
                  "framework_version": None},
        "principal": principal,
        "session_id": session_id,
        "seq": seq,
        "trace_id": trace_id,
        "span_id": None,
        "parent_span_id": None,
        "tool": None if tool is None else {
            "name": tool, "call_id": call_id or f"call-{seq}", "type": "function",
            "server": server, "definition_sha256": None,
        },
        "capture_level": capture,
        "stage": stage,
        "decision": None if verdict is None else {"verdict": verdict, "policy_id": None,
                                                  "decided_by": decided_by, "reason": None},
        "outcome": outcome,
        "error_type": error_type,
        "error_message": None,
        "duration_us": duration_us,
        "arguments": args_text,
        "arguments_sha256": hashlib.sha256(args_text.encode()).hexdigest() if args_text else None,
        "result": result_text,
        "result_sha256": hashlib.sha256(result_text.encode()).hexdigest() if result_text else None,
        "redactions": [
            {"path": r["path"], "rule": r["rule"], "value_hmac": r.get("value_hmac")}
            for r in redactions or ()
        ],
        "why": None,
        "credential": None,
        "started_at": started_at,
        "ended_at": ended,
        "producer": {"host": "synthetic", "pid": 1, "sdk_version": "0.1.0"},
        "attributes": dict(attributes or {}),
        "prev_hash": None,
        "event_hash": "0" * 64,
        "signature": None,
        "key_id": None,
    }  # fmt: skip
    if with_hash:
        hashed = {k: v for k, v in event.items() if k not in _UNHASHED}
        event["event_hash"] = hashlib.sha256(canonical_json(hashed)).hexdigest()
    return event


_UNHASHED = frozenset({"event_hash", "signature", "key_id"})


def _rand(session_id: str, seq: int) -> int:
    digest = hashlib.sha256(f"{session_id}/{seq}".encode()).digest()
    return int.from_bytes(digest[:10], "big") & ((1 << 74) - 1)
