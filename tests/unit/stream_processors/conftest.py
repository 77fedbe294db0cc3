"""Fixtures for the pure enrichment and detection tests: ``sp`` bundles event helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tooltrail.stream_processors import Enricher, default_catalog
from tooltrail.stream_processors.events import make_event

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def event(
    seq: int, tool: str | None, *, at: float, session: str = "s1", **kw: Any
) -> dict[str, Any]:
    """A ToolCallEvent dict ``at`` seconds after T0."""
    return make_event(
        session_id=session,
        seq=seq,
        started_at=T0 + timedelta(seconds=at),
        duration_us=None,
        tool=tool,
        event_id=kw.pop("event_id", f"{session}-{seq}"),
        **kw,
    )


def new_enricher() -> Enricher:
    return Enricher(catalog=default_catalog(), clock=lambda: T0)


def enrich_all(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    enricher = new_enricher()
    return [enricher.enrich(e) for e in events]


@pytest.fixture(scope="session")
def sp() -> SimpleNamespace:
    """``sp.T0``, ``sp.event(seq, tool, at=...)``, ``sp.enrich_all()``, ``sp.new_enricher()``."""
    return SimpleNamespace(T0=T0, event=event, enrich_all=enrich_all, new_enricher=new_enricher)
