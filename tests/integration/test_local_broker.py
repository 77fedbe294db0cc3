"""`tooltrail kafka start|stop|status` and `topics create` on a private broker and port.

A second broker on free ports (never the shared one on 9092), driven through the CLI:
start and stop are idempotent, topics get their retention, --fresh wipes the data.
"""

from __future__ import annotations

import logging
import shutil
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from confluent_kafka.admin import ConfigResource  # type: ignore[attr-defined]

from tooltrail.cli import main
from tooltrail.settings import Settings
from tooltrail.topics import ALERTS, DEADLETTER, TOOLCALLS, TOPICS, admin_client

_LOG = logging.getLogger("tooltrail.tests.kafka")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def private_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Points the TOOLTRAIL_* settings at free ports; removes the state afterwards."""
    port, controller = _free_port(), _free_port()
    monkeypatch.setenv("TOOLTRAIL_KAFKA_PORT", str(port))
    monkeypatch.setenv("TOOLTRAIL_KAFKA_CONTROLLER_PORT", str(controller))
    monkeypatch.setenv("TOOLTRAIL_BOOTSTRAP_SERVERS", f"127.0.0.1:{port}")
    yield port
    CliRunner().invoke(main, ["kafka", "stop"])  # in case the test failed half-way
    shutil.rmtree(Settings().cache_dir / f"kafka-data-{port}", ignore_errors=True)
    (Settings().cache_dir / f"kafka-data-{port}.lock").unlink(missing_ok=True)


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _retention_ms(bootstrap: str, topic: str) -> int:
    admin = admin_client(bootstrap, logger=_LOG)
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs: Any = admin.describe_configs([resource])[resource].result(timeout=30)
    return int(configs["retention.ms"].value)


def test_cli_lifecycle_is_idempotent(private_port: int) -> None:
    bootstrap = f"127.0.0.1:{private_port}"
    stopped = _run("kafka", "status")
    assert stopped.exit_code == 1
    assert "stopped" in stopped.output

    started = _run("kafka", "start")
    assert started.exit_code == 0, started.output
    assert f"answers on {bootstrap}" in started.output
    try:
        again = _run("kafka", "start")
        assert again.exit_code == 0
        assert "already running" in again.output
        quiet = _run("kafka", "status", "--quiet")
        assert (quiet.exit_code, quiet.output) == (0, "")

        created = _run("topics", "create", "--partitions", "2")
        assert created.exit_code == 0, created.output
        assert created.output.count("created ") == len(TOPICS)
        repeated = _run("topics", "create")
        assert repeated.exit_code == 0
        assert repeated.output.count("exists ") == len(TOPICS)
        listed = _run("topics", "list")
        assert f"{TOOLCALLS}\t2 partitions" in listed.output
        assert _retention_ms(bootstrap, ALERTS) == 90 * 86_400_000
        assert _retention_ms(bootstrap, DEADLETTER) == 30 * 86_400_000

        refused = _run("kafka", "start", "--fresh")
        assert refused.exit_code == 1
        assert "kafka stop" in refused.output
    finally:
        first_stop = _run("kafka", "stop")
    assert "stopped" in first_stop.output
    second_stop = _run("kafka", "stop")
    assert "was not running" in second_stop.output
    assert _run("kafka", "status").exit_code == 1

    fresh = _run("kafka", "start", "--fresh")
    assert fresh.exit_code == 0, fresh.output
    try:
        listed = _run("topics", "list")
        assert listed.exit_code == 0
        assert TOOLCALLS not in listed.output  # the data directory was wiped
    finally:
        assert "stopped" in _run("kafka", "stop").output
