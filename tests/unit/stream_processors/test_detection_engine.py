"""Engine behaviour: snapshots, bounds, lateness, determinism, absence timers, output shape."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tooltrail.metrics import DropCounter
from tooltrail.schemas import ALERT, Alert, single_object_serializer
from tooltrail.stream_processors import DetectionEngine, default_rules, load_rules_text
from tooltrail.stream_processors.synthetic import generate

ABSENCE = """
rules:
  - id: ABS
    name: approval_unanswered
    kind: sequence
    within: 10m
    steps:
      - {name: held, where: {verdict: approval_required}}
      - {name: answer, absent: true, where: {verdict: [allow, deny]}}
"""
LOOP = """
rules:
  - id: LOOP
    name: identical_calls
    kind: threshold
    by: [session_id, tool, args_hash]
    within: 2m
    where: {args_hash: {exists: true}}
    count: {gte: 4}
    suppress: 10m
"""
SEQ = """
rules:
  - id: SEQ
    name: write_after_denied
    kind: sequence
    within: 5m
    steps:
      - where: {category: auth, outcome: denied}
      - where: {category: write}
"""


@pytest.fixture(scope="module")
def stream(sp: SimpleNamespace) -> list[dict[str, Any]]:
    events = list(generate(events=6_000, sessions=100, attack_rate=1.0, seed=7, with_hash=False))
    return sp.enrich_all(events)


def _run(engine: DetectionEngine, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return engine.process_many(events) + engine.flush()


@pytest.mark.parametrize("cut", [0.2, 0.5, 0.85])
def test_snapshot_restore_mid_stream_gives_the_same_alerts(
    stream: list[dict[str, Any]], cut: float
) -> None:
    rules = default_rules()
    expected = _run(DetectionEngine(rules=rules, allowed_lateness=5.0), stream)
    assert len({a["rule_id"] for a in expected}) >= 8, "the stream must exercise many rules"

    first = DetectionEngine(rules=rules, allowed_lateness=5.0)
    half = int(len(stream) * cut)
    alerts = first.process_many(stream[:half])
    # What a Faust table would hold: the latest snapshot of every key, through JSON.
    table: dict[str, Any] = {}
    for key in first.dirty_keys():
        state = first.snapshot(key)
        if state is None:
            table.pop(key, None)
        else:
            table[key] = json.loads(json.dumps(state))
    assert any(k.startswith("buf:") for k in table), "buffered events are part of the state"
    second = DetectionEngine(rules=rules, allowed_lateness=5.0)
    second.restore_all(table.items())
    alerts += _run(second, stream[half:])
    assert alerts == expected


def test_count_windows_of_the_older_snapshot_form_are_restored(sp: SimpleNamespace) -> None:
    """Count windows were lists of ``[ts, id]`` pairs; a table written then still restores."""
    rules = load_rules_text(LOOP)
    calls = [sp.event(i, "search_docs", at=10.0 * i, arguments={"q": "status"}) for i in range(6)]
    stream = sp.enrich_all(calls)
    expected = _run(DetectionEngine(rules=rules, allowed_lateness=0.0), stream)
    assert [a["event_ids"] for a in expected] == [[e["event"]["event_id"] for e in stream[:4]]]

    first = DetectionEngine(rules=rules, allowed_lateness=0.0)
    alerts = first.process_many(stream[:3])
    state = first.snapshot("session_id=s1")
    assert state is not None
    for groups in (rs["g"] for rs in state["r"].values()):
        for name, win in groups.items():  # back to the older form
            groups[name] = [win[i : i + 2] for i in range(0, len(win), 2)]
    second = DetectionEngine(rules=rules, allowed_lateness=0.0)
    second.restore("session_id=s1", state)
    alerts += _run(second, stream[3:])
    assert alerts == expected


def test_absence_timer_survives_restore(sp: SimpleNamespace) -> None:
    rules = load_rules_text(ABSENCE)
    held = sp.enrich_all([sp.event(1, "transfer_funds", at=0, stage="decided", outcome=None,
                             verdict="approval_required")])  # fmt: skip
    first = DetectionEngine(rules=rules, allowed_lateness=0)
    assert first.process(held[0]) == []
    snaps = {k: first.snapshot(k) for k in first.dirty_keys()}
    second = DetectionEngine(rules=rules, allowed_lateness=0)
    second.restore_all(snaps.items())
    assert second.advance(sp.T0 + timedelta(minutes=9)) == []
    fired = second.advance(sp.T0 + timedelta(minutes=11))
    assert [a["event_ids"] for a in fired] == [["s1-1"]]
    assert fired[0]["detected_at"] == sp.T0 + timedelta(minutes=10)


def test_absence_cancelled_by_the_awaited_event(sp: SimpleNamespace) -> None:
    engine = DetectionEngine(rules=load_rules_text(ABSENCE), allowed_lateness=0)
    events = sp.enrich_all([
        sp.event(1, "pay", at=0, stage="decided", outcome=None, verdict="approval_required"),
        sp.event(2, "pay", at=60, stage="decided", outcome=None, verdict="allow"),
    ])  # fmt: skip
    assert engine.process_many(events) == []
    assert engine.advance(sp.T0 + timedelta(hours=1)) == []


def test_lateness_reorders_within_the_bound(sp: SimpleNamespace) -> None:
    denied = sp.event(1, "login", at=0, outcome="denied")
    write = sp.event(2, "write_file", at=3)
    events = sp.enrich_all([denied, write])
    reordered = [events[1], events[0]]  # the write arrives first

    tolerant = DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=10)
    alerts = _run(tolerant, reordered)
    assert [a["event_ids"] for a in alerts] == [["s1-1", "s1-2"]]
    assert tolerant.stats["late"] == 0

    drops = DropCounter()
    strict = DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=0, drops=drops)
    assert _run(strict, reordered) == []
    assert strict.stats["late"] == 1
    assert drops.value("detect", "late") == 1


def test_buffered_events_wait_for_the_watermark(sp: SimpleNamespace) -> None:
    events = sp.enrich_all(
        [sp.event(1, "login", at=0, outcome="denied"), sp.event(2, "write_file", at=3)]
    )
    engine = DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=10)
    assert engine.process_many(events) == []  # both still inside the lateness window
    alerts = engine.advance(sp.T0 + timedelta(seconds=14))
    assert len(alerts) == 1


def test_a_redelivered_event_in_the_buffer_does_not_break_ordering(sp: SimpleNamespace) -> None:
    denied, write = sp.enrich_all(
        [sp.event(1, "login", at=0, outcome="denied"), sp.event(2, "write_file", at=3)]
    )
    engine = DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=10)
    # The same event twice (at-least-once delivery), enriched again a moment later: entries
    # equal up to the enriched dict must not make the heap compare the dicts themselves.
    again = {**denied, "enriched_at": denied["enriched_at"] + timedelta(seconds=1)}
    assert engine.process_many([denied, again, write]) == []
    alerts = engine.flush()
    assert [a["event_ids"] for a in alerts] == [["s1-1", "s1-2"]]


def test_within_is_inclusive(sp: SimpleNamespace) -> None:
    def run(gap: float) -> int:
        events = sp.enrich_all(
            [sp.event(1, "login", at=0, outcome="denied"), sp.event(2, "write_file", at=gap)]
        )
        return len(_run(DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=0), events))

    assert run(300) == 1
    assert run(300.001) == 0


def test_deterministic_output_and_alert_ids(
    stream: list[dict[str, Any]], sp: SimpleNamespace
) -> None:
    rules = default_rules()
    one = _run(DetectionEngine(rules=rules), stream)
    two = _run(DetectionEngine(rules=rules), stream)
    assert one == two
    for alert in one:
        digest = hashlib.sha256("\x1f".join([alert["rule_id"], *alert["event_ids"]]).encode())
        assert alert["alert_id"] == digest.hexdigest()
    assert len({a["alert_id"] for a in one}) == len(one)


def test_alerts_conform_to_the_avro_contract(
    stream: list[dict[str, Any]], sp: SimpleNamespace
) -> None:
    alerts = _run(DetectionEngine(rules=default_rules()), stream[:3000])
    assert alerts
    serialize = single_object_serializer(ALERT)
    for alert in alerts:
        assert Alert.model_validate(alert).to_avro() == alert
        assert serialize(alert)


def test_key_cap_evicts_and_counts(sp: SimpleNamespace) -> None:
    rules = load_rules_text(SEQ)
    engine = DetectionEngine(rules=rules, allowed_lateness=0, max_keys=32)
    events = sp.enrich_all(
        [sp.event(1, "login", at=i, outcome="denied", session=f"s{i}") for i in range(100)]
    )
    engine.process_many(events)
    assert engine.active_keys <= 32
    assert engine.stats["keys_evicted"] >= 100 - 32
    evicted = [k for k in engine.dirty_keys() if engine.snapshot(k) is None]
    assert evicted, "evicted keys are reported as changed so a table can delete them"


def test_pending_cap_per_key_evicts_and_counts(sp: SimpleNamespace) -> None:
    rules = load_rules_text("""
