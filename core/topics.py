"""The Kafka topics of tooltrail (DESIGN.md, "Data flow") and how they are created.

Retention is deliberate: raw and enriched tool calls stay 7 days in Kafka (ClickHouse holds
the history); alerts 90 days, so a consumer that was away for a while still gets them; dead
letters 30 days, long enough to inspect and replay bad records by hand. Every topic uses
``cleanup.policy=delete``: they are event logs, not changelogs, and compaction would drop
events of the same session key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tooltrail.errors import ServiceError

TOOLCALLS = "tooltrail.toolcalls.v1"
ENRICHED = "tooltrail.toolcalls.enriched.v1"
ALERTS = "tooltrail.alerts.v1"
DEADLETTER = "tooltrail.deadletter.v1"

_DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """A topic's name, purpose and the configuration it is created with."""

    name: str
    description: str
    config: Mapping[str, str] = field(default_factory=dict)

    @property
    def retention_days(self) -> float:
        """``retention.ms`` in days (for help texts and reports)."""
        return int(self.config["retention.ms"]) / _DAY_MS


def _config(*, days: int) -> dict[str, str]:
    return {"cleanup.policy": "delete", "retention.ms": str(days * _DAY_MS)}


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(TOOLCALLS, "raw tool-call events from agents, key = session_id", _config(days=7)),
    TopicSpec(ENRICHED, "tool-call events after enrichment, key = session_id", _config(days=7)),
    TopicSpec(ALERTS, "anomalies raised by detection rules", _config(days=90)),
    TopicSpec(DEADLETTER, "bad records with their original bytes and the reason", _config(days=30)),
)

CreateOutcome = Literal["created", "exists"]


def create_topics(
    admin: Any,
    *,
    partitions: int,
    replication_factor: int = 1,
    specs: Iterable[TopicSpec] = TOPICS,
    timeout: float = 30.0,
) -> dict[str, CreateOutcome]:
    """Creates each topic of ``specs`` unless it exists; idempotent.

    Args:
        admin: a ``confluent_kafka.admin.AdminClient``.
        partitions: partitions of each new topic (existing topics are left as they are).
        replication_factor: 1 on the local broker, 3 on a production cluster.

    Returns:
        topic name -> ``"created"`` or ``"exists"``.

    Raises:
        ServiceError: the broker refused a topic for another reason or did not answer.
    """
    from confluent_kafka import KafkaError, KafkaException  # noqa: PLC0415

    # NewTopic is public API; the bundled stubs just do not re-export it from .admin.
    from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]  # noqa: PLC0415

    wanted = list(specs)
    new = [
        NewTopic(
            spec.name,
            num_partitions=partitions,
            replication_factor=replication_factor,
            config=dict(spec.config),
        )
        for spec in wanted
    ]
    futures = admin.create_topics(new, request_timeout=timeout, operation_timeout=timeout)
    outcome: dict[str, CreateOutcome] = {}
    for spec in wanted:
        try:
            futures[spec.name].result(timeout=timeout + 5)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                outcome[spec.name] = "exists"
                continue
            raise ServiceError(f"Creating topic {spec.name} failed: {error or exc}") from exc
        except TimeoutError as exc:  # concurrent.futures.TimeoutError is TimeoutError on 3.11
            raise ServiceError(
                f"Creating topic {spec.name} got no answer within {timeout:.0f} s; is the broker "
                "up (`tooltrail kafka status`)?"
            ) from exc
        outcome[spec.name] = "created"
    return outcome


def create_topic(
    admin: Any,
    name: str,
    *,
    partitions: int,
    config: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> None:
    """Creates one topic and waits until every partition has a leader (ready to produce to).

    For tests and benchmarks that need a fresh topic of their own; the product's topics are
    made by :func:`create_topics`.
    """
    from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]  # noqa: PLC0415

    topic = NewTopic(
        name, num_partitions=partitions, replication_factor=1, config=dict(config or {})
    )
    admin.create_topics([topic], operation_timeout=30)[name].result(timeout=timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = admin.list_topics(topic=name, timeout=5).topics.get(name)
        if (
            found is not None
            and found.error is None
            and len(found.partitions) == partitions
            and all(p.leader >= 0 for p in found.partitions.values())
        ):
            return
        time.sleep(0.1)
    raise ServiceError(f"topic {name} has no leaders for its {partitions} partitions yet")


def admin_client(bootstrap: str, *, logger: logging.Logger | None = None, **extra: Any) -> Any:
    """An ``AdminClient`` whose librdkafka logs go to Python logging instead of stderr."""
    from confluent_kafka.admin import AdminClient  # noqa: PLC0415

    conf: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "logger": logger or logging.getLogger("tooltrail.kafka.client"),
    }
    conf.update(extra)
    return AdminClient(conf)


__all__ = [
    "ALERTS",
    "DEADLETTER",
    "ENRICHED",
    "TOOLCALLS",
    "TOPICS",
    "CreateOutcome",
    "TopicSpec",
    "admin_client",
    "create_topic",
    "create_topics",
]
