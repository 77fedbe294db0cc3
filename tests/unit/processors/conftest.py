"""Builders of raw records for the pipeline tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tooltrail.schemas import TOOL_CALL_EVENT, single_object_serializer
from tooltrail.stream_processors.workers.pipeline import RawRecord

T0 = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)
ENCODE = single_object_serializer(TOOL_CALL_EVENT)


def make_event(session_id: str, seq: int, tool: str = "read_file", **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": f"{session_id}-{seq}",
        "tenant_id": "t1",
        "agent": {"id": "agent-1"},
        "session_id": session_id,
        "seq": seq,
        "tool": {"name": tool},
        "started_at": T0 + timedelta(seconds=seq),
        "producer": {"host": "h", "pid": 1, "sdk_version": "0"},
        "prev_hash": None,
        "event_hash": hashlib.sha256(f"{session_id}/{seq}".encode()).hexdigest(),
    }
    event.update(extra)
    return event


class RecordFactory:
    def __init__(self) -> None:
        self.offsets: dict[int, int] = {}

    def __call__(
        self, value: bytes | None, *, key: bytes | None = None, partition: int = 0
    ) -> RawRecord:
        offset = self.offsets.get(partition, 0)
        self.offsets[partition] = offset + 1
        return RawRecord(topic="raw", partition=partition, offset=offset, key=key, value=value)

    def event(
        self, session_id: str, seq: int, tool: str = "read_file", partition: int = 0
    ) -> RawRecord:
        return self(
            ENCODE(make_event(session_id, seq, tool)), key=session_id.encode(), partition=partition
        )


@pytest.fixture
def records() -> RecordFactory:
    return RecordFactory()
