"""The alert forwarder: Slack payloads, retry until 2xx, commit only after it, no skips."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from tooltrail.schemas import ALERT, single_object_serializer
from tooltrail.stream_processors.workers.forwarder import AlertForwarder, Poster, slack_message

from .conftest import T0

ENCODE = single_object_serializer(ALERT)


def alert(n: int) -> dict[str, Any]:
    return {
        "alert_id": f"id-{n}",
        "kind": "detection",
        "rule_id": "exfil.db_then_email",
        "rule_name": "Database read then external email",
        "severity": "high",
        "tenant_id": "t1",
        "session_id": f"s{n}",
        "agent_id": "agent-7",
        "event_ids": ["e1", "e2"],
        "first_event_at": T0,
        "last_event_at": T0,
        "message": f"alert number {n}",
        "detected_at": T0,
    }


class Msg:
    def __init__(self, offset: int, value: bytes) -> None:
        self._offset, self._value = offset, value

    def error(self) -> None:
        return None

    def value(self) -> bytes:
        return self._value

    def offset(self) -> int:
        return self._offset

    def partition(self) -> int:
        return 0

    def topic(self) -> str:
        return "alerts"


class FakeConsumer:
    def __init__(self, values: list[bytes]) -> None:
        self.messages = [Msg(i, v) for i, v in enumerate(values)]
        self.committed: list[int] = []

    def poll(self, timeout: float) -> Msg | None:
        return self.messages.pop(0) if self.messages else None

    def commit(self, *, message: Msg, asynchronous: bool) -> None:
        assert asynchronous is False
        self.committed.append(message.offset())


def flaky_poster(failures: int, received: list[dict[str, Any]]) -> Poster:
    state = {"left": failures}

    def handler(request: httpx.Request) -> httpx.Response:
        if state["left"] > 0:
            state["left"] -= 1
            return httpx.Response(503)
        received.append(httpx.Response(200, content=request.content).json())
        return httpx.Response(200)

    return Poster(
        url="http://hook.test/x", client=httpx.Client(transport=httpx.MockTransport(handler))
    )


def test_slack_message_has_text_blocks_and_the_alert_id() -> None:
    msg = slack_message(alert(1))
    assert msg["text"].startswith(":red_circle: [HIGH] Database read then external email")
    assert msg["blocks"][0]["type"] == "header"
    assert "id-1" in msg["blocks"][-1]["elements"][0]["text"]
    assert msg["alert"]["rule_id"] == "exfil.db_then_email"


def test_every_alert_is_posted_in_order_and_committed_only_after_a_2xx() -> None:
    received: list[dict[str, Any]] = []
    consumer = FakeConsumer([ENCODE(alert(n)) for n in range(3)])
    forwarder = AlertForwarder(consumer=consumer, post=flaky_poster(3, received), max_backoff=0.01)
    assert forwarder.run(idle_timeout=0.5) == 3
    assert [r["alert"]["alert_id"] for r in received] == ["id-0", "id-1", "id-2"]
    assert consumer.committed == [0, 1, 2]
    assert forwarder.retries == 3


def test_duplicates_are_not_posted_twice_and_garbage_is_reported_not_skipped() -> None:
    received: list[dict[str, Any]] = []
    consumer = FakeConsumer([ENCODE(alert(1)), ENCODE(alert(1)), b"junk", ENCODE(alert(2))])
    forwarder = AlertForwarder(consumer=consumer, post=flaky_poster(0, received))
    forwarder.run(idle_timeout=0.5)
    assert [r.get("alert", {}).get("alert_id") for r in received] == ["id-1", None, "id-2"]
    assert "undecodable record" in received[1]["text"]
    assert consumer.committed == [0, 1, 2, 3]
    assert forwarder.duplicates == 1


def test_a_webhook_that_keeps_failing_blocks_instead_of_skipping() -> None:
    received: list[dict[str, Any]] = []
    consumer = FakeConsumer([ENCODE(alert(1)), ENCODE(alert(2))])
    stop = threading.Event()
    forwarder = AlertForwarder(
        consumer=consumer, post=flaky_poster(10**9, received), stop=stop, max_backoff=0.01
    )
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    forwarder.run()
    timer.join()
    assert received == [] and consumer.committed == []
    assert forwarder.retries > 3
    assert len(consumer.messages) == 1  # the second alert was never taken past the first
