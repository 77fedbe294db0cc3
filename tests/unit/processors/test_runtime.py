"""The per-partition runtime with the real verifier, enricher and rule pack."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import orjson
import pytest

from tooltrail.producer.chain import compute_event_hash
from tooltrail.schemas import ENRICHED_TOOL_CALL_EVENT, TOOL_CALL_EVENT, single_object_serializer
from tooltrail.stream_processors.workers.chained import chained_events
from tooltrail.stream_processors.workers.pipeline import Pipeline, RawRecord
from tooltrail.stream_processors.workers.runtime import AnalysisConfig, PartitionRuntime

CONFIG = AnalysisConfig(allowed_lateness=0.25)


class Table:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def save(self, changes: dict[str, bytes | None]) -> None:
        for key, value in changes.items():
            if value is None:
                self.data.pop(key, None)
            else:
                self.data[key] = value

    def runtime(self) -> PartitionRuntime:
        runtime = PartitionRuntime(config=CONFIG, load_chain=lambda sid: self.data.get(f"c/{sid}"))
        runtime.restore((k, v) for k, v in self.data.items() if not k.startswith("c/"))
        return runtime


def drive(runtime: PartitionRuntime, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = []
    for event in events:
        alerts.extend(runtime.handle(dict(event))[1])
    return alerts


def finish(runtime: PartitionRuntime) -> list[dict[str, Any]]:
    """Idle long enough for the lateness buffer to release everything."""
    return runtime.heartbeat(now=time.monotonic() + 3600)


def ids(alerts: list[dict[str, Any]]) -> list[str]:
    return sorted(a["alert_id"] for a in alerts)


EVENTS = list(chained_events(events=3000, sessions=20, attack_rate=1.0, seed=5))


def test_clean_chains_raise_no_integrity_alert_and_attacks_are_detected() -> None:
    runtime = Table().runtime()
    alerts = drive(runtime, EVENTS) + finish(runtime)
    assert not [a for a in alerts if a["kind"] == "integrity"]
    detected = {a["rule_id"] for a in alerts}
    assert len(detected) >= 3, detected
    enriched, _ = Table().runtime().handle(dict(EVENTS[1]))
    assert enriched["event"]["event_id"] == EVENTS[1]["event_id"] and enriched["category"]


def test_state_restored_from_the_table_continues_exactly() -> None:
    whole = Table().runtime()
    expected = drive(whole, EVENTS) + finish(whole)

    table = Table()
    first = table.runtime()
    got = drive(first, EVENTS[:1700])
    table.save(first.drain_state())
    second = table.runtime()  # a new worker: nothing in memory, everything from the table
    got += drive(second, EVENTS[1700:]) + finish(second)
    assert ids(got) == ids(expected)
    assert len(expected) > 0


def test_tampering_raises_integrity_alerts() -> None:
    session = [e for e in EVENTS if e["session_id"] == EVENTS[0]["session_id"]][:8]
    assert len(session) == 8
    modified = dict(session[3], arguments='{"path": "/etc/shadow"}')  # content changed, hash not
    forked = dict(session[5], event_id="other-event")
    forked["event_hash"] = compute_event_hash(forked)
    stream = [session[0], session[1], session[2], modified, session[5], session[4], forked]
    # seq 4 comes after 6 (reorder), seq 4's content was altered (modified), a second
    # event claims seq 6 (fork); seq 7 and 8 never arrive.
    alerts = drive(Table().runtime(), stream)
    kinds = {a["rule_id"] for a in alerts if a["kind"] == "integrity"}
    assert {"integrity.modified", "integrity.gap", "integrity.reorder", "integrity.fork"} <= kinds
    gap = next(a for a in alerts if a["rule_id"] == "integrity.gap")
    assert gap["session_id"] == session[0]["session_id"] and gap["severity"] == "high"
    again = drive(Table().runtime(), stream)
    assert ids(again) == ids(alerts)  # deterministic alert ids


def test_redelivered_event_is_a_duplicate_not_an_alert() -> None:
    runtime = Table().runtime()
    alerts = drive(runtime, [*EVENTS[:3], EVENTS[2]])
    assert not [a for a in alerts if a["kind"] == "integrity"]
    assert runtime.duplicates == 1


def test_drain_state_writes_the_batch_record_first_in_chunks() -> None:
    runtime = Table().runtime()
    runtime.last_offset = 41
    drive(runtime, EVENTS[:50])
    changes = runtime.drain_state()
    keys = list(changes)
    header_at = keys.index("b")
    assert all(k.startswith("b/1/") for k in keys[:header_at])
    header = orjson.loads(changes["b"] or b"")
    assert header == {"o": 41, "n": 1, "chunks": header_at}
    chunked = {}
    for key in keys[:header_at]:
        chunked.update(orjson.loads(changes[key] or b"")["cj"])
    assert set(chunked) == set(keys[header_at + 1 :])
    # each value is in the chunk as JSON, the same as the key's own
    assert all(
        chunked[k] == (None if changes[k] is None else orjson.loads(changes[k] or b""))
        for k in chunked
    )
    assert any(k.startswith("c/") for k in chunked)
    assert any(k.startswith(("e/", "d/")) for k in chunked)
    assert runtime.drain_state() == {}  # nothing new: nothing to write
    runtime.last_offset = 42
    assert orjson.loads(runtime.drain_state()["b"] or b"")["n"] == 2


def test_large_batches_are_split_into_chunks_below_the_message_limit() -> None:
    runtime = Table().runtime()
    drive(runtime, EVENTS)
    changes = runtime.drain_state()
    chunks = [k for k in changes if k.startswith("b/")]
    assert orjson.loads(changes["b"] or b"")["chunks"] == len(chunks)
    assert all(len(changes[k] or b"") < 600_000 for k in chunks)


@pytest.mark.parametrize("written", [1, 2, 3, 10])
def test_a_crash_halfway_through_writing_the_state_loses_nothing(written: int) -> None:
    whole = Table().runtime()
    expected = drive(whole, EVENTS) + finish(whole)

    table = Table()
    first = table.runtime()
    got = drive(first, EVENTS[:1000])
    first.last_offset = 999
    table.save(first.drain_state())
    got += drive(first, EVENTS[1000:1700])
    first.last_offset = 1699
    changes = first.drain_state()
    header_at = list(changes).index("b")
    # killed while writing: only the first few of the batch's writes reached Kafka
    table.save(dict(list(changes.items())[:written]))
    second = table.runtime()
    assert second.last_offset == (1699 if written > header_at else 999)
    # the new worker re-reads every record after the restored offset
    got += drive(second, EVENTS[second.last_offset + 1 :]) + finish(second)
    assert set(ids(got)) == set(ids(expected))


def test_a_batch_record_of_the_earlier_form_restores_the_same_state() -> None:
    """Chunks written before held each value as JSON text ("ch"); now as JSON ("cj")."""
    table = Table()
    first = table.runtime()
    drive(first, EVENTS[:1000])
    first.last_offset = 999
    changes = first.drain_state()
    header_at = list(changes).index("b")
    only_the_batch_record = dict(list(changes.items())[: header_at + 1])
    old_form = dict(only_the_batch_record)
    for key in list(changes)[:header_at]:
        chunk = orjson.loads(changes[key] or b"")
        text = {k: None if v is None else orjson.dumps(v).decode() for k, v in chunk["cj"].items()}
        old_form[key] = orjson.dumps({"n": chunk["n"], "ch": text})
    expected = drive(first, EVENTS[1000:]) + finish(first)
    for form in (only_the_batch_record, old_form):
        restored = Table()
        restored.save(form)
        again = restored.runtime()
        assert again.last_offset == 999
        assert ids(drive(again, EVENTS[1000:]) + finish(again)) == ids(expected)


def test_enriched_events_reuse_the_raw_bytes_and_equal_a_full_encoding() -> None:
    encode = single_object_serializer(TOOL_CALL_EVENT)
    full = single_object_serializer(ENRICHED_TOOL_CALL_EVENT)
    runtime = Table().runtime()
    enriched_seen: list[dict[str, Any]] = []

    class Recording:
        last_offset = -1

        def handle(self, event: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            enriched, alerts = runtime.handle(event)
            enriched_seen.append(enriched)
            return enriched, alerts

        def drain_state(self) -> dict[str, bytes | None]:
            return {}

    analyzer = Recording()
    records = [RawRecord("raw", 0, i, None, encode(e)) for i, e in enumerate(EVENTS[:300])]
    result = Pipeline().process(records, lambda p: analyzer)
    assert [o.value for o in result.enriched] == [full(e) for e in enriched_seen]


def test_closed_sessions_chain_state_is_deleted_after_the_retention() -> None:
    config = AnalysisConfig(allowed_lateness=0.25, closed_chain_retention=60.0)
    table = Table()

    def runtime() -> PartitionRuntime:
        rt = PartitionRuntime(config=config, load_chain=lambda sid: table.data.get(f"c/{sid}"))
        rt.restore((k, v) for k, v in table.data.items() if not k.startswith("c/"))
        return rt

    first = runtime()
    drive(first, EVENTS)
    closed = sorted({e["session_id"] for e in EVENTS if e["kind"] == "session_end"})
    table.save(first.drain_state())
    assert closed and all(f"c/{sid}" in table.data for sid in closed)  # within the retention
    assert any(k.startswith("z/") for k in table.data)

    # a restarted worker keeps the schedule; three minutes of event time later it deletes
    later = list(
        chained_events(
            events=5, sessions=1, seed=9, start=EVENTS[-1]["started_at"] + timedelta(minutes=3)
        )
    )
    second = runtime()
    drive(second, later)
    table.save(second.drain_state())
    assert not [sid for sid in closed if f"c/{sid}" in table.data]
    assert not any(k.startswith("z/") for k in table.data)
    open_sessions = {e["session_id"] for e in EVENTS} - set(closed)
    assert all(f"c/{sid}" in table.data for sid in open_sessions)  # only closed ones go

    # an event appended to a deleted session still raises an integrity alert
    end = next(e for e in EVENTS if e["kind"] == "session_end")
    appended = dict(end, seq=end["seq"] + 1, kind="tool_call", event_id="appended")
    appended["started_at"] = later[-1]["started_at"]
    appended["event_hash"] = compute_event_hash(appended)
    kinds = {a["rule_id"] for a in second.handle(appended)[1]}
    assert kinds & {"integrity.gap", "integrity.missing_start"}, kinds
