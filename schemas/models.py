"""Pydantic views of the Avro contract in ``schemas/avro``.

The ``.avsc`` files are the contract; these models mirror them field by field (a test
proves it) so that Python code gets validation, types and editor help. Timestamps are
aware UTC datetimes; enums are ``StrEnum`` so they compare equal to their Avro symbols.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tooltrail.canonical import ensure_utc


class EventKind(StrEnum):
    TOOL_CALL = "tool_call"
    SESSION_START = "session_start"
    SESSION_END = "session_end"


class CaptureLevel(StrEnum):
    NONE = "none"
    METADATA = "metadata"
    REQUEST = "request"
    REQUEST_RESPONSE = "request_response"


class Stage(StrEnum):
    REQUESTED = "requested"
    DECIDED = "decided"
    STARTED = "started"
    COMPLETED = "completed"


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    APPROVAL_REQUIRED = "approval_required"


class Outcome(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    DENIED = "denied"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


class AlertKind(StrEnum):
    DETECTION = "detection"
    INTEGRITY = "integrity"


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class _Record(BaseModel):
    """Base of every model: strict field names, enums kept as members, UTC timestamps."""

    model_config = ConfigDict(
        extra="forbid", use_enum_values=False, ser_json_bytes="base64", val_json_bytes="base64"
    )

    avro_name: ClassVar[str] = ""

    def to_avro(self) -> dict[str, Any]:
        """The record as the plain dict fastavro writes (enums as their symbols)."""
        return self.model_dump(mode="python")


class _Timestamped(_Record):
    @field_validator("*", mode="after")
    @classmethod
    def _utc(cls, value: Any) -> Any:
        return ensure_utc(value) if isinstance(value, datetime) else value


class AgentIdentity(_Record):
    avro_name: ClassVar[str] = "io.tooltrail.v1.AgentIdentity"
    id: str
    name: str | None = None
    version: str | None = None
    framework: str | None = None
    framework_version: str | None = None


class ToolRef(_Record):
    avro_name: ClassVar[str] = "io.tooltrail.v1.ToolRef"
    name: str
    call_id: str | None = None
    type: str | None = None
    server: str | None = None
    definition_sha256: str | None = None


class Decision(_Record):
    avro_name: ClassVar[str] = "io.tooltrail.v1.Decision"
    verdict: Verdict
    policy_id: str | None = None
    decided_by: str | None = None
    reason: str | None = None


class Redaction(_Record):
    avro_name: ClassVar[str] = "io.tooltrail.v1.Redaction"
    path: str
    rule: str
    value_hmac: str | None = None


class Why(_Record):
    avro_name: ClassVar[str] = "io.tooltrail.v1.Why"
    model: str | None = None
    generation_id: str | None = None
    prompt_sha256: str | None = None
    response_sha256: str | None = None
    reasoning_excerpt: str | None = None


class Credential(_Record):
    avro_name: ClassVar[str] = "io.tooltrail.v1.Credential"
    identity: str | None = None
    scope: str | None = None


class ProducerInfo(_Record):
    avro_name: ClassVar[str] = "io.tooltrail.v1.ProducerInfo"
    host: str
    pid: int
    sdk_version: str


class ToolCallEvent(_Timestamped):
    """One stage of one tool call, or a session open/close marker."""

    avro_name: ClassVar[str] = "io.tooltrail.v1.ToolCallEvent"
    event_id: str
    kind: EventKind = EventKind.TOOL_CALL
    tenant_id: str
    agent: AgentIdentity
    principal: str | None = None
    session_id: str
    seq: int = Field(ge=1)
    trace_id: str | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    tool: ToolRef | None = None
    capture_level: CaptureLevel = CaptureLevel.METADATA
    stage: Stage = Stage.COMPLETED
    decision: Decision | None = None
    outcome: Outcome | None = None
    error_type: str | None = None
    error_message: str | None = None
    duration_us: int | None = None
    arguments: str | None = None
    arguments_sha256: str | None = None
    result: str | None = None
    result_sha256: str | None = None
    redactions: list[Redaction] = Field(default_factory=list)
    why: Why | None = None
    credential: Credential | None = None
    started_at: datetime
    ended_at: datetime | None = None
    producer: ProducerInfo
    attributes: dict[str, str] = Field(default_factory=dict)
    prev_hash: str | None = None
    event_hash: str
    signature: str | None = None
    key_id: str | None = None


class Provenance(_Record):
    avro_name: ClassVar[str] = "io.tooltrail.v1.Provenance"
    value: str
    value_kind: str
    source_tool: str
    source_event_id: str
    source_seq: int


class EnrichedToolCallEvent(_Timestamped):
    """A tool-call event plus the fields the enrichers derive once."""

    avro_name: ClassVar[str] = "io.tooltrail.v1.EnrichedToolCallEvent"
    event: ToolCallEvent
    category: str = "other"
    labels: list[str] = Field(default_factory=list)
    catalog_entry: str | None = None
    destination_domain: str | None = None
    destination_external: bool | None = None
    first_seen_destination: bool = False
    provenance: list[Provenance] = Field(default_factory=list)
    enriched_at: datetime


class Alert(_Timestamped):
    """A detection or integrity finding with a deterministic id."""

    avro_name: ClassVar[str] = "io.tooltrail.v1.Alert"
    alert_id: str
    kind: AlertKind = AlertKind.DETECTION
    rule_id: str
    rule_name: str
    severity: Severity = Severity.MEDIUM
    risk_score: int = Field(default=0, ge=0, le=100)
    tags: list[str] = Field(default_factory=list)
    tenant_id: str
    session_id: str
    agent_id: str
    principal: str | None = None
    event_ids: list[str]
    first_event_at: datetime
    last_event_at: datetime
    message: str
    captures: dict[str, str] = Field(default_factory=dict)
    detected_at: datetime


class DeadLetter(_Timestamped):
    """A record a stage could not process, kept byte for byte."""

    avro_name: ClassVar[str] = "io.tooltrail.v1.DeadLetter"
    original: bytes
    original_key: bytes | None = None
    topic: str
    partition: int
    offset: int
    stage: str
    reason: str
    error_message: str
    failed_at: datetime
    worker: str | None = None


TOP_LEVEL_MODELS: tuple[type[_Record], ...] = (
    ToolCallEvent,
    EnrichedToolCallEvent,
    Alert,
    DeadLetter,
)
