"""Both wire framings: headers, interoperability with confluent-kafka, and bad input."""

from __future__ import annotations

import contextlib
import json
import struct
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro import parse_schema
from fastavro.schema import to_parsing_canonical_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tooltrail.errors import DecodeError, SchemaValidationError
from tooltrail.schemas import (
    ALERT,
    TOOL_CALL_EVENT,
    ConfluentSerializer,
    Decoder,
    ToolCallEvent,
    bundled,
    single_object_serializer,
)
from tooltrail.schemas.registry import crc64_fingerprint

# Test vectors of the Avro specification (share/test/data/schema-tests.txt):
# schema in canonical form -> CRC-64-AVRO fingerprint as a signed 64-bit integer.
SPEC_FINGERPRINTS = [
    ('"null"', 7195948357588979594),
    ('"boolean"', -6970731678124411036),
    ('"int"', 8247732601305521295),
    ('"long"', -3434872931120570953),
    ('"float"', 5583340709985441680),
    ('"double"', -8181574048448539266),
    ('"bytes"', 5746618253357095269),
    ('"string"', -8142146995180207161),
    ('["int"]', -5232228896498058493),
    ('["int",{"type":"boolean"}]', 5392556393470105090),
    ('{"fields":[], "type":"record", "name":"foo"}', -4824392279771201922),
    ('{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}', 5916914534497305771),
    ('{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}', -4824392279771201922),
    (
        '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
        7843277075252814651,
    ),
    ('{"type":"enum", "name":"foo", "symbols":["A1"]}', -6342190197741309591),
    ('{"name":"foo","type":"fixed","size":15}', 1756455273707447556),
    ('{ "items":{"type":"null"}, "type":"array"}', -589620603366471059),
    ('{ "values":"string", "type":"map"}', -8732877298790414990),
]


@pytest.mark.parametrize(("schema", "expected"), SPEC_FINGERPRINTS)
def test_fingerprint_matches_the_avro_specification(schema: str, expected: int) -> None:
    canonical = to_parsing_canonical_form(parse_schema(json.loads(schema)))
    assert crc64_fingerprint(canonical) == struct.pack("<q", expected)


def test_single_object_header_is_magic_plus_little_endian_fingerprint(event: ToolCallEvent) -> None:
    schema = bundled().current(TOOL_CALL_EVENT)
    data = single_object_serializer(TOOL_CALL_EVENT)(event.to_avro())
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == schema.fingerprint
    decoded = Decoder(expect=TOOL_CALL_EVENT).decode(data)
    assert decoded.framing == "single_object"
    assert ToolCallEvent.model_validate(decoded.record) == event


@pytest.fixture
def registry() -> Any:
    return SchemaRegistryClient.new_client({"url": "mock://"})


def test_confluent_framing_registers_and_decodes(event: ToolCallEvent, registry: Any) -> None:
    serializer = ConfluentSerializer(
        bundled().current(TOOL_CALL_EVENT), registry=registry, subject="toolcalls-value"
    )
    data = serializer(event.to_avro())
    assert data[0] == 0 and struct.unpack(">I", data[1:5])[0] == serializer.schema_id
    decoded = Decoder(expect=TOOL_CALL_EVENT, registry=registry).decode(data)
    assert decoded.framing == "confluent"
    assert ToolCallEvent.model_validate(decoded.record) == event


def test_confluent_framing_interoperates_with_confluent_kafka(
    event: ToolCallEvent, registry: Any
) -> None:
    schema = bundled().current(TOOL_CALL_EVENT)
    ctx = SerializationContext("tooltrail.toolcalls.v1", MessageField.VALUE)
    ours = ConfluentSerializer(schema, registry=registry, subject="tooltrail.toolcalls.v1-value")
    theirs = AvroDeserializer(registry)
    assert ToolCallEvent.model_validate(theirs(ours(event.to_avro()), ctx)) == event

    serializer = AvroSerializer(registry, schema.expanded_json)
    data = serializer(event.to_avro(), ctx)
    assert data == ours(event.to_avro()), "same schema id and body: byte for byte"
    decoded = Decoder(expect=TOOL_CALL_EVENT, registry=registry)(data)
    assert ToolCallEvent.model_validate(decoded) == event


