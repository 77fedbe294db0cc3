"""Time helpers shared by the enrichers and the detection engine.

Internally every instant is an ``int`` of microseconds since the Unix epoch (UTC): cheap to
compare, exact, and JSON-friendly in state snapshots.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:us|ms|s|m|h|d))+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s|m|h|d)")
_UNIT_US = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000}
_UNIT_US["d"] = 24 * _UNIT_US["h"]


def to_micros(value: datetime) -> int:
    """Microseconds since the epoch of an aware (or naive-as-UTC) datetime, exactly."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // _ONE_US


def from_micros(value: int) -> datetime:
    """The aware UTC datetime of a microsecond timestamp."""
    return EPOCH + timedelta(microseconds=value)


def parse_duration(text: str | int | float) -> int:
    """``"5m"``, ``"30s"``, ``"1h30m"``, ``"250ms"`` (or a number of seconds) as microseconds.

    Raises:
        ValueError: the text is not a duration.
    """
    if isinstance(text, bool):
        raise ValueError(f"not a duration: {text!r}")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"negative duration: {text!r}")
        return int(text * 1_000_000)
    compact = text.replace(" ", "")
    if not _DURATION.match(compact):
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 1h30m)")
    return sum(int(float(n) * _UNIT_US[unit]) for n, unit in _PART.findall(compact))


def event_time_us(event: dict[str, object]) -> int:
    """Event time of a ToolCallEvent dict: when its outcome was known (ended_at), else start."""
    moment = event.get("ended_at") or event["started_at"]
    if not isinstance(moment, datetime):
        raise TypeError("timestamps must be datetimes (convert canonical JSON at the edge)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # A double holds epoch microseconds exactly until 2255; round() removes the binary error.
    return round(moment.timestamp() * 1_000_000)
