"""Canonical JSON straight to Avro (the ``_transcode`` extension): the Python writer's bytes,
or None for anything it does not expect, which the caller then encodes the slow way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tooltrail.producer import Auditor, CapturePolicy, InMemoryPublisher, ToolPolicy, reasoning
from tooltrail.producer.avro_fast import UnsupportedSchema, fast_single_object_serializer
from tooltrail.producer.chain import INTEGRITY_FIELDS, event_bytes
from tooltrail.producer.feedloops import encode_into, integrity_json
from tooltrail.producer.transcode import JsonTranscoder, describe, json_transcoder
from tooltrail.schemas import TOOL_CALL_EVENT, Decoder, single_object_serializer

pytest.importorskip("tooltrail.producer._transcode", reason="the C extension is not built")

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def sealed_events(
    arguments: Any, result: Any, attrs: dict[str, str], level: str, why: str
) -> list[dict[str, Any]]:
    pub = InMemoryPublisher(encode=False)
    auditor = Auditor(publisher=pub, policy=CapturePolicy(default=ToolPolicy(level=level)))
    with auditor.session(attributes=attrs, principal="p\u00e9", credential_identity="role/x"):
        with reasoning(model="m", prompt="p", reasoning=why):
            auditor.start("t", arguments=arguments, call_id="c").finish(result=result)
        auditor.deny("d", arguments=arguments, policy_id="pol", reason=why)
        auditor.start("e").finish(error=RuntimeError(why))
        auditor.start("bearer").finish(result={"token": "Bearer abcdefghijklmnop " + why})
    return pub.events


def canonical(event: dict[str, Any]) -> tuple[bytes, bytes]:
    """What disk mode's caller hands over: the body's canonical JSON, and the integrity
    fields as the extra document."""
    body = {k: v for k, v in event.items() if k not in INTEGRITY_FIELDS}
    return event_bytes(body), integrity_json(event["event_hash"])


@pytest.fixture(scope="module")
def transcoder() -> JsonTranscoder:
    made = json_transcoder(fast_single_object_serializer(TOOL_CALL_EVENT))
    assert made is not None
    return made


@settings(max_examples=80, deadline=None)
@given(
    json_values,
    json_values,
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    st.sampled_from(["none", "metadata", "request", "request_response"]),
    st.text(max_size=40),
)
def test_bytes_equal_the_writer_and_fastavro(
    transcoder: JsonTranscoder,
    arguments: Any,
    result: Any,
    attrs: dict[str, str],
    level: str,
    why: str,
) -> None:
    writer = fast_single_object_serializer(TOOL_CALL_EVENT)
    reference = single_object_serializer(TOOL_CALL_EVENT)
    decoder = Decoder(expect=TOOL_CALL_EVENT)
    events = sealed_events(arguments, result, attrs, level, why)
    out = transcoder.many([canonical(e) for e in events])
    for event, data in zip(events, out, strict=True):
        assert data is not None
        assert data == writer(event) == reference(event)
        assert decoder.decode(data).record == event


@settings(max_examples=150, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1, 1, 1),
        max_value=datetime(9999, 12, 31),
        timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=-5, minutes=-30))]),
    )
)
def test_timestamps_of_any_zone_and_year(transcoder: JsonTranscoder, started: datetime) -> None:
    writer = fast_single_object_serializer(TOOL_CALL_EVENT)
    event = sealed_events(None, None, {}, "none", "")[0]
    record = {**event, "started_at": started, "ended_at": started}
    try:
        item, expected = canonical(record), writer(record)
    except OverflowError:  # past year 9999 once in UTC: no canonical form
        return
    assert transcoder.many([item]) == [expected]


def test_escapes_and_unicode_are_written_as_utf8(transcoder: JsonTranscoder) -> None:
    writer = fast_single_object_serializer(TOOL_CALL_EVENT)
    texts = ['q"uote', "back\\slash", "\x00\x01\x1f\t\n\r\b\f", "\u00e9\u2028\U0001f600", "/"]
    event = sealed_events({"t": texts}, texts, {"k\n": "v\u00e9"}, "request_response", "x")[0]
    (data,) = transcoder.many([canonical(event)])
    assert data == writer(event)
    # JSON's own escapes for what orjson writes raw come out the same: \u00e9, a surrogate
    # pair, an escaped slash
    body, extra = canonical(event)
    escaped = body.replace(b"p\xc3\xa9", b"p\\u00e9")
    assert escaped != body
    assert transcoder.many([(escaped, extra)]) == [data]
    pair = sealed_events(None, None, {}, "none", "")[0]
    pair["principal"] = "\U0001f600/"
    body, extra = canonical(pair)
    escaped = body.replace("\U0001f600/".encode(), b"\\ud83d\\ude00\\/")
    assert escaped != body
    assert transcoder.many([(escaped, extra)]) == [writer(pair)]


def test_anything_unexpected_comes_back_as_none(transcoder: JsonTranscoder) -> None:
    event = sealed_events(None, None, {}, "none", "")[0]
    body, extra = canonical(event)
    good = transcoder.many([(body, extra)])[0]
    assert good is not None
    started = event["started_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode()
    assert started in body
    broken = [
        body[:-1],  # truncated
        body + b"x",  # trailing garbage
        body.replace(b'"kind":"session_start"', b'"kind":"nonsense"'),  # not a symbol
        body.replace(b'"seq":1', b'"seq":"1"'),  # a string for a long
        body.replace(b'"seq":1', b'"seq":1.5'),  # a fraction for a long
        body.replace(b'"seq":1', b'"seq":9223372036854775808'),  # past int64
        body.replace(b'"tenant_id":', b'"tenant_idx":'),  # a required field missing
        body.replace(started, started[:-1] + b"+00:00"),  # not the canonical form
        body.replace(started, b"2023-02-29" + started[10:]),  # no such day
        body.replace(b'"principal":', b'"principal":"\\ud800",' + b'"x":'),  # lone surrogate
    ]
    assert all(b != body for b in broken)
    assert transcoder.many([(b, extra) for b in broken]) == [None] * len(broken)
    # the integrity fields come from the extra document, and must be somewhere
    assert transcoder.many([(body, None)]) == [None]
    assert transcoder.many([(body, b'{"event_hash":"x"}')]) == [None]  # signature missing
    assert transcoder.many([(body, b"{")]) == [None]
    # items of the wrong shape are refused one by one, the others still encoded
    odd: list[Any] = [(body, extra), "text", (body,), (1, extra), (body, extra)]
    assert transcoder.many(odd) == [good, None, None, None, good]
    # a document given as (buffer, start, stop): its bytes in a larger buffer
    framed = memoryview(b"ab" + body + b"cd")
    ranges: list[Any] = [
        ((framed, 2, 2 + len(body)), extra),
        ((framed, 2, 3 + len(body)), extra),  # one byte too many: trailing garbage
        ((framed, 2, 5 + len(body)), extra),  # past the buffer's end
        ((framed, 3, 2), extra),  # stop before start
        ((framed, 2), extra),
    ]
    assert transcoder.many(ranges) == [good, None, None, None, None]


def test_keys_in_any_order_and_spacing_still_transcode(transcoder: JsonTranscoder) -> None:
    import orjson  # noqa: PLC0415

    event = sealed_events({"a": 1}, None, {"b": "1"}, "request", "")[1]
    body, extra = canonical(event)
    parsed = orjson.loads(body)
    shuffled = orjson.dumps(dict(reversed(list(parsed.items()))), option=orjson.OPT_INDENT_2)
    assert shuffled != body
    assert transcoder.many([(shuffled, extra)]) == transcoder.many([(body, extra)])


def test_describe_refuses_what_the_writer_does_not_support() -> None:
    for schema in (
        ["null", "string", "long"],
        ["string", "null"],
        {"type": "bytes"},
        {"type": "fixed", "name": "F", "size": 4},
        {"type": "int", "logicalType": "date"},
        "io.tooltrail.v1.Named",
    ):
        with pytest.raises(UnsupportedSchema):
            describe(schema)
    assert describe({"type": "long", "logicalType": "timestamp-micros"}) == ("ts",)
    assert describe(["null", {"type": "map", "values": "int"}]) == ("opt", ("map", ("long",)))


def test_no_transcoder_for_other_serializers() -> None:
    assert json_transcoder(single_object_serializer(TOOL_CALL_EVENT)) is None
    assert json_transcoder(lambda event, ctx: b"") is None


def test_a_malformed_program_is_a_clear_error() -> None:
    from tooltrail.producer import _transcode  # noqa: PLC0415

    with pytest.raises(TypeError, match="program node"):
        _transcode.program(("record", (("a", "string"),)))
    with pytest.raises(ValueError, match="top-level"):
        _transcode.program(("string",))
    with pytest.raises(TypeError, match="malformed"):
        _transcode.program(("enum", "ab"))


def test_encode_into_transcodes_handed_over_json_and_falls_back_per_item(
    transcoder: JsonTranscoder,
) -> None:
    writer = fast_single_object_serializer(TOOL_CALL_EVENT)
    events = sealed_events({"i": 1}, {"ok": True}, {}, "request_response", "")
    batch: list[tuple[Any, bytes, Any]] = []
    for n, e in enumerate(events):  # as feedloops.spool_event_json hands them over
        body = canonical(e)[0]
        batch.append(((1, n), b"k", (b"--" + body, 2, 2 + len(body), e["event_hash"])))
    batch.insert(1, ((0, 0), b"k", b"wire bytes"))
    batch.insert(2, ((0, 1), b"k", events[0]))  # an event dict: the writer
    expected = [writer(e) for e in events]
    expected[1:1] = [b"wire bytes", expected[0]]
    for many in (transcoder.many, lambda jobs: [None] * len(jobs), None):
        ready: list[tuple[Any, bytes, Any]] = []
        assert encode_into(batch, writer, ready, many) == []
        assert [value for _, _, value in ready] == expected
    bad = [((2, 0), b"k", (b"{not json", 0, 9, "00"))]
    ready = []
    failed = encode_into(bad, writer, ready, transcoder.many)
    assert ready == [] and [(ref, item) for ref, item, _ in failed] == [bad[0][::2]]


def test_untrack_stops_tracking_until_a_container_goes_in() -> None:
    import gc  # noqa: PLC0415

    from tooltrail.producer.percall import untrack  # noqa: PLC0415

    event = {"agent": {"id": "a"}, "redactions": []}
    assert gc.is_tracked(event)
    untrack(event)
    assert not gc.is_tracked(event)
    untrack(event)  # again: harmless
    untrack("text")  # not a container: nothing to do
    view = memoryview(b"x")
    pair = (1, [])
    untrack(view, pair)  # a memoryview's dealloc assumes it is tracked: left alone
    assert gc.is_tracked(view) and not gc.is_tracked(pair)
    event["tool"] = {"name": "t"}  # CPython tracks a dict again when a container goes in
    assert gc.is_tracked(event)


def test_disk_mode_caller_hands_over_a_view_of_the_spooled_json_and_the_hash(tmp_path: Any) -> None:
    import collections  # noqa: PLC0415
    import gc  # noqa: PLC0415
    from types import SimpleNamespace  # noqa: PLC0415

    from tooltrail.producer.feedloops import spool_event_json  # noqa: PLC0415
    from tooltrail.producer.metrics import ProducerMetrics  # noqa: PLC0415
    from tooltrail.producer.spool import Spool  # noqa: PLC0415

    spool = Spool(directory=tmp_path)
    pub = SimpleNamespace(
        closed=False,
        metrics=ProducerMetrics(),
        _append_lock=spool.lock,
        _backlog=False,
        _overflow=False,
        _handoff=collections.deque(),
        _handoff_max=10,
    )
    event = sealed_events(None, None, {}, "none", "")[1]
    body, _ = canonical(event)
    assert spool_event_json(pub, spool, event, body)
    ((ref, key, item),) = pub._handoff
    entry = pub._handoff[0]
    assert key == event["session_id"].encode()
    buf, start, stop, digest = item
    # the JSON as it is in the spool's mapping (the caller's bytes are let go) and the hash;
    # the tuples not walked by the collector meanwhile
    assert isinstance(buf, memoryview) and buf[start:stop] == body
    assert digest == event["event_hash"]
    assert not gc.is_tracked(item)
    assert not gc.is_tracked(entry) and not gc.is_tracked(ref)
    assert gc.is_tracked(buf)  # (a view must stay tracked: see _transcode.c)
    del entry
    assert [(r, v) for r, _, v in spool.iter_pending()] == [(ref, body)]
    expected = fast_single_object_serializer(TOOL_CALL_EVENT)(event)
    many = json_transcoder(fast_single_object_serializer(TOOL_CALL_EVENT))
    assert many is not None
    ready: list[tuple[Any, bytes, Any]] = []
    assert encode_into([(ref, key, item)], None, ready, many.many) == []
    assert ready == [(ref, key, expected)]
    spool.close()  # the view still out: the mapping stays until it goes, the close succeeds
    assert buf[start:stop] == body
    pub._handoff.clear()
    del buf, item


def test_memory_mode_encodes_from_the_canonical_json_the_same_bytes(
    transcoder: JsonTranscoder,
) -> None:
    """publish_many's encoding (memory mode): unsigned events read from their canonical
    JSON equal the writer's bytes; a signed event, and JSON the transcoder gives back as
    None, are encoded from the dict; an event that does not encode is reported, in place."""
    from tooltrail.producer.feedloops import encode_events  # noqa: PLC0415

    encode = fast_single_object_serializer(TOOL_CALL_EVENT)
    events = sealed_events({"a": [1, 2.5, None]}, {"ok": True}, {"k": "v"}, "request_response", "w")
    bodies = [canonical(e)[0] for e in events]
    signed = dict(events[1], signature="c2ln", key_id="k1")
    bad = dict(events[2], outcome="not-an-outcome")
    batch = [events[0], signed, bad, events[3], events[4]]
    texts = [bodies[0], bodies[1], canonical(bad)[0], b'{"broken":', bodies[4]]
    calls: list[int] = []

    def many(jobs: list[tuple[Any, bytes | None]]) -> list[bytes | None]:
        calls.append(len(jobs))
        return transcoder.many(jobs)

    out, failed = encode_events(batch, texts, encode, many)
    assert calls == [5]  # one call for the batch
    kept = (events[0], signed, events[3], events[4])
    assert out == [(e["session_id"].encode(), encode(e, None)) for e in kept]
    assert [e for e, _ in failed] == [bad]
    assert encode_events(batch, None, encode, None)[0] == out  # without the transcoder


def test_the_capture_worker_hands_memory_mode_the_chains_json(tmp_path: Any) -> None:
    """Offloaded events wait untracked; the worker passes each sealed event's canonical JSON
    to a publish_many that takes it, and none when events are signed."""
    import gc  # noqa: PLC0415

    from tooltrail.producer.chain import SessionChain  # noqa: PLC0415
    from tooltrail.producer.emitter import Emitter  # noqa: PLC0415
    from tooltrail.producer.metrics import ProducerMetrics  # noqa: PLC0415
    from tooltrail.producer.signing import HmacKey  # noqa: PLC0415

    class Batching:
        def __init__(self) -> None:
            self.metrics = ProducerMetrics()
            self.calls: list[tuple[list[dict[str, Any]], list[bytes] | None]] = []

        def publish(self, event: dict[str, Any], *, durable: bool = False) -> bool:
            raise AssertionError("batched")

        def publish_many(
            self, events: list[dict[str, Any]], canonical: list[bytes] | None = None
        ) -> None:
            self.calls.append((list(events), canonical))

    template = sealed_events(None, None, {}, "none", "")[1]
    for signer in (None, HmacKey(key_id="k1", secret=b"k" * 32)):
        pub = Batching()
        emitter = Emitter(
            publisher=pub, signer=signer, offload=True, max_pending=100, on_lost=print
        )
        fresh = [dict(template, seq=None, prev_hash=None, session_id="s") for _ in range(3)]
        for e in fresh:
            for name in INTEGRITY_FIELDS:
                e.pop(name, None)
            emitter.emit(e)
            assert not gc.is_tracked(e)
        emitter.close()
        events = [e for batch, _ in pub.calls for e in batch]
        assert [e["seq"] for e in events] == [1, 2, 3]
        bodies = [b for _, c in pub.calls for b in (c or [])]
        if signer is None:
            chain = SessionChain(session_id="s")
            expected = []
            for e in fresh:
                body = {k: v for k, v in e.items() if k not in INTEGRITY_FIELDS}
                chain.seal(body)
                expected.append(chain.last_body)
            assert bodies == expected
        else:
            assert all(c is None for _, c in pub.calls)
