"""The state machine of each rule kind."""

from __future__ import annotations

from tooltrail.stream_processors.detection.matcher import EventMatcher, Matcher
from tooltrail.stream_processors.detection.sequence import SequenceMatcher
from tooltrail.stream_processors.detection.windows import CooccurrenceMatcher, ThresholdMatcher

MATCHERS: dict[str, type[Matcher]] = {
    "event": EventMatcher,
    "sequence": SequenceMatcher,
    "threshold": ThresholdMatcher,
    "cooccurrence": CooccurrenceMatcher,
}

__all__ = [
    "MATCHERS",
    "CooccurrenceMatcher",
    "EventMatcher",
    "Matcher",
    "SequenceMatcher",
    "ThresholdMatcher",
]
