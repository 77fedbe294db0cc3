"""Pure detection: the YAML rule language, its compiler and the streaming engine."""

from tooltrail.stream_processors.detection.engine import BUFFER_PREFIX, DetectionEngine
from tooltrail.stream_processors.detection.loader import (
    default_rules,
    load_rules,
    load_rules_text,
    rule_files,
)
from tooltrail.stream_processors.detection.model import Rule

__all__ = [
    "BUFFER_PREFIX",
    "DetectionEngine",
    "Rule",
    "default_rules",
    "load_rules",
    "load_rules_text",
    "rule_files",
]
