"""The per-session hash chain: ``seq``, ``prev_hash``, ``event_hash`` and the signature.

``event_hash`` is the SHA-256 hex digest of :func:`tooltrail.schemas.canonical_json` over the
event without its three integrity fields (``event_hash``, ``signature``, ``key_id``). The
producer and every verifier must use :func:`compute_event_hash` so the two agree byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from tooltrail.producer.signing import Signer

INTEGRITY_FIELDS = frozenset({"event_hash", "signature", "key_id"})
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def _default(value: Any) -> Any:
    # Same output as tooltrail.schemas.canonical (a test holds them equal), without strftime,
    # which costs microseconds per timestamp on the hot path.
    if isinstance(value, datetime):
        d = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return (
            f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:"
            f"{d.second:02d}.{d.microsecond:06d}Z"
        )
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"type {type(value).__name__} has no canonical JSON form")


def canonical_json(record: Mapping[str, Any]) -> bytes:
    """Byte-identical to :func:`tooltrail.schemas.canonical_json` for Avro dicts, faster."""
    return orjson.dumps(record, default=_default, option=_OPTIONS)


def compute_event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 hex over the canonical JSON of ``event`` minus the integrity fields."""
    if INTEGRITY_FIELDS.isdisjoint(event):
        body: Mapping[str, Any] = event
    else:
        body = {k: v for k, v in event.items() if k not in INTEGRITY_FIELDS}
    return hashlib.sha256(canonical_json(body)).hexdigest()


class SessionChain:
    """Hands out ``seq`` and ``prev_hash`` for one session and seals events.

    Not thread-safe on its own: the capture layer holds the session's lock around
    :meth:`seal` so that seq order, hash order and publish order are one order.
    """

    __slots__ = ("last_hash", "last_seq", "session_id")

    def __init__(self, *, session_id: str, last_seq: int = 0, last_hash: str | None = None) -> None:
        self.session_id = session_id
        self.last_seq = last_seq
        self.last_hash = last_hash

    def seal(self, event: dict[str, Any], signer: Signer | None = None) -> dict[str, Any]:
        """Stamp ``seq``, ``prev_hash``, ``event_hash`` (and signature) onto ``event`` in place.

        ``event`` must not yet hold the integrity fields; it gains them here.
        """
        self.last_seq += 1
        event["seq"] = self.last_seq
        event["prev_hash"] = self.last_hash
        digest = hashlib.sha256(canonical_json(event)).hexdigest()
        event["event_hash"] = digest
        if signer is not None:
            event["signature"] = signer.sign(digest)
            event["key_id"] = signer.key_id
        else:
            event["signature"] = None
            event["key_id"] = None
        self.last_hash = digest
        return event
