"""Local services for development and tests: a real Apache Kafka broker without Docker.

``LocalKafka`` fetches ``org.apache.kafka:kafka_2.13`` and its runtime dependencies from
Maven Central with Maven into a cache outside the repository, formats KRaft storage and
runs a single-node broker+controller on 127.0.0.1. ``tooltrail kafka start|stop|status``
and the integration-test fixtures are thin shells around it.
"""

from tooltrail.local.broker import BrokerStatus, LocalKafka, StartResult
from tooltrail.local.jars import KafkaJars, cached_jars, ensure_kafka_jars
from tooltrail.local.leases import acquire_lease, live_leases, release_lease
from tooltrail.local.probe import CLIENT_LOGGER, broker_answers

__all__ = [
    "CLIENT_LOGGER",
    "BrokerStatus",
    "KafkaJars",
    "LocalKafka",
    "StartResult",
    "acquire_lease",
    "broker_answers",
    "cached_jars",
    "ensure_kafka_jars",
    "live_leases",
    "release_lease",
]
