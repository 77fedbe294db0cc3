"""The edge: TOOLTRAIL_* settings, the default auditor, the module-level decorator."""

from __future__ import annotations

import orjson
import pytest
from prometheus_client import CollectorRegistry

import tooltrail.producer as tt
from tooltrail.errors import AuditRequiredError
from tooltrail.producer.signing import HmacKey


@pytest.fixture(autouse=True)
def _clean_default() -> object:
    yield
    tt.shutdown()


def test_configure_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLTRAIL_PUBLISHER", "memory")
    monkeypatch.setenv("TOOLTRAIL_TENANT_ID", "acme")
    monkeypatch.setenv("TOOLTRAIL_AGENT_ID", "support-bot")
    monkeypatch.setenv("TOOLTRAIL_TOOL_LEVELS", '{"lookup": "metadata"}')
    monkeypatch.setenv("TOOLTRAIL_FAIL_CLOSED_TOOLS", "pay, wire_*")
    monkeypatch.setenv("TOOLTRAIL_SIGNING_KEY_ID", "k7")
    monkeypatch.setenv("TOOLTRAIL_SIGNING_HMAC_KEY", "sign-me")
    monkeypatch.setenv("TOOLTRAIL_HASH_KEY", "hash-me")
    registry = CollectorRegistry()
    auditor = tt.configure(registry=registry)
    assert tt.get_auditor() is auditor

    @tt.tool
    def lookup(q: str) -> str:
        return q.upper()

    @tt.tool(name="echo")
    def echo(q: str) -> str:
        return q

    with tt.session(principal="alice"):
        assert lookup("x") == "X"
        assert echo("y") == "y"
    events = auditor.publisher.events  # type: ignore[attr-defined]
    calls = [e for e in events if e["kind"] == "tool_call"]
    assert calls[0]["capture_level"] == "metadata" and calls[0]["arguments"] is None
    assert orjson.loads(calls[1]["arguments"]) == {"q": "y"}
    assert {e["tenant_id"] for e in events} == {"acme"}
    assert {e["agent"]["id"] for e in events} == {"support-bot"}
    assert {e["key_id"] for e in events} == {"k7"}
    report = tt.verify(
        events, keys={"k7": HmacKey(key_id="k7", secret=b"sign-me")}, require_signatures=True
    )
    assert report.ok
    assert auditor.policy.for_tool("wire_transfer").fail_closed
    assert registry.get_sample_value("tooltrail_producer_events_produced_total") == len(events)


def test_fail_closed_from_settings_with_unreachable_trail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLTRAIL_PUBLISHER", "memory")
    monkeypatch.setenv("TOOLTRAIL_FAIL_CLOSED_TOOLS", "pay")
    auditor = tt.configure(registry=CollectorRegistry())
    auditor.publisher.fail = True  # type: ignore[attr-defined]

    @tt.tool
    def pay(amount: int) -> int:
        raise AssertionError("must not run")

    with pytest.raises(AuditRequiredError):
        pay(5)


def test_reconfigure_closes_the_previous_default() -> None:
    first = tt.configure(registry=CollectorRegistry(), publisher="memory")
    second = tt.configure(registry=CollectorRegistry(), publisher="memory")
    assert first.closed and not second.closed
    assert tt.get_auditor() is second


def test_in_memory_publisher_api() -> None:
    pub = tt.InMemoryPublisher()
    auditor = tt.Auditor(publisher=pub)
    with auditor.session(session_id="a"):
        auditor.start("t").finish(result=1)
    with auditor.session(session_id="b"):
        pass
    assert [e["kind"] for e in pub.by_session("a")] == ["session_start", "tool_call", "session_end"]
    assert len(pub.by_session("b")) == 2
    assert pub.records[0].key == b"a" and pub.records[0].value[:2] == b"\xc3\x01"
    pub.clear()
    assert pub.events == []
    with pub:
        pass
    assert not pub.publish({"session_id": "a"})  # closed: refused and counted
    assert pub.metrics.dropped_value("closed") == 1
