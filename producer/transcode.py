"""Canonical JSON straight to Avro, for disk mode's background thread.

In ``disk`` durability the caller spools the event's canonical JSON (the hash chain made it
anyway). The poll thread then had to encode the event dict, which the caller kept alive for
it: several microseconds of GIL time per event taken from the agent's threads, and event
dicts waiting long enough to be traversed and promoted by the garbage collector. The C
extension ``_transcode`` (``_transcode.c``, built with the package) reads the JSON text
instead, with the GIL released, following a program compiled once from the Avro schema.

The result equals the Python writer's bytes (a unit test checks it on varied events). An item
the program does not fit comes back as None and is encoded the slow way
(:func:`tooltrail.producer.spooled.event_from_canonical`, then the serializer). Without the
extension (a pure-Python install) or for a serializer other than the bundled single-object
one, :func:`json_transcoder` returns None and the caller hands over event dicts as before.
"""

from __future__ import annotations

import logging
from typing import Any

from tooltrail.producer.avro_fast import FastSingleObjectSerializer, UnsupportedSchema
from tooltrail.schemas.framing import SINGLE_OBJECT_MAGIC

try:
    from tooltrail.producer import _transcode
except ImportError:  # a pure-Python install
    _transcode = None  # type: ignore[assignment]

log = logging.getLogger("tooltrail.producer.kafka")

_PRIMITIVES = {
    "null": "null",
    "boolean": "boolean",
    "int": "long",
    "long": "long",
    "double": "double",
    "float": "float",
    "string": "string",
}


def describe(schema: Any) -> tuple[Any, ...]:  # noqa: PLR0911 - one return per kind
    """The program description of a parsed Avro schema (see ``_transcode.c``); raises
    :class:`UnsupportedSchema` where the Python writer would (unions other than
    ``["null", T]``, bytes, fixed, logical types but timestamp-micros, named references)."""
    if isinstance(schema, list):
        if len(schema) != 2 or schema[0] not in ("null", {"type": "null"}):
            raise UnsupportedSchema("only [null, T] unions")
        return ("opt", describe(schema[1]))
    if isinstance(schema, str):
        schema = {"type": schema}
    t, logical = schema["type"], schema.get("logicalType")
    if logical is not None:
        if logical == "timestamp-micros" and t == "long":
            return ("ts",)
        raise UnsupportedSchema(f"logical type {logical}")
    if isinstance(t, str) and t in _PRIMITIVES:
        return (_PRIMITIVES[t],)
    if t == "enum":
        return ("enum", tuple(schema["symbols"]))
    if t == "record":
        return ("record", tuple((f["name"], describe(f["type"])) for f in schema["fields"]))
    if t == "array":
        return ("array", describe(schema["items"]))
    if t == "map":
        return ("map", describe(schema["values"]))
    raise UnsupportedSchema(f"type {t}")


class JsonTranscoder:
    """Canonical JSON documents of one record schema to its single-object Avro encoding."""

    def __init__(self, parsed: Any, header: bytes) -> None:
        if _transcode is None:
            raise UnsupportedSchema("the _transcode extension is not built")
        self._program = _transcode.program(describe(parsed))
        self.header = header

    def many(self, items: list[tuple[Any, bytes | None]]) -> list[bytes | None]:
        """``header`` + the Avro body of each ``(json, extra_json)``, the fields missing from
        ``json`` read from ``extra_json`` (top level only); None where that fails. ``json``
        is bytes (or another buffer), or ``(buffer, start, stop, ...)``: its bytes in a
        buffer (further items ignored: disk mode's handed-over tuples as they are)."""
        out: list[bytes | None] = _transcode.transcode_many(self._program, items, self.header)
        return out


def json_transcoder(serializer: Any) -> JsonTranscoder | None:
    """A transcoder producing exactly what ``serializer`` produces, when there is one: the
    bundled single-object serializer (not a user's, nor the Confluent one) and the extension
    built."""
    if _transcode is None or type(serializer) is not FastSingleObjectSerializer:
        return None
    schema = serializer.schema
    try:
        return JsonTranscoder(schema.parsed, SINGLE_OBJECT_MAGIC + schema.fingerprint)
    except UnsupportedSchema as exc:
        log.debug("tooltrail: no JSON transcoder for %s (%s)", schema.name, exc)
        return None
