"""The one small exception tree of tooltrail.

Every error a caller can act on derives from :class:`TooltrailError` and carries the fields
needed to act (``reason``, ``topic``, ``retry_after`` ...). Intentional drops are control
flow, not errors.
"""

from __future__ import annotations


class TooltrailError(Exception):
    """Root of every error tooltrail raises on purpose."""


class ConfigError(TooltrailError):
    """A setting, rule file, catalog or command-line value is invalid."""


class DecodeError(TooltrailError):
    """Bytes could not be turned into a record.

    Attributes:
        reason: a short, bounded label fit for a metric (``unknown_magic``, ``truncated`` ...).
        detail: a human sentence naming what was wrong.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class SchemaValidationError(DecodeError):
    """A record does not conform to its Avro schema (on encode or decode)."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__("schema_invalid", detail)
        self.field = field


class PublishError(TooltrailError):
    """An event could not be published or made durable.

    Attributes:
        topic: the destination topic.
        code: a short label of the cause (``queue_full``, ``spool_full`` ...).
    """

    def __init__(self, detail: str, *, topic: str | None = None, code: str = "error") -> None:
        super().__init__(detail)
        self.topic = topic
        self.code = code


class AuditRequiredError(PublishError):
    """A fail-closed tool was refused because its audit event could not be made durable."""


class BackpressureError(TooltrailError):
    """A downstream is full: slow down and retry after ``retry_after`` seconds."""

    def __init__(self, detail: str, *, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceError(TooltrailError):
    """A local service (the Kafka broker, ClickHouse) could not be started, reached or stopped."""


class RuleError(ConfigError):
    """A detection rule or tool catalog is invalid: which file, which line, and why."""

    def __init__(self, reason: str, *, file: str | None = None, line: int | None = None) -> None:
        where = file or "<rules>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.file = file
        self.line = line
