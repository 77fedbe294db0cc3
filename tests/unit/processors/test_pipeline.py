"""The pure batch pipeline: routing, dead letters, state and replay, without Kafka."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tooltrail.schemas import ALERT, DEAD_LETTER, ENRICHED_TOOL_CALL_EVENT, Decoder
from tooltrail.stream_processors.workers.pipeline import Pipeline, RawRecord, SessionState

from .conftest import T0, RecordFactory

ENRICHED = Decoder(expect=ENRICHED_TOOL_CALL_EVENT)
ALERTS = Decoder(expect=ALERT)
DEAD = Decoder(expect=DEAD_LETTER)


class CountingAnalyzer:
    """Counts a session's events; alerts on the tool ``danger``; fails on ``boom``."""

    def __init__(self, session_id: str, data: dict[str, Any]) -> None:
        self.session_id = session_id
        self.count = int(data.get("count", 0))

    def handle(self, event: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        tool = event["tool"]["name"]
        if tool == "boom":
            raise RuntimeError("rule crashed")
        self.count += 1
        enriched = {"event": event, "category": "read", "enriched_at": T0}
        alerts = []
        if tool == "danger":
            alerts.append(
                {
                    "alert_id": f"a-{event['event_id']}",
                    "kind": "detection",
                    "rule_id": "r.danger",
                    "rule_name": "danger",
                    "severity": "high",
                    "tenant_id": event["tenant_id"],
                    "session_id": event["session_id"],
                    "agent_id": event["agent"]["id"],
                    "event_ids": [event["event_id"]],
                    "first_event_at": event["started_at"],
                    "last_event_at": event["started_at"],
                    "message": f"danger after {self.count} events",
                    "detected_at": T0,
                }
            )
        return enriched, alerts

    def dump(self) -> dict[str, Any]:
        return {"count": self.count}


def run(pipeline: Pipeline, batch: list[RawRecord], store: dict[str, SessionState]) -> Any:
    result = pipeline.process(batch, lambda sid, rec: store.get(sid, SessionState()))
    store.update(result.states)
    return result


def test_good_events_are_enriched_and_alerts_raised(records: RecordFactory) -> None:
    pipeline = Pipeline(analyzer_factory=CountingAnalyzer)
    batch = [records.event("s1", 1), records.event("s1", 2, "danger"), records.event("s2", 1)]
    result = run(pipeline, batch, {})
    assert result.processed == 3
    assert [ENRICHED.decode(o.value).record["event"]["event_id"] for o in result.enriched] == [
        "s1-1",
        "s1-2",
        "s2-1",
    ]
    assert [o.key for o in result.enriched] == [b"s1", b"s1", b"s2"]
    (alert,) = [ALERTS.decode(o.value).record for o in result.alerts]
    assert alert["rule_id"] == "r.danger" and alert["message"] == "danger after 2 events"
    assert result.alerts_by == Counter({("detection", "r.danger", "high"): 1})
    assert result.dead_letters == []
    assert result.states["s1"].data == {"count": 2} and result.states["s1"].last_offset == 1
    assert result.states["s2"].data == {"count": 1}


def test_state_carries_across_batches(records: RecordFactory) -> None:
    pipeline = Pipeline(analyzer_factory=CountingAnalyzer)
    store: dict[str, SessionState] = {}
    run(pipeline, [records.event("s1", 1), records.event("s1", 2)], store)
    result = run(pipeline, [records.event("s1", 3, "danger")], store)
    assert ALERTS.decode(result.alerts[0].value).record["message"] == "danger after 3 events"
    assert store["s1"].data == {"count": 3}


def test_poison_records_are_dead_lettered_and_good_ones_flow(records: RecordFactory) -> None:
    pipeline = Pipeline(analyzer_factory=CountingAnalyzer, max_record_bytes=2000, worker="w1")
    good = records.event("s1", 1)
    valid_prefix = good.value or b""
    garbage = records(b"\x01garbage", key=b"k1")
    batch = [
        garbage,
        good,
        records(valid_prefix[:20], key=b"s1"),
        records(b"\xc3\x01" + bytes(8) + b"body"),
        records(None, key=b"tomb"),
        records(b"\x00" + bytes(4) + b"x"),
        records(b"\xc3\x01" + b"x" * 3000),
        records.event("s1", 2),
    ]
    result = run(pipeline, batch, {})
    assert len(result.enriched) == 2
    letters = [DEAD.decode(o.value).record for o in result.dead_letters]
    assert [(d["stage"], d["reason"]) for d in letters] == [
        ("decode", "unknown_magic"),
        ("decode", "truncated"),
        ("decode", "unknown_schema"),
        ("decode", "null_value"),
        ("decode", "no_registry"),
        ("decode", "oversized"),
    ]
    first = letters[0]
    assert first["original"] == b"\x01garbage" and first["original_key"] == b"k1"
    assert (first["topic"], first["partition"], first["offset"]) == ("raw", 0, garbage.offset)
    assert first["worker"] == "w1" and first["error_message"]
    assert letters[1]["original"] == valid_prefix[:20]
    assert sum(result.dead_by.values()) == 6
    assert result.processed == 8


def test_semantically_invalid_event_is_dead_lettered_as_schema_invalid(
    records: RecordFactory,
) -> None:
    from tooltrail.schemas import TOOL_CALL_EVENT, single_object_serializer

    from .conftest import make_event

    bad = make_event("s1", 1)
    bad["session_id"] = ""
    result = run(
        Pipeline(analyzer_factory=CountingAnalyzer),
        [records(single_object_serializer(TOOL_CALL_EVENT)(bad))],
        {},
    )
    assert result.dead_by == Counter({("validate", "schema_invalid"): 1})


def test_analyzer_exception_dead_letters_the_record_and_the_batch_goes_on(
    records: RecordFactory,
) -> None:
    result = run(
        Pipeline(analyzer_factory=CountingAnalyzer),
        [records.event("s1", 1, "boom"), records.event("s1", 2)],
        {},
    )
    assert result.dead_by == Counter({("analyze", "exception"): 1})
    assert "rule crashed" in DEAD.decode(result.dead_letters[0].value).record["error_message"]
    assert len(result.enriched) == 1


def test_records_already_in_the_stored_state_are_not_applied_twice(
    records: RecordFactory,
) -> None:
    pipeline = Pipeline(analyzer_factory=CountingAnalyzer)
    store: dict[str, SessionState] = {}
    first = [records.event("s1", 1), records.event("s1", 2, "danger")]
    run(pipeline, first, store)
    # A crash after the state was saved but before the offsets were committed: the same
    # records come again, followed by a new one.
    result = run(pipeline, [*first, records.event("s1", 3, "danger")], store)
    assert result.replayed == 2
    assert len(result.enriched) == 1
    assert ALERTS.decode(result.alerts[0].value).record["message"] == "danger after 3 events"
    assert store["s1"].data == {"count": 3}


def test_session_state_round_trips_through_bytes() -> None:
    state = SessionState(last_offset=41, data={"chain": {"seq": 3}, "n": [1, 2]})
    assert SessionState.from_bytes(state.to_bytes()) == state
    assert SessionState.from_bytes(None) == SessionState()
