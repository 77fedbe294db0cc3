"""The capture API: decorator (sync/async), context manager, explicit API, outcomes,
capture levels, the why, fail-closed refusal; the tool's exceptions reach the agent unchanged."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from tooltrail.errors import AuditRequiredError
from tooltrail.producer import (
    Auditor,
    CapturePolicy,
    InMemoryPublisher,
    Redactor,
    ToolPolicy,
    reasoning,
    verify,
)
from tooltrail.schemas import TOOL_CALL_EVENT, Decoder, ToolCallEvent


@pytest.fixture
def pub() -> InMemoryPublisher:
    return InMemoryPublisher()


@pytest.fixture
def auditor(pub: InMemoryPublisher) -> Auditor:
    policy = CapturePolicy(
        default=ToolPolicy(level="request_response"),
        tools={
            "quiet": ToolPolicy(level="none"),
            "meta.*": ToolPolicy(level="metadata"),
            "req": ToolPolicy(level="request", max_argument_bytes=64),
        },
    )
    return Auditor(publisher=pub, policy=policy, redactor=Redactor(hash_key=b"k"))


def calls(pub: InMemoryPublisher) -> list[dict[str, Any]]:
    return [e for e in pub.events if e["kind"] == "tool_call"]


def test_decorated_sync_tool_records_success_and_chains(
    auditor: Auditor, pub: InMemoryPublisher
) -> None:
    @auditor.tool
    def lookup(city: str, *, password: str) -> dict[str, Any]:
        return {"city": city, "temp": 21}

    with auditor.session(tenant_id="acme", agent_id="bot", principal="alice"):
        assert lookup("Oslo", password="hunter2") == {"city": "Oslo", "temp": 21}
    kinds = [e["kind"] for e in pub.events]
    assert kinds == ["session_start", "tool_call", "session_end"]
    e = calls(pub)[0]
    assert e["tool"]["name"] == "lookup" and e["outcome"] == "success"
    assert e["principal"] == "alice" and e["agent"]["id"] == "bot"
    assert orjson.loads(e["arguments"]) == {"city": "Oslo", "password": "[REDACTED]"}
    assert orjson.loads(e["result"]) == {"city": "Oslo", "temp": 21}
    assert e["arguments_sha256"] and e["result_sha256"]
    assert e["redactions"][0]["rule"] == "key:password"
    assert e["duration_us"] >= 0 and e["ended_at"] >= e["started_at"]
    assert [x["seq"] for x in pub.events] == [1, 2, 3]
    assert verify(pub.events).ok
    # every event is valid against the contract (decodes and validates as the pydantic view)
    dec = Decoder(expect=TOOL_CALL_EVENT)
    for rec in pub.records:
        ToolCallEvent.model_validate(dec.decode(rec.value).record)


def test_exceptions_reach_the_agent_unchanged(auditor: Auditor, pub: InMemoryPublisher) -> None:
    boom = KeyError("missing")

    @auditor.tool
    def fails() -> None:
        raise boom

    with auditor.session(), pytest.raises(KeyError) as info:
        fails()
    assert info.value is boom
    e = calls(pub)[0]
    assert (e["outcome"], e["error_type"]) == ("error", "KeyError")
    assert "missing" in e["error_message"]


def test_decorated_arguments_are_named_for_methods_extra_positionals_and_keywords(
    auditor: Auditor, pub: InMemoryPublisher
) -> None:
    class Repo:
        @auditor.tool
        def query(self, table: str, *rest: Any, limit: int = 10) -> int:
            return limit

    with auditor.session():
        assert Repo().query("users", "extra", 7, limit=3) == 3
        assert Repo().query(table="t") == 10
    args = [orjson.loads(e["arguments"]) for e in calls(pub)]
    assert args == [{"table": "users", "*args": ["extra", 7], "limit": 3}, {"table": "t"}]


def test_async_tool_outcomes(auditor: Auditor, pub: InMemoryPublisher) -> None:
    @auditor.tool
    async def slow(x: int) -> int:
        await asyncio.sleep(10)
        return x

    @auditor.tool(name="fast_add")
    async def add(x: int, y: int) -> int:
        return x + y

    async def main() -> None:
        assert await add(1, 2) == 3
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(slow(1), 0.01)
        task = asyncio.create_task(slow(2))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with auditor.session():
        asyncio.run(main())
    got = [(e["tool"]["name"], e["outcome"]) for e in calls(pub)]
    # wait_for cancels the inner call: the tool itself sees cancellation
    assert got == [("fast_add", "success"), ("slow", "cancelled"), ("slow", "cancelled")]
    assert orjson.loads(calls(pub)[0]["arguments"]) == {"x": 1, "y": 2}


def test_timeout_error_raised_by_tool(auditor: Auditor, pub: InMemoryPublisher) -> None:
    @auditor.tool
    def remote() -> None:
        raise TimeoutError("upstream took too long")

    with auditor.session(), pytest.raises(TimeoutError):
        remote()
    assert calls(pub)[0]["outcome"] == "timeout"


def test_context_manager_and_explicit_api(auditor: Auditor, pub: InMemoryPublisher) -> None:
    with auditor.session():
        with auditor.call("search", arguments={"q": "x"}, call_id="c1") as scope:
            scope.result = ["a"]
        with pytest.raises(ValueError), auditor.call("search", arguments={"q": "y"}):
            raise ValueError("bad")
        handle = auditor.start("shell", arguments={"cmd": "ls"}, tool_type="extension")
        handle.finish(outcome="timeout", error=TimeoutError())
        handle.finish(result="ignored: finish is idempotent")
    got = [(e["tool"]["name"], e["tool"]["call_id"], e["outcome"]) for e in calls(pub)]
    assert got == [
        ("search", "c1", "success"),
        ("search", None, "error"),
        ("shell", None, "timeout"),
    ]
    assert calls(pub)[2]["tool"]["type"] == "extension"


def test_denied_call(auditor: Auditor, pub: InMemoryPublisher) -> None:
    with auditor.session():
        auditor.deny(
            "delete_repo",
            arguments={"repo": "x"},
            policy_id="no-destructive",
            decided_by="guardrail:v2",
            reason="destructive tool",
        )
    e = calls(pub)[0]
    assert (e["stage"], e["outcome"]) == ("decided", "denied")
    assert e["decision"] == {
        "verdict": "deny",
        "policy_id": "no-destructive",
        "decided_by": "guardrail:v2",
        "reason": "destructive tool",
    }


def test_capture_levels_and_caps(auditor: Auditor, pub: InMemoryPublisher) -> None:
    with auditor.session():
        for name in ("quiet", "meta.read", "req"):
            with auditor.call(name, arguments={"blob": "z" * 500}) as s:
                s.result = {"ok": True}
    quiet, meta, req = calls(pub)
    assert quiet["capture_level"] == "none"
    assert quiet["arguments"] is None and quiet["arguments_sha256"] is None
    assert meta["capture_level"] == "metadata"
    assert meta["arguments"] is None and meta["arguments_sha256"] and meta["result_sha256"]
    assert req["result"] is None and req["result_sha256"]
    assert "$truncated" in orjson.loads(req["arguments"])
    assert {"path": "arguments", "rule": "truncated", "value_hmac": None} in req["redactions"]
    # same raw arguments, same keyed hash, whatever the level
    assert meta["arguments_sha256"] == req["arguments_sha256"]


def test_why_is_attached_and_redacted(auditor: Auditor, pub: InMemoryPublisher) -> None:
    with (
        auditor.session(),
        reasoning(
            model="gpt-x",
            generation_id="g1",
            prompt="find the file",
            response="call search",
            reasoning="using key AKIAIOSFODNN7EXAMPLE " + "x" * 5000,
        ),
    ):
        auditor.start("search").finish(result=None)
    why = calls(pub)[0]["why"]
    assert why["model"] == "gpt-x" and why["generation_id"] == "g1"
    assert len(why["prompt_sha256"]) == 64 and why["response_sha256"] != why["prompt_sha256"]
    assert "[REDACTED:aws_access_key]" in why["reasoning_excerpt"]
    assert len(why["reasoning_excerpt"]) <= 1000


def test_fail_closed_refuses_before_the_tool_runs() -> None:
    pub = InMemoryPublisher(fail=True)
    auditor = Auditor(
        publisher=pub,
        policy=CapturePolicy(tools={"transfer_funds": ToolPolicy(fail_closed=True)}),
    )
    ran: list[int] = []

    @auditor.tool
    def transfer_funds(amount: int) -> None:
        ran.append(amount)

    @auditor.tool
    def read_balance() -> int:
        ran.append(0)
        return 1

    with pytest.raises(AuditRequiredError) as info:
        transfer_funds(100)
    assert ran == [] and info.value.code == "audit_unavailable"
    assert read_balance() == 1  # fail-open tools still run when the trail is down
    assert ran == [0]
    assert pub.metrics.dropped_value("refused") >= 1


def test_fail_closed_emits_a_durable_started_event(pub: InMemoryPublisher) -> None:
    auditor = Auditor(publisher=pub, policy=CapturePolicy(default=ToolPolicy(fail_closed=True)))
    with auditor.session():
        auditor.start("pay", arguments={"n": 1}).finish(result="ok")
    stages = [e["stage"] for e in calls(pub)]
    assert stages == ["started", "completed"]
    assert len({e["event_id"] for e in calls(pub)}) == 2


def test_calls_outside_a_session_use_a_default_session(pub: InMemoryPublisher) -> None:
    auditor = Auditor(publisher=pub)
    auditor.start("t").finish(result=1)
    auditor.start("t").finish(result=2)
    auditor.close()
    assert [e["kind"] for e in pub.events] == [
        "session_start",
        "tool_call",
        "tool_call",
        "session_end",
    ]
    assert verify(pub.events).ok
    assert pub.closed


def test_offloaded_publishing_keeps_order_and_flushes(pub: InMemoryPublisher) -> None:
    auditor = Auditor(publisher=pub, offload=True, max_pending=50)
    with auditor.session():
        for i in range(500):
            auditor.start("t", arguments={"i": i}).finish(result=i)
    auditor.flush(5)
    args = [orjson.loads(e["arguments"])["i"] for e in calls(pub)]
    assert args == list(range(500))
    assert verify(pub.events).ok
    auditor.close()


def test_recording_failure_never_breaks_the_tool(pub: InMemoryPublisher) -> None:
    class Boom(InMemoryPublisher):
        def publish(self, event: dict[str, Any], *, durable: bool = False) -> bool:
            raise RuntimeError("transport exploded")

    auditor = Auditor(publisher=Boom())

    @auditor.tool
    def ok() -> int:
        return 7

    assert ok() == 7
    assert auditor.publisher.metrics.dropped_value("publish_error", stage="capture") >= 1


def test_fail_closed_started_event_is_not_changed_by_the_result(pub: InMemoryPublisher) -> None:
    """The completed event's redactions grow with the result's; the started event, already
    sealed and published, keeps its own list (it still verifies)."""
    from tooltrail.producer import verify  # noqa: PLC0415

    policy = CapturePolicy(default=ToolPolicy(level="request_response", fail_closed=True))
    auditor = Auditor(publisher=pub, policy=policy)
    with auditor.session():
        auditor.start("pay", arguments={"n": 1}).finish(result={"password": "hunter2"})
    started, completed = calls(pub)
    assert started["redactions"] == [] and len(completed["redactions"]) == 1
    assert verify(pub.events).ok
