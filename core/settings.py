"""Settings read from ``TOOLTRAIL_*`` environment variables, for entrypoints only.

Library classes take keyword arguments and never read the environment; the CLI, the
workers and the test fixtures build one :class:`Settings` and pass its values on.

Example::

    settings = Settings()                      # reads TOOLTRAIL_* now
    Producer({"bootstrap.servers": settings.bootstrap_servers})
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_KAFKA_VERSION = "4.4.0"


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "tooltrail"


class Settings(BaseSettings):
    """Where Kafka is and how the local broker is run.

    Every field reads ``TOOLTRAIL_<FIELD>`` (case-insensitive), e.g.
    ``TOOLTRAIL_BOOTSTRAP_SERVERS=10.0.0.5:9092`` or ``TOOLTRAIL_KAFKA_PORT=19092``.
    """

    model_config = SettingsConfigDict(env_prefix="TOOLTRAIL_", extra="ignore")

    bootstrap_servers: str = Field(
        default="",
        description="Kafka bootstrap servers; empty means the local one, 127.0.0.1:<kafka_port>.",
    )
    schema_registry_url: str | None = Field(
        default=None,
        description="Confluent-compatible Schema Registry URL; None means single-object framing.",
    )
    topic_partitions: int = Field(
        default=3, ge=1, description="Partitions of each topic `tooltrail topics create` makes."
    )
    kafka_port: int = Field(
        default=9092, ge=1, le=65535, description="Client port of the local broker."
    )
    kafka_controller_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="KRaft controller port of the local broker; None means kafka_port + 1.",
    )
    kafka_version: str = Field(
        default=DEFAULT_KAFKA_VERSION,
        description="Apache Kafka version (org.apache.kafka:kafka_2.13) the local broker runs.",
    )
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Jars (kafka-<version>/) and broker state (kafka-data-<port>/) live here.",
    )
    kafka_heap: str = Field(default="512m", description="JVM -Xmx of the local broker.")
    kafka_start_timeout: float = Field(
        default=120.0, gt=0, description="Seconds to wait for a started broker to answer."
    )
    java: str = Field(default="java", description="The java executable (name or path).")
    mvn: str = Field(default="mvn", description="The Maven executable (name or path).")

    @model_validator(mode="after")
    def _fill_derived(self) -> Settings:
        if not self.bootstrap_servers:
            self.bootstrap_servers = f"127.0.0.1:{self.kafka_port}"
        if self.kafka_controller_port is None:
            self.kafka_controller_port = self.kafka_port + 1
        return self

    @property
    def controller_port(self) -> int:
        """The controller port, resolved (never None)."""
        return self.kafka_controller_port or self.kafka_port + 1


__all__ = ["DEFAULT_KAFKA_VERSION", "Settings"]
