"""The .avsc files are the contract: the pydantic models must agree with them field by field."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel

from tooltrail.schemas import Decoder, SingleObjectSerializer, bundled, canonical_json
from tooltrail.schemas import models as m

MODELS_BY_AVRO_NAME = {
    cls.avro_name: cls
    for cls in vars(m).values()
    if isinstance(cls, type) and issubclass(cls, m._Record) and cls.avro_name
}


def _records(schema: Any, seen: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every named record type reachable from a parsed schema, by full name."""
    if isinstance(schema, list):
        for branch in schema:
            _records(branch, seen)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "record" and schema["name"] not in seen:
            seen[schema["name"]] = schema
            for f in schema["fields"]:
                _records(f["type"], seen)
        elif kind == "array":
            _records(schema["items"], seen)
        elif kind == "map":
            _records(schema["values"], seen)
        elif isinstance(kind, dict | list):
            _records(kind, seen)
    return seen


def _all_records() -> dict[str, dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for name in bundled().names():
        _records(bundled().current(name).parsed, seen)
    return seen


ALL_RECORDS = _all_records()


def _check_type(avro: Any, hint: Any, where: str) -> None:
    """Assert that a python type hint accepts exactly what the Avro type describes."""
    if isinstance(avro, list):  # union: tooltrail only uses ["null", X]
        assert avro[0] == "null" and len(avro) == 2, f"{where}: unexpected union {avro}"
        args = typing.get_args(hint)
        assert type(None) in args and isinstance(hint, types.UnionType), f"{where}: not optional"
        (inner,) = [a for a in args if a is not type(None)]
        _check_type(avro[1], inner, where)
        return
    assert not (isinstance(hint, types.UnionType)), f"{where}: optional in model, required in avsc"
    if isinstance(avro, str):
        expected = {"string": str, "long": int, "int": int, "boolean": bool, "bytes": bytes}
        if avro in expected:
            assert hint is expected[avro], f"{where}: {hint} vs {avro}"
        else:
            _check_type(ALL_RECORDS[avro], hint, where)
        return
    kind = avro["type"]
    if avro.get("logicalType") == "timestamp-micros":
        assert hint is datetime, f"{where}: timestamp must be datetime"
    elif kind == "record":
        assert hint is MODELS_BY_AVRO_NAME[avro["name"]], f"{where}: {hint} vs {avro['name']}"
    elif kind == "enum":
        assert issubclass(hint, StrEnum), f"{where}: enum must be a StrEnum"
        assert [e.value for e in hint] == avro["symbols"], f"{where}: enum symbols differ"
    elif kind == "array":
        assert typing.get_origin(hint) is list, f"{where}: not a list"
        _check_type(avro["items"], typing.get_args(hint)[0], where + "[]")
    elif kind == "map":
        assert typing.get_origin(hint) is dict, f"{where}: not a dict"
        assert typing.get_args(hint)[0] is str
        _check_type(avro["values"], typing.get_args(hint)[1], where + "{}")
    else:
        _check_type(kind, hint, where)


@pytest.mark.parametrize("avro_name", sorted(ALL_RECORDS))
def test_model_mirrors_schema_field_by_field(avro_name: str) -> None:
    schema = ALL_RECORDS[avro_name]
    model = MODELS_BY_AVRO_NAME.get(avro_name)
    assert model is not None, f"no pydantic model mirrors {avro_name}"
    avro_fields = [f["name"] for f in schema["fields"]]
    assert list(model.model_fields) == avro_fields, "field names or order differ"
    hints = typing.get_type_hints(model)
    for f in schema["fields"]:
        name = f["name"]
        info = model.model_fields[name]
        _check_type(f["type"], hints[name], f"{avro_name}.{name}")
        if "default" in f:
            assert not info.is_required(), f"{avro_name}.{name}: avsc has a default, model requires"
            default = info.get_default(call_default_factory=True)
            assert default == f["default"], f"{avro_name}.{name}: defaults differ"
        else:
            assert info.is_required(), f"{avro_name}.{name}: model has a default, avsc has none"


def test_every_model_is_in_the_contract() -> None:
    assert set(MODELS_BY_AVRO_NAME) == set(ALL_RECORDS)


@pytest.mark.parametrize("name", ["ToolCallEvent", "EnrichedToolCallEvent", "Alert", "DeadLetter"])
def test_every_model_round_trips_avro_and_canonical_json(
    name: str, samples: dict[str, Callable[[], BaseModel]]
) -> None:
    record = samples[name]()
    schema = bundled().current(type(record).avro_name)  # type: ignore[attr-defined]
    data = SingleObjectSerializer(schema)(record.to_avro())  # type: ignore[attr-defined]
    decoded = Decoder(expect=schema.name).decode(data)
    assert type(record).model_validate(decoded.record) == record
    assert type(record).model_validate_json(canonical_json(record)) == record
