"""Small POSIX helpers for running a local service: executables, ports, pids, locks, logs."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tooltrail.errors import ServiceError

MIN_JAVA = 17  # Kafka 4.x brokers need Java 17 or newer


def require_executable(name: str, *, what: str, hint: str) -> str:
    """The full path of ``name`` (on PATH or a path), or a ServiceError saying what to do."""
    found = shutil.which(name)
    if found is None:
        raise ServiceError(f"{what} was not found (looked for `{name}`). {hint}")
    return found


def java_major_version(version_output: str) -> int | None:
    """The major version in ``java -version`` output (``17.0.15`` -> 17, ``1.8.0`` -> 8)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2) is not None:
        return int(match.group(2))
    return major


def require_java(java: str) -> str:
    """The path of a Java >= 17 executable, or a ServiceError saying what to do."""
    path = require_executable(
        java,
        what="Java",
        hint=f"Install a JDK {MIN_JAVA}+ (e.g. `apt-get install openjdk-17-jre-headless`) "
        "or set TOOLTRAIL_JAVA to the java executable.",
    )
    try:
        done = subprocess.run(
            [path, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServiceError(f"`{path} -version` could not run: {exc}") from exc
    major = java_major_version(done.stderr + done.stdout)
    if major is None:
        raise ServiceError(
            f"`{path} -version` printed no version; set TOOLTRAIL_JAVA to a JDK {MIN_JAVA}+ java."
        )
    if major < MIN_JAVA:
        raise ServiceError(
            f"Kafka 4.x needs Java {MIN_JAVA} or newer but `{path}` is Java {major}; "
            f"set TOOLTRAIL_JAVA to a newer java executable."
        )
    return path


def port_accepts(host: str, port: int) -> bool:
    """True when a TCP connection to host:port succeeds (something listens there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect((host, port))
        except OSError:
            return False
        return True


def port_in_use(host: str, port: int) -> bool:
    """True when a server could not bind host:port (a listener or a bound socket holds it)."""
    if port_accepts(host, port):
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR as the JVM sets it: a socket in TIME_WAIT does not block Kafka, but
        # a listener on 0.0.0.0 does, and only a bind (not a connect) finds that one.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def pid_alive(pid: int) -> bool:
    """True when process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        # The state letter follows the ")" closing the command name.
        state = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def pid_cmdline(pid: int) -> list[str] | None:
    """The command line of ``pid`` (Linux /proc), or None when it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def read_pid(path: Path) -> int | None:
    """The pid stored in ``path``, or None when absent or unreadable."""
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def terminate(pid: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> bool:
    """SIGTERM ``pid`` (its process group when it leads one), wait, then SIGKILL.

    Returns True when SIGKILL was needed. ``process`` is the Popen handle when this process
    started it, so the child is reaped instead of lingering as a zombie.
    """
    _signal(pid, signal.SIGTERM)
    if _wait_gone(pid, timeout=timeout, process=process):
        return False
    _signal(pid, signal.SIGKILL)
    _wait_gone(pid, timeout=10.0, process=process)
    return True


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _wait_gone(pid: int, *, timeout: float, process: subprocess.Popen[bytes] | None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.2)
                return True
        elif not pid_alive(pid):
            return True
        else:
            time.sleep(0.2)
    return not pid_alive(pid)


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a text file ("" when it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` held for the ``with`` block (across processes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = [
    "MIN_JAVA",
    "file_lock",
    "java_major_version",
    "pid_alive",
    "pid_cmdline",
    "port_accepts",
    "port_in_use",
    "read_pid",
    "require_executable",
    "require_java",
    "tail",
    "terminate",
]
