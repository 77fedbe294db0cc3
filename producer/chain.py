"""The per-session hash chain: ``seq``, ``prev_hash``, ``event_hash`` and the signature.

``event_hash`` is the SHA-256 hex digest of :func:`tooltrail.canonical.canonical_json` over the
event without its three integrity fields (``event_hash``, ``signature``, ``key_id``). The
producer and every verifier must use :func:`compute_event_hash` so the two agree byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from tooltrail.canonical import canonical_json
from tooltrail.producer.signing import Signer

INTEGRITY_FIELDS = frozenset({"event_hash", "signature", "key_id"})
_NATIVE = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z
_BODY_SIZE = 30  # ToolCallEvent fields minus the integrity ones (events.BODY_FIELDS)


def _plain_utc(value: Any) -> bool:
    return (
        value.__class__ is datetime
        and value.tzinfo is UTC
        and value.microsecond != 0
        and value.year >= 1000
    )


def event_bytes(event: Mapping[str, Any]) -> bytes:
    """The canonical JSON of a ToolCallEvent dict, equal to :func:`canonical_json`.

    Fast path: when the only datetimes are ``started_at`` / ``ended_at`` in UTC with a
    non-zero microsecond, orjson's native RFC 3339 output (``...:07.000123Z``) is exactly
    the canonical form, and costs a third of a ``default=`` callback per timestamp.
    Any other top-level datetime sends it down the general path. Nested datetimes are
    not looked for: a ToolCallEvent has none (its records and maps hold strings).
    """
    started, ended = event.get("started_at"), event.get("ended_at")
    if _plain_utc(started) and (ended is None or _plain_utc(ended)):
        others = [v for v in event.values() if v.__class__ is datetime]
        if len(others) == (1 if ended is None else 2):
            try:
                return orjson.dumps(event, option=_NATIVE)
            except TypeError:
                pass
    return canonical_json(event)


def compute_event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 hex over the canonical JSON of ``event`` minus the integrity fields."""
    if INTEGRITY_FIELDS.isdisjoint(event):
        body: Mapping[str, Any] = event
    else:
        body = {k: v for k, v in event.items() if k not in INTEGRITY_FIELDS}
    return hashlib.sha256(event_bytes(body)).hexdigest()


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
        if presorted and len(event) == _BODY_SIZE:
            ended = event["ended_at"]
            if _plain_utc(event["started_at"]) and (ended is None or _plain_utc(ended)):
                body = orjson.dumps(event, option=orjson.OPT_UTC_Z)
            else:
                body = event_bytes(event)
        else:
            body = event_bytes(event)
        digest = hashlib.sha256(body).hexdigest()
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