rules:
  - id: PER-TOOL
    name: denied_then_same_tool_succeeds
    kind: sequence
    within: 1h
    steps:
      - {where: {outcome: denied}, by: tool}
      - {where: {outcome: success}, by: tool}
""")
    engine = DetectionEngine(rules=rules, allowed_lateness=0, max_pending_per_key=4)
    events = sp.enrich_all(
        [sp.event(i + 1, f"tool_{i}", at=i, outcome="denied") for i in range(10)]
    )
    engine.process_many(events)
    assert engine.stats["pending_evicted"] == 6
    state = engine.snapshot("session_id=s1")
    assert state is not None
    assert len(state["r"]["PER-TOOL"]["s"]) == 4
    # The oldest were evicted: tool_0 can no longer complete, tool_9 still can.
    late = sp.enrich_all([sp.event(11, "tool_0", at=20), sp.event(12, "tool_9", at=21)])
    late[0]["event"]["event_id"], late[1]["event"]["event_id"] = "x0", "x9"
    alerts = engine.process_many(late)
    assert [a["event_ids"][-1] for a in alerts] == ["x9"]


def test_expired_keys_are_swept(sp: SimpleNamespace) -> None:
    engine = DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=0, sweep_interval=1)
    engine.process_many(sp.enrich_all([sp.event(1, "login", at=0, outcome="denied")]))
    assert engine.active_keys == 1
    engine.advance(sp.T0 + timedelta(minutes=10))
    assert engine.active_keys == 0
    assert engine.stats["keys_expired"] == 1


def test_suppression_window(stream: list[dict[str, Any]], sp: SimpleNamespace) -> None:
    rules = load_rules_text(SEQ.replace("within: 5m", "within: 5m\n    suppress: 1h"))
    events = sp.enrich_all([
        sp.event(1, "login", at=0, outcome="denied"), sp.event(2, "write_file", at=1),
        sp.event(3, "login", at=2, outcome="denied"), sp.event(4, "write_file", at=3),
    ])  # fmt: skip
    engine = DetectionEngine(rules=rules, allowed_lateness=0)
    assert len(_run(engine, events)) == 1
    assert engine.stats["suppressed"] == 1


def test_exceptions_allow_list(sp: SimpleNamespace) -> None:
    rules = load_rules_text(
        SEQ + "    exceptions:\n      - {name: ci, fields: [agent_id], values: [[ci-bot]]}\n"
    )
    events = sp.enrich_all([sp.event(1, "login", at=0, outcome="denied", agent_id="ci-bot"),
                         sp.event(2, "write_file", at=1, agent_id="ci-bot")])  # fmt: skip
    engine = DetectionEngine(rules=rules, allowed_lateness=0)
    assert _run(engine, events) == []
    assert engine.stats["excepted"] == 1


def test_clock_sets_detected_at(sp: SimpleNamespace) -> None:
    stamp = sp.T0 + timedelta(days=1)
    engine = DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=0, clock=lambda: stamp)
    events = sp.enrich_all(
        [sp.event(1, "login", at=0, outcome="denied"), sp.event(2, "write_file", at=1)]
    )
    assert [a["detected_at"] for a in _run(engine, events)] == [stamp]


def test_arrival_order_within_lateness_does_not_matter(stream: list[dict[str, Any]]) -> None:
    import random  # noqa: PLC0415

    rules = default_rules()
    ordered = _run(DetectionEngine(rules=rules, allowed_lateness=5.0), stream)
    shuffled = list(stream)
    rng = random.Random(5)
    for start in range(0, len(shuffled), 50):  # 50 events span about 0.9 s of event time
        chunk = shuffled[start : start + 50]
        rng.shuffle(chunk)
        shuffled[start : start + 50] = chunk
    engine = DetectionEngine(rules=rules, allowed_lateness=5.0)
    assert _run(engine, shuffled) == ordered
    assert engine.stats["late"] == 0


def test_a_future_clock_cannot_make_everyone_late(sp: SimpleNamespace) -> None:
    engine = DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=0)
    engine.advance(sp.T0)
    skewed = sp.enrich_all([sp.event(1, "read_file", at=10 * 365 * 86400, session="bad")])
    assert engine.process(skewed[0]) == []
    assert engine.stats["future"] == 1
    events = sp.enrich_all(
        [sp.event(1, "login", at=1, outcome="denied"), sp.event(2, "write_file", at=2)]
    )
    assert len(engine.process_many(events)) == 1
    assert engine.stats["late"] == 0
    assert engine.snapshot("buf:bad") is not None, "the skewed event waits, it is not lost"


def test_a_threshold_counts_the_event_that_triggers_pruning(sp: SimpleNamespace) -> None:
    # The ninth group of a key makes the table prune itself; the event that opened it used
    # to be pruned with the stale groups (its window was still empty) and so not counted.
    rules = load_rules_text("""
