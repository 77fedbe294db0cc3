"""JSON forms of buffered enriched events, for state snapshots."""

from __future__ import annotations

from typing import Any

import orjson

from tooltrail.canonical import canonical_json
from tooltrail.schemas.models import EnrichedToolCallEvent


def enriched_to_json(enriched: dict[str, Any]) -> Any:
    """The canonical-JSON value of an EnrichedToolCallEvent dict (timestamps as strings)."""
    return orjson.loads(canonical_json(enriched))


def enriched_from_json(data: Any) -> dict[str, Any]:
    """Back to the Avro dict form (aware datetimes), validating on the way."""
    return EnrichedToolCallEvent.model_validate(data).to_avro()
