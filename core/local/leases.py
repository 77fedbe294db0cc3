"""Leases: which processes (test sessions) are using the local broker right now.

Several test sessions may share one broker on a machine. Each holds a lease (a file named
after its pid) while it runs; the session that started the broker stops it only when no
other live session holds one, so nobody pulls the broker from under a neighbour.
"""

from __future__ import annotations

import os
from pathlib import Path

from tooltrail.local.process import pid_alive


def acquire_lease(state_dir: Path) -> Path:
    """Records that this process uses the broker; returns the lease to release."""
    leases = state_dir / "leases"
    leases.mkdir(parents=True, exist_ok=True)
    lease = leases / str(os.getpid())
    lease.write_text(f"{os.getpid()}\n", encoding="utf-8")
    return lease


def release_lease(lease: Path) -> None:
    """Drops a lease taken with :func:`acquire_lease` (no error when already gone)."""
    lease.unlink(missing_ok=True)


def live_leases(state_dir: Path) -> list[int]:
    """Pids of live processes holding a lease; leases of dead processes are removed."""
    leases = state_dir / "leases"
    alive: list[int] = []
    if not leases.is_dir():
        return alive
    for lease in leases.iterdir():
        try:
            pid = int(lease.name)
        except ValueError:
            continue
        if pid_alive(pid):
            alive.append(pid)
        else:
            lease.unlink(missing_ok=True)
    return sorted(alive)


__all__ = ["acquire_lease", "live_leases", "release_lease"]
