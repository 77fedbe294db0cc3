"""Shared by every benchmark: timing loops, the printed table and the results JSON."""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def cli(doc: str | None, argv: list[str] | None = None, *, cpu: bool = False) -> argparse.Namespace:
    """The command line of a benchmark: ``--help`` prints its module doc (what it measures,
    against what, how long it takes) and exits before anything runs. ``cpu``: the script
    also takes ``--cpu`` (its broker-free part only)."""
    parser = argparse.ArgumentParser(
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"Writes its figures to {RESULTS.name}/<name>.json and prints them as a table.",
    )
    if cpu:
        parser.add_argument(
            "--cpu", action="store_true", help="only the CPU cost per stage (no broker, seconds)"
        )
    return parser.parse_args(argv)


def timed_rounds(
    candidates: dict[str, Callable[[], object]], *, n: int, rounds: int
) -> dict[str, list[float]]:
    """Seconds of CPU time per round for ``n`` calls of each candidate.

    Rounds interleave the candidates, so a burst of load from elsewhere on a shared machine
    hits all of them alike, and the garbage collector is off while timing (as in timeit).
    """
    times: dict[str, list[float]] = {name: [] for name in candidates}
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            for name, fn in candidates.items():
                start = time.process_time()
                for _ in range(n):
                    fn()
                times[name].append(time.process_time() - start)
    finally:
        gc.enable()
    return times


def paired(
    times: dict[str, list[float]], name: str, baseline: str, *, n: int, unit: str = "ops/s"
) -> dict[str, Any]:
    """Rate of ``name`` against ``baseline``: medians, and the median of per-round ratios.

    Pairing each round's two runs cancels slow drifts of machine speed that a ratio of two
    overall figures would keep.
    """
    ratios = [b / c for c, b in zip(times[name], times[baseline], strict=True)]
    return {
        "value": n / statistics.median(times[name]),
        "unit": unit,
        "baseline": n / statistics.median(times[baseline]),
        "ratio": statistics.median(ratios),
    }


def metric(value: float, unit: str, baseline: float | None) -> dict[str, Any]:
    ratio = None if not baseline else value / baseline
    return {"value": value, "unit": unit, "baseline": baseline, "ratio": ratio}


def write(name: str, metrics: dict[str, dict[str, Any]], *, notes: str = "") -> Path:
    """Print a readable table and write ``bench/results/<name>.json``.

    The JSON records which build ran (compiled modules or pure Python: see setup.py).
    """
    from tooltrail.native import build_kind  # noqa: PLC0415 (the installed package's)

    build = build_kind()
    width = max(len(k) for k in metrics)
    print(f"\n{name} [{build}]: {notes}" if notes else f"\n{name} [{build}]")
    print(f"{'metric'.ljust(width)}  {'value':>14}  {'baseline':>14}  {'ratio':>7}  unit")
    for key, m in metrics.items():
        base = "" if m["baseline"] is None else f"{m['baseline']:>14,.1f}"
        ratio = "" if m["ratio"] is None else f"{m['ratio']:>7.3f}"
        print(f"{key.ljust(width)}  {m['value']:>14,.1f}  {base:>14}  {ratio:>7}  {m['unit']}")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(
        json.dumps({"metrics": metrics, "notes": notes, "build": build}, indent=2) + "\n"
    )
    print(f"-> {path.relative_to(RESULTS.parent.parent)}")
    return path
