"""Runs a single-node Apache Kafka broker (KRaft) on 127.0.0.1 from cached Maven jars.

State lives outside the repository, in ``<cache_dir>/kafka-data-<port>/``: the generated
configuration, the KRaft storage (``data/``), the pid file and the broker's log. Start and
stop are idempotent and serialised across processes by a file lock.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Self

from tooltrail.closing import Closing
from tooltrail.errors import ServiceError
from tooltrail.local.config import (
    LOCAL_HOST,
    new_cluster_id,
    render_log4j2,
    render_server_properties,
)
from tooltrail.local.jars import KafkaJars, ensure_kafka_jars
from tooltrail.local.leases import live_leases
from tooltrail.local.probe import CLIENT_LOGGER, broker_answers
from tooltrail.local.process import (
    file_lock,
    pid_alive,
    pid_cmdline,
    port_accepts,
    port_in_use,
    read_pid,
    require_java,
    tail,
    terminate,
)
from tooltrail.settings import DEFAULT_KAFKA_VERSION

if TYPE_CHECKING:
    from tooltrail.settings import Settings

BROKER_MAIN = "kafka.Kafka"
STORAGE_TOOL_MAIN = "kafka.tools.StorageTool"


@dataclass(frozen=True)
class BrokerStatus:
    """What is known about the local broker right now.

    Attributes:
        bootstrap: ``host:port`` clients connect to.
        pid: the pid of the broker this state directory started, when it is alive.
        answering: a Kafka broker (ours or not) answers at ``bootstrap``.
        log_file: the broker's log (stdout and stderr of the JVM).
    """

    bootstrap: str
    pid: int | None
    answering: bool
    log_file: Path

    @property
    def managed(self) -> bool:
        """True when the broker process was started from this state directory."""
        return self.pid is not None


@dataclass(frozen=True)
class StartResult:
    """Outcome of :meth:`LocalKafka.start`."""

    status: BrokerStatus
    started: bool
    jars: KafkaJars | None
    seconds: float


class LocalKafka(Closing):
    """Starts, checks and stops the local broker; a context manager that stops what it started.

    Args:
        port: the client (PLAINTEXT) port on 127.0.0.1.
        controller_port: the KRaft controller port; defaults to ``port + 1``.
        version: Apache Kafka version fetched from Maven Central.
        cache_dir: holds ``kafka-<version>/`` (jars) and ``kafka-data-<port>/`` (state).
        heap: the JVM's maximum heap (``-Xmx``).
        java: java executable; mvn: Maven executable (names on PATH or paths).
        start_timeout: seconds a started broker has to answer.
        logger: receives librdkafka's log lines of the probes.
    """

    def __init__(
        self,
        *,
        port: int = 9092,
        controller_port: int | None = None,
        version: str = DEFAULT_KAFKA_VERSION,
        cache_dir: Path,
        heap: str = "512m",
        java: str = "java",
        mvn: str = "mvn",
        start_timeout: float = 120.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self.port = port
        self.controller_port = controller_port if controller_port is not None else port + 1
        self.version = version
        self.cache_dir = cache_dir.expanduser()
        self.heap = heap
        self.java = java
        self.mvn = mvn
        self.start_timeout = start_timeout
        self.logger = logger or logging.getLogger(CLIENT_LOGGER)
        self.state_dir = self.cache_dir / f"kafka-data-{port}"
        self.data_dir = self.state_dir / "data"
        self.pid_file = self.state_dir / "kafka.pid"
        self.log_file = self.state_dir / "kafka.log"
        self.properties_file = self.state_dir / "server.properties"
        self.log4j_file = self.state_dir / "log4j2.properties"
        self.owner_file = self.state_dir / "started-by"
        self._lock_file = self.cache_dir / f"kafka-data-{port}.lock"
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, logger: logging.Logger | None = None
    ) -> LocalKafka:
        """The broker the ``TOOLTRAIL_*`` settings describe."""
        return cls(
            port=settings.kafka_port,
            controller_port=settings.controller_port,
            version=settings.kafka_version,
            cache_dir=settings.cache_dir,
            heap=settings.kafka_heap,
            java=settings.java,
            mvn=settings.mvn,
            start_timeout=settings.kafka_start_timeout,
            logger=logger,
        )

    @property
    def bootstrap(self) -> str:
        """``host:port`` of the broker's client listener."""
        return f"{LOCAL_HOST}:{self.port}"

    def status(self, *, timeout: float = 5.0) -> BrokerStatus:
        """Whether our broker process runs and whether anything answers on the port."""
        pid = self._managed_pid()
        answering = False
        if pid is not None or port_accepts(LOCAL_HOST, self.port):
            answering = broker_answers(self.bootstrap, timeout=timeout, logger=self.logger)
        return BrokerStatus(self.bootstrap, pid, answering, self.log_file)

    def started_by(self) -> str | None:
        """Who started the running broker (``cli``, ``fixture`` ...), as recorded at start."""
        if self._managed_pid() is None:
            return None
        try:
            return self.owner_file.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def start(self, *, fresh: bool = False, owner: str = "cli") -> StartResult:
        """Starts the broker unless it already runs, and waits until it answers.

        The first start fetches the jars with Maven (minutes); later starts reuse them.

        Args:
            fresh: wipe the broker's topics and metadata first (only when it is stopped).
            owner: recorded as who started it, so a test session stops only its own broker.

        Raises:
            ServiceError: Java or Maven is missing, a port is taken by another program, or
                the broker did not come up (the message ends with its log).
        """
        began = time.monotonic()
        with file_lock(self._lock_file):
            current = self.status(timeout=3.0)
            if current.managed:
                if not current.answering:
                    assert current.pid is not None
                    self._wait_until_answering(current.pid, process=None)
                return StartResult(self.status(), False, None, time.monotonic() - began)
            if current.answering:
                raise ServiceError(
                    f"A Kafka broker that tooltrail did not start already answers on "
                    f"{self.bootstrap}. Use it as is (`tooltrail kafka status` says so), stop "
                    f"it, or choose another port with TOOLTRAIL_KAFKA_PORT."
                )
            self._check_ports_free()
            java = require_java(self.java)
            jars = ensure_kafka_jars(cache_dir=self.cache_dir, version=self.version, mvn=self.mvn)
            self._prepare_state(java, jars, fresh=fresh)
            self.owner_file.write_text(f"{owner}\n", encoding="utf-8")
            process = self._launch(java, jars)
            self._wait_until_answering(process.pid, process=process)
            return StartResult(self.status(), True, jars, time.monotonic() - began)

    def stop(self, *, timeout: float = 30.0, unless_leased: bool = False) -> bool:
        """Stops our broker (SIGTERM, then SIGKILL after ``timeout``).

        Args:
            unless_leased: leave it running while a live process holds a lease on it
                (:func:`~tooltrail.local.leases.acquire_lease`); checked under the lock
                that ``start`` takes, so a session starting meanwhile is not cut off.

        Returns:
            True when a broker was stopped; False when none ran or it is still leased.
        """
        with file_lock(self._lock_file):
            pid = self._managed_pid()
            if pid is None:
                self.pid_file.unlink(missing_ok=True)
                return False
            if unless_leased and live_leases(self.state_dir):
                return False
            process = self._process if self._process and self._process.pid == pid else None
            killed = terminate(pid, timeout=timeout, process=process)
            if killed:
                self.logger.warning("Kafka broker pid %d ignored SIGTERM; it was killed", pid)
            self.pid_file.unlink(missing_ok=True)
            self.owner_file.unlink(missing_ok=True)
            self._process = None
            return True

    def close(self) -> None:
        """Stops the broker if this object started it."""
        if self._process is not None:
            self.stop()

    def __enter__(self) -> Self:
        """Unlike other clients, entering starts the broker (and leaving stops it)."""
        self.start()
        return self

    def _managed_pid(self) -> int | None:
        """The pid in the pid file when that process is alive and is our broker."""
        pid = read_pid(self.pid_file)
        if pid is None or not pid_alive(pid):
            return None
        cmdline = pid_cmdline(pid)
        # Guards against pid reuse: the process must be a broker run on our config file.
        if cmdline is not None and (
            BROKER_MAIN not in cmdline or str(self.properties_file) not in cmdline
        ):
            return None
        return pid

    def _check_ports_free(self) -> None:
        for port, variable in (
            (self.port, "TOOLTRAIL_KAFKA_PORT"),
            (self.controller_port, "TOOLTRAIL_KAFKA_CONTROLLER_PORT"),
        ):
            if port_in_use(LOCAL_HOST, port):
                raise ServiceError(
                    f"Port {port} on {LOCAL_HOST} is taken by another program (not a Kafka "
                    f"broker that answers); stop that program or choose another port with "
                    f"{variable}."
                )

    def _prepare_state(self, java: str, jars: KafkaJars, *, fresh: bool) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if fresh:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        self.properties_file.write_text(
            render_server_properties(
                port=self.port, controller_port=self.controller_port, data_dir=self.data_dir
            ),
            encoding="utf-8",
        )
        self.log4j_file.write_text(render_log4j2(), encoding="utf-8")
        if (self.data_dir / "meta.properties").is_file():
            return
        shutil.rmtree(self.data_dir, ignore_errors=True)  # a half-formatted directory
        cluster_id = new_cluster_id()
        args = [
            *self._jvm_args(java, jars, heap="256m"),
            STORAGE_TOOL_MAIN,
            "format",
            "--cluster-id",
            cluster_id,
            "--config",
            str(self.properties_file),
            "--standalone",  # this node is the whole controller quorum
        ]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=180, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ServiceError("Formatting the KRaft storage took over 180 s; retry.") from exc
        if done.returncode != 0:
            output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
            raise ServiceError(
                f"Formatting the KRaft storage in {self.data_dir} failed (exit "
                f"{done.returncode}); run `tooltrail kafka start --fresh` to start over. "
                f"Output:\n{output}"
            )

    def _jvm_args(self, java: str, jars: KafkaJars, *, heap: str) -> list[str]:
        return [
            java,
            f"-Xmx{heap}",
            "-Xms64m",
            # Two shared cores: a serial collector and few compiler threads keep it quiet.
            "-XX:+UseSerialGC",
            "-XX:CICompilerCount=2",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.log4j_file}",
            f"-Dkafka.logs.dir={self.state_dir}",
            "-cp",
            jars.classpath,
        ]

    def _launch(self, java: str, jars: KafkaJars) -> subprocess.Popen[bytes]:
        args = [*self._jvm_args(java, jars, heap=self.heap), BROKER_MAIN, str(self.properties_file)]
        with self.log_file.open("wb") as log:
            process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.state_dir,
                start_new_session=True,  # its own process group: Ctrl-C in a shell spares it
            )
        self._process = process
        self.pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
        return process

    def _wait_until_answering(self, pid: int, *, process: subprocess.Popen[bytes] | None) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            exited = process.poll() is not None if process is not None else not pid_alive(pid)
            if exited:
                self.pid_file.unlink(missing_ok=True)
                self._process = None
                raise ServiceError(
                    f"The Kafka broker exited during start-up; the end of {self.log_file}:\n"
                    f"{tail(self.log_file)}"
                )
            # Ask Kafka only once the port accepts connections: cheaper, and exits are seen fast.
            if port_accepts(LOCAL_HOST, self.port) and broker_answers(
                self.bootstrap, timeout=2.0, logger=self.logger
            ):
                return
            time.sleep(0.25)
        with contextlib.suppress(ServiceError):
            terminate(pid, timeout=10.0, process=process)
        self.pid_file.unlink(missing_ok=True)
        self._process = None
        raise ServiceError(
            f"The Kafka broker did not answer on {self.bootstrap} within "
            f"{self.start_timeout:.0f} s and was stopped (raise TOOLTRAIL_KAFKA_START_TIMEOUT "
            f"on a slow machine); the end of {self.log_file}:\n{tail(self.log_file)}"
        )


__all__ = [
    "BROKER_MAIN",
    "STORAGE_TOOL_MAIN",
    "BrokerStatus",
    "LocalKafka",
    "StartResult",
]