def test_unknown_schema_id_is_a_typed_error(event: ToolCallEvent, registry: Any) -> None:
    data = b"\x00" + struct.pack(">I", 4242) + b"\x02"
    with pytest.raises(DecodeError) as err:
        Decoder(registry=registry).decode(data)
    assert err.value.reason == "unknown_schema" and "4242" in str(err.value)
    with pytest.raises(DecodeError) as err:
        Decoder().decode(data)
    assert err.value.reason == "no_registry"


def test_unknown_fingerprint_is_named(event: ToolCallEvent) -> None:
    data = b"\xc3\x01" + bytes(range(8)) + b"\x00"
    with pytest.raises(DecodeError) as err:
        Decoder().decode(data)
    assert err.value.reason == "unknown_schema" and "0001020304050607" in err.value.detail


def test_a_record_of_another_type_is_refused(samples: Any) -> None:
    alert = samples["Alert"]()
    data = single_object_serializer(ALERT)(alert.to_avro())
    with pytest.raises(DecodeError) as err:
        Decoder(expect=TOOL_CALL_EVENT).decode(data)
    assert err.value.reason == "unexpected_schema"
    with pytest.raises(DecodeError):
        Decoder(expect=TOOL_CALL_EVENT).decode(data, resolve=False)
    assert Decoder().decode(data).writer.name == ALERT


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "truncated"),
        (b"\x01hello", "unknown_magic"),
        (b'{"json": true}', "unknown_magic"),
        (b"\xc3", "unknown_magic"),
        (b"\xc3\x01\x00\x01", "truncated"),
        (b"\x00\x00\x00", "truncated"),
    ],
)
def test_malformed_headers(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as err:
        Decoder().decode(data)
    assert err.value.reason == reason


def test_every_truncation_of_a_valid_record_is_a_decode_error(event: ToolCallEvent) -> None:
    data = single_object_serializer(TOOL_CALL_EVENT)(event.to_avro())
    decoder = Decoder(expect=TOOL_CALL_EVENT)
    for cut in range(len(data)):
        with pytest.raises(DecodeError):
            decoder.decode(data[:cut])


def test_trailing_bytes_are_refused(event: ToolCallEvent) -> None:
    data = single_object_serializer(TOOL_CALL_EVENT)(event.to_avro())
    with pytest.raises(DecodeError) as err:
        Decoder().decode(data + b"\x00")
    assert err.value.reason == "trailing_bytes"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_escape_as_anything_but_decode_error(data: bytes) -> None:
    try:
        Decoder().decode(data)
    except DecodeError as exc:
        assert exc.reason and exc.detail


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_garbage_after_a_valid_header_never_escapes(body: bytes) -> None:
    header = b"\xc3\x01" + bundled().current(TOOL_CALL_EVENT).fingerprint
    try:
        record = Decoder(expect=TOOL_CALL_EVENT).decode(header + body).record
    except DecodeError as exc:
        assert exc.reason in {"truncated", "malformed", "trailing_bytes", "schema_invalid"}
    else:  # garbage that happens to decode must still be a well-formed record
        assert set(record) >= {"event_id", "seq", "session_id"}


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_bit_flips_in_a_valid_record_never_escape(
    event: ToolCallEvent, data: st.DataObject
) -> None:
    valid = single_object_serializer(TOOL_CALL_EVENT)(event.to_avro())
    position = data.draw(st.integers(min_value=0, max_value=len(valid) - 1))
    flipped = bytearray(valid)
    flipped[position] ^= data.draw(st.integers(min_value=1, max_value=255))
    with contextlib.suppress(DecodeError):
        Decoder().decode(bytes(flipped))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_id": 17}, "event_id"),
        ({"seq": "three"}, "seq"),
        ({"outcome": "exploded"}, "outcome"),
        ({"agent": None}, "agent"),
        ({"attributes": {"k": 1}}, "attributes"),
    ],
)
def test_encoding_a_record_that_breaks_the_schema_names_the_field(
    event: ToolCallEvent, change: dict[str, Any], field: str
) -> None:
    record = {**event.to_avro(), **change}
    with pytest.raises(SchemaValidationError) as err:
        single_object_serializer(TOOL_CALL_EVENT)(record)
    assert err.value.reason == "schema_invalid"


def test_encoding_a_record_missing_a_required_field(event: ToolCallEvent) -> None:
    record = event.to_avro()
    del record["session_id"]
    with pytest.raises(SchemaValidationError) as err:
        single_object_serializer(TOOL_CALL_EVENT)(record)
    assert "session_id" in str(err.value)
