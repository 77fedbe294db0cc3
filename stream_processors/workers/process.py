"""Run ``tooltrail worker processors`` as a child process: for the demo, tests and benchmarks.

:class:`WorkerProcess` starts the real CLI in a subprocess with its settings in the
environment, waits until the worker serves ``/health`` with partitions assigned, reads its
Prometheus metrics, and stops it gracefully (SIGTERM) or kills it (``kill -9``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Self

from tooltrail.closing import Closing
from tooltrail.errors import ServiceError
from tooltrail.stream_processors.workers.config import Topics

_LAUNCH = "import sys; from tooltrail.cli import main; sys.exit(main())"


def free_port() -> int:
    """A TCP port nobody listens on right now (for a worker's web server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text format -> ``{"name{labels}": value}`` (comments skipped)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        with contextlib.suppress(ValueError):
            out[name] = float(value)
    return out


class WorkerProcess(Closing):
    """One ``tooltrail worker processors`` child process.

    Args:
        bootstrap: Kafka bootstrap servers.
        app_id: the Faust app id (consumer group); workers sharing it share partitions.
        topics: the four topic names.
        store: ``memory://`` or ``rocksdb://``.
        datadir: table directory (RocksDB); one per live worker.
        web_port: port of ``/health`` and ``/metrics``; a free one by default.
        log: where the child's stdout and stderr go (a file path), or None to discard.
        env: extra environment variables (``TOOLTRAIL_PROCESSORS_*`` ...).
    """

    def __init__(
        self,
        *,
        bootstrap: str,
        app_id: str,
        topics: Topics | None = None,
        store: str = "memory://",
        datadir: Path,
        web_port: int | None = None,
        log: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.app_id = app_id
        self.topics = topics or Topics()
        self.store = store
        self.datadir = datadir
        self.web_port = web_port or free_port()
        self.log = log
        self.extra_env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self) -> WorkerProcess:
        env = dict(os.environ)
        env.update(
            {
                "TOOLTRAIL_BOOTSTRAP_SERVERS": self.bootstrap,
                "TOOLTRAIL_PROCESSORS_APP_ID": self.app_id,
                "TOOLTRAIL_PROCESSORS_STORE": self.store,
                "TOOLTRAIL_PROCESSORS_DATADIR": str(self.datadir),
                "TOOLTRAIL_PROCESSORS_WEB_PORT": str(self.web_port),
                "TOOLTRAIL_PROCESSORS_RAW_TOPIC": self.topics.raw,
                "TOOLTRAIL_PROCESSORS_ENRICHED_TOPIC": self.topics.enriched,
                "TOOLTRAIL_PROCESSORS_ALERTS_TOPIC": self.topics.alerts,
                "TOOLTRAIL_PROCESSORS_DEADLETTER_TOPIC": self.topics.deadletter,
            }
        )
        env.update(self.extra_env)
        if self.log is not None:
            self._log_file = self.log.open("ab")
        out = self._log_file if self._log_file is not None else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, "worker", "processors", "--loglevel", "info"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def health(self) -> dict[str, Any] | None:
        """The ``/health`` document, or None while the web server does not answer."""
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                body: dict[str, Any] = json.loads(response.read())
                return body
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read() or b"{}")
            return body
        except (OSError, ValueError):
            return None

    def metrics(self) -> dict[str, float]:
        """The worker's metrics (empty while it does not answer)."""
        try:
            with urllib.request.urlopen(f"{self.url}/metrics", timeout=2) as response:
                return parse_metrics(response.read().decode())
        except (OSError, ValueError):
            return {}

    def wait_ready(self, *, timeout: float = 60.0, partitions: bool = True) -> dict[str, Any]:
        """Wait until the worker answers (with partitions assigned, unless told otherwise)."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ServiceError(
                    f"processors worker exited with {self.process.returncode}; see {self.log}"
                )
            last = self.health()
            if (
                last
                and last.get("status") == "ok"
                and (not partitions or last.get("assigned_partitions"))
            ):
                return last
            time.sleep(0.2)
        raise ServiceError(f"processors worker not ready after {timeout:.0f}s (last: {last})")

    def stop(self, *, timeout: float = 30.0) -> int | None:
        """SIGTERM (graceful: Faust commits and leaves the group), then SIGKILL."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._close_log()
        return process.returncode

    def kill(self) -> None:
        """``kill -9``: no commit, no goodbye to the group."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def close(self) -> None:
        self.stop()

    def __enter__(self) -> Self:
        """Unlike other clients, entering starts the worker (and leaving stops it)."""
        self.start()
        return self


def delete_app_topics(bootstrap: str, app_id: str, *, timeout: float = 30.0) -> list[str]:
    """Delete the topics Faust made for ``app_id`` (changelogs, assignor): test cleanup."""
    from tooltrail.topics import admin_client  # noqa: PLC0415

    admin = admin_client(bootstrap)
    names = [t for t in admin.list_topics(timeout=timeout).topics if t.startswith(f"{app_id}-")]
    if names:
        for future in admin.delete_topics(names, operation_timeout=timeout).values():
            with contextlib.suppress(Exception):
                future.result(timeout)
    return names
