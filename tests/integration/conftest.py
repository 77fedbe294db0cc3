"""Integration-test fixtures: a real Kafka broker and unique topics per test.

* Every test under tests/integration is marked ``integration`` automatically.
* ``kafka_bootstrap`` (session): ``host:port`` of a broker that answers. A broker already
  answering on ``TOOLTRAIL_BOOTSTRAP_SERVERS`` (default 127.0.0.1:9092) is reused; otherwise
  the local broker is started with ``tooltrail.local.LocalKafka`` (the code behind
  ``tooltrail kafka start``) and stopped at the end of the session, unless another test
  session on the machine still uses it (leases). A broker started by ``tooltrail kafka
  start`` is never stopped by the tests.
* ``kafka_client_config``: a fresh confluent-kafka config dict (bootstrap + a Python logger,
  so librdkafka does not write to stderr); add your own keys.
* ``unique_topic``: a factory ``unique_topic(prefix=None, *, partitions=1, config=None) -> str``
  that creates a new topic named ``test.<test name>.<random>`` and waits until its partitions
  have leaders. The topics are deleted when the test ends.

The broker is started at collection time when a selected test needs it, so the first
download of the jars (minutes on a slow network) does not count against a test's timeout.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tooltrail.errors import ServiceError, TooltrailError
from tooltrail.local import (
    LocalKafka,
    acquire_lease,
    broker_answers,
    release_lease,
)
from tooltrail.settings import Settings
from tooltrail.stream_processors.workers.process import delete_app_topics
from tooltrail.topics import admin_client, create_topic

_HERE = Path(__file__).parent
_LOG = logging.getLogger("tooltrail.tests.kafka")
_FIRST_START_TIMEOUT = 900.0  # seconds; a first start also fetches the jars with Maven


@dataclass
class _Provision:
    """The broker this test session uses, and whether it must stop it."""

    bootstrap: str = ""
    broker: LocalKafka | None = None
    lease: Path | None = None
    error: TooltrailError | None = None
    done: bool = False
    notes: list[str] = field(default_factory=list)


_KEY = pytest.StashKey[_Provision]()


def _provision(config: pytest.Config) -> _Provision:
    prov = config.stash.setdefault(_KEY, _Provision())
    if prov.done:
        return prov
    prov.done = True
    settings = Settings()
    prov.bootstrap = settings.bootstrap_servers
    broker = LocalKafka.from_settings(settings, logger=_LOG)
    # The lease comes first: a session ending meanwhile then leaves the broker running.
    prov.lease = acquire_lease(broker.state_dir)
    try:
        if broker_answers(prov.bootstrap, timeout=5.0, logger=_LOG):
            prov.notes.append(f"reusing the Kafka broker answering on {prov.bootstrap}")
        elif prov.bootstrap != broker.bootstrap:
            raise ServiceError(
                f"No Kafka broker answers on TOOLTRAIL_BOOTSTRAP_SERVERS={prov.bootstrap}, and "
                f"the tests start only the local broker ({broker.bootstrap}): start that broker "
                "or unset TOOLTRAIL_BOOTSTRAP_SERVERS."
            )
        else:
            broker.start_timeout = max(broker.start_timeout, 120.0)
            result = broker.start(owner="fixture")
            prov.notes.append(
                f"started Kafka on {prov.bootstrap} in {result.seconds:.1f} s"
                if result.started
                else f"reusing the local broker on {prov.bootstrap}"
            )
        prov.broker = broker
    except TooltrailError as exc:
        prov.error = exc
    return prov


def _release(prov: _Provision) -> None:
    if prov.lease is not None:
        release_lease(prov.lease)
        prov.lease = None
    broker = prov.broker
    if broker is not None and broker.started_by() == "fixture":
        # Another session may still use it: then the last one to finish stops it.
        broker.stop(unless_leased=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    if any("kafka_bootstrap" in getattr(item, "fixturenames", ()) for item in session.items):
        _provision(session.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    prov = session.config.stash.get(_KEY, None)
    if prov is not None:
        _release(prov)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    prov = config.stash.get(_KEY, None)
    for note in prov.notes if prov is not None else ():
        terminalreporter.write_line(f"kafka: {note}")


@pytest.fixture(scope="session")
def kafka_bootstrap(pytestconfig: pytest.Config) -> str:
    """``host:port`` of a Kafka broker that answers (started or reused for the session)."""
    prov = _provision(pytestconfig)
    if prov.error is not None:
        raise prov.error
    return prov.bootstrap


@pytest.fixture
def kafka_client_config(kafka_bootstrap: str) -> dict[str, Any]:
    """A fresh confluent-kafka config: bootstrap servers and librdkafka logs to logging."""
    return {"bootstrap.servers": kafka_bootstrap, "logger": _LOG}


def _topic_name(base: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-.")[:120] or "topic"
    return f"test.{cleaned}.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def unique_topic(
    request: pytest.FixtureRequest, kafka_bootstrap: str
) -> Iterator[Callable[..., str]]:
    """Factory of new, empty topics with unique names; deleted when the test ends."""
    admin = admin_client(kafka_bootstrap, logger=_LOG)
    created: list[str] = []

    def make(
        prefix: str | None = None, *, partitions: int = 1, config: dict[str, str] | None = None
    ) -> str:
        name = _topic_name(prefix or request.node.name)
        create_topic(admin, name, partitions=partitions, config=config)
        created.append(name)
        return name

    yield make
    if created:
        futures = admin.delete_topics(created, operation_timeout=30)
        for name, future in futures.items():
            try:
                future.result(timeout=60)
            except Exception as exc:  # cleanup must not hide the test's own outcome
                _LOG.warning("could not delete test topic %s: %s", name, exc)


@pytest.fixture
def app_id(kafka_bootstrap: str) -> Iterator[str]:
    """A Faust app id of its own: a reused one would bring back another run's state."""
    name = f"test-processors-{uuid.uuid4().hex[:12]}"
    yield name
    delete_app_topics(kafka_bootstrap, name)
