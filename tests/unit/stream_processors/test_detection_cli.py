"""``tooltrail rules check|test|eval|backtest``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tooltrail.cli import main
from tooltrail.schemas import canonical_json
from tooltrail.stream_processors.synthetic import SCENARIOS, generate


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["rules", *args])
    return result.exit_code, result.stdout, result.stderr


def test_check_and_test_the_default_pack() -> None:
    code, out, _ = _invoke("check")
    assert code == 0
    assert "rules compiled" in out and "0 lint finding(s)" in out
    code, out, err = _invoke("test")
    assert code == 0, err
    assert "cases passed over" in out


def test_check_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: X\n    name: x\n    kind: event\n    where: {nope: 1}\n")
    code, _, err = _invoke("check", "--rules", str(bad))
    assert code == 1
    assert f"{bad}:5: unknown field 'nope'" in err


def test_test_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    rule = tmp_path / "r.yaml"
    rule.write_text(
        "rules:\n  - id: X\n    name: x\n    kind: event\n    where: {tool: login}\n"
        "    tests:\n      - name: wrong\n        events: [{tool: login}]\n        expect: []\n"
    )
    code, out, err = _invoke("test", "--rules", str(rule))
    assert code == 1
    assert "FAIL X wrong" in err and "0/1 cases passed" in out


def test_eval_prints_alert_lines_and_a_summary(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    with events.open("wb") as f:
        for record in generate(events=3_000, sessions=30, attack_rate=1.0, seed=3):
            f.write(canonical_json(record) + b"\n")
        f.write(b'{"not": "an event"}\n')
    catalog = Path(__file__).parents[3] / "stream_processors" / "catalog" / "default.yaml"
    code, out, err = _invoke("eval", "--catalog", str(catalog), str(events))
    assert code == 0, err
    alerts = [json.loads(line) for line in out.splitlines()]
    assert alerts
    for alert in alerts:
        assert {"rule_id", "severity", "session_id", "agent_id", "event_ids", "message"} <= set(
            alert
        )
    assert f"{events}:3001: invalid event" in err
    assert "3000 events, 1 invalid" in err
    code, _, _ = _invoke("eval", "--strict", str(events))
    assert code == 1
    assert set(SCENARIOS)  # the stream carried attacks


def test_backtest_says_it_needs_the_sink() -> None:
    code, _, err = _invoke("backtest", "--since", "30d")
    assert code == 2
    assert "ClickHouse sink" in err
