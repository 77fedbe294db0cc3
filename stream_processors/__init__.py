"""Stream processors: pure enrichers and detection engine, thin Faust agents around them.

The pure API (no Faust import) is re-exported here; see ``stream_processors/README.md``.
"""

from tooltrail.stream_processors.detection import (
    DetectionEngine,
    Rule,
    default_rules,
    load_rules,
    load_rules_text,
)
from tooltrail.stream_processors.enrich import (
    Catalog,
    Enricher,
    default_catalog,
    load_catalog,
)

__all__ = [
    "Catalog",
    "DetectionEngine",
    "Enricher",
    "Rule",
    "default_catalog",
    "default_rules",
    "load_catalog",
    "load_rules",
    "load_rules_text",
]
