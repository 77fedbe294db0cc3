"""Canonical JSON is byte-stable: it is what the hash chain hashes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tooltrail.schemas import ToolCallEvent, canonical_json, format_timestamp, parse_timestamp


def test_keys_are_sorted_at_every_level_and_there_is_no_whitespace(event: ToolCallEvent) -> None:
    text = canonical_json(event).decode()
    assert " " not in text.replace("clean up — ünïcode", "").replace("denied by policy p-9", "")

    def check(node: object) -> None:
        if isinstance(node, dict):
            assert list(node) == sorted(node)
            for value in node.values():
                check(value)
        elif isinstance(node, list):
            for value in node:
                check(value)

    check(json.loads(text))


def test_same_record_in_any_key_order_gives_the_same_bytes(event: ToolCallEvent) -> None:
    record = event.to_avro()
    reordered = dict(reversed(list(record.items())))
    assert canonical_json(record) == canonical_json(reordered) == canonical_json(event)


def test_timestamps_are_utc_with_six_fraction_digits() -> None:
    whole = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert canonical_json({"t": whole}) == b'{"t":"2026-01-02T03:04:05.000000Z"}'
    paris = datetime(2026, 1, 2, 4, 4, 5, 7, tzinfo=timezone(timedelta(hours=1)))
    assert format_timestamp(paris) == "2026-01-02T03:04:05.000007Z"
    naive = datetime(2026, 1, 2, 3, 4, 5)
    assert format_timestamp(naive) == "2026-01-02T03:04:05.000000Z"


def test_years_before_1000_are_padded_to_four_digits() -> None:
    assert format_timestamp(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000000Z"


def test_timestamps_parse_back_exactly() -> None:
    t = datetime(2026, 12, 4, 15, 0, 0, 123456, tzinfo=UTC)
    assert parse_timestamp(format_timestamp(t)) == t
    assert parse_timestamp("2026-12-04T16:00:00.123456+01:00") == t


def test_bytes_are_base64_and_unicode_is_kept_as_utf8() -> None:
    assert canonical_json({"b": b"\x00\xff"}) == b'{"b":"AP8="}'
    assert canonical_json({"s": "ünï"}) == '{"s":"ünï"}'.encode()


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


def test_a_changed_field_changes_the_bytes(event: ToolCallEvent) -> None:
    changed = event.model_copy(update={"seq": event.seq + 1})
    assert canonical_json(changed) != canonical_json(event)
