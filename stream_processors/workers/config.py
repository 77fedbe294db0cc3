"""Configuration of the processors worker: a plain keyword-only value object.

The CLI builds it from ``TOOLTRAIL_*`` settings; library code never reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tooltrail.errors import ConfigError
from tooltrail.topics import ALERTS, DEADLETTER, ENRICHED, TOOLCALLS


@dataclass(frozen=True, kw_only=True)
class Topics:
    """Names of the four topics the processors read and write."""

    raw: str = TOOLCALLS
    enriched: str = ENRICHED
    alerts: str = ALERTS
    deadletter: str = DEADLETTER


@dataclass(frozen=True, kw_only=True)
class ProcessorConfig:
    """Everything the Faust app factory needs.

    Attributes:
        bootstrap_servers: ``host:port[,host:port]`` of the Kafka cluster.
        schema_registry_url: a Confluent-compatible Schema Registry, needed to decode
            records in Confluent framing; single-object records need none.
        app_id: Faust application id: the consumer group and the changelog topic prefix.
        store: ``memory://`` (tests) or ``rocksdb://`` (production) for the state tables.
        datadir: where Faust keeps RocksDB tables; one directory per worker process.
        web_port: port of the metrics and health endpoint; ``0`` disables the web server.
        partitions: partitions of the raw topic (and therefore of the table changelogs).
        batch_size: at most this many records per pipeline call (one fetch; a batch
            does not wait to fill: it is what the broker had).
        checkpoint_interval: seconds between state checkpoints. Batches are acknowledged
            only once a checkpoint has saved their state, so a crash replays at most this
            much input (duplicates of enriched events and alerts, same ids; nothing lost).
            Writing state once per interval instead of once per batch writes each busy
            key once: measured on the bench stream, about 11 MB of state changes per
            checkpoint whether it covers 5,000 or 25,000 events, so the default of 5 s
            writes a fifth of what 1 s does. Outputs do not wait for checkpoints (alert
            latency does not depend on this); commits do. ``0`` checkpoints after every
            batch.
        max_record_bytes: larger raw records are dead-lettered as ``oversized``.
        session_timeout: consumer-group session timeout; how long a ``kill -9``-ed worker
            keeps its partitions before the group gives them to another.
        worker_name: recorded in dead letters, to tell which process refused a record.
    """

    bootstrap_servers: str = "127.0.0.1:9092"
    schema_registry_url: str | None = None
    app_id: str = "tooltrail-processors"
    store: str = "rocksdb://"
    datadir: Path = field(default_factory=lambda: Path("var/processors"))
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    partitions: int = 8
    replication_factor: int = 1
    batch_size: int = 1000
    checkpoint_interval: float = 5.0
    max_record_bytes: int = 1_048_576
    session_timeout: float = 10.0
    heartbeat_interval: float = 1.0
    commit_interval: float = 1.0
    worker_name: str | None = None
    topics: Topics = field(default_factory=Topics)

    def __post_init__(self) -> None:
        if not self.store.startswith(("memory://", "rocksdb://")):
            raise ConfigError(f"store must be memory:// or rocksdb://, not {self.store!r}")
        if self.partitions < 1:
            raise ConfigError("partitions must be at least 1")
        if self.batch_size < 1:
            raise ConfigError("batch_size must be >= 1")
        if self.checkpoint_interval < 0:
            raise ConfigError("checkpoint_interval must be >= 0")
        if self.max_record_bytes < 1:
            raise ConfigError("max_record_bytes must be positive")
        if not 0 <= self.web_port <= 65535:
            raise ConfigError(f"web_port out of range: {self.web_port}")
