"""The local-broker manager without a broker: configs, Maven cache, ports, errors, processes."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from tooltrail.errors import ServiceError
from tooltrail.local import LocalKafka, acquire_lease, live_leases, release_lease
from tooltrail.local.config import new_cluster_id, render_log4j2, render_server_properties
from tooltrail.local.jars import cached_jars, ensure_kafka_jars, render_pom, slf4j_binding
from tooltrail.local.process import (
    java_major_version,
    pid_alive,
    port_in_use,
    require_java,
    tail,
    terminate,
)
from tooltrail.settings import Settings
from tooltrail.topics import ALERTS, DEADLETTER, ENRICHED, TOOLCALLS, TOPICS, create_topics


def _props(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    return {key: value for key, value in pairs}


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- configuration -----------------------------------------------------------------------


def test_server_properties_single_node_kraft(tmp_path: Path) -> None:
    props = _props(render_server_properties(port=19092, controller_port=19093, data_dir=tmp_path))
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert props["log.dirs"] == str(tmp_path)
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "min.insync.replicas",
        "num.partitions",
    ):
        assert props[key] == "1", key
    assert props["group.initial.rebalance.delay.ms"] == "0"


def test_server_properties_extra_overrides_defaults(tmp_path: Path) -> None:
    text = render_server_properties(
        port=1, controller_port=2, data_dir=tmp_path, extra={"num.partitions": "4"}
    )
    assert _props(text)["num.partitions"] == "4"


def test_cluster_id_is_22_char_urlsafe_base64() -> None:
    ids = {new_cluster_id() for _ in range(2000)}
    assert len(ids) == 2000
    for cid in ids:
        assert len(cid) == 22
        assert not cid.startswith("-")  # the storage tool would read it as an option
        assert set(cid) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_log4j2_config_quiets_config_dumps() -> None:
    text = render_log4j2()
    assert "rootLogger.level = INFO" in text
    assert "logger.config.name = org.apache.kafka.common.config.AbstractConfig" in text


def test_pom_depends_on_the_requested_kafka() -> None:
    pom = render_pom("4.1.1")
    assert "<artifactId>kafka_2.13</artifactId>" in pom
    assert "<version>4.1.1</version>" in pom


@pytest.mark.parametrize(
    ("jars", "expected"),
    [
        (["log4j-core-2.25.5.jar", "slf4j-api-1.7.36.jar"], ("log4j-slf4j-impl", "2.25.5")),
        (["log4j-core-2.24.3.jar", "slf4j-api-2.0.17.jar"], ("log4j-slf4j2-impl", "2.24.3")),
        (["log4j-core-2.25.5.jar", "slf4j-api-1.7.36.jar", "log4j-slf4j-impl-2.25.5.jar"], None),
        (["slf4j-api-1.7.36.jar"], None),
    ],
)
def test_slf4j_binding_matches_log4j_core(
    jars: list[str], expected: tuple[str, str] | None
) -> None:
    assert slf4j_binding(jars) == expected


def test_settings_derive_bootstrap_and_controller_from_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TOOLTRAIL_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("TOOLTRAIL_KAFKA_CONTROLLER_PORT", raising=False)
    monkeypatch.setenv("TOOLTRAIL_KAFKA_PORT", "19092")
    settings = Settings()
    assert settings.bootstrap_servers == "127.0.0.1:19092"
    assert settings.controller_port == 19093
    monkeypatch.setenv("TOOLTRAIL_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    assert Settings().bootstrap_servers == "kafka-1:9092,kafka-2:9092"


def test_broker_paths_live_under_the_cache(tmp_path: Path) -> None:
    broker = LocalKafka(port=19092, cache_dir=tmp_path)
    assert broker.bootstrap == "127.0.0.1:19092"
    assert broker.controller_port == 19093
    assert broker.state_dir == tmp_path / "kafka-data-19092"
    assert broker.data_dir.parent == broker.state_dir


# -- Java and Maven ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "25" 2025-09-16', 25),
        ('java version "1.8.0_402"', 8),
        ("garbage", None),
    ],
)
def test_java_major_version(output: str, major: int | None) -> None:
    assert java_major_version(output) == major


def test_missing_java_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match=r"Java was not found.*TOOLTRAIL_JAVA"):
        require_java(str(tmp_path / "no-such-java"))


def test_old_java_is_refused(tmp_path: Path) -> None:
    java = _script(tmp_path / "java", "echo 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    with pytest.raises(ServiceError, match=r"needs Java 17 or newer.*is Java 11"):
        require_java(str(java))


def test_missing_maven_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match=r"Maven was not found.*TOOLTRAIL_MVN"):
        ensure_kafka_jars(cache_dir=tmp_path, version="4.4.0", mvn=str(tmp_path / "no-mvn"))
    assert cached_jars(cache_dir=tmp_path, version="4.4.0") is None


def test_failing_maven_shows_its_output(tmp_path: Path) -> None:
    mvn = _script(tmp_path / "mvn", "echo 'Could not resolve kafka_2.13:9.9.9'; exit 1\n")
    with pytest.raises(ServiceError, match=r"Maven failed \(exit 1\)[\s\S]*9\.9\.9"):
        ensure_kafka_jars(cache_dir=tmp_path / "cache", version="9.9.9", mvn=str(mvn))
    assert cached_jars(cache_dir=tmp_path / "cache", version="9.9.9") is None


def _fake_maven(tmp_path: Path) -> tuple[Path, Path]:
    """A mvn that records its calls and 'copies' a Kafka classpath into -DoutputDirectory."""
    calls = tmp_path / "calls"
    body = f"""
