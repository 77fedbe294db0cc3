"""Is a Kafka broker answering? One cheap metadata request through confluent-kafka."""

from __future__ import annotations

import logging
from typing import Any

CLIENT_LOGGER = "tooltrail.kafka.client"


def broker_answers(
    bootstrap: str, *, timeout: float = 5.0, logger: logging.Logger | None = None
) -> bool:
    """True when a Kafka broker at ``bootstrap`` returns cluster metadata within ``timeout``.

    librdkafka's own log lines go to ``logger`` (Python logging), not to stderr.
    """
    from confluent_kafka import KafkaException  # noqa: PLC0415 - keep CLI start-up light
    from confluent_kafka.admin import AdminClient  # noqa: PLC0415

    conf: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "logger": logger or logging.getLogger(CLIENT_LOGGER),
        "socket.connection.setup.timeout.ms": max(1000, int(timeout * 1000)),
    }
    admin = AdminClient(conf)
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException:
        return False
    return bool(metadata.brokers)


__all__ = ["CLIENT_LOGGER", "broker_answers"]
