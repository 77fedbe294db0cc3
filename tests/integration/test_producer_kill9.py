"""A ``disk``-mode producer killed with ``kill -9`` mid-burst: a restart delivers everything
it recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tooltrail.producer import FindingKind, verify

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from producer_helpers.consume import consume_all

HELPER = Path(__file__).parent / "producer_helpers" / "burst.py"


def _recorded(log: Path) -> list[str]:
    text = log.read_text() if log.exists() else ""
    lines = text.split("\n")
    return [line for line in lines[:-1] if len(line) == 36]  # the last line may be torn


def test_kill_9_mid_burst_then_restart_delivers_every_recorded_event(
    kafka_bootstrap: str, unique_topic: Any, tmp_path: Path
) -> None:
    topic = unique_topic(partitions=1)
    spool, log = tmp_path / "spool", tmp_path / "recorded.log"
    child = subprocess.Popen(
        [sys.executable, str(HELPER), "record", kafka_bootstrap, topic, str(spool), str(log)],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(_recorded(log)) < 5000:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "the burst did not get going"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    assert child.returncode == -signal.SIGKILL
    recorded = _recorded(log)
    assert len(list(spool.glob("*.seg"))) >= 1  # undelivered records waited on disk

    drain = subprocess.run(
        [sys.executable, str(HELPER), "drain", kafka_bootstrap, topic, str(spool)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert drain.returncode == 0, drain.stdout + drain.stderr

    got = consume_all(kafka_bootstrap, topic, expect=len(recorded), timeout=60)
    ids = {r["event_id"] for r in got}
    missing = [i for i in recorded if i not in ids]
    assert missing == [], f"{len(missing)} recorded events never arrived"
    # a wide window, so that re-sent records far behind are still told apart as duplicates
    report = verify(got, window=len(got) + 10)
    kinds = {str(f.kind) for f in report.findings}
    # the killed session never closed; re-sent records are duplicates; nothing else
    assert kinds <= {"not_closed", "duplicate"}, report.to_dict()["findings"][:5]
    assert FindingKind.NOT_CLOSED in {f.kind for f in report.findings}
