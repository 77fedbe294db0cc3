"""The worker, alerts and demo commands: registered, documented, configured from TOOLTRAIL_*."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tooltrail.cli import main
from tooltrail.cli.worker import build_config
from tooltrail.errors import ConfigError


@pytest.mark.parametrize(
    "args",
    [
        ["worker", "processors", "--help"],
        ["alerts", "forward", "--help"],
        ["demo", "run", "--help"],
    ],
)
def test_commands_are_registered(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_build_config_reads_settings_and_overrides(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TOOLTRAIL_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("TOOLTRAIL_PROCESSORS_STORE", "memory://")
    monkeypatch.setenv("TOOLTRAIL_PROCESSORS_BATCH_SIZE", "250")
    monkeypatch.setenv("TOOLTRAIL_PROCESSORS_ALERTS_TOPIC", "custom.alerts")
    monkeypatch.setenv("TOOLTRAIL_PROCESSORS_ALLOWED_LATENESS", "1.5")
    config, analysis = build_config({"app_id": "fleet-a", "datadir": tmp_path})
    assert config.bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert (config.app_id, config.store, config.batch_size) == ("fleet-a", "memory://", 250)
    assert config.datadir == tmp_path
    assert config.topics.alerts == "custom.alerts"
    assert config.topics.raw == "tooltrail.toolcalls.v1"
    assert analysis.allowed_lateness == 1.5


def test_a_bad_store_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLTRAIL_PROCESSORS_STORE", "redis://")
    with pytest.raises(ConfigError, match="memory:// or rocksdb://"):
        build_config()
