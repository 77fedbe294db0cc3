"""The pure batch pipeline the Faust agent calls: raw records in, output records out.

No event loop, no Kafka: a batch of :class:`RawRecord` goes in; encoded enriched events,
alerts and dead letters, the changed state of each partition and the counts come out.
Every record ends in exactly one place: an enriched event (plus any alerts), a dead
letter, or ``replayed`` (already applied to the stored state before a crash: see
:attr:`Analyzer.last_offset`).
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from typing import Any, Protocol

from fastavro import parse_schema, schemaless_writer

from tooltrail.errors import DecodeError
from tooltrail.producer.avro_fast import UnsupportedSchema, generate_writer
from tooltrail.schemas import (
    ALERT,
    DEAD_LETTER,
    ENRICHED_TOOL_CALL_EVENT,
    TOOL_CALL_EVENT,
    Decoder,
    bundled,
    single_object_serializer,
)
from tooltrail.schemas.framing import SINGLE_OBJECT_MAGIC
from tooltrail.schemas.registry import enriched_tail_schema

Record = dict[str, Any]
Clock = Callable[[], datetime]


class RawRecord:
    """One record of the raw topic, as the consumer saw it.

    A plain class, not a dataclass: compiled, its constructor is C (one per record), where a
    dataclass keeps the generated Python ``__init__``.
    """

    __slots__ = ("key", "offset", "partition", "topic", "value")

    def __init__(
        self, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value

    def __repr__(self) -> str:
        return f"RawRecord({self.topic!r}, {self.partition}, {self.offset}, {self.key!r}, ...)"


def raw_record(tp: Any, record: Any) -> RawRecord:
    """The :class:`RawRecord` of an aiokafka ``ConsumerRecord`` (the batching consumer's
    ``BatchRecord`` for the raw topic: no Faust message per record)."""
    return RawRecord(record.topic, record.partition, record.offset, record.key, record.value)


class Output:
    """One encoded record to produce (a plain class for the same reason as RawRecord)."""

    __slots__ = ("key", "value")

    def __init__(self, key: bytes | None, value: bytes) -> None:
        self.key = key
        self.value = value

    def __repr__(self) -> str:
        return f"Output({self.key!r}, {len(self.value)} bytes)"


class Analyzer(Protocol):
    """The stateful logic of one partition (see ``runtime.PartitionRuntime``).

    ``last_offset`` is the offset of the last record applied to the stored state. A worker
    that crashes after saving state but before committing its consumer offset re-reads
    those records; they are recognised by offset and not applied twice (their outputs
    were delivered before the state was saved).
    """

    last_offset: int

    def handle(self, event: Record) -> tuple[Record, list[Record]]:
        """The enriched event and the alerts (Avro dicts) this event raises."""
        ...

    def drain_state(self) -> dict[str, bytes | None]:
        """State changed since the last call, by table key (None deletes)."""
        ...


@dataclass(slots=True)
class BatchResult:
    """What one pipeline call produced."""

    enriched: list[Output] = field(default_factory=list)
    alerts: list[Output] = field(default_factory=list)
    dead_letters: list[Output] = field(default_factory=list)
    writes: dict[int, dict[str, bytes | None]] = field(default_factory=dict)
    processed: int = 0
    replayed: int = 0
    dead_by: Counter[tuple[str, str]] = field(default_factory=Counter)
    alerts_by: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    alert_records: list[Record] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


class Pipeline:
    """Decode, validate, verify, enrich and detect a batch of raw records.

    Args:
        decoder: decodes both framings; defaults to one expecting ToolCallEvent.
        max_record_bytes: larger values are dead-lettered as ``oversized`` undecoded.
        worker: a name written into dead letters.
        clock: source of ``failed_at`` timestamps.
    """

    def __init__(
        self,
        *,
        decoder: Decoder | None = None,
        max_record_bytes: int = 1_048_576,
        worker: str | None = None,
        clock: Clock = _now,
    ) -> None:
        self.decoder = decoder if decoder is not None else Decoder(expect=TOOL_CALL_EVENT)
        self.max_record_bytes = max_record_bytes
        self.worker = worker
        self.clock = clock
        self._enc_enriched = single_object_serializer(ENRICHED_TOOL_CALL_EVENT)
        self._splice = _EnrichedSplicer()
        self._enc_alert = single_object_serializer(ALERT)
        self._enc_dead = single_object_serializer(DEAD_LETTER)

    def warm_up(self) -> None:
        """Compile the reader of the current ToolCallEvent schema now, not on a record."""
        self.decoder.warm_up(TOOL_CALL_EVENT)

    def process(
        self,
        records: Iterable[RawRecord],
        analyzer_for: Callable[[int], Analyzer],
        *,
        drain: bool = True,
    ) -> BatchResult:
        """Run a batch; ``analyzer_for(partition)`` gives the partition's analyzer.

        With ``drain=False`` the changed state stays in the analyzers (``writes`` is
        empty): the caller drains it later, at a checkpoint covering several batches.
        """
        result = BatchResult()
        touched: dict[int, Analyzer] = {}
        for record in records:
            result.processed += 1
            analyzer = touched.get(record.partition)
            if analyzer is None:
                analyzer = touched[record.partition] = analyzer_for(record.partition)
            if record.offset <= analyzer.last_offset:
                result.replayed += 1
                continue
            analyzer.last_offset = record.offset
            decoded = self._decode(record, result)
            if decoded is None:
                continue
            event, body = decoded
            try:
                enriched, alerts = analyzer.handle(event)
                enriched_value = (
                    self._enc_enriched(enriched) if body is None else self._splice(body, enriched)
                )
            except Exception as exc:  # a rule or enricher bug must not stop the stream
                self._dead(record, result, "analyze", "exception", _describe(exc))
                continue
            key = record.key if record.key is not None else event["session_id"].encode()
            result.enriched.append(Output(key, enriched_value))
            if alerts:
                self.add_alerts(alerts, key, result)
        if drain:
            for partition, analyzer in touched.items():
                result.writes[partition] = analyzer.drain_state()
        return result

    def add_alerts(self, alerts: list[Record], key: bytes | None, result: BatchResult) -> None:
        """Encode alerts into ``result`` (also used for heartbeat alerts)."""
        for alert in alerts:
            result.alerts.append(
                Output(key or alert["session_id"].encode(), self._enc_alert(alert))
            )
            result.alert_records.append(alert)
            result.alerts_by[(str(alert["kind"]), alert["rule_id"], str(alert["severity"]))] += 1

    def _decode(
        self, record: RawRecord, result: BatchResult
    ) -> tuple[Record, memoryview | None] | None:
        """The event and, when it was written with the current schema, its Avro body."""
        value = record.value
        if value is None:
            self._dead(record, result, "decode", "null_value", "record has no value (tombstone)")
            return None
        if len(value) > self.max_record_bytes:
            self._dead(
                record,
                result,
                "decode",
                "oversized",
                f"{len(value)} bytes exceeds the limit of {self.max_record_bytes}",
            )
            return None
        try:
            decoded = self.decoder.decode(value)
        except DecodeError as exc:
            stage = "validate" if exc.reason == "schema_invalid" else "decode"
            self._dead(record, result, stage, exc.reason, exc.detail)
            return None
        event = decoded.record
        problem = _validate(event)
        if problem is not None:
            self._dead(record, result, "validate", "schema_invalid", problem)
            return None
        body = None
        if decoded.writer.fingerprint == self._splice.event_fingerprint:
            start = 10 if decoded.framing == "single_object" else 5
            body = memoryview(value)[start:]
        return event, body

    def _dead(
        self, record: RawRecord, result: BatchResult, stage: str, reason: str, message: str
    ) -> None:
        letter = {
            "original": record.value or b"",
            "original_key": record.key,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "stage": stage,
            "reason": reason,
            "error_message": message[:4096],
            "failed_at": self.clock(),
            "worker": self.worker,
        }
        result.dead_letters.append(Output(record.key, self._enc_dead(letter)))
        result.dead_by[(stage, reason)] += 1


class _EnrichedSplicer:
    """Encodes an EnrichedToolCallEvent by reusing the raw event's Avro bytes.

    An Avro record is its fields' encodings one after the other, and ``event`` is the
    first field of EnrichedToolCallEvent: so the enriched record is the original event's
    body (when written with the current ToolCallEvent schema) followed by the enrichment
    fields. Byte-identical to encoding the whole record, without re-encoding the event.
    """

    def __init__(self) -> None:
        schemas = bundled()
        enriched = schemas.current(ENRICHED_TOOL_CALL_EVENT)
        self.event_fingerprint = schemas.current(TOOL_CALL_EVENT).fingerprint
        self.header = SINGLE_OBJECT_MAGIC + enriched.fingerprint
        tail = enriched_tail_schema(schemas)
        # fastavro writes a field's default when the record lacks it; the compiled writer
        # needs every field, so defaults go under the record
        self._defaults = {f["name"]: f["default"] for f in tail["fields"] if "default" in f}
        try:  # the producer's compiled writer, byte-identical to fastavro
            self._tail = generate_writer(tail, b"")[0]
        except UnsupportedSchema:
            parsed = parse_schema(tail, named_schemas={})

            def write(record: Mapping[str, Any]) -> bytes:
                out = BytesIO()
                schemaless_writer(out, parsed, record)
                return out.getvalue()

            self._tail = write

    def __call__(self, body: memoryview, enriched: Mapping[str, Any]) -> bytes:
        try:  # the enricher sets every field: no defaults to merge in
            tail = self._tail(enriched)
        except KeyError:
            tail = self._tail({**self._defaults, **enriched})
        return b"".join((self.header, body, tail))


def _validate(event: Mapping[str, Any]) -> str | None:
    """Checks the Avro schema cannot express; ``None`` when the event is acceptable."""
    if not event.get("session_id"):
        return "session_id is empty"
    if event.get("seq", 0) < 1:
        return f"seq must be >= 1, got {event.get('seq')}"
    if not event.get("event_id"):
        return "event_id is empty"
    if not event.get("event_hash"):
        return "event_hash is empty"
    return None


def _describe(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" at {where[0].filename}:{where[0].lineno}" if where else ""
    return f"{type(exc).__name__}: {exc}{at}"
