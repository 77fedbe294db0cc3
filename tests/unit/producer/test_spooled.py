"""Disk mode spools the canonical JSON the chain made; it turns back into the same Avro bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tooltrail.producer import Auditor, CapturePolicy, InMemoryPublisher, ToolPolicy, reasoning
from tooltrail.producer.chain import INTEGRITY_FIELDS, compute_event_hash, event_bytes
from tooltrail.producer.kafka import KafkaPublisher
from tooltrail.producer.publisher import default_serializer
from tooltrail.producer.signing import HmacKey
from tooltrail.producer.spool import Spool
from tooltrail.producer.spooled import event_from_canonical, is_canonical, wire_bytes
from tooltrail.schemas import TOOL_CALL_EVENT, Decoder

NOWHERE = "127.0.0.1:1"


def sealed_events(**auditor_kwargs: Any) -> list[dict[str, Any]]:
    memory = InMemoryPublisher(encode=False)
    policy = CapturePolicy(default=ToolPolicy(level="request_response"))
    auditor = Auditor(publisher=memory, policy=policy, **auditor_kwargs)
    with auditor.session(session_id="s-ü", tenant_id="t1", attributes={"team": "røde"}):
        auditor.start("read", arguments={"path": "/tmp/x", "token": "hunter2"}).finish(
            result={"ok": True, "n": [1, -2, 2**40]}
        )
        with reasoning(model="m", reasoning="because", prompt="p"):
            auditor.start("write", arguments={"x": "ünïcode ✓"}).finish(error=ValueError("no"))
        auditor.deny("rm", policy_id="p1", decided_by="human", arguments={"path": "/"})
    auditor.close()
    return memory.events


def test_canonical_form_gives_back_the_sealed_event_and_its_avro_bytes() -> None:
    encode = default_serializer()
    for event in sealed_events():
        body = event_bytes({k: v for k, v in event.items() if k not in INTEGRITY_FIELDS})
        assert is_canonical(body)
        assert event_from_canonical(body) == event
        assert wire_bytes(body, encode) == encode(event, None)


def test_wire_bytes_leave_encoded_values_alone() -> None:
    encode = default_serializer()
    value = encode(sealed_events()[0], None)
    assert not is_canonical(value)
    assert wire_bytes(value, encode) is value


def test_disk_mode_spools_canonical_json_and_replays_it_encoded(tmp_path: Path) -> None:
    """Broker away: the caller's events sit in the spool as JSON (signed ones encoded); what
    the next process sends decodes to an intact chain."""
    encode = default_serializer()
    decoder = Decoder(expect=TOOL_CALL_EVENT)
    for signer in (None, HmacKey(key_id="k1", secret=b"k" * 32)):
        spool_dir = tmp_path / ("signed" if signer else "plain")
        pub = KafkaPublisher(bootstrap_servers=NOWHERE, durability="disk", spool_dir=spool_dir)
        auditor = Auditor(publisher=pub, signer=signer)
        with auditor.session(session_id="same"):
            for i in range(5):
                auditor.start("t", arguments={"i": i}).finish(result=i)
        auditor.close(timeout=0.2)
        spool = Spool(directory=spool_dir)
        values = [v for _, _, v in spool.iter_pending()]
        spool.close()
        assert len(values) == 7
        assert all(is_canonical(v) for v in values) is (signer is None)
        events = [decoder.decode(wire_bytes(v, encode)).record for v in values]
        assert [e["seq"] for e in events] == list(range(1, 8))
        prev = None
        for e in events:
            assert e["prev_hash"] == prev
            assert e["event_hash"] == compute_event_hash(e)
            assert (e["signature"] is not None) is (signer is not None)
            prev = e["event_hash"]


def test_disk_handoff_hitting_a_full_queue_keeps_every_record_in_order(tmp_path: Path) -> None:
    """librdkafka's queue fills mid-handoff: the backlog takes over from the spool; nothing
    is skipped, repeated or reordered (what the next process would send, in seq order)."""
    pub = KafkaPublisher(
        bootstrap_servers=NOWHERE,
        durability="disk",
        spool_dir=tmp_path,
        queue_max_messages=10,
        producer_config={"linger.ms": 1000},
    )
    auditor = Auditor(publisher=pub)
    with auditor.session(session_id="full"):
        for i in range(200):
            auditor.start("t", arguments={"i": i}).finish(result=i)
    auditor.flush(0.5)
    assert pub.in_backlog
    auditor.close(timeout=0.2)
    spool = Spool(directory=tmp_path)
    values = [v for _, _, v in spool.iter_pending()]
    spool.close()
    assert [event_from_canonical(v)["seq"] for v in values] == list(range(1, 203))
    assert pub.metrics.dropped_value("spool_full") == 0