echo "$@" >> {calls}
for arg in "$@"; do
  case "$arg" in -DoutputDirectory=*) out="${{arg#-DoutputDirectory=}}";; esac
done
mkdir -p "$out"
case "$*" in
  *copy-dependencies*) touch "$out/kafka_2.13-4.4.0.jar" "$out/log4j-core-2.25.5.jar" \
      "$out/slf4j-api-1.7.36.jar";;
  *dependency:copy*) touch "$out/log4j-slf4j-impl-2.25.5.jar";;
esac
"""
    return _script(tmp_path / "mvn", body), calls


def test_jars_are_fetched_once_then_reused(tmp_path: Path) -> None:
    mvn, calls = _fake_maven(tmp_path)
    cache = tmp_path / "cache"
    first = ensure_kafka_jars(cache_dir=cache, version="4.4.0", mvn=str(mvn))
    assert first.downloaded
    names = sorted(p.name for p in first.libs.iterdir())
    assert "kafka_2.13-4.4.0.jar" in names
    assert "log4j-slf4j-impl-2.25.5.jar" in names  # the binding Kafka does not declare
    assert first.classpath == str(cache / "kafka-4.4.0" / "libs" / "*")
    assert len(calls.read_text().splitlines()) == 2

    second = ensure_kafka_jars(cache_dir=cache, version="4.4.0", mvn=str(tmp_path / "gone"))
    assert not second.downloaded
    assert second.libs == first.libs
    assert len(calls.read_text().splitlines()) == 2  # Maven was not run again


def test_maven_without_the_broker_jar_is_an_error(tmp_path: Path) -> None:
    mvn = _script(tmp_path / "mvn", "exit 0\n")
    with pytest.raises(ServiceError, match=r"kafka_2\.13-4\.4\.0\.jar is not in"):
        ensure_kafka_jars(cache_dir=tmp_path, version="4.4.0", mvn=str(mvn))


# -- ports, pids, processes --------------------------------------------------------------


def test_port_in_use_sees_a_listener_and_a_free_port() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
    assert not port_in_use("127.0.0.1", _free_port())


def test_start_refuses_a_port_taken_by_another_program(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))  # bound, never listening: not a Kafka broker
        port = squatter.getsockname()[1]
        broker = LocalKafka(port=port, controller_port=_free_port(), cache_dir=tmp_path)
        with pytest.raises(ServiceError, match=rf"Port {port} .*taken.*TOOLTRAIL_KAFKA_PORT"):
            broker.start()


def test_start_refuses_a_taken_controller_port(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        taken = squatter.getsockname()[1]
        broker = LocalKafka(port=_free_port(), controller_port=taken, cache_dir=tmp_path)
        with pytest.raises(ServiceError, match="TOOLTRAIL_KAFKA_CONTROLLER_PORT"):
            broker.start()


def test_start_without_java_says_what_to_do(tmp_path: Path) -> None:
    broker = LocalKafka(
        port=_free_port(), controller_port=_free_port(), cache_dir=tmp_path, java="no-such-java"
    )
    with pytest.raises(ServiceError, match="Java was not found"):
        broker.start()


def test_status_and_stop_when_nothing_runs(tmp_path: Path) -> None:
    broker = LocalKafka(port=_free_port(), cache_dir=tmp_path)
    current = broker.status()
    assert not current.answering
    assert not current.managed
    assert broker.stop() is False
    assert broker.started_by() is None


def test_stale_pid_file_is_not_our_broker(tmp_path: Path) -> None:
    broker = LocalKafka(port=_free_port(), cache_dir=tmp_path)
    broker.state_dir.mkdir(parents=True)
    broker.pid_file.write_text(f"{os.getpid()}\n")  # alive, but not a Kafka broker
    assert not broker.status().managed
    assert broker.stop() is False
    assert not broker.pid_file.exists()


def test_terminate_stops_a_process_with_sigterm() -> None:
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    assert terminate(proc.pid, timeout=10, process=proc) is False
    assert proc.returncode is not None
    assert not pid_alive(proc.pid)


def test_terminate_falls_back_to_sigkill() -> None:
    code = (
        "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    assert terminate(proc.pid, timeout=0.5, process=proc) is True
    assert proc.returncode == -9
    proc.stdout.close()


def test_tail_returns_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "kafka.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert tail(log, 3) == "line 97\nline 98\nline 99"
    assert tail(tmp_path / "missing.log") == ""


def test_leases_count_only_live_processes(tmp_path: Path) -> None:
    lease = acquire_lease(tmp_path)
    dead = tmp_path / "leases" / "999999999"
    dead.write_text("999999999\n")
    assert live_leases(tmp_path) == [os.getpid()]
    assert not dead.exists()
    release_lease(lease)
    assert live_leases(tmp_path) == []


# -- topics ------------------------------------------------------------------------------


def test_topic_specs_match_the_design() -> None:
    assert [spec.name for spec in TOPICS] == [TOOLCALLS, ENRICHED, ALERTS, DEADLETTER]
    days = {spec.name: spec.retention_days for spec in TOPICS}
    assert days == {TOOLCALLS: 7, ENRICHED: 7, ALERTS: 90, DEADLETTER: 30}
    assert all(spec.config["cleanup.policy"] == "delete" for spec in TOPICS)


class _Admin:
    """Answers create_topics like confluent's AdminClient: one future per topic."""

    def __init__(self, errors: dict[str, KafkaError]) -> None:
        self.errors = errors
        self.requested: list[Any] = []

    def create_topics(self, new: list[Any], **_: Any) -> dict[str, Future[None]]:
        self.requested = new
        futures: dict[str, Future[None]] = {}
        for topic in new:
            future: Future[None] = Future()
            error = self.errors.get(topic.topic)
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(KafkaException(error))
            futures[topic.topic] = future
        return futures


