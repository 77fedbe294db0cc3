"""A schema-compiled Avro decoder for the processors' hot path, equal to fastavro's output.

fastavro's reader walks the schema for every record (a type dispatch per field, a call
per logical type): about 20-28 us for a ToolCallEvent here, a fifth of a worker's time
per record. This compiles one writer schema, once, into the source of a straight-line
Python function: every field is read in place from the bytes, with a one-byte fast path
for the varints that carry lengths, union branches and small numbers. A test checks it
against fastavro on generated records, and on every truncation and on random bytes.

Only what tooltrail's schemas use is compiled: records, ``null``, ``boolean``, ``int``,
``long``, ``float``, ``double``, ``string``, ``bytes``, enums, arrays, maps, unions and
the ``timestamp-micros`` / ``timestamp-millis`` logical types. Anything else raises
:class:`UnsupportedSchema` and the caller keeps fastavro. No schema resolution: the
compiled reader gives a record as its writer wrote it.

Errors: the compiled function raises :class:`EOFError` when the data ends early and
:class:`ValueError` (or ``UnicodeDecodeError``) when it cannot be the schema's encoding.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

Reader = Callable[[bytes, int], tuple[Any, int]]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class UnsupportedSchema(Exception):
    """The schema uses a construct this decoder does not compile."""


def _long_tail(data: bytes, pos: int, first: int) -> tuple[int, int]:
    """The rest of a varint whose first byte (``first``, continuation bit set) was read."""
    n = first & 0x7F
    shift = 7
    while True:
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return (n >> 1) ^ -(n & 1), pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def _bad(what: str) -> ValueError:
    return ValueError(what)


class _Gen:
    """Emits the source of one reader function."""

    def __init__(self, named: Mapping[str, Any], prefix: str = "") -> None:
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        self.const_source: dict[str, str] = {}  # name -> Python expression (module form)
        self.values: list[str] = []  # names holding decoded values (typed Any in module form)
        self.named = dict(named)
        self.prefix = prefix
        self.n = 0

    def var(self, stem: str) -> str:
        self.n += 1
        name = f"{stem}{self.n}"
        if stem in ("v", "x", "k"):
            self.values.append(name)
        return name

    def const(self, value: Any, source: str) -> str:
        name = f"_k{self.prefix}{len(self.consts)}"
        self.consts[name] = value
        self.const_source[name] = source
        return name

    def emit(self, ind: int, line: str) -> None:
        self.lines.append("    " * ind + line)

    def long(self, ind: int, target: str) -> None:
        # one- and two-byte varints inline (lengths up to 8191: hashes, most strings)
        self.emit(ind, "b = d[p]")
        self.emit(ind, "p += 1")
        self.emit(ind, "if b < 128:")
        self.emit(ind + 1, f"{target} = (b >> 1) ^ -(b & 1)")
        self.emit(ind, "elif d[p] < 128:")
        self.emit(ind + 1, "b = (b & 127) | (d[p] << 7)")
        self.emit(ind + 1, "p += 1")
        self.emit(ind + 1, f"{target} = (b >> 1) ^ -(b & 1)")
        self.emit(ind, "else:")
        self.emit(ind + 1, f"{target}, p = _long_tail(d, p, b)")

    def sized(self, ind: int, target: str, decode: bool) -> None:
        n = self.var("n")
        self.long(ind, n)
        self.emit(ind, f"if {n} < 0:")
        self.emit(ind + 1, "raise _bad('negative length')")
        self.emit(ind, f"e = p + {n}")
        self.emit(ind, "if e > L:")
        self.emit(ind + 1, "raise EOFError('string or bytes run past the end')")
        self.emit(ind, f"{target} = d[p:e].decode()" if decode else f"{target} = d[p:e]")
        self.emit(ind, "p = e")

    def value(self, ind: int, schema: Any, target: str, depth: int = 0) -> None:
        if depth > 32:
            raise UnsupportedSchema("schema nests deeper than 32 levels (recursive type?)")
        if isinstance(schema, str):
            schema = self.named.get(schema, {"type": schema})
        if isinstance(schema, list):
            self.union(ind, schema, target, depth)
            return
        kind = schema.get("type")
        if isinstance(kind, (dict, list)) or kind in self.named:
            self.value(ind, kind, target, depth + 1)
            return
        if kind == "record":
            self.record(ind, schema, target, depth)
        elif kind == "enum":
            self.remember(schema)
            symbols = self.const(tuple(schema["symbols"]), repr(tuple(schema["symbols"])))
            i = self.var("i")
            self.long(ind, i)
            self.emit(ind, f"if not 0 <= {i} < {len(schema['symbols'])}:")
            self.emit(ind + 1, "raise _bad('enum index out of range')")
            self.emit(ind, f"{target} = {symbols}[{i}]")
        elif kind == "array":
            self.blocks(ind, schema["items"], target, None, depth)
        elif kind == "map":
            self.blocks(ind, schema["values"], target, "string", depth)
        else:
            self.scalar(ind, kind, schema.get("logicalType"), target)

    def scalar(self, ind: int, kind: Any, logical: str | None, target: str) -> None:
        if kind == "null":
            self.emit(ind, f"{target} = None")
        elif kind == "boolean":
            self.emit(ind, "b = d[p]")
            self.emit(ind, "p += 1")
            self.emit(ind, f"{target} = b == 1")
        elif kind in ("int", "long"):
            self.long(ind, target)
            if kind == "long" and logical == "timestamp-micros":
                self.emit(ind, f"{target} = _EPOCH + _td(0, 0, {target})")
            elif kind == "long" and logical == "timestamp-millis":
                self.emit(ind, f"{target} = _EPOCH + _td(0, 0, 0, {target})")
            elif logical is not None and kind == "long":
                raise UnsupportedSchema(f"logical type {logical}")
        elif kind in ("float", "double"):
            size, fmt = (4, "<f") if kind == "float" else (8, "<d")
            unpack = self.const(
                struct.Struct(fmt).unpack_from, f"struct.Struct({fmt!r}).unpack_from"
            )
            self.emit(ind, f"if p + {size} > L:")
            self.emit(ind + 1, "raise EOFError('number runs past the end')")
            self.emit(ind, f"{target} = {unpack}(d, p)[0]")
            self.emit(ind, f"p += {size}")
        elif kind == "string":
            self.sized(ind, target, decode=True)
        elif kind == "bytes":
            if logical is not None:
                raise UnsupportedSchema(f"logical type {logical}")
            self.sized(ind, target, decode=False)
        else:
            raise UnsupportedSchema(f"type {kind!r}")

    def remember(self, schema: Mapping[str, Any]) -> None:
        name = schema.get("name")
        if name:
            namespace = schema.get("namespace")
            full = name if "." in name or not namespace else f"{namespace}.{name}"
            self.named.setdefault(full, schema)
            self.named.setdefault(name, schema)

    def record(self, ind: int, schema: Mapping[str, Any], target: str, depth: int) -> None:
        self.remember(schema)
        names = []
        for field in schema["fields"]:
            v = self.var("v")
            self.value(ind, field["type"], v, depth + 1)
            names.append(f"{field['name']!r}: {v}")
        self.emit(ind, f"{target} = {{{', '.join(names)}}}")

    def union(self, ind: int, branches: list[Any], target: str, depth: int) -> None:
        if len(branches) == 2 and branches[0] == "null":
            self.emit(ind, "b = d[p]")
            self.emit(ind, "p += 1")
            self.emit(ind, "if b == 0:")
            self.emit(ind + 1, f"{target} = None")
            self.emit(ind, "elif b == 2:")
            self.value(ind + 1, branches[1], target, depth + 1)
            self.emit(ind, "else:")
            self.emit(ind + 1, "raise _bad('union index out of range')")
            return
        i = self.var("u")
        self.long(ind, i)
        for n, branch in enumerate(branches):
            self.emit(ind, f"{'if' if n == 0 else 'elif'} {i} == {n}:")
            self.value(ind + 1, branch, target, depth + 1)
        self.emit(ind, "else:")
        self.emit(ind + 1, "raise _bad('union index out of range')")

    def blocks(self, ind: int, item: Any, target: str, key: str | None, depth: int) -> None:
        c, x, k = self.var("c"), self.var("x"), self.var("k")
        self.emit(ind, f"{target} = {{}}" if key else f"{target} = []")
        self.emit(ind, "while True:")
        self.long(ind + 1, c)
        self.emit(ind + 1, f"if {c} == 0:")
        self.emit(ind + 2, "break")
        self.emit(ind + 1, f"if {c} < 0:")  # a block with its size in bytes: skip the size
        self.emit(ind + 2, f"{c} = -{c}")
        self.long(ind + 2, "_")
        self.emit(ind + 1, f"if {c} > L - p:")  # every item takes at least one byte
        self.emit(ind + 2, "raise EOFError('block count runs past the end')")
        self.emit(ind + 1, f"for _ in range({c}):")
        if key:
            self.sized(ind + 2, k, decode=True)
        self.value(ind + 2, item, x, depth + 1)
        self.emit(ind + 2, f"{target}[{k}] = {x}" if key else f"{target}.append({x})")


def generate_reader(schema: Any) -> tuple[Reader, str]:
    """Compile ``schema`` (Avro JSON, named types inlined at first use) into a reader.

    The reader is ``read(data, pos) -> (value, end)``; ``data`` must be ``bytes``.
    """
    gen = _Gen({})
    gen.value(1, schema, "out")
    source = "\n".join(["def read(d, p):", "    L = len(d)", *gen.lines, "    return out, p"])
    scope: dict[str, Any] = {
        "_long_tail": _long_tail,
        "_bad": _bad,
        "_EPOCH": _EPOCH,
        "_td": timedelta,
        **gen.consts,
    }
    exec(compile(source, "<tooltrail avro reader>", "exec"), scope)  # our own generated source
    reader: Reader = scope["read"]
    return reader, source


def module_source(schemas: Mapping[bytes, Any]) -> str:
    """A module of typed readers for ``schemas`` (fingerprint -> Avro JSON): ``READERS``.

    The same code as :func:`generate_reader`, with types mypyc can compile: setup.py
    compiles the generated module (``tooltrail/schemas/_readers.py``) into C, where the
    varint arithmetic runs on machine integers. :class:`~tooltrail.schemas.framing.Decoder`
    takes a reader from ``READERS`` when one matches the writer's fingerprint.
    """
    head = [
        '"""Avro readers of the bundled schemas. Generated: do not edit.',
        "",
        "Regenerate with ``make generated`` (tooltrail.schemas.avro_reader.module_source);",
        "a unit test fails while this file differs from what the generator writes.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import struct",
        "from datetime import timedelta as _td",
        "from typing import Any",
        "",
        "from tooltrail.schemas.avro_reader import _EPOCH, Reader, _bad, _long_tail",
        "",
    ]
    bodies: list[str] = []
    table: list[str] = []
    for fingerprint, schema in sorted(schemas.items()):
        tag = fingerprint.hex()
        gen = _Gen({}, prefix=f"_{tag}_")
        gen.value(1, schema, "out")
        head.extend(f"{name} = {expr}" for name, expr in gen.const_source.items())
        declared = ["out", *gen.values]
        bodies += [
            "",
            "",
            f"def read_{tag}(d: bytes, p: int) -> tuple[Any, int]:",
            *(f"    {name}: Any" for name in declared),
            "    L = len(d)",
            *gen.lines,
            "    return out, p",
        ]
        table.append(f"    bytes.fromhex({tag!r}): read_{tag},")
    return "\n".join([*head, *bodies, "", "", "READERS: dict[bytes, Reader] = {", *table, "}", ""])
