"""The benchmarks' command line: ``--help`` teaches and runs nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if not p.name.startswith("_"))


def test_every_benchmark_is_covered() -> None:
    assert {"codec.py", "detection.py", "processors.py", "producer.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_prints_the_module_doc_and_runs_nothing(script: str) -> None:
    results = {p: p.stat().st_mtime_ns for p in (BENCH / "results").glob("*.json")}
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {script}")
    assert "Run: " in done.stdout  # the module doc: how to run it, what it measures
    assert {p: p.stat().st_mtime_ns for p in (BENCH / "results").glob("*.json")} == results


def test_an_unknown_option_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "codec.py"), "--fast"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "unrecognized arguments: --fast" in done.stderr
