"""``tooltrail alerts forward`` against the real broker and a flaky webhook: every alert
posted in order, none skipped, offsets committed only after a 2xx."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tooltrail.schemas import ALERT, single_object_serializer
from tooltrail.stream_processors.workers.kafkaio import produce_all

LAUNCH = "import sys; from tooltrail.cli import main; sys.exit(main())"


class Hook:
    """A webhook that answers 500 to the first ``failures`` requests, then 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.accepted: list[dict[str, Any]] = []
        self.attempts = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.attempts += 1
                status = 500 if hook.attempts <= hook.failures else 200
                if status == 200:
                    hook.accepted.append(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook(failures=3)
    yield h
    h.close()


def alert(n: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "alert_id": f"alert-{n}", "kind": "detection", "rule_id": "test.rule",
        "rule_name": "Test rule", "severity": "high", "tenant_id": "t1",
        "session_id": "s1", "agent_id": "a1", "event_ids": [f"e{n}"],
        "first_event_at": now, "last_event_at": now, "message": f"number {n}", "detected_at": now,
    }  # fmt: skip


def forwarder(bootstrap: str, url: str, topic: str, group: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TOOLTRAIL_BOOTSTRAP_SERVERS=bootstrap)
    cmd = [sys.executable, "-c", LAUNCH, "alerts", "forward", "--webhook", url, "--topic", topic,
           "--group", group, "--max-backoff", "0.2"]  # fmt: skip
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    return out.decode()


def test_forward_posts_every_alert_in_order_and_commits_after_2xx(
    kafka_bootstrap: str, unique_topic: Callable[..., str], hook: Hook
) -> None:
    topic = unique_topic("alerts")
    encode = single_object_serializer(ALERT)
    produce_all(kafka_bootstrap, topic, [(b"s1", encode(alert(n))) for n in range(5)])
    group = f"forward-{topic}"

    first = forwarder(kafka_bootstrap, hook.url, topic, group)
    try:
        wait_for(lambda: len(hook.accepted) == 5, timeout=60)
    finally:
        output = stop(first)
    assert [a["alert"]["alert_id"] for a in hook.accepted] == [f"alert-{n}" for n in range(5)]
    assert hook.attempts == 5 + 3  # three failures retried, nothing skipped
    assert hook.accepted[0]["text"].endswith("number 0")
    assert "forwarded 5 alerts" in output

    # A restart resumes after the committed offsets: only the new alert is posted.
    produce_all(kafka_bootstrap, topic, [(b"s1", encode(alert(5)))])
    second = forwarder(kafka_bootstrap, hook.url, topic, group)
    try:
        wait_for(lambda: len(hook.accepted) == 6, timeout=60)
        time.sleep(1.0)
    finally:
        stop(second)
    assert [a["alert"]["alert_id"] for a in hook.accepted][5:] == ["alert-5"]
