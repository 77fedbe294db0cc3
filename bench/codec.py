"""Codec benchmark: both framings against bare fastavro on the same record, in one run.

Run: ``.venv/bin/python bench/codec.py`` (or ``make bench``). Goal: framing and validation
cost at most 10% over bare fastavro schemaless encode/decode (ratio >= 0.90).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from confluent_kafka.schema_registry import SchemaRegistryClient
from fastavro import schemaless_reader, schemaless_writer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import cli, metric, paired, timed_rounds, write

from tooltrail.schemas import (
    TOOL_CALL_EVENT,
    AgentIdentity,
    CaptureLevel,
    ConfluentSerializer,
    Decoder,
    Outcome,
    ProducerInfo,
    SingleObjectSerializer,
    ToolCallEvent,
    ToolRef,
    bundled,
)

N = 2_000
ROUNDS = 41
EPS = "events/s"


def sample() -> dict[str, object]:
    now = datetime.now(UTC)
    return ToolCallEvent(
        event_id="0193a5b0-1d2e-7f00-8000-4c1d2e3f4a5b",
        tenant_id="acme",
        agent=AgentIdentity(id="agent-42", name="ops-bot", version="3.1", framework="langchain"),
        principal="alice@example.com",
        session_id="sess-0193a5b0",
        seq=17,
        trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
        span_id="00f067aa0ba902b7",
        tool=ToolRef(name="http_get", call_id="call_17", type="function"),
        capture_level=CaptureLevel.REQUEST,
        outcome=Outcome.SUCCESS,
        duration_us=1834,
        arguments='{"headers":{"authorization":"[REDACTED:bearer]"},"url":"https://api.example.com/v1/items?page=2"}',
        arguments_sha256="9f" * 32,
        started_at=now,
        ended_at=now,
        producer=ProducerInfo(host="worker-3", pid=4242, sdk_version="0.1.0"),
        attributes={"env": "prod"},
        prev_hash="ab" * 32,
        event_hash="cd" * 32,
    ).to_avro()


def main() -> None:
    cli(__doc__)
    record = sample()
    schema = bundled().current(TOOL_CALL_EVENT)
    parsed = schema.parsed
    registry = SchemaRegistryClient.new_client({"url": "mock://"})
    so_ser = SingleObjectSerializer(schema)
    cf_ser = ConfluentSerializer(schema, registry=registry, subject="tooltrail.toolcalls.v1-value")
    decoder = Decoder(expect=TOOL_CALL_EVENT, registry=registry)

    def bare_encode() -> bytes:
        out = BytesIO()
        schemaless_writer(out, parsed, record)
        return out.getvalue()

    bare_bytes = bare_encode()
    so_bytes = so_ser(record)
    cf_bytes = cf_ser(record)
    assert (
        decoder(so_bytes)
        == decoder(cf_bytes)
        == schemaless_reader(BytesIO(bare_bytes), parsed, None)
    )

    def bare_decode() -> object:
        return schemaless_reader(BytesIO(bare_bytes), parsed, None)

    times = timed_rounds(
        {
            "bare_encode": bare_encode,
            "single_object_encode": lambda: so_ser(record),
            "confluent_encode": lambda: cf_ser(record),
            "bare_decode": bare_decode,
            "single_object_decode": lambda: decoder(so_bytes),
            "confluent_decode": lambda: decoder(cf_bytes),
        },
        n=N,
        rounds=ROUNDS,
    )
    metrics = {
        "single_object_encode": paired(times, "single_object_encode", "bare_encode", n=N, unit=EPS),
        "confluent_encode": paired(times, "confluent_encode", "bare_encode", n=N, unit=EPS),
        "single_object_decode": paired(times, "single_object_decode", "bare_decode", n=N, unit=EPS),
        "confluent_decode": paired(times, "confluent_decode", "bare_decode", n=N, unit=EPS),
        "encoded_size_single_object": metric(len(so_bytes), "bytes", len(bare_bytes)),
        "encoded_size_confluent": metric(len(cf_bytes), "bytes", len(bare_bytes)),
    }
    write(
        "codec",
        metrics,
        notes=f"baseline = bare fastavro schemaless on the same record; median of {ROUNDS} "
        f"interleaved rounds x {N:,}; ratio = median of per-round ratios; goal ratio >= 0.90",
    )


if __name__ == "__main__":
    main()
