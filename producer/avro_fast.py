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

import hashlib
import json
import struct
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from tooltrail.errors import SchemaValidationError
from tooltrail.schemas.framing import SINGLE_OBJECT_MAGIC, SingleObjectSerializer
from tooltrail.schemas.registry import (
    TOOL_CALL_EVENT,
    AvroSchema,
    SchemaSet,
    bundled,
    enriched_tail_schema,
)

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
_SCALAR_TYPES = frozenset({"string", "int", "long", "boolean", "null"})


def _is_scalar(schema: Any) -> bool:
    """string / int / long / boolean / null / enum, or a [null, T] union of those."""
    if isinstance(schema, list):
        return len(schema) == 2 and all(_is_scalar(b) for b in schema)
    if isinstance(schema, str):
        return schema in _SCALAR_TYPES
    if schema.get("logicalType") is not None:
        return False
    return schema["type"] in _SCALAR_TYPES or schema["type"] == "enum"


def _cacheable(schema: Any) -> bool:
    """Records of scalar fields: their bytes are cached by value. (Not maps: equal maps
    with their items in another order encode differently.)"""
    if isinstance(schema, dict) and schema["type"] == "record":
        return all(_is_scalar(f["type"]) for f in schema["fields"])
    return False


def _utf8(v: str) -> bytes:
    """A string value's UTF-8 bytes: the generated writers' ``U``. Typed, so the compiled
    writers call it directly and it encodes without looking ``.encode`` up on a value of
    unknown type (a ToolCallEvent encodes in about 8% less time)."""
    return v.encode()


