"""Canonical JSON: the one textual form of a record.

It is what the hash chain hashes and what ``.jsonl`` files exchanged by CLI commands hold,
so it must be byte-stable: keys sorted, no insignificant whitespace, UTF-8, every timestamp
as UTC with exactly six fractional digits (``2026-12-04T15:33:07.000000Z``), bytes as
base64, enums as their symbols, nulls kept.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def ensure_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """UTC, microsecond precision, always six digits, ``Z`` suffix."""
    return ensure_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (the canonical form or any ISO 8601 variant) to aware UTC."""
    return ensure_utc(datetime.fromisoformat(text))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"type {type(value).__name__} has no canonical JSON form")


def canonical_json(record: Mapping[str, Any] | BaseModel) -> bytes:
    """The canonical JSON bytes of an Avro-shaped dict or a pydantic model."""
    if isinstance(record, BaseModel):
        record = record.model_dump(mode="python")
    return orjson.dumps(record, default=_default, option=_OPTIONS)
