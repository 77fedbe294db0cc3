"""``import tooltrail.producer`` stays light: no Faust, no ClickHouse, no chdb, no Kafka client."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys, time
t = time.perf_counter()
import tooltrail.producer
elapsed = time.perf_counter() - t
print(json.dumps({"modules": sorted(sys.modules), "seconds": elapsed}))
"""


def test_import_does_not_load_heavy_dependencies() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    modules = set(json.loads(out.stdout)["modules"])
    for heavy in (
        "faust",
        "clickhouse_connect",
        "chdb",
        "confluent_kafka",
        "pydantic_settings",
        "prometheus_client",
        "cryptography",
        "asyncio",
    ):
        assert heavy not in modules, heavy
    assert "tooltrail.producer.kafka" not in modules


def test_kafka_publisher_is_reachable_lazily() -> None:
    probe = (
        "import sys, tooltrail.producer as p; cls = p.KafkaPublisher; "
        "print(cls.__module__, 'confluent_kafka' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    # the module is loaded, the Kafka client only when a publisher is built
    assert out.stdout.split() == ["tooltrail.producer.kafka", "False"]