rules:
  - id: CNT
    name: same_tool_three_times
    kind: threshold
    by: [session_id, tool]
    within: 1m
    where: {outcome: success}
    count: {gte: 3}
""")
    calls = [sp.event(i + 1, f"tool_{i}", at=i) for i in range(8)]
    calls += [sp.event(9 + i, "again", at=9 + i) for i in range(3)]
    alerts = _run(DetectionEngine(rules=rules, allowed_lateness=0), sp.enrich_all(calls))
    assert [a["event_ids"] for a in alerts] == [["s1-9", "s1-10", "s1-11"]]


def test_buffer_keys_are_dirty_when_their_events_leave(sp: SimpleNamespace) -> None:
    engine = DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=10)
    events = sp.enrich_all(
        [sp.event(1, "login", at=0, outcome="denied"), sp.event(2, "write_file", at=3)]
    )
    engine.process_many(events)
    first = engine.dirty_keys()
    assert "buf:s1" in first
    assert engine.keys() == ["buf:s1"]
    assert len(engine.snapshot("buf:s1")["events"]) == 2  # type: ignore[index]
    # Released after the table saw them: the buffer key changed again (now empty).
    assert len(engine.advance(sp.T0 + timedelta(seconds=14))) == 1
    second = engine.dirty_keys()
    assert "buf:s1" in second
    assert engine.snapshot("buf:s1") is None
    assert "buf:s1" not in engine.keys()  # noqa: SIM118 (keys() is a list, not a dict view)


def test_buffer_keys_are_dirty_when_a_later_event_releases_theirs(sp: SimpleNamespace) -> None:
    engine = DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=10)
    early = sp.enrich_all([sp.event(1, "login", at=0, outcome="denied", session="a")])
    later = sp.enrich_all([sp.event(1, "read_file", at=12, session="b")])
    engine.process_many(early)
    assert engine.dirty_keys() == {"buf:a"}
    engine.process_many(later)  # moves the watermark past session a's event
    assert {"buf:a", "buf:b"} <= engine.dirty_keys()
    assert engine.snapshot("buf:a") is None
    assert engine.snapshot("buf:b") is not None


def test_restoring_a_buffer_key_replaces_that_sessions_events(sp: SimpleNamespace) -> None:
    engine = DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=60)
    denied_a, write_a = sp.enrich_all(
        [sp.event(1, "login", at=0, outcome="denied", session="a"),
         sp.event(2, "write_file", at=3, session="a")]
    )  # fmt: skip
    denied_b, write_b = sp.enrich_all(
        [sp.event(1, "login", at=1, outcome="denied", session="b"),
         sp.event(2, "write_file", at=4, session="b")]
    )  # fmt: skip
    engine.process_many([denied_a, denied_b, write_b])
    other = DetectionEngine(rules=load_rules_text(SEQ), allowed_lateness=60)
    other.process_many([denied_a, write_a])
    engine.restore("buf:a", other.snapshot("buf:a"))  # a's buffered events: both now
    assert len(engine.snapshot("buf:a")["events"]) == 2  # type: ignore[index]
    assert len(engine.snapshot("buf:b")["events"]) == 2  # type: ignore[index]
    alerts = engine.flush()
    assert sorted(a["event_ids"] for a in alerts) == [["a-1", "a-2"], ["b-1", "b-2"]]
