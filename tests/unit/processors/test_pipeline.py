"""The pure batch pipeline: routing, dead letters, state and replay, without Kafka."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tooltrail.schemas import (
    ALERT,
    DEAD_LETTER,
    ENRICHED_TOOL_CALL_EVENT,
    TOOL_CALL_EVENT,
    Decoder,
    single_object_serializer,
)
from tooltrail.stream_processors.workers.pipeline import BatchResult, Pipeline, RawRecord

from .conftest import T0, RecordFactory, make_event

ENRICHED = Decoder(expect=ENRICHED_TOOL_CALL_EVENT)
ALERTS = Decoder(expect=ALERT)
DEAD = Decoder(expect=DEAD_LETTER)


class CountingAnalyzer:
    """Counts each session's events; alerts on the tool ``danger``; fails on ``boom``."""

    def __init__(self, stored: dict[str, Any] | None = None) -> None:
        stored = stored or {}
        self.last_offset = int(stored.get("m", -1))
        self.counts: dict[str, int] = dict(stored.get("counts", {}))
        self.dirty: set[str] = set()

    def handle(self, event: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        tool = event["tool"]["name"]
        if tool == "boom":
            raise RuntimeError("rule crashed")
        sid = event["session_id"]
        self.counts[sid] = self.counts.get(sid, 0) + 1
        self.dirty.add(sid)
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
                    "session_id": sid,
                    "agent_id": event["agent"]["id"],
                    "event_ids": [event["event_id"]],
                    "first_event_at": event["started_at"],
                    "last_event_at": event["started_at"],
                    "message": f"danger after {self.counts[sid]} events",
                    "detected_at": T0,
                }
            )
        return enriched, alerts

    def drain_state(self) -> dict[str, bytes | None]:
        out: dict[str, bytes | None] = {f"c/{s}": str(self.counts[s]).encode() for s in self.dirty}
        self.dirty.clear()
        out["m"] = str(self.last_offset).encode()
        return out


class Store:
    """What the Faust table does for the app: keeps the drained writes per partition."""

    def __init__(self) -> None:
        self.data: dict[int, dict[str, bytes]] = {}
        self.live: dict[int, CountingAnalyzer] = {}

    def analyzer_for(self, partition: int) -> CountingAnalyzer:
        if partition not in self.live:
            stored = self.data.get(partition, {})
            self.live[partition] = CountingAnalyzer(
                {
                    "m": int(stored.get("m", b"-1")),
                    "counts": {k[2:]: int(v) for k, v in stored.items() if k.startswith("c/")},
                }
            )
        return self.live[partition]

    def save(self, writes: dict[int, dict[str, bytes | None]]) -> None:
        for partition, changes in writes.items():
            for key, value in changes.items():
                if value is None:
                    self.data.get(partition, {}).pop(key, None)
                else:
                    self.data.setdefault(partition, {})[key] = value

    def crash(self) -> None:
        """A worker dies: in-memory analyzers are gone, the table survives."""
        self.live.clear()


def run(pipeline: Pipeline, batch: list[RawRecord], store: Store) -> BatchResult:
    result = pipeline.process(batch, store.analyzer_for)
    store.save(result.writes)
    return result


def test_good_events_are_enriched_and_alerts_raised(records: RecordFactory) -> None:
    pipeline = Pipeline()
    batch = [records.event("s1", 1), records.event("s1", 2, "danger"), records.event("s2", 1)]
    result = run(pipeline, batch, Store())
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
    assert result.writes == {0: {"c/s1": b"2", "c/s2": b"1", "m": b"2"}}


def test_state_carries_across_batches(records: RecordFactory) -> None:
    pipeline = Pipeline()
    store = Store()
    run(pipeline, [records.event("s1", 1), records.event("s1", 2)], store)
    store.crash()  # state now comes back from the table
    result = run(pipeline, [records.event("s1", 3, "danger")], store)
    assert ALERTS.decode(result.alerts[0].value).record["message"] == "danger after 3 events"
    assert store.data[0]["c/s1"] == b"3"


def test_partitions_have_separate_analyzers_and_markers(records: RecordFactory) -> None:
    store = Store()
    result = run(
        Pipeline(),
        [records.event("a", 1, partition=0), records.event("b", 1, partition=1),
         records.event("a", 2, partition=0)],
        store,
    )  # fmt: skip
    assert result.writes == {0: {"c/a": b"2", "m": b"1"}, 1: {"c/b": b"1", "m": b"0"}}