def _ts_bytes(v: datetime | int) -> bytes:
    """A timestamp-micros value (aware or naive-as-UTC datetime, or int) as an Avro long."""
    if v.__class__ is not int:
        assert isinstance(v, datetime)
        if v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        d = v - _EPOCH
        v = (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
    assert isinstance(v, int)
    if v >= 1 << 14:  # encode_long's cached path, inlined (non-negative: zig-zag is 2v)
        rest = _HIGH.get(v >> 13)
        if rest is not None:
            return _LOW14[(v << 1) & 0x3FFF] + rest
    return encode_long(v)


class _Gen:
    """Generates the writer of one record schema as Python source.

    The writer is one ``b"".join((...))`` over a tuple of byte-string expressions, one or
    two per field (a ``[null, T]`` union is a conditional expression), so a field costs an
    expression, not a statement and a ``list.append`` call. Arrays, maps and records of
    scalar fields (cached by value: :meth:`cached`) are small generated helper functions.
    """

    def __init__(self, tag: str = "") -> None:
        self.tag = tag  # makes helper names unique when several writers share a module
        self.names: dict[str, Any] = {
            "L": encode_long,
            "LEN": _LEN,
            "SM": _SMALL,
            "TS": _ts_bytes,
            "U": str.encode,  # (interpreted writers: the method itself, as fast as a call)
            "DT": datetime,
            "EPOCH": _EPOCH,
            "LOW14": _LOW14,
            "HIGH": _HIGH,
            "D": _DOUBLE.pack,
            "F": _FLOAT.pack,
            "Z": b"\x00",
            "Any": Any,
        }
        self.helpers: list[str] = []
        self.typed: dict[str, str] = {}  # module form: name -> "type = expression"
        self.count = 0

    def var(self, prefix: str = "v") -> str:
        self.count += 1
        return f"{prefix}{self.tag}{self.count}"

    def parts(  # noqa: PLR0911, PLR0912
        self, schema: Any, value: str, *, cache: bool = False
    ) -> list[str]:
        """Expressions whose bytes, in order, encode ``value`` (evaluated exactly once).

        ``cache``: records of scalar fields go through :meth:`cached` (top-level fields).
        """
        if isinstance(schema, list):
            if len(schema) != 2 or schema[0] not in ("null", {"type": "null"}):
                raise UnsupportedSchema("only [null, T] unions")
            v = self.var()
            inner = self.parts(schema[1], v, cache=cache)
            body = " + ".join(inner) if len(inner) <= 3 else f"b''.join(({', '.join(inner)},))"
            return [f"(Z if ({v} := {value}) is None else b'\\x02'{' + ' if inner else ''}{body})"]
        if isinstance(schema, str):
            schema = {"type": schema}
        t, logical = schema["type"], schema.get("logicalType")
        if logical == "timestamp-micros" and t == "long":
            # aware datetimes inline (microseconds since the epoch, then encode_long's cached
            # path); anything else through _ts_bytes
            v, d, x, h = self.var(), self.var("d"), self.var("x"), self.var("h")
            micros = (
                f"((({d} := {v} - EPOCH).days * 86400 + {d}.seconds) * 1000000 + {d}.microseconds)"
            )
            fast = (
                f"(LOW14[({x} << 1) & 0x3FFF] + {h} if ({h} := HIGH.get(({x} := {micros}) >> 13))"
                f" is not None and {x} >= 16384 else L({x}))"
            )
            slow = f"({v} := {value}).__class__ is not DT or {v}.tzinfo is None"
            return [f"(TS({v}) if {slow} else {fast})"]
        if logical is not None:
            raise UnsupportedSchema(f"logical type {logical}")
        if t == "null":
            return []
        if t == "string":
            e, n = self.var("e"), self.var("n")
            return [
                f"(LEN[{n}] if ({n} := len({e} := U({value}))) < 4096 else L({n}))",
                e,
            ]
        if t in ("int", "long"):
            x = self.var("x")
            return [f"(SM[{x} + 64] if -64 <= ({x} := {value}) < 4096 else L({x}))"]
        if t == "boolean":
            return [f"(b'\\x01' if {value} else Z)"]
        if t in ("double", "float"):
            return [f"{'D' if t == 'double' else 'F'}({value})"]
        if t == "bytes":
            b = self.var("b")
            return [f"L(len({b} := bytes({value})))", b]
        if t == "enum":
            table = self.var("E")
            symbols = schema["symbols"]
            self.names[table] = {s: _SMALL[i + 64] for i, s in enumerate(symbols)}
            items = ", ".join(f"{sym!r}: SM[{i + 64}]" for i, sym in enumerate(symbols))
            self.typed[table] = f"dict[str, bytes] = {{{items}}}"
            return [f"{table}[{value}]"]
        if t == "record":
            if cache and _cacheable(schema):
                return [self.cached(schema, value)]
            return [self.record(schema, value)]
        if t in ("array", "map"):
            return [f"{self.collection(schema)}({value})"]
        raise UnsupportedSchema(f"type {t}")

    def record(self, schema: Any, value: str) -> str:
        """A helper encoding the record ``value``; returns its call expression."""
        name = self.var("R")
        parts = [p for f in schema["fields"] for p in self.parts(f["type"], f"r[{f['name']!r}]")]
        self.helpers.append(
            f"def {name}(r: Any) -> bytes:\n    return b''.join(({', '.join(parts)},))"
        )
        return f"{name}({value})"

    def cached(self, schema: Any, value: str) -> str:
        """A record of scalar fields through a one-entry cache by value.

        The records a session repeats in every event (agent, tool, producer) cost a dict
        comparison instead of field-by-field encoding. The cache holds a copy of the value
        (a later change to the caller's dict cannot go unseen) and its bytes, as one tuple
        replaced at once (another thread reads the old pair or the new one). Equal values
        of a valid record encode to equal bytes.
        """
        encode = self.record(schema, "r").split("(")[0]
        name, slot, v, c = self.var("RC"), self.var("C"), self.var(), self.var("c")
        self.names[slot] = [(None, b"")]
        self.typed[slot] = 'list[tuple[Any, bytes]] = [(None, b"")]'
        self.helpers.append(
            f"def {name}(r: Any) -> bytes:\n"
            f"    out = {encode}(r)\n"
            f"    if r.__class__ is dict:\n"
            f"        {slot}[0] = (dict(r), out)\n"
            f"    return out"
        )
        return (
            f"({c}[1] if ({v} := {value}).__class__ is dict and {v} == ({c} := {slot}[0])[0]"
            f" else {name}({v}))"
        )

    def collection(self, schema: Any) -> str:
        """A helper encoding an array or a map (one block, then the 0 end marker)."""
        name = self.var("A")
        if schema["type"] == "array":
            item = self.parts(schema["items"], "x")
            loop = f"    for x in v:\n        a(({', '.join(item)},))\n" if item else ""
        else:
            item = self.parts("string", "k") + self.parts(schema["values"], "x")
            loop = f"    for k, x in v.items():\n        a(({', '.join(item)},))\n"
        self.helpers.append(
            f"def {name}(v: Any) -> bytes:\n"
            f"    if not v:\n"
            f"        return Z\n"
            f"    out = [L(len(v))]\n"
            f"    a = out.extend\n"
            f"{loop}"
            f"    out.append(Z)\n"
            f"    return b''.join(out)"
        )
        return name


def _writer_source(schema: Any, header: str, tag: str = "") -> tuple[_Gen, str, str]:
    """The generator, the source of the helpers and main function, and the main's name."""
    gen = _Gen(tag)
    if not (isinstance(schema, dict) and schema["type"] == "record"):
        raise UnsupportedSchema("the top-level schema must be a record")
    parts = [
        p for f in schema["fields"] for p in gen.parts(f["type"], f"r[{f['name']!r}]", cache=True)
    ]
    main = f"write{tag}"
    body = f"def {main}(r: Any) -> bytes:\n    return b''.join(({header}, {', '.join(parts)}))"
    return gen, "\n\n".join([*gen.helpers, body]), main


def writer_key(schema: Any, header: bytes) -> str:
    """Identifies a writer: its schema (as JSON, keys sorted) and header."""
    text = json.dumps(schema, sort_keys=True, default=str).encode()
    return hashlib.sha256(text + b"\x00" + header).hexdigest()[:32]


def generate_writer(schema: Any, header: bytes) -> tuple[Callable[[Any], bytes], str]:
    """A function ``record -> header + Avro body`` and its source (for inspection).

    The writers of the bundled schemas come from ``_writers.py`` (generated ahead by
    :func:`module_source`, compiled with the package); others are generated here.
    """
    from tooltrail.producer._writers import WRITERS  # noqa: PLC0415 (large: load on use)

    gen, source, main = _writer_source(schema, "HEADER")
    shipped = WRITERS.get(writer_key(schema, header))
    if shipped is not None:
        return shipped, source
    namespace = dict(gen.names, HEADER=header)
    exec(compile(source, "<tooltrail.avro_fast>", "exec"), namespace)
    fn: Callable[[Any], bytes] = namespace[main]
    return fn, source


def module_source(writers: list[tuple[Any, bytes]]) -> str:
    """A module of typed writers for ``(schema, header)`` pairs: ``WRITERS`` by key.

    The same code as :func:`generate_writer`, typed for mypyc (setup.py compiles it).
    """
    lines = [
        '"""Avro writers of the bundled schemas. Generated: do not edit.',
        "",
        "Regenerate with ``make generated`` (tooltrail.producer.avro_fast.module_source); a",
        "unit test fails while this file differs from what the generator writes.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import struct",
        "from collections.abc import Callable",
        "from datetime import datetime as DT",
        "from typing import Any",
        "",
        "from tooltrail.producer.avro_fast import _EPOCH as EPOCH",
        "from tooltrail.producer.avro_fast import _HIGH as HIGH",
        "from tooltrail.producer.avro_fast import _LEN as LEN",
        "from tooltrail.producer.avro_fast import _LOW14 as LOW14",
        "from tooltrail.producer.avro_fast import _SMALL as SM",
        "from tooltrail.producer.avro_fast import _ts_bytes as TS",
        "from tooltrail.producer.avro_fast import _utf8 as U",
        "from tooltrail.producer.avro_fast import encode_long as L",
        "",
        'D = struct.Struct("<d").pack',
        'F = struct.Struct("<f").pack',
        'Z = b"\\x00"',
    ]
    table = []
    for n, (schema, header) in enumerate(writers):
        tag = f"_w{n}_"
        gen, source, main = _writer_source(schema, f"HEADER{tag}", tag)
        lines.append(f"HEADER{tag} = {header!r}")
        lines.extend(f"{name}: {decl}" for name, decl in gen.typed.items())
        lines += ["", "", source]
        table.append(f"    {writer_key(schema, header)!r}: {main},")
    lines += ["", "", "WRITERS: dict[str, Callable[[Any], bytes]] = {", *table, "}", ""]
    return "\n".join(lines)


def writers_module() -> str:
    """The source of ``tooltrail/producer/_writers.py``: the producer's ToolCallEvent
    writer and the processors' enriched-event tail writer."""
    schemas = bundled()
    event = schemas.current(TOOL_CALL_EVENT)
    return module_source(
        [
            (event.parsed, SINGLE_OBJECT_MAGIC + event.fingerprint),
            (enriched_tail_schema(schemas), b""),
        ]
    )


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
