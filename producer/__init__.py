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

from typing import TYPE_CHECKING

from tooltrail.producer.capture import Auditor, CallScope, ToolCall
from tooltrail.producer.context import SessionContext, current_session, wrap
from tooltrail.producer.payload import reasoning
from tooltrail.producer.policy import CapturePolicy, ToolPolicy
from tooltrail.producer.publisher import InMemoryPublisher, PublishedRecord, Publisher
from tooltrail.producer.redaction import Redactor
from tooltrail.producer.settings import configure, get_auditor, session, shutdown, tool
from tooltrail.producer.uuid7 import uuid7

# Imported here, not lazily: importing the submodule `tooltrail.producer.verify` binds the
# package attribute `verify` to the module, so the function must be bound after it.
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


# Loaded on first use, so `import tooltrail.producer` stays light: the Kafka publisher (its
# client is imported only when one is built) and the context-carrying pool.
_LAZY = {
    "KafkaPublisher": "tooltrail.producer.kafka",
    "ContextThreadPoolExecutor": "tooltrail.producer.pool",
}

if TYPE_CHECKING:
    from tooltrail.producer.kafka import KafkaPublisher
    from tooltrail.producer.pool import ContextThreadPoolExecutor


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tooltrail.producer' has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
