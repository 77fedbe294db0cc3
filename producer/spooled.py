"""The canonical-JSON form of a spooled event, and turning it back into the wire bytes.

In ``disk`` durability the calling thread spools the event's canonical JSON (the bytes the
hash chain already produced, so nothing extra is serialized there) and the publisher's
background thread encodes it for Kafka (``transcode.py`` reads it straight into Avro;
:func:`event_from_canonical` here is the general way back to the event dict). A spooled
value starting with ``{`` is this form; anything else (Avro single-object ``C3 01``,
Confluent framing ``00``) is already wire bytes.
The JSON holds every field but the integrity ones: ``event_hash`` is its SHA-256 (that is
how it was computed), ``signature`` and ``key_id`` are null (signed events are spooled as
wire bytes instead). ToolCallEvent has only strings, ints and two timestamps, so the round
trip gives back the very dict that was sealed, hence the same Avro bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from tooltrail.canonical import parse_timestamp
from tooltrail.producer.percall import sha256_hex
from tooltrail.producer.publisher import Serializer

_TIMESTAMPS = ("started_at", "ended_at")


def is_canonical(value: bytes) -> bool:
    """Whether a spooled value is the canonical-JSON form (not yet encoded)."""
    return value[:1] == b"{"


def event_from_canonical(body: bytes) -> dict[str, Any]:
    """The sealed event dict back from its canonical JSON."""
    event: dict[str, Any] = orjson.loads(body)
    for name in _TIMESTAMPS:
        ts = event.get(name)
        if ts is not None:
            event[name] = parse_timestamp(ts)
    event["event_hash"] = sha256_hex(body)
    event["signature"] = None
    event["key_id"] = None
    return event


def wire_bytes(value: bytes, serializer: Serializer) -> bytes:
    """What goes to Kafka for a spooled value: encoded now if it is canonical JSON."""
    if is_canonical(value):
        return serializer(event_from_canonical(value), None)
    return value


def spoolable(event: Mapping[str, Any]) -> bool:
    """Whether ``event`` can be spooled as canonical JSON (unsigned events only)."""
    return event.get("signature") is None
