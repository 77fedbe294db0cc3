"""Every tampering kind is caught by the verifier, precisely (which seq, what is wrong)."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tooltrail.canonical import canonical_json as shared
from tooltrail.producer.chain import SessionChain, compute_event_hash, event_bytes
from tooltrail.producer.context import SessionContext
from tooltrail.producer.events import new_event, tool_ref, ts_from_ns
from tooltrail.producer.signing import Ed25519Signer, Ed25519Verifier, HmacKey, Signer
from tooltrail.producer.verify import FindingKind, SessionVerifier, verify
from tooltrail.schemas import TOOL_CALL_EVENT, Decoder, single_object_serializer


def make_session(n_calls: int = 3, *, signer: Signer | None = None, sid: str = "s1") -> list[Any]:
    ctx = SessionContext(session_id=sid, tenant_id="t", agent_id="a")
    chain = SessionChain(session_id=sid)
    now = ts_from_ns(time.time_ns())
    events = [chain.seal(new_event(ctx, kind="session_start", started_at=now), signer)]
    for i in range(n_calls):
        e = new_event(ctx, started_at=now, tool=tool_ref(f"tool{i}"), outcome="success")
        events.append(chain.seal(e, signer))
    events.append(chain.seal(new_event(ctx, kind="session_end", started_at=now), signer))
    return events


def kinds(report_findings: list[Any]) -> list[str]:
    return [str(f.kind) for f in report_findings]


def test_intact_session_verifies_after_avro_round_trip() -> None:
    events = make_session(5)
    ser = single_object_serializer(TOOL_CALL_EVENT)
    dec = Decoder(expect=TOOL_CALL_EVENT)
    decoded = [dec.decode(ser(e)).record for e in events]
    assert [compute_event_hash(d) for d in decoded] == [e["event_hash"] for e in events]
    report = verify(decoded)
    assert report.ok, report.to_dict()
    assert report.events == 7 and report.sessions == 1


def test_gap_names_the_missing_seqs_and_repeats_at_close() -> None:
    events = make_session(5)
    del events[2:4]  # seqs 3 and 4
    report = verify(events)
    gaps = [f for f in report.findings if f.kind == FindingKind.GAP]
    assert gaps[0].seq == 3 and "3-4" in gaps[0].detail
    assert any("closed at seq 7" in f.detail for f in gaps)
    assert set(kinds(report.findings)) == {"gap"}


def test_reorder_fills_the_gap() -> None:
    events = make_session(4)
    events[2], events[3] = events[3], events[2]  # seq 4 before seq 3
    report = verify(events)
    assert kinds(report.findings) == ["gap", "reorder"]
    assert report.findings[1].seq == 3
    assert report.findings[1].event_id == events[3]["event_id"]


def test_duplicate_is_not_a_fork() -> None:
    events = make_session(3)
    report = verify([*events[:3], copy.deepcopy(events[2]), *events[3:]])
    assert kinds(report.findings) == ["duplicate"]
    assert report.findings[0].seq == 3


def test_fork_two_events_same_seq() -> None:
    events = make_session(3)
    ctx = SessionContext(session_id="s1", tenant_id="t", agent_id="a")
    # A second writer continues the chain from seq 2 with its own event.
    chain = SessionChain(session_id="s1", last_seq=2, last_hash=events[1]["event_hash"])
    rival = chain.seal(new_event(ctx, started_at=events[2]["started_at"], tool=tool_ref("x")))
    report = verify([*events[:3], rival, *events[3:]])
    forks = [f for f in report.findings if f.kind == FindingKind.FORK]
    assert len(forks) == 1 and forks[0].seq == 3 and forks[0].event_id == rival["event_id"]


def test_fork_same_prev_hash_different_seq() -> None:
    events = make_session(3)
    rival = copy.deepcopy(events[2])
    rival["seq"] = 9
    rival["event_id"] = "other"
    rival["event_hash"] = compute_event_hash(rival)
    report = verify([*events[:4], rival])
    assert any(f.kind == FindingKind.FORK and f.seq == 9 for f in report.findings)


def test_modified_content() -> None:
    events = make_session(3)
    events[2]["tool"] = {**events[2]["tool"], "name": "rm_rf"}
    report = verify(events)
    assert kinds(report.findings) == ["modified"]
    assert report.findings[0].seq == 3


def test_modified_and_rehashed_is_caught_by_successor() -> None:
    events = make_session(3)
    events[2]["outcome"] = "error"
    events[2]["event_hash"] = compute_event_hash(events[2])
    report = verify(events)
    assert kinds(report.findings) == ["modified"]
    assert report.findings[0].seq == 3 and "seq 4" in report.findings[0].detail


def test_same_event_id_redelivered_with_other_content() -> None:
    events = make_session(2)
    changed = copy.deepcopy(events[1])
    changed["outcome"] = "error"
    report = verify([*events[:2], changed, *events[2:]])
    assert kinds(report.findings) == ["modified"]


@pytest.mark.parametrize("algo", ["hmac", "ed25519"])
def test_forged_signatures(algo: str) -> None:
    if algo == "hmac":
        signer: Any = HmacKey(key_id="k1", secret=b"s3cret")
        keys: dict[str, Any] = {"k1": signer}
    else:
        signer = Ed25519Signer.generate(key_id="k1")
        keys = {"k1": Ed25519Verifier(public_key=signer.public_key())}
    events = make_session(3, signer=signer)
    assert verify(events, keys=keys, require_signatures=True).ok
    bad = copy.deepcopy(events)
    bad[2]["signature"] = events[3]["signature"]  # a valid signature of another event
    bad[3]["key_id"] = "stolen"
    bad[4]["signature"] = None
    bad[4]["key_id"] = None
    report = verify(bad, keys=keys, require_signatures=True)
    assert [(str(f.kind), f.seq) for f in report.findings] == [
        ("forged", 3),
        ("forged", 4),
        ("forged", 5),
    ]
    assert "unknown key_id" in report.findings[1].detail
    assert "unsigned" in report.findings[2].detail


def test_missing_start_and_not_closed() -> None:
    events = make_session(3)
    report = verify(events[1:-1])
    got = [(str(f.kind), f.seq) for f in report.findings]
    assert ("gap", 1) in got
    assert ("missing_start", 1) in got
    assert ("not_closed", 4) in got


def test_seq1_not_a_start_marker() -> None:
    ctx = SessionContext(session_id="s9")
    chain = SessionChain(session_id="s9")
    e = chain.seal(new_event(ctx, started_at=ts_from_ns(time.time_ns()), tool=tool_ref("t")))
    v = SessionVerifier()
    assert kinds(v.check(e)) == ["missing_start"]
    assert kinds(v.finish()) == ["not_closed"]  # missing_start is not reported twice


def test_after_close() -> None:
    events = make_session(2)
    late = copy.deepcopy(events[2])
    late["seq"] = 5
    late["prev_hash"] = events[-1]["event_hash"]
    late["event_id"] = "late"
    late["event_hash"] = compute_event_hash(late)
    report = verify([*events, late])
    assert [(str(f.kind), f.seq) for f in report.findings] == [("after_close", 5)]


def test_state_round_trips_through_json_mid_stream() -> None:
    events = make_session(6)
    events[4]["tool"] = {**events[4]["tool"], "name": "evil"}  # modified
    del events[2]  # gap at seq 3
    whole = verify(events)
    findings = []
    state: dict[str, Any] | None = None
    for e in events:
        v = SessionVerifier() if state is None else SessionVerifier.from_dict(state)
        findings.extend(v.check(e))
        state = json.loads(json.dumps(v.to_dict()))
    assert state is not None
    findings.extend(SessionVerifier.from_dict(state).finish())
    assert [f.to_dict() for f in findings] == [f.to_dict() for f in whole.findings]
    assert {"gap", "modified"} == set(kinds(findings))


def test_window_bounds_memory() -> None:
    events = make_session(50)
    v = SessionVerifier(window=8)
    for e in events:
        assert v.check(e) == []
    assert len(v.to_dict()["recent"]) <= 9
    old = v.check(copy.deepcopy(events[3]))
    assert kinds(old) == ["reorder"] and "window" in old[0].detail


def test_wrong_session_is_refused() -> None:
    a, b = make_session(1, sid="a"), make_session(1, sid="b")
    v = SessionVerifier()
    v.check(a[0])
    with pytest.raises(ValueError, match="session"):
        v.check(b[1])


@given(
    st.datetimes(
        min_value=datetime(1000, 1, 1),
        max_value=datetime(9999, 12, 30),
        timezones=st.none() | st.just(UTC) | st.timezones(),
    ),
    st.none() | st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.just(UTC)),
    st.booleans(),
)
def test_event_bytes_fast_path_equals_the_shared_canonical_json(
    started: datetime, ended: datetime | None, extra: bool
) -> None:
    event = make_session(1)[1]
    event = {k: v for k, v in event.items() if k not in ("event_hash", "signature", "key_id")}
    event["started_at"], event["ended_at"] = started, ended
    if extra:  # a top-level datetime the schema does not have: the general path is taken
        event["received_at"] = started.replace(microsecond=0)
    try:
        expected = shared(event)
    except (OverflowError, ValueError):
        return
    assert event_bytes(event) == expected
