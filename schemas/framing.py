"""Avro wire framings, told apart on decode by the first byte.

* Confluent Schema Registry framing: ``0x00`` + 4-byte big-endian schema id + Avro body.
  Ids come from a registry client (``confluent_kafka.schema_registry``), so Kafka Connect,
  ksqlDB and ClickHouse's ``AvroConfluent`` read the topics.
* Avro single-object encoding: ``0xC3 0x01`` + 8-byte little-endian CRC-64-AVRO fingerprint
  + Avro body, with the schemas bundled; needs no registry.

Serializers are callables ``serializer(record, ctx) -> bytes`` (confluent-kafka's
convention), used with the plain ``Producer``. Decoding never raises anything but
:class:`~tooltrail.errors.DecodeError` (or its :class:`SchemaValidationError` child).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from io import BytesIO
from typing import Any, Protocol

from fastavro import schemaless_reader, schemaless_writer

from tooltrail.errors import ConfigError, DecodeError, SchemaValidationError
from tooltrail.schemas.avro_reader import (
    Reader,
    UnsupportedSchema,
    generate_reader,
    module_source,
)
from tooltrail.schemas.registry import (
    ALERT,
    DEAD_LETTER,
    ENRICHED_TOOL_CALL_EVENT,
    TOOL_CALL_EVENT,
    AvroSchema,
    SchemaSet,
    bundled,
)

CONFLUENT_MAGIC = 0x00
SINGLE_OBJECT_MAGIC = b"\xc3\x01"
_CONFLUENT_HEADER = struct.Struct(">bI")
_SINGLE_OBJECT_HEADER_LEN = 10


class RegistryClient(Protocol):
    """The part of confluent-kafka's ``SchemaRegistryClient`` that framing uses."""

    def register_schema(
        self, subject_name: str, schema: Any, normalize_schemas: bool = False
    ) -> int: ...

    def get_schema(self, schema_id: int, *args: Any, **kwargs: Any) -> Any: ...


def _write(schema: AvroSchema, record: Mapping[str, Any], out: BytesIO) -> None:
    try:
        schemaless_writer(out, schema.parsed, record)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, struct.error) as exc:
        raise SchemaValidationError(f"{schema.name}: {exc}") from exc


class SingleObjectSerializer:
    """Encodes records of one schema in Avro single-object encoding."""

    def __init__(self, schema: AvroSchema) -> None:
        self.schema = schema
        self._header = SINGLE_OBJECT_MAGIC + schema.fingerprint

    def __call__(self, record: Mapping[str, Any], ctx: object = None) -> bytes:
        out = BytesIO()
        out.write(self._header)
        _write(self.schema, record, out)
        return out.getvalue()


class ConfluentSerializer:
    """Encodes records of one schema in Confluent framing.

    The schema is registered (or looked up) under ``subject`` once, at construction.
    """

    def __init__(self, schema: AvroSchema, *, registry: RegistryClient, subject: str) -> None:
        from confluent_kafka.schema_registry import Schema  # noqa: PLC0415 - optional path

        self.schema = schema
        self.subject = subject
        self.schema_id = registry.register_schema(subject, Schema(schema.expanded_json, "AVRO"))
        self._header = _CONFLUENT_HEADER.pack(CONFLUENT_MAGIC, self.schema_id)

    def __call__(self, record: Mapping[str, Any], ctx: object = None) -> bytes:
        out = BytesIO()
        out.write(self._header)
        _write(self.schema, record, out)
        return out.getvalue()


class Decoded:
    """A decoded record and the writer schema it was written with.

    A plain class, not a dataclass: compiled, its constructor is C (one per record).
    """

    __slots__ = ("framing", "record", "writer")

    def __init__(self, record: dict[str, Any], writer: AvroSchema, framing: str) -> None:
        self.record = record
        self.writer = writer
        self.framing = framing

    def __repr__(self) -> str:
        return f"Decoded({self.writer.name}, framing={self.framing!r})"


# One compiled reader per writer schema (by fingerprint), shared by every Decoder:
# compiling costs milliseconds, and callers make decoders freely.
_COMPILED: dict[bytes, Reader | None] = {}


