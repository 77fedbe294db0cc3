"""Settings from ``TOOLTRAIL_*`` environment variables, and the process-wide default auditor.

This is the edge: the only place the producer reads the environment. Agents call
:func:`configure` once (or rely on the first use of :func:`tool` / :func:`session` to do it)
and decorate their tools; library classes stay keyword-only and environment-free.
pydantic-settings is imported only here, when configuring.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tooltrail.producer.capture import Auditor
from tooltrail.producer.context import SessionContext
from tooltrail.producer.decorators import audited
from tooltrail.producer.policy import CapturePolicy, ToolPolicy

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from tooltrail.producer.metrics import ProducerMetrics
    from tooltrail.producer.publisher import Publisher
    from tooltrail.producer.signing import Signer

F = TypeVar("F", bound=Callable[..., Any])
_default: Auditor | None = None
_lock = threading.Lock()
_metrics: dict[int, ProducerMetrics] = {}


def producer_settings(**overrides: Any) -> Any:
    """A ``ProducerSettings`` from the environment, with ``overrides`` applied."""
    from pydantic import Field, SecretStr  # noqa: PLC0415
    from pydantic_settings import BaseSettings, SettingsConfigDict  # noqa: PLC0415

    class ProducerSettings(BaseSettings):
        """Producer settings; every field is ``TOOLTRAIL_<FIELD>`` in the environment."""

        model_config = SettingsConfigDict(env_prefix="TOOLTRAIL_", extra="ignore")

        publisher: str = Field(default="kafka", description="kafka, or memory (tests)")
        bootstrap_servers: str = "127.0.0.1:9092"
        schema_registry_url: str | None = None
        toolcalls_topic: str = "tooltrail.toolcalls.v1"
        durability: str = Field(default="memory", description="memory or disk")
        spool_dir: Path = Path(".tooltrail/spool")
        spool_max_bytes: int = 1 << 30
        spool_full_policy: str = "drop_new"
        spool_slots: int = Field(default=8, description="processes sharing spool_dir")
        fsync: str = "interval"
        fsync_interval: float = 1.0
        kafka_config: dict[str, Any] = Field(default_factory=dict, description="JSON")
        hash_key: SecretStr | None = Field(default=None, description="deployment HMAC key")
        signing_key_id: str | None = None
        signing_hmac_key: SecretStr | None = None
        signing_ed25519_key: SecretStr | None = Field(default=None, description="32 bytes hex")
        capture_level: str = "request"
        tool_levels: dict[str, str] = Field(default_factory=dict, description="JSON name->level")
        fail_closed_tools: str = Field(default="", description="comma-separated names/patterns")
        tenant_id: str = "default"
        agent_id: str = "agent"
        agent_name: str | None = None
        agent_version: str | None = None
        framework: str | None = None

    return ProducerSettings(**overrides)


def _signer(s: Any) -> Signer | None:
    from tooltrail.producer.signing import Ed25519Signer, HmacKey  # noqa: PLC0415

    key_id = s.signing_key_id or "default"
    if s.signing_ed25519_key is not None:
        raw = bytes.fromhex(s.signing_ed25519_key.get_secret_value())
        return Ed25519Signer(key_id=key_id, private_key=raw)
    if s.signing_hmac_key is not None:
        return HmacKey(key_id=key_id, secret=s.signing_hmac_key.get_secret_value().encode())
    return None


def _policy(s: Any) -> CapturePolicy:
    fail_closed = {n.strip() for n in s.fail_closed_tools.split(",") if n.strip()}
    names = set(s.tool_levels) | fail_closed
    tools = {
        n: ToolPolicy(level=s.tool_levels.get(n, s.capture_level), fail_closed=n in fail_closed)
        for n in names
    }
    return CapturePolicy(default=ToolPolicy(level=s.capture_level), tools=tools)


def _metrics_for(registry: CollectorRegistry | None) -> ProducerMetrics:
    """One set of producer metrics per registry (default: the process-wide one that
    exporters scrape), reused when :func:`configure` runs again."""
    from tooltrail.metrics import DEFAULT_REGISTRY  # noqa: PLC0415
    from tooltrail.producer.metrics import ProducerMetrics  # noqa: PLC0415

    reg = registry if registry is not None else DEFAULT_REGISTRY
    with _lock:
        found = _metrics.get(id(reg))
        if found is None or found.registry is not reg:
            found = _metrics[id(reg)] = ProducerMetrics(registry=reg)
        return found


def build_publisher(s: Any, *, registry: CollectorRegistry | None = None) -> Publisher:
    """The publisher the settings describe."""
    metrics = _metrics_for(registry)
    if s.publisher == "memory":
        from tooltrail.producer.publisher import InMemoryPublisher  # noqa: PLC0415

        return InMemoryPublisher(metrics=metrics)
    from tooltrail.producer.kafka import KafkaPublisher  # noqa: PLC0415

    serializer = None
    if s.schema_registry_url:
        from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: PLC0415

        from tooltrail.schemas import TOOL_CALL_EVENT, ConfluentSerializer, bundled  # noqa: PLC0415

        serializer = ConfluentSerializer(
            bundled().current(TOOL_CALL_EVENT),
            registry=SchemaRegistryClient({"url": s.schema_registry_url}),
            subject=f"{s.toolcalls_topic}-value",
        )
    return KafkaPublisher(
        bootstrap_servers=s.bootstrap_servers,
        topic=s.toolcalls_topic,
        durability=s.durability,
        spool_dir=s.spool_dir,
        spool_max_bytes=s.spool_max_bytes,
        spool_full_policy=s.spool_full_policy,
        spool_slots=s.spool_slots,
        fsync=s.fsync,
        fsync_interval=s.fsync_interval,
        producer_config=s.kafka_config,
        serializer=serializer,
        metrics=metrics,
    )


def configure(*, registry: CollectorRegistry | None = None, **overrides: Any) -> Auditor:
    """Build the default auditor from ``TOOLTRAIL_*`` settings (``overrides`` win).

    Replaces (and closes) a previous default. The auditor is closed at interpreter exit,
    which flushes what is queued and spools what the broker did not take.
    """
    from tooltrail.producer.redaction import Redactor  # noqa: PLC0415

    global _default
    s = producer_settings(**overrides)
    hash_key = s.hash_key.get_secret_value().encode() if s.hash_key is not None else None
    auditor = Auditor(
        publisher=build_publisher(s, registry=registry),
        policy=_policy(s),
        redactor=Redactor(hash_key=hash_key),
        signer=_signer(s),
        default_session=SessionContext(
            session_id="",
            tenant_id=s.tenant_id,
            agent_id=s.agent_id,
            agent_name=s.agent_name,
            agent_version=s.agent_version,
            framework=s.framework,
        ),
    )
    with _lock:
        old, _default = _default, auditor
    if old is not None:
        old.close()
    atexit.register(auditor.close)
    return auditor


def get_auditor() -> Auditor | None:
    """The default auditor, if :func:`configure` ran."""
    return _default


def _require() -> Auditor:
    return _default if _default is not None else configure()


def tool(fn: F | None = None, *, name: str | None = None, policy: ToolPolicy | None = None) -> Any:
    """``@tooltrail.producer.tool``: audit a tool with the default auditor (configured on first
    use if needed)."""

    def decorate(func: F) -> F:
        return audited(func, _require, name=name, policy=policy)

    return decorate(fn) if fn is not None else decorate


@contextlib.contextmanager
def session(*, session_id: str | None = None, **identity: Any) -> Iterator[SessionContext]:
    """A session of the default auditor (see :meth:`Auditor.session`)."""
    with _require().session(session_id=session_id, **identity) as ctx:
        yield ctx


def shutdown(timeout: float = 10.0) -> None:
    """Close the default auditor now (flush, spool the rest)."""
    global _default
    with _lock:
        old, _default = _default, None
    if old is not None:
        old.close(timeout)


def parse_tool_levels(text: str) -> dict[str, str]:
    """``{"tool": "level"}`` from JSON (helper for CLIs)."""
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise ValueError("tool levels must be a JSON object")
    return {str(k): str(v) for k, v in loaded.items()}
