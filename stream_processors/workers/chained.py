"""Synthetic sessions with real hash chains, for the processors' tests and benchmark.

``tooltrail.stream_processors.synthetic`` yields valid events without chain links; this
wraps it so every session opens with a ``session_start`` marker and every event is sealed
by the producer's :class:`SessionChain` (seq, prev_hash, event_hash), as a real agent's are.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from tooltrail.producer.chain import INTEGRITY_FIELDS, SessionChain
from tooltrail.stream_processors.events import make_event
from tooltrail.stream_processors.synthetic import generate


def chained_events(
    *, every: timedelta | None = None, **generate_args: Any
) -> Iterator[dict[str, Any]]:
    """Events of :func:`synthetic.generate` (same arguments), chained per session.

    With ``every``, the n-th event yielded starts at ``start + n * every`` (markers
    included, set before sealing), for streams replayed on a wall-clock schedule.
    """
    chains: dict[str, SessionChain] = {}
    count = 0

    def seal(chain: SessionChain, event: dict[str, Any]) -> dict[str, Any]:
        nonlocal count
        if every is not None:
            first: datetime = generate_args["start"]
            event["started_at"] = first + count * every
            event["ended_at"] = None
        count += 1
        for name in INTEGRITY_FIELDS:
            event.pop(name, None)
        return chain.seal(event)

    for event in generate(**generate_args):
        sid = event["session_id"]
        chain = chains.get(sid)
        if chain is None:
            chain = chains[sid] = SessionChain(session_id=sid)
            start = make_event(
                session_id=sid,
                seq=1,
                started_at=event["started_at"] - timedelta(microseconds=1),
                tool=None,
                outcome=None,
                kind="session_start",
                agent_id=event["agent"]["id"],
                principal=event["principal"],
                duration_us=None,
                with_hash=False,
            )
            yield seal(chain, start)
        if event["kind"] == "session_end":
            del chains[sid]
        yield seal(chain, event)
