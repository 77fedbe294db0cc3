"""Canonical JSON: the one textual form of a record.

It is what the hash chain hashes and what ``.jsonl`` files exchanged by CLI commands hold,
so it must be byte-stable: keys sorted, no insignificant whitespace, UTF-8, every timestamp
as UTC with exactly six fractional digits (``2026-12-04T15:33:07.000000Z``), bytes as
base64, enums as their symbols, nulls kept.

This module imports only orjson, so the producer (which agents load into their own
processes) and the schemas share it without pulling in pydantic or fastavro.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class _Dumpable(Protocol):
    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


def ensure_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """UTC, microsecond precision, always six digits and a four-digit year, ``Z`` suffix."""
    # An f-string rather than strftime: it pads years before 1000 and costs a fraction.
    d = ensure_utc(value)
    return (
        f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:"
        f"{d.second:02d}.{d.microsecond:06d}Z"
    )


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (the canonical form or any ISO 8601 variant) to aware UTC."""
    return ensure_utc(datetime.fromisoformat(text))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"type {type(value).__name__} has no canonical JSON form")


def canonical_json(record: Mapping[str, Any] | _Dumpable) -> bytes:
    """The canonical JSON bytes of an Avro-shaped dict or a pydantic model."""
    if not isinstance(record, Mapping):
        record = record.model_dump(mode="python")
    return orjson.dumps(record, default=_default, option=_OPTIONS)