def test_create_topics_reports_existing_ones() -> None:
    admin = _Admin({ALERTS: KafkaError(KafkaError.TOPIC_ALREADY_EXISTS)})
    outcome = create_topics(admin, partitions=6)
    assert outcome == {
        TOOLCALLS: "created",
        ENRICHED: "created",
        ALERTS: "exists",
        DEADLETTER: "created",
    }
    assert {t.num_partitions for t in admin.requested} == {6}
    assert {t.replication_factor for t in admin.requested} == {1}


def test_create_topics_raises_other_broker_errors() -> None:
    admin = _Admin({DEADLETTER: KafkaError(KafkaError.POLICY_VIOLATION, "no")})
    with pytest.raises(ServiceError, match=f"Creating topic {DEADLETTER} failed"):
        create_topics(admin, partitions=1)


# -- start-up failures (a fake java and a fake Maven) -------------------------------------


def _fake_java(tmp_path: Path, broker_body: str) -> Path:
    """A java that reports version 17, formats nothing, and runs ``broker_body`` as the broker."""
    body = f"""
case "$*" in
  *-version*) echo 'openjdk version "17.0.15" 2025-04-15' >&2; exit 0;;
  *kafka.tools.StorageTool*) exit 0;;
esac
{broker_body}
"""
    return _script(tmp_path / "java", body)


def test_a_broker_that_exits_shows_its_log(tmp_path: Path) -> None:
    mvn, _ = _fake_maven(tmp_path)
    java = _fake_java(tmp_path, "echo 'ERROR Exiting Kafka: disk on fire'; exit 1\n")
    broker = LocalKafka(
        port=_free_port(),
        controller_port=_free_port(),
        cache_dir=tmp_path / "cache",
        java=str(java),
        mvn=str(mvn),
    )
    with pytest.raises(ServiceError, match=r"exited during start-up[\s\S]*disk on fire"):
        broker.start()
    assert not broker.pid_file.exists()


def test_a_broker_that_never_answers_is_stopped(tmp_path: Path) -> None:
    mvn, _ = _fake_maven(tmp_path)
    java = _fake_java(tmp_path, "echo 'INFO still thinking'; exec sleep 60\n")
    broker = LocalKafka(
        port=_free_port(),
        controller_port=_free_port(),
        cache_dir=tmp_path / "cache",
        java=str(java),
        mvn=str(mvn),
        start_timeout=1.0,
    )
    with pytest.raises(ServiceError, match=r"did not answer .* within 1 s[\s\S]*still thinking"):
        broker.start()
    assert not broker.pid_file.exists()
    assert not broker.status().managed
