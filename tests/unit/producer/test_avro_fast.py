"""The compiled encoder writes exactly the bytes fastavro writes, for every kind of event."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from typing import Any

import pytest
from fastavro import schemaless_writer
from hypothesis import given, settings
from hypothesis import strategies as st

from tooltrail.errors import SchemaValidationError
from tooltrail.producer import Auditor, CapturePolicy, InMemoryPublisher, ToolPolicy, reasoning
from tooltrail.producer._writers import WRITERS
from tooltrail.producer.avro_fast import (
    FastSingleObjectSerializer,
    compile_writer,
    encode_long,
    fast_single_object_serializer,
    generate_writer,
    writers_module,
)
from tooltrail.producer.signing import HmacKey
from tooltrail.schemas import TOOL_CALL_EVENT, Decoder, bundled, single_object_serializer
from tooltrail.schemas.framing import SINGLE_OBJECT_MAGIC
from tooltrail.schemas.registry import enriched_tail_schema

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**62), 2**62) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def events(arguments: Any, result: Any, attrs: dict[str, str], level: str) -> list[dict[str, Any]]:
    pub = InMemoryPublisher(encode=False)
    auditor = Auditor(
        publisher=pub,
        policy=CapturePolicy(default=ToolPolicy(level=level)),
        signer=HmacKey(key_id="k", secret=b"s"),
    )
    with auditor.session(attributes=attrs, principal="p", credential_identity="role/x"):
        with reasoning(model="m", prompt="p", reasoning="because"):
            auditor.start("t", arguments=arguments, call_id="c").finish(result=result)
        auditor.deny("d", arguments=arguments, policy_id="pol", reason="no")
        auditor.start("e").finish(error=RuntimeError("é" * 3))
    return pub.events


@settings(max_examples=60, deadline=None)
@given(
    json_values,
    json_values,
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    st.sampled_from(["none", "metadata", "request", "request_response"]),
)
def test_bytes_equal_fastavro(
    arguments: Any, result: Any, attrs: dict[str, str], level: str
) -> None:
    fast = fast_single_object_serializer(TOOL_CALL_EVENT)
    assert isinstance(fast, FastSingleObjectSerializer)
    reference = single_object_serializer(TOOL_CALL_EVENT)
    decoder = Decoder(expect=TOOL_CALL_EVENT)
    closures = compile_writer(reference.schema.parsed)
    for event in events(arguments, result, attrs, level):
        data = fast(event)
        assert data == reference(event)
        parts = [data[:10]]
        closures(parts, event)
        assert b"".join(parts) == data
        assert decoder.decode(data).record == event


@pytest.mark.parametrize("n", [0, 1, -1, 63, -64, 64, 4095, 4096, 2**31, -(2**63), 2**63 - 1])
def test_long_encoding(n: int) -> None:
    out = io.BytesIO()
    schemaless_writer(out, "long", n)
    assert encode_long(n) == out.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.integers(-(2**63), 2**63 - 1), st.integers(0, 40_000))
def test_long_encoding_cached_high_bits(n: int, step: int) -> None:
    """Large values go through the cache of high bits; neighbours share an entry."""
    for v in (n, n, n + step, n - step):
        if -(2**63) <= v < 2**63:
            out = io.BytesIO()
            schemaless_writer(out, "long", v)
            assert encode_long(v) == out.getvalue()


def test_bad_records_raise_schema_validation_error() -> None:
    fast = fast_single_object_serializer(TOOL_CALL_EVENT)
    event = events(None, None, {}, "none")[0]
    with pytest.raises(SchemaValidationError):
        fast({**event, "kind": "nonsense"})
    with pytest.raises(SchemaValidationError):
        fast({k: v for k, v in event.items() if k != "tenant_id"})


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=-5, minutes=-30))]),
    )
)
def test_timestamps_any_zone_equal_fastavro(started: datetime) -> None:
    """Aware datetimes (any zone) take the inline path, naive ones and ints the helper."""
    fast = fast_single_object_serializer(TOOL_CALL_EVENT)
    reference = single_object_serializer(TOOL_CALL_EVENT)
    event = events(None, None, {}, "none")[0]
    for value in (started, started + timedelta(microseconds=1)):
        record = {**event, "started_at": value, "ended_at": value}
        assert fast(record) == reference(record)
    micros = {**event, "started_at": 1_764_870_000_123_456, "ended_at": -5}
    assert fast(micros) == reference(micros)


def test_shipped_writers_module_is_what_the_generator_writes() -> None:
    """``make generated`` was run after the last schema or generator change."""
    shipped = resources.files("tooltrail.producer").joinpath("_writers.py").read_text()
    assert shipped == writers_module()


def test_bundled_writers_come_from_the_shipped_module_and_equal_generated_ones() -> None:
    schema = bundled().current(TOOL_CALL_EVENT)
    header = SINGLE_OBJECT_MAGIC + schema.fingerprint
    shipped, _ = generate_writer(schema.parsed, header)
    assert shipped in WRITERS.values()
    assert generate_writer(enriched_tail_schema(), b"")[0] in WRITERS.values()
    fresh, _ = generate_writer(schema.parsed, b"other header")  # not shipped: generated now
    assert fresh not in WRITERS.values()
    for event in events({"a": [1, "x"]}, {"ok": True}, {"k": "v"}, "request_response"):
        assert shipped(event) == header + fresh(event)[len(b"other header") :]