class Decoder:
    """Decodes either framing into a record of the expected (reader) schema.

    Args:
        expect: full name of the record type the caller wants; data written with another
            record type is refused with ``unexpected_schema``. ``None`` accepts any known type.
        schemas: known writer schemas and current readers; defaults to the bundled set.
        registry: a schema-registry client, needed only for Confluent-framed input.
    """

    def __init__(
        self,
        *,
        expect: str | None = None,
        schemas: SchemaSet | None = None,
        registry: RegistryClient | None = None,
    ) -> None:
        self.expect = expect
        self.schemas = schemas if schemas is not None else bundled()
        self.registry = registry
        self._by_id: dict[int, AvroSchema] = {}
        self._reader_cache: dict[bytes, dict[str, Any] | None] = {}
        self._fast: dict[bytes, tuple[AvroSchema, Reader]] = {}  # fingerprint -> reader

    def warm_up(self, name: str) -> None:
        """Compile the reader of the current ``name`` schema ahead of its first record."""
        self._compiled(self.schemas.current(name))

    def __call__(self, data: bytes, ctx: object = None) -> dict[str, Any]:
        return self.decode(data).record

    def decode(self, data: bytes, *, resolve: bool = True) -> Decoded:
        """Decode ``data``; with ``resolve=False`` the record is returned exactly as written.

        Resolution to the current reader schema fills fields the writer did not know with
        their defaults; a hash-chain verifier must see the record as written instead, since
        the producer hashed exactly those fields.
        """
        if not data:
            raise DecodeError("truncated", "empty payload: no magic byte")
        if resolve and data[:2] == SINGLE_OBJECT_MAGIC:  # the hot path: a known writer
            fast = self._fast.get(data[2:_SINGLE_OBJECT_HEADER_LEN])
            if fast is not None:
                writer, compiled = fast
                record = self._read_compiled(
                    compiled, writer, data if data.__class__ is bytes else bytes(data),
                    _SINGLE_OBJECT_HEADER_LEN,
                )  # fmt: skip
                return Decoded(record, writer, "single_object")
        first = data[0]
        if first == CONFLUENT_MAGIC:
            if len(data) < _CONFLUENT_HEADER.size:
                raise DecodeError(
                    "truncated", f"Confluent framing needs 5 header bytes, got {len(data)}"
                )
            schema_id = _CONFLUENT_HEADER.unpack_from(data)[1]
            writer = self._writer_for_id(schema_id)
            record = self._read(writer, data, _CONFLUENT_HEADER.size, resolve)
            return Decoded(record, writer, "confluent")
        if data[:2] == SINGLE_OBJECT_MAGIC:
            if len(data) < _SINGLE_OBJECT_HEADER_LEN:
                raise DecodeError(
                    "truncated",
                    f"single-object encoding needs 10 header bytes, got {len(data)}",
                )
            fp = data[2:_SINGLE_OBJECT_HEADER_LEN]
            found = self.schemas.by_fingerprint(fp)
            if found is None:
                raise DecodeError(
                    "unknown_schema",
                    f"no known schema has fingerprint {fp.hex()} (CRC-64-AVRO, little-endian)",
                )
            record = self._read(found, data, _SINGLE_OBJECT_HEADER_LEN, resolve)
            return Decoded(record, found, "single_object")
        raise DecodeError(
            "unknown_magic",
            f"first bytes {data[:2].hex()} are neither Confluent (00) nor single-object (c301)",
        )

    def _writer_for_id(self, schema_id: int) -> AvroSchema:
        cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        if self.registry is None:
            raise DecodeError(
                "no_registry", f"Confluent-framed record (schema id {schema_id}) but no registry"
            )
        try:
            registered = self.registry.get_schema(schema_id)
            schema = AvroSchema.from_json(registered.schema_str)
        except Exception as exc:  # registry and network errors come in many types
            raise DecodeError(
                "unknown_schema", f"schema id {schema_id} not available from the registry: {exc}"
            ) from exc
        self._by_id[schema_id] = schema
        return schema

    def _reader_for(self, writer: AvroSchema) -> dict[str, Any] | None:
        """The reader schema to resolve against, or None when it is the writer itself."""
        if writer.fingerprint in self._reader_cache:
            return self._reader_cache[writer.fingerprint]
        if self.expect is not None and writer.name != self.expect:
            raise DecodeError(
                "unexpected_schema", f"expected {self.expect}, data was written as {writer.name}"
            )
        try:
            reader = self.schemas.current(writer.name)
        except ConfigError:  # a registry-only record type: read it as written
            reader = writer
        resolved = None if reader.fingerprint == writer.fingerprint else reader.parsed
        self._reader_cache[writer.fingerprint] = resolved
        return resolved

    @staticmethod
    def _compiled(writer: AvroSchema) -> Reader | None:
        """The compiled reader of ``writer`` (None when it uses what is not compiled)."""
        try:
            return _COMPILED[writer.fingerprint]
        except KeyError:
            pass
        # the bundled schemas' readers, generated ahead and compiled with the package
        from tooltrail.schemas._readers import READERS  # noqa: PLC0415 (3,000 lines: on use)

        compiled: Reader | None = READERS.get(writer.fingerprint)
        if compiled is None:
            try:
                compiled = generate_reader(json.loads(writer.expanded_json))[0]
            except UnsupportedSchema:
                compiled = None
        _COMPILED[writer.fingerprint] = compiled
        return compiled

    def _read(self, writer: AvroSchema, data: bytes, start: int, resolve: bool) -> dict[str, Any]:
        reader = self._reader_for(writer)  # also refuses a record type not expected
        if not resolve:
            reader = None
        compiled = self._compiled(writer) if reader is None else None
        if compiled is not None:
            if resolve:  # the writer is the reader: later records take the hot path
                self._fast[writer.fingerprint] = (writer, compiled)
            return self._read_compiled(compiled, writer, bytes(data), start)
        body = BytesIO(data)
        body.seek(start)
        try:
            record = schemaless_reader(body, writer.parsed, reader)
        except (EOFError, StopIteration, struct.error) as exc:
            raise DecodeError("truncated", f"{writer.name}: payload ends early ({exc})") from exc
        except Exception as exc:  # fastavro raises many types on garbage input
            raise DecodeError(
                "malformed", f"{writer.name}: body does not decode: {type(exc).__name__}: {exc}"
            ) from exc
        if body.tell() != len(data):
            raise DecodeError(
                "trailing_bytes",
                f"{writer.name}: {len(data) - body.tell()} bytes left after the record",
            )
        if not isinstance(record, dict):
            raise SchemaValidationError(f"{writer.name}: decoded value is not a record")
        return record

    @staticmethod
    def _read_compiled(
        compiled: Reader, writer: AvroSchema, data: bytes, start: int
    ) -> dict[str, Any]:
        try:
            record, end = compiled(data, start)
        except (IndexError, EOFError) as exc:
            raise DecodeError("truncated", f"{writer.name}: payload ends early ({exc})") from exc
        except Exception as exc:  # bad varints, union or enum indexes, UTF-8
            raise DecodeError(
                "malformed", f"{writer.name}: body does not decode: {type(exc).__name__}: {exc}"
            ) from exc
        if end != len(data):
            raise DecodeError(
                "trailing_bytes", f"{writer.name}: {len(data) - end} bytes left after the record"
            )
        if not isinstance(record, dict):
            raise SchemaValidationError(f"{writer.name}: decoded value is not a record")
        return record


def readers_module(schemas: SchemaSet | None = None) -> str:
    """The source of ``tooltrail/schemas/_readers.py``: readers of the current schemas."""
    chosen = schemas or bundled()
    names = (TOOL_CALL_EVENT, ENRICHED_TOOL_CALL_EVENT, ALERT, DEAD_LETTER)
    current = [chosen.current(name) for name in names]
    return module_source({s.fingerprint: json.loads(s.expanded_json) for s in current})


def single_object_serializer(name: str, schemas: SchemaSet | None = None) -> SingleObjectSerializer:
    """The single-object serializer of a bundled record type (by full name)."""
    return SingleObjectSerializer((schemas or bundled()).current(name))


__all__ = [
    "CONFLUENT_MAGIC",
    "SINGLE_OBJECT_MAGIC",
    "ConfluentSerializer",
    "Decoded",
    "Decoder",
    "RegistryClient",
    "SingleObjectSerializer",
    "single_object_serializer",
]
