"""Schema evolution: a v2 event with an added optional field, read both ways."""

from __future__ import annotations

import copy

import pytest

from tooltrail.errors import DecodeError
from tooltrail.schemas import (
    TOOL_CALL_EVENT,
    AvroSchema,
    Decoder,
    SchemaSet,
    SingleObjectSerializer,
    ToolCallEvent,
    bundled,
)
from tooltrail.schemas.registry import read_bundled_json


@pytest.fixture(scope="module")
def v1() -> AvroSchema:
    return bundled().current(TOOL_CALL_EVENT)


@pytest.fixture(scope="module")
def v2() -> AvroSchema:
    raw = copy.deepcopy(read_bundled_json("tool_call_event.avsc"))
    raw["fields"].append(
        {"name": "risk_hint", "type": ["null", "string"], "default": None, "doc": "added in v2"}
    )
    return AvroSchema.from_json(raw)


def test_v2_is_a_different_writer_schema(v1: AvroSchema, v2: AvroSchema) -> None:
    assert v1.name == v2.name and v1.fingerprint != v2.fingerprint


def test_old_reader_reads_new_data(v1: AvroSchema, v2: AvroSchema, event: ToolCallEvent) -> None:
    data = SingleObjectSerializer(v2)({**event.to_avro(), "risk_hint": "high"})
    known = bundled().copy()
    known.add(v2, current=False)  # the old reader has learnt of v2's fingerprint, reads as v1
    record = Decoder(expect=TOOL_CALL_EVENT, schemas=known).decode(data).record
    assert "risk_hint" not in record
    assert ToolCallEvent.model_validate(record) == event


def test_new_reader_reads_old_data(v1: AvroSchema, v2: AvroSchema, event: ToolCallEvent) -> None:
    data = SingleObjectSerializer(v1)(event.to_avro())
    new_reader = SchemaSet((v1,))
    new_reader.add(v2, current=True)
    decoded = Decoder(expect=TOOL_CALL_EVENT, schemas=new_reader).decode(data)
    assert decoded.writer.fingerprint == v1.fingerprint
    assert decoded.record["risk_hint"] is None
    assert {k: v for k, v in decoded.record.items() if k != "risk_hint"} == event.to_avro()


def test_a_reader_that_never_saw_v2_refuses_it_by_name(
    v2: AvroSchema, event: ToolCallEvent
) -> None:
    data = SingleObjectSerializer(v2)({**event.to_avro(), "risk_hint": None})
    with pytest.raises(DecodeError) as err:
        Decoder(expect=TOOL_CALL_EVENT).decode(data)
    assert err.value.reason == "unknown_schema"


def test_a_verifier_can_read_new_data_exactly_as_written(
    v2: AvroSchema, event: ToolCallEvent
) -> None:
    data = SingleObjectSerializer(v2)({**event.to_avro(), "risk_hint": "high"})
    known = bundled().copy()
    known.add(v2, current=False)
    decoder = Decoder(expect=TOOL_CALL_EVENT, schemas=known)
    assert "risk_hint" not in decoder.decode(data).record
    assert decoder.decode(data, resolve=False).record["risk_hint"] == "high"
