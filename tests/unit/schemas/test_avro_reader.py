"""The compiled Avro reader gives what fastavro gives, and fails the same bounded ways."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from io import BytesIO
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from tooltrail.errors import DecodeError
from tooltrail.schemas import (
    TOOL_CALL_EVENT,
    Decoder,
    ToolCallEvent,
    bundled,
    single_object_serializer,
)
from tooltrail.schemas._readers import READERS
from tooltrail.schemas.avro_reader import Reader, UnsupportedSchema, generate_reader
from tooltrail.schemas.framing import readers_module

from .conftest import make_event


def both_readers(name: str) -> list[Reader]:
    """The reader generated now and the one shipped in ``_readers.py`` (compiled in wheels)."""
    schema = bundled().current(name)
    return [generate_reader(json.loads(schema.expanded_json))[0], READERS[schema.fingerprint]]


def test_shipped_readers_module_is_what_the_generator_writes() -> None:
    """``make generated`` was run after the last schema or generator change."""
    shipped = resources.files("tooltrail.schemas").joinpath("_readers.py").read_text()
    assert shipped == readers_module()


def fastavro_bytes(schema: Any, record: Any) -> bytes:
    out = BytesIO()
    schemaless_writer(out, schema, record)
    return out.getvalue()


def test_enriched_schema_is_whole_for_registries_and_fingerprints() -> None:
    """EnrichedToolCallEvent's event field is defined inline, not by a dangling name."""
    enriched = bundled().current("io.tooltrail.v1.EnrichedToolCallEvent")
    expanded = json.loads(enriched.expanded_json)
    assert expanded["fields"][0]["type"]["name"] == "io.tooltrail.v1.ToolCallEvent"
    assert "io.tooltrail.v1.AgentIdentity" in enriched.canonical
    parse_schema(expanded, named_schemas={})  # stands alone


@pytest.mark.parametrize("name", ["ToolCallEvent", "EnrichedToolCallEvent", "Alert", "DeadLetter"])
def test_every_bundled_schema_reads_as_fastavro_does(
    name: str, samples: dict[str, Callable[[], BaseModel]]
) -> None:
    schema = bundled().current(f"io.tooltrail.v1.{name}")
    record = samples[name]().to_avro()  # type: ignore[attr-defined]
    data = b"pad" + fastavro_bytes(schema.parsed, record)
    for read in both_readers(schema.name):
        got, end = read(data, 3)
        assert end == len(data)
        assert got == schemaless_reader(BytesIO(data[3:]), schema.parsed, None)


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(max_size=40),
    seq=st.integers(min_value=1, max_value=2**62),
    duration=st.none() | st.integers(min_value=-(2**62), max_value=2**62),
    micros=st.integers(min_value=0, max_value=2**52),
    attributes=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=70),
)
def test_varied_events_read_as_fastavro_does(
    text: str, seq: int, duration: int | None, micros: int, attributes: dict[str, str]
) -> None:
    started = datetime.fromtimestamp(micros // 1_000_000, UTC).replace(
        microsecond=micros % 1_000_000
    )
    event = make_event(
        error_message=text, seq=seq, duration_us=duration, started_at=started, attributes=attributes
    )
    schema = bundled().current(TOOL_CALL_EVENT)
    data = fastavro_bytes(schema.parsed, event.to_avro())
    expected = (schemaless_reader(BytesIO(data), schema.parsed, None), len(data))
    for read in both_readers(TOOL_CALL_EVENT):
        assert read(data, 0) == expected


def test_arrays_and_maps_in_size_prefixed_blocks() -> None:
    """Writers may send a negative block count followed by the block's size in bytes."""
    schema = {"type": "array", "items": {"type": "map", "values": "long"}}
    # one block of 2 maps (count -2, size 9), each map one block of one entry, then ends
    data = bytes([3, 18, 2, 2, ord("a"), 4, 0, 2, 2, ord("b"), 0x80, 0x01, 0, 0])
    read, _ = generate_reader(schema)
    assert read(data, 0) == ([{"a": 2}, {"b": 64}], len(data))
    assert read(data, 0)[0] == schemaless_reader(BytesIO(data), parse_schema(schema), None)


def test_every_truncation_is_truncated_and_trailing_bytes_are_named() -> None:
    data = single_object_serializer(TOOL_CALL_EVENT)(make_event().to_avro())
    reader = Decoder(expect=TOOL_CALL_EVENT)
    for cut in range(10, len(data)):
        with pytest.raises(DecodeError) as err:
            reader.decode(data[:cut])
        assert err.value.reason == "truncated", cut
    with pytest.raises(DecodeError) as err:
        reader.decode(data + b"\x02")
    assert err.value.reason == "trailing_bytes"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\x05", "malformed"),  # a union index that does not exist
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "malformed"),  # an 11-byte varint
    ],
)
def test_impossible_encodings_are_malformed(body: bytes, reason: str) -> None:
    schema = bundled().current(TOOL_CALL_EVENT)
    data = b"\xc3\x01" + schema.fingerprint + fastavro_bytes(schema.parsed, make_event().to_avro())
    # the first field is event_id (a string): a broken length or a broken union after it
    event_id_len = 1 + len(make_event().event_id)
    broken = data[: 10 + event_id_len] + body + data[10 + event_id_len + 1 :]
    with pytest.raises(DecodeError) as err:
        Decoder(expect=TOOL_CALL_EVENT).decode(broken)
    assert err.value.reason in {reason, "truncated"}


def test_unsupported_constructs_are_refused_not_misread() -> None:
    with pytest.raises(UnsupportedSchema):
        generate_reader({"type": "fixed", "name": "f", "size": 4})
    with pytest.raises(UnsupportedSchema):
        generate_reader({"type": "bytes", "logicalType": "decimal", "precision": 4})


def test_event_model_round_trip_unchanged(event: ToolCallEvent) -> None:
    data = single_object_serializer(TOOL_CALL_EVENT)(event.to_avro())
    assert ToolCallEvent.model_validate(Decoder().decode(data).record) == event
