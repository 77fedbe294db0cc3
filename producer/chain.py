"""The per-session hash chain: ``seq``, ``prev_hash``, ``event_hash`` and the signature.

``event_hash`` is the SHA-256 hex digest of :func:`tooltrail.canonical.canonical_json` over the
event without its three integrity fields (``event_hash``, ``signature``, ``key_id``). The
producer and every verifier must use :func:`compute_event_hash` so the two agree byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from tooltrail.canonical import _default as canonical_default
from tooltrail.canonical import format_timestamp
from tooltrail.producer.percall import sha256_hex
from tooltrail.producer.signing import Signer

INTEGRITY_FIELDS = frozenset({"event_hash", "signature", "key_id"})
_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME  # canonical_json's options
_BODY_SIZE = 30  # ToolCallEvent fields minus the integrity ones (events.BODY_FIELDS)


def _plain_utc(value: Any) -> bool:
    return (
        value.__class__ is datetime
        and value.tzinfo is UTC
        and value.microsecond != 0
        and value.year >= 1000
    )


def _ts_text(value: datetime) -> str:
    """The canonical text of a timestamp (orjson's native output where that is the same)."""
    if _plain_utc(value):
        return orjson.dumps(value, option=orjson.OPT_UTC_Z)[1:-1].decode()
    return format_timestamp(value)


def _body_bytes(body: dict[str, Any]) -> bytes:
    """:func:`canonical_json` of ``body``, a private copy that may be changed here.

    The two timestamp fields are rendered up front (cheaply, see :func:`_ts_text`); any other
    datetime, at any depth, still goes through canonical_json's own callback, so the bytes are
    canonical_json's in every case.
    """
    for name in ("started_at", "ended_at"):
        value = body.get(name)
        if value.__class__ is datetime:
            body[name] = _ts_text(value)
    return orjson.dumps(body, default=canonical_default, option=_CANONICAL)


def event_bytes(event: Mapping[str, Any]) -> bytes:
    """The canonical JSON of a ToolCallEvent dict, equal to :func:`canonical_json`."""
    return _body_bytes(dict(event))


def compute_event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 hex over the canonical JSON of ``event`` minus the integrity fields."""
    body = dict(event)
    for name in INTEGRITY_FIELDS:
        body.pop(name, None)
    return sha256_hex(_body_bytes(body))


class SessionChain:
    """Hands out ``seq`` and ``prev_hash`` for one session and seals events.

    Not thread-safe on its own: the capture layer holds the session's lock around
    :meth:`seal` so that seq order, hash order and publish order are one order.
    """

    __slots__ = ("last_body", "last_hash", "last_seq", "session_id")

    def __init__(self, *, session_id: str, last_seq: int = 0, last_hash: str | None = None) -> None:
        self.session_id = session_id
        self.last_seq = last_seq
        self.last_hash = last_hash
        self.last_body = b""  # canonical JSON of the last sealed event (spooled as is)

    def seal(
        self, event: dict[str, Any], signer: Signer | None = None, *, presorted: bool = False
    ) -> dict[str, Any]:
        """Stamp ``seq``, ``prev_hash``, ``event_hash`` (and signature) onto ``event`` in place.

        ``event`` must not yet hold the integrity fields; it gains them here. ``presorted``:
        the event was built by :func:`tooltrail.producer.events.new_event` (every dict in it
        has its keys in sorted order), so its canonical JSON is orjson's output without
        sorting; an event that gained a key, or whose timestamps orjson would not print in
        the canonical form, goes down the general path all the same.
        """
        self.last_seq += 1
        event["seq"] = self.last_seq
        event["prev_hash"] = self.last_hash
        ended = event.get("ended_at")
        if (
            presorted
            and len(event) == _BODY_SIZE
            and _plain_utc(event["started_at"])
            and (ended is None or _plain_utc(ended))
        ):
            body = orjson.dumps(event, option=orjson.OPT_UTC_Z)
        else:
            body = event_bytes(event)
        digest = sha256_hex(body)
        event["event_hash"] = digest
        if signer is not None:
            event["signature"] = signer.sign(digest)
            event["key_id"] = signer.key_id
        else:
            event["signature"] = None
            event["key_id"] = None
        self.last_hash = digest
        self.last_body = body
        return event
