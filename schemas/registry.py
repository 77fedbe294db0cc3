"""The bundled Avro schemas, their canonical forms and CRC-64-AVRO fingerprints.

A :class:`SchemaSet` knows every writer schema a reader may meet (by fingerprint, for
single-object encoding) and the current reader schema of each record name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from fastavro import parse_schema
from fastavro.schema import fingerprint, to_parsing_canonical_form

from tooltrail.errors import ConfigError

TOOL_CALL_EVENT = "io.tooltrail.v1.ToolCallEvent"
ENRICHED_TOOL_CALL_EVENT = "io.tooltrail.v1.EnrichedToolCallEvent"
ALERT = "io.tooltrail.v1.Alert"
DEAD_LETTER = "io.tooltrail.v1.DeadLetter"

# Files in dependency order: a schema may refer to named types defined by an earlier one.
_BUNDLED_FILES = (
    "tool_call_event.avsc",
    "enriched_tool_call_event.avsc",
    "alert.avsc",
    "dead_letter.avsc",
)


def crc64_fingerprint(canonical: str) -> bytes:
    """CRC-64-AVRO of a Parsing Canonical Form, as the 8 little-endian bytes on the wire."""
    return bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))


@dataclass(frozen=True)
class AvroSchema:
    """One parsed Avro record schema with its identity on the wire.

    Attributes:
        name: the record's full name.
        parsed: fastavro's parsed schema (parse once, write and read many times).
        canonical: the Parsing Canonical Form, which registries and fingerprints use.
        fingerprint: CRC-64-AVRO of the canonical form, 8 bytes little-endian.
        whole: the schema as JSON with every named type it uses defined inline (at first
            use), also those of other files: what a registry and the canonical form need.
    """

    name: str
    parsed: dict[str, Any] = field(repr=False)
    canonical: str = field(repr=False)
    fingerprint: bytes
    whole: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(
        cls, schema: dict[str, Any] | str, *, named: dict[str, Any] | None = None
    ) -> AvroSchema:
        raw = json.loads(schema) if isinstance(schema, str) else schema
        try:
            parsed = parse_schema(raw, named_schemas=named if named is not None else {})
        except Exception as exc:  # fastavro raises several types for a bad schema
            raise ConfigError(f"invalid Avro schema: {exc}") from exc
        if not isinstance(parsed, dict) or parsed.get("type") != "record":
            raise ConfigError("a tooltrail schema must be an Avro record")
        # The canonical form (so the fingerprint) and the registry's copy must be whole:
        # named types of earlier files (EnrichedToolCallEvent's event) inlined.
        whole = _expand(parsed, named or {}, set())
        canonical = to_parsing_canonical_form(parse_schema(whole, named_schemas={}))
        return cls(
            name=parsed["name"],
            parsed=parsed,
            canonical=canonical,
            fingerprint=crc64_fingerprint(canonical),
            whole=whole,
        )

    @property
    def expanded_json(self) -> str:
        """Self-contained JSON (named types inlined, defaults and docs kept) for a registry."""
        return json.dumps(self.whole or _strip_internal(self.parsed))


_TYPE_KEYS = frozenset({"type", "items", "values", "fields"})


def _expand(node: Any, named: dict[str, Any], defined: set[str]) -> Any:
    """``node`` without fastavro's bookkeeping keys, named types defined at first use."""
    if isinstance(node, str):
        if node in named and node not in defined:
            return _expand(named[node], named, defined)
        return node
    if isinstance(node, dict):
        if node.get("type") in ("record", "enum", "fixed") and "name" in node:
            defined.add(node["name"])
        return {
            k: _expand(v, named, defined) if k in _TYPE_KEYS else _strip_internal(v)
            for k, v in node.items()
            if not k.startswith("__")
        }
    if isinstance(node, list):
        return [_expand(v, named, defined) for v in node]
    return node


def _strip_internal(node: Any) -> Any:
    """Drop fastavro's bookkeeping keys (``__fastavro_parsed`` ...) from a parsed schema."""
    if isinstance(node, dict):
        return {k: _strip_internal(v) for k, v in node.items() if not k.startswith("__")}
    if isinstance(node, list):
        return [_strip_internal(v) for v in node]
    return node


class SchemaSet:
    """Writer schemas by fingerprint and the reader schema of each record name."""

    def __init__(self, schemas: tuple[AvroSchema, ...] = ()) -> None:
        self._by_fingerprint: dict[bytes, AvroSchema] = {}
        self._current: dict[str, AvroSchema] = {}
        for schema in schemas:
            self.add(schema)

    def add(self, schema: AvroSchema, *, current: bool = True) -> None:
        """Know ``schema`` as a writer; make it the reader of its name when ``current``."""
        self._by_fingerprint[schema.fingerprint] = schema
        if current or schema.name not in self._current:
            self._current[schema.name] = schema

    def by_fingerprint(self, fp: bytes) -> AvroSchema | None:
        return self._by_fingerprint.get(fp)

    def current(self, name: str) -> AvroSchema:
        try:
            return self._current[name]
        except KeyError:
            raise ConfigError(f"no schema named {name!r}; known: {sorted(self._current)}") from None

    def names(self) -> list[str]:
        return sorted(self._current)

    def copy(self) -> SchemaSet:
        clone = SchemaSet()
        clone._by_fingerprint = dict(self._by_fingerprint)
        clone._current = dict(self._current)
        return clone


def read_bundled_json(filename: str) -> dict[str, Any]:
    """The JSON of one bundled ``.avsc`` file."""
    text = resources.files("tooltrail.schemas").joinpath("avro", filename).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def bundled() -> SchemaSet:
    """The schemas shipped inside tooltrail.schemas (parsed once per process)."""
    named: dict[str, Any] = {}
    return SchemaSet(
        tuple(AvroSchema.from_json(read_bundled_json(f), named=named) for f in _BUNDLED_FILES)
    )


def enriched_tail_schema(schemas: SchemaSet | None = None) -> dict[str, Any]:
    """EnrichedToolCallEvent without its first field, the event: the enrichment fields.

    An Avro record is its fields' encodings one after the other, so an enriched record is
    the raw event's Avro body followed by this record's encoding (the processors splice
    the two instead of encoding the event again).
    """
    enriched = (schemas or bundled()).current(ENRICHED_TOOL_CALL_EVENT)
    whole: dict[str, Any] = json.loads(enriched.expanded_json)
    if whole["fields"][0]["name"] != "event":
        raise ConfigError("EnrichedToolCallEvent must start with its event field")
    return dict(whole, name="EnrichedTail", fields=whole["fields"][1:])
