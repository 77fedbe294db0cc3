"""What agents import: capture API, redaction, hash chain, publisher and disk spool.

Two lines for an agent builder::

    import tooltrail.producer as tt

    @tt.tool                      # sync or async; settings from TOOLTRAIL_* variables
    def search(query: str) -> list[str]: ...

    with tt.session(principal="alice@example.com"):   # session_start ... session_end
        search("quarterly report")

For full control build an :class:`Auditor` with a :class:`KafkaPublisher` (or the
:class:`InMemoryPublisher` in tests). Importing this package loads neither confluent_kafka,
pydantic(-settings), fastavro, tooltrail.schemas nor prometheus_client (a test holds this);
they load when a publisher is built or :func:`configure` runs.
"""

from tooltrail.producer.capture import Auditor, CallScope, ToolCall
from tooltrail.producer.context import (
    ContextThreadPoolExecutor,
    SessionContext,
    current_session,
    wrap,
)
from tooltrail.producer.payload import reasoning
from tooltrail.producer.policy import CapturePolicy, ToolPolicy
from tooltrail.producer.publisher import InMemoryPublisher, PublishedRecord, Publisher
from tooltrail.producer.redaction import Redactor
from tooltrail.producer.settings import configure, get_auditor, session, shutdown, tool
from tooltrail.producer.uuid7 import uuid7
from tooltrail.producer.verify import Finding, FindingKind, Report, SessionVerifier, verify

__all__ = [
    "Auditor",
    "CallScope",
    "CapturePolicy",
    "ContextThreadPoolExecutor",
    "Finding",
    "FindingKind",
    "InMemoryPublisher",
    "KafkaPublisher",
    "PublishedRecord",
    "Publisher",
    "Redactor",
    "Report",
    "SessionContext",
    "SessionVerifier",
    "ToolCall",
    "ToolPolicy",
    "configure",
    "current_session",
    "get_auditor",
    "reasoning",
    "session",
    "shutdown",
    "tool",
    "uuid7",
    "verify",
    "wrap",
]


def __getattr__(name: str) -> object:
    # KafkaPublisher pulls in confluent_kafka only when a publisher is built, but its module
    # is also loaded lazily so `import tooltrail.producer` stays light.
    if name == "KafkaPublisher":
        from tooltrail.producer.kafka import KafkaPublisher  # noqa: PLC0415

        return KafkaPublisher
    raise AttributeError(f"module 'tooltrail.producer' has no attribute {name!r}")