def test_poison_records_are_dead_lettered_and_good_ones_flow(records: RecordFactory) -> None:
    pipeline = Pipeline(max_record_bytes=2000, worker="w1")
    garbage = records(b"\x01garbage", key=b"k1")
    good = records.event("s1", 1)
    valid_prefix = good.value or b""
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
    result = run(pipeline, batch, Store())
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
    bad = make_event("s1", 1)
    bad["session_id"] = ""
    result = run(
        Pipeline(),
        [records(single_object_serializer(TOOL_CALL_EVENT)(bad))],
        Store(),
    )
    assert result.dead_by == Counter({("validate", "schema_invalid"): 1})


def test_analyzer_exception_dead_letters_the_record_and_the_batch_goes_on(
    records: RecordFactory,
) -> None:
    result = run(
        Pipeline(),
        [records.event("s1", 1, "boom"), records.event("s1", 2)],
        Store(),
    )
    assert result.dead_by == Counter({("analyze", "exception"): 1})
    assert "rule crashed" in DEAD.decode(result.dead_letters[0].value).record["error_message"]
    assert len(result.enriched) == 1


def test_records_already_in_the_stored_state_are_not_applied_twice(
    records: RecordFactory,
) -> None:
    pipeline = Pipeline()
    store = Store()
    first = [records.event("s1", 1), records.event("s1", 2, "danger")]
    run(pipeline, first, store)
    store.crash()
    # A crash after the state was saved but before the offsets were committed: the same
    # records come again, followed by a new one.
    result = run(pipeline, [*first, records.event("s1", 3, "danger")], store)
    assert result.replayed == 2
    assert len(result.enriched) == 1
    assert ALERTS.decode(result.alerts[0].value).record["message"] == "danger after 3 events"
    assert store.data[0]["c/s1"] == b"3"
    assert store.data[0]["m"] == b"2"


def test_dead_lettered_records_advance_the_marker_too(records: RecordFactory) -> None:
    store = Store()
    run(Pipeline(), [records(b"junk"), records(b"junk")], store)
    assert store.data[0]["m"] == b"1"


def test_confluent_framed_events_decode_through_the_configured_registry(
    records: RecordFactory,
) -> None:
    from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: PLC0415

    from tooltrail.schemas import ConfluentSerializer, bundled  # noqa: PLC0415
    from tooltrail.stream_processors.workers.app import _decoder  # noqa: PLC0415

    registry = SchemaRegistryClient.new_client({"url": "mock://"})
    encode = ConfluentSerializer(
        bundled().current(TOOL_CALL_EVENT), registry=registry, subject="raw-value"
    )
    record = records(encode(make_event("s1", 1)), key=b"s1")

    without = run(Pipeline(decoder=_decoder(None)), [record], Store())
    (dead,) = [DEAD.decode(o.value).record for o in without.dead_letters]
    assert dead["reason"] == "no_registry"

    assert _decoder("mock://").registry is not None
    # The mock registry keeps its schemas per client instance: decode with the one used above.
    decoder = Decoder(expect=TOOL_CALL_EVENT, registry=registry)
    with_registry = run(Pipeline(decoder=decoder), [record], Store())
    assert with_registry.dead_letters == []
    (enriched,) = [ENRICHED.decode(o.value).record for o in with_registry.enriched]
    assert enriched["event"]["event_id"] == "s1-1"


class ProvenanceAnalyzer(CountingAnalyzer):
    """Every enrichment field set, provenance included (the spliced tail's whole schema)."""

    def handle(self, event: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        enriched, alerts = super().handle(event)
        enriched.update(
            labels=["untrusted_content", "external"],
            catalog_entry="web_fetch",
            destination_domain="evil.example",
            destination_external=True,
            first_seen_destination=True,
            provenance=[
                {
                    "value": "evil.example",
                    "value_kind": "domain",
                    "source_tool": "web_fetch",
                    "source_event_id": "e-1",
                    "source_seq": 2**40,
                }
            ],
        )
        return enriched, alerts


def test_spliced_enriched_records_are_byte_identical_to_encoding_the_whole_record(
    records: RecordFactory,
) -> None:
    encode = single_object_serializer(ENRICHED_TOOL_CALL_EVENT)
    batch = [records.event("s1", 1), records.event("s1", 2, tool="web_fetch")]
    for analyzer in (CountingAnalyzer(), ProvenanceAnalyzer()):  # defaults, then every field
        made: list[dict[str, Any]] = []
        handle = analyzer.handle

        def spy(event: dict[str, Any], handle: Any = handle, made: Any = made) -> Any:
            enriched, alerts = handle(event)
            made.append(enriched)
            return enriched, alerts

        analyzer.handle = spy  # type: ignore[method-assign]
        result = Pipeline().process(batch, lambda p, a=analyzer: a)  # type: ignore[misc]
        assert len(result.enriched) == len(made) == 2
        for out, enriched in zip(result.enriched, made, strict=True):
            assert out.value == encode(enriched)  # fastavro, defaults filled by fastavro
