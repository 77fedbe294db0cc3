"""A schema-compiled Avro encoder for the producer's hot path, byte-identical to fastavro.

fastavro's generic writer costs tens of microseconds for a ToolCallEvent (it resolves every
``["null", record]`` union by validating the record). This compiles the parsed schema once
into a tree of small closures that write straight into a list of byte strings; a test
proves the output equals fastavro's byte for byte. Schemas it does not support (unions other
than ``["null", T]``, fixed, decimal ...) raise :class:`UnsupportedSchema`, and
:func:`fast_single_object_serializer` then falls back to the shared fastavro serializer.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from tooltrail.schemas.framing import SINGLE_OBJECT_MAGIC, SingleObjectSerializer
from tooltrail.schemas.registry import AvroSchema, SchemaSet, bundled

Writer = Callable[[list[bytes], Any], None]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DOUBLE = struct.Struct("<d")
_FLOAT = struct.Struct("<f")


class UnsupportedSchema(Exception):
    """The schema uses a construct this encoder does not compile."""


def _varint(n: int) -> bytes:
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL = [_varint((i << 1) ^ (i >> 63)) for i in range(-64, 4096)]


def encode_long(v: int) -> bytes:
    """Avro long: zig-zag then base-128 varint."""
    if -64 <= v < 4096:
        return _SMALL[v + 64]
    return _varint((v << 1) ^ (v >> 63))


def _string(parts: list[bytes], v: str) -> None:
    b = v.encode("utf-8")
    n = len(b)
    parts.append(_SMALL[n + 64] if n < 4096 else encode_long(n))
    parts.append(b)


def _long(parts: list[bytes], v: int) -> None:
    parts.append(_SMALL[v + 64] if -64 <= v < 4096 else encode_long(v))


def _ts_micros(parts: list[bytes], v: datetime | int) -> None:
    if isinstance(v, datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        d = v - _EPOCH
        v = (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
    parts.append(encode_long(v))


def _compile(schema: Any) -> Writer:  # noqa: PLR0911, PLR0912 - one branch per Avro type
    if isinstance(schema, list):
        return _compile_union(schema)
    if isinstance(schema, str):
        schema = {"type": schema}
    t = schema["type"]
    logical = schema.get("logicalType")
    if logical == "timestamp-micros" and t == "long":
        return _ts_micros
    if logical is not None:
        raise UnsupportedSchema(f"logical type {logical}")
    if t == "null":
        return lambda parts, v: None
    if t == "string":
        return _string
    if t in ("int", "long"):
        return _long
    if t == "boolean":
        return lambda parts, v: parts.append(b"\x01" if v else b"\x00")
    if t == "double":
        return lambda parts, v: parts.append(_DOUBLE.pack(v))
    if t == "float":
        return lambda parts, v: parts.append(_FLOAT.pack(v))
    if t == "bytes":
        return lambda parts, v: parts.extend((encode_long(len(v)), bytes(v)))
    if t == "enum":
        index = {s: _SMALL[i + 64] for i, s in enumerate(schema["symbols"])}
        return lambda parts, v: parts.append(index[v])
    if t == "record":
        return _compile_record(schema)
    if t == "array":
        return _compile_array(_compile(schema["items"]))
    if t == "map":
        return _compile_map(_compile(schema["values"]))
    raise UnsupportedSchema(f"type {t}")


def _compile_record(schema: Mapping[str, Any]) -> Writer:
    fields = tuple((f["name"], _compile(f["type"])) for f in schema["fields"])

    def write(parts: list[bytes], v: Mapping[str, Any]) -> None:
        for name, w in fields:
            w(parts, v[name])

    return write


def _compile_union(branches: list[Any]) -> Writer:
    if len(branches) != 2 or branches[0] not in ("null", {"type": "null"}):
        raise UnsupportedSchema("only [null, T] unions")
    inner = _compile(branches[1])

    def write(parts: list[bytes], v: Any) -> None:
        if v is None:
            parts.append(b"\x00")
        else:
            parts.append(b"\x02")
            inner(parts, v)

    return write


def _compile_array(item: Writer) -> Writer:
    def write(parts: list[bytes], v: Any) -> None:
        if v:
            parts.append(encode_long(len(v)))
            for x in v:
                item(parts, x)
        parts.append(b"\x00")

    return write


def _compile_map(value: Writer) -> Writer:
    def write(parts: list[bytes], v: Mapping[str, Any]) -> None:
        if v:
            parts.append(encode_long(len(v)))
            for k, x in v.items():
                _string(parts, k)
                value(parts, x)
        parts.append(b"\x00")

    return write


class FastSingleObjectSerializer:
    """Single-object encoding of one record schema through the compiled writer."""

    def __init__(self, schema: AvroSchema) -> None:
        self.schema = schema
        self._header = SINGLE_OBJECT_MAGIC + schema.fingerprint
        self._write = _compile(schema.parsed)

    def __call__(self, record: Mapping[str, Any], ctx: object = None) -> bytes:
        parts = [self._header]
        self._write(parts, record)
        return b"".join(parts)


def fast_single_object_serializer(
    name: str, schemas: SchemaSet | None = None
) -> FastSingleObjectSerializer | SingleObjectSerializer:
    """The compiled serializer of a bundled record type, or fastavro's if it cannot compile."""
    schema = (schemas or bundled()).current(name)
    try:
        return FastSingleObjectSerializer(schema)
    except UnsupportedSchema:
        return SingleObjectSerializer(schema)
