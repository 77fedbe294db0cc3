"""Make sure the pipeline's topics exist, and learn the raw topic's partition count.

Faust tables need their changelog to have as many partitions as the raw topic, so the
worker asks the broker instead of trusting a setting. Topics are created with the
retention of :mod:`tooltrail.topics` (also under other names, e.g. in tests).
"""

from __future__ import annotations

import logging

from tooltrail.errors import ServiceError
from tooltrail.stream_processors.workers.config import Topics
from tooltrail.topics import (
    ALERTS,
    DEADLETTER,
    ENRICHED,
    TOOLCALLS,
    TOPICS,
    TopicSpec,
    admin_client,
    create_topics,
)

log = logging.getLogger(__name__)


def _specs(topics: Topics) -> list[TopicSpec]:
    standard = {spec.name: spec for spec in TOPICS}
    names = {
        TOOLCALLS: topics.raw,
        ENRICHED: topics.enriched,
        ALERTS: topics.alerts,
        DEADLETTER: topics.deadletter,
    }
    return [
        TopicSpec(name, standard[role].description, standard[role].config)
        for role, name in names.items()
    ]


def ensure_topics(
    bootstrap_servers: str,
    *,
    topics: Topics,
    partitions: int,
    replication_factor: int = 1,
    timeout: float = 30.0,
) -> dict[str, int]:
    """Create missing pipeline topics; return the partition count of each.

    Raises:
        ServiceError: the broker cannot be reached or refuses to create a topic.
    """
    admin = admin_client(bootstrap_servers, logger=log)
    specs = _specs(topics)
    create_topics(
        admin,
        partitions=partitions,
        replication_factor=replication_factor,
        specs=specs,
        timeout=timeout,
    )
    try:
        existing = admin.list_topics(timeout=timeout).topics
    except Exception as exc:  # librdkafka raises KafkaException on timeouts
        raise ServiceError(f"cannot list topics on {bootstrap_servers}: {exc}") from exc
    counts: dict[str, int] = {}
    for spec in specs:
        meta = existing.get(spec.name)
        counts[spec.name] = len(meta.partitions) if meta is not None else partitions
    return counts
