"""A schema-compiled Avro encoder for the producer's hot path, byte-identical to fastavro.

fastavro's generic writer costs tens of microseconds for a ToolCallEvent (it resolves every
``["null", record]`` union by validating the record). This compiles the parsed schema once,
at construction, into the source of one straight-line Python function (no per-field calls)
that appends byte strings to a list; a test proves the output equals fastavro's byte for
byte. :func:`compile_writer` is the same compiler as a tree of closures, kept as the
readable reference the generated code is checked against. Schemas it does not support (unions other
than ``["null", T]``, fixed, decimal ...) raise :class:`UnsupportedSchema`, and
:func:`fast_single_object_serializer` then falls back to the shared fastavro serializer.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from tooltrail.errors import SchemaValidationError
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
# Large values (timestamps in microseconds) as their low 14 bits (two bytes, both with the
# continuation bit) plus the varint of the rest, cached: consecutive timestamps share the
# rest for ~8 ms, so a timestamp costs a lookup and a concatenation instead of an 8-step loop.
_LOW14 = [bytes(((i & 0x7F) | 0x80, ((i >> 7) & 0x7F) | 0x80)) for i in range(1 << 14)]
_HIGH: dict[int, bytes] = {}


def encode_long(v: int) -> bytes:
    """Avro long: zig-zag then base-128 varint."""
    if -64 <= v < 4096:
        return _SMALL[v + 64]
    z = (v << 1) ^ (v >> 63)
    high = z >> 14
    if not high:
        return _varint(z)
    rest = _HIGH.get(high)
    if rest is None:
        rest = _varint(high)
        if len(_HIGH) >= 256:  # bounded; a race with another thread only costs a miss
            _HIGH.clear()
        _HIGH[high] = rest
    return _LOW14[z & 0x3FFF] + rest


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


def compile_writer(schema: Any) -> Writer:
    """The closure-tree writer of a parsed schema (reference for the generated code)."""
    return _compile(schema)


_LEN = [_varint(n << 1) for n in range(4096)]


class _Source:
    """Generates the straight-line writer function of one record schema."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "L": encode_long,
            "LEN": _LEN,
            "SM": _SMALL,
            "EPOCH": _EPOCH,
            "UTC": UTC,
            "datetime": datetime,
            "D": _DOUBLE.pack,
            "F": _FLOAT.pack,
        }
        self.count = 0

    def var(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def emit(self, schema: Any, expr: str, depth: int) -> None:  # noqa: PLR0912, PLR0915
        if isinstance(schema, list):
            if len(schema) != 2 or schema[0] not in ("null", {"type": "null"}):
                raise UnsupportedSchema("only [null, T] unions")
            x = self.var()
            self.line(depth, f"{x} = {expr}")
            self.line(depth, f"if {x} is None:")
            self.line(depth + 1, "a(b'\\x00')")
            self.line(depth, "else:")
            self.line(depth + 1, "a(b'\\x02')")
            self.emit(schema[1], x, depth + 1)
            return
        if isinstance(schema, str):
            schema = {"type": schema}
        t, logical = schema["type"], schema.get("logicalType")
        x = self.var()
        if logical == "timestamp-micros" and t == "long":
            self.line(depth, f"{x} = {expr}")
            self.line(depth, f"if {x}.__class__ is not int:")
            self.line(depth + 1, f"if {x}.tzinfo is None:")
            self.line(depth + 2, f"{x} = {x}.replace(tzinfo=UTC)")
            self.line(depth + 1, f"d = {x} - EPOCH")
            self.line(depth + 1, f"{x} = (d.days * 86400 + d.seconds) * 1000000 + d.microseconds")
            self.line(depth, f"a(L({x}))")
        elif logical is not None:
            raise UnsupportedSchema(f"logical type {logical}")
        elif t == "null":
            self.line(depth, "pass")
        elif t == "string":
            self.line(depth, f"{x} = {expr}.encode()")
            self.line(depth, f"n = len({x})")
            self.line(depth, "a(LEN[n] if n < 4096 else L(n))")
            self.line(depth, f"a({x})")
        elif t in ("int", "long"):
            self.line(depth, f"{x} = {expr}")
            self.line(depth, f"a(SM[{x} + 64] if -64 <= {x} < 4096 else L({x}))")
        elif t == "boolean":
            self.line(depth, f"a(b'\\x01' if {expr} else b'\\x00')")
        elif t in ("double", "float"):
            self.line(depth, f"a({'D' if t == 'double' else 'F'}({expr}))")
        elif t == "bytes":
            self.line(depth, f"{x} = bytes({expr})")
            self.line(depth, f"a(L(len({x})))")
            self.line(depth, f"a({x})")
        elif t == "enum":
            table = f"E{x}"
            self.names[table] = {s: _SMALL[i + 64] for i, s in enumerate(schema["symbols"])}
            self.line(depth, f"a({table}[{expr}])")
        elif t == "record":
            self.line(depth, f"{x} = {expr}")
            for f in schema["fields"]:
                self.emit(f["type"], f"{x}[{f['name']!r}]", depth)
        elif t in ("array", "map"):
            self.line(depth, f"{x} = {expr}")
            self.line(depth, f"if {x}:")
            self.line(depth + 1, f"a(L(len({x})))")
            if t == "array":
                item = self.var()
                self.line(depth + 1, f"for {item} in {x}:")
                self.emit(schema["items"], item, depth + 2)
            else:
                k, item = self.var(), self.var()
                self.line(depth + 1, f"for {k}, {item} in {x}.items():")
                self.emit("string", k, depth + 2)
                self.emit(schema["values"], item, depth + 2)
            self.line(depth, "a(b'\\x00')")
        else:
            raise UnsupportedSchema(f"type {t}")


def generate_writer(schema: Any, header: bytes) -> tuple[Callable[[Any], bytes], str]:
    """A function ``record -> header + Avro body`` and its source (for inspection)."""
    src = _Source()
    src.names["HEADER"] = header
    src.line(0, "def write(record):")
    src.line(1, "parts = [HEADER]")
    src.line(1, "a = parts.append")
    src.emit(schema, "record", 1)
    src.line(1, "return b''.join(parts)")
    source = "\n".join(src.lines)
    namespace = dict(src.names)
    exec(compile(source, "<tooltrail.avro_fast>", "exec"), namespace)
    fn: Callable[[Any], bytes] = namespace["write"]
    return fn, source


class FastSingleObjectSerializer:
    """Single-object encoding of one record schema through the generated writer."""

    def __init__(self, schema: AvroSchema) -> None:
        self.schema = schema
        self._write, self.source = generate_writer(
            schema.parsed, SINGLE_OBJECT_MAGIC + schema.fingerprint
        )

    def __call__(self, record: Mapping[str, Any], ctx: object = None) -> bytes:
        try:
            return self._write(record)
        except (KeyError, AttributeError, TypeError, ValueError, OverflowError) as exc:
            raise SchemaValidationError(f"{self.schema.name}: {type(exc).__name__}: {exc}") from exc


def fast_single_object_serializer(
    name: str, schemas: SchemaSet | None = None
) -> FastSingleObjectSerializer | SingleObjectSerializer:
    """The compiled serializer of a bundled record type, or fastavro's if it cannot compile."""
    schema = (schemas or bundled()).current(name)
    try:
        return FastSingleObjectSerializer(schema)
    except UnsupportedSchema:
        return SingleObjectSerializer(schema)
