"""The hash chain's fast serializations equal canonical_json, whatever the event holds."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tooltrail.canonical import canonical_json
from tooltrail.producer import Auditor, CapturePolicy, InMemoryPublisher, ToolPolicy, reasoning
from tooltrail.producer.chain import INTEGRITY_FIELDS, SessionChain, compute_event_hash
from tooltrail.producer.context import SessionContext
from tooltrail.producer.events import BODY_FIELDS, new_event


def reference_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k not in INTEGRITY_FIELDS}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def captured() -> list[dict[str, Any]]:
    pub = InMemoryPublisher(encode=False)
    auditor = Auditor(
        publisher=pub, policy=CapturePolicy(default=ToolPolicy(level="request_response"))
    )
    attrs = {"zeta": "1", "alpha": "2", "mid": "ü"}  # not in sorted order
    with auditor.session(attributes=attrs, principal="p", credential_identity="role/x"):
        with reasoning(model="m", prompt="p", reasoning="because Bearer abcdefghijklmnop"):
            auditor.start("t", arguments={"b": 1, "a": [2, {"d": None, "c": "x"}]}).finish(
                result={"token": "hunter2", "ok": True}
            )
        auditor.deny("d", arguments={"path": "/"}, policy_id="pol", decided_by="h", reason="no")
        auditor.start("e", call_id="c1").finish(error=RuntimeError("boom"))
    auditor.close()
    return pub.events


def test_presorted_seal_equals_canonical_json() -> None:
    events = captured()
    assert len(events) == 5
    for event in events:
        assert event["event_hash"] == reference_hash(event)
        assert event["event_hash"] == compute_event_hash(event)


@pytest.mark.parametrize(
    "started",
    [
        datetime(2026, 1, 2, 3, 4, 5, 0, tzinfo=UTC),  # no microseconds
        datetime(2026, 1, 2, 3, 4, 5, 123, tzinfo=timezone(timedelta(hours=2))),  # not UTC
        datetime(2026, 1, 2, 3, 4, 5, 123),  # naive
        datetime(999, 1, 2, 3, 4, 5, 7, tzinfo=UTC),  # three-digit year
    ],
)
def test_unusual_timestamps_hash_canonically(started: datetime) -> None:
    event = new_event(SessionContext(session_id="s"), started_at=started)
    event["ended_at"] = started + timedelta(seconds=1)
    event["attributes"] = {"when": "x"}
    sealed = SessionChain(session_id="s").seal(dict(event), presorted=True)
    assert sealed["event_hash"] == reference_hash(sealed) == compute_event_hash(sealed)


def test_extra_or_nested_values_take_the_general_path() -> None:
    event = new_event(SessionContext(session_id="s"), started_at=datetime.now(UTC))
    assert tuple(event) == BODY_FIELDS
    event["extra"] = {"at": datetime(2026, 1, 1, tzinfo=UTC), "raw": b"\x00\x01"}
    sealed = SessionChain(session_id="s").seal(event, presorted=True)
    assert sealed["event_hash"] == reference_hash(sealed) == compute_event_hash(sealed)
