"""The regex prefilter: same outcome as the regex on every text, and it does filter."""

from __future__ import annotations

import fnmatch
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tooltrail.stream_processors.detection.literals import guarded, required_literals

PATTERNS = [
    # The default pack's three regexes.
    r"(?i)(/var/log/|\baudit|cloudtrail|\.log\b|journalctl\s+--vacuum|history\s+-c|auditctl\s+-D)",
    r"(?i)(agents\.md|claude\.md|\.mcp\.json|\.cursorrules|system[_ -]?prompt|/hooks/"
    r"|settings\.json)",
    r"(?i)((curl|wget)[^|]*\|\s*(ba|z)?sh|base64\s+(-d|--decode)|\beval\b|python[23]?\s+-c)",
    r"^https?://",
    r"abc(?i:DEF)x",
    r"(?:abc)+xyz?",
    r"(?:abc)*",
    r"(?>atomic)|(?:other)",
    r"(?i)stra\u00dfe",
    r"(?i)kelvin|sign",
    fnmatch.translate("browser_*"),
]
# Text built from the patterns' own pieces so that matches are frequent, plus characters
# whose case folding differs from lower() (dotless i, long s, Kelvin sign, sharp s).
PIECES = [
    "/var/log/", "AUDIT", "aud\u0131t", "hi\u017ftory -c", "CloudTrail", "x.LOG ", "curl a | sh",
    "base64 -d", "EVAL", "python3 -c", "https://", "abcDEFx", "abcabcxy", "atomic", "other",
    "\u212aelvin", "STRASSE", "stra\u00dfe", "browser_go", " ", "a", "|", "\n",
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=8).map("".join)


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_prefilter_never_changes_the_outcome(pattern: str, text: str) -> None:
    rx = re.compile(pattern)
    for search in (rx.search, rx.match):
        assert (guarded(search, rx)(text) is None) == (search(text) is None)


def test_the_literals_are_the_required_ones() -> None:
    audit = required_literals(re.compile(PATTERNS[0]))
    assert audit is not None
    assert set(audit[0]) == {"/var/log/", "audit", "cloudtrail", ".log", "journalctl", "history"}
    assert audit[1] is True
    assert required_literals(re.compile(r"^https?://")) == (("http",), False)
    # Nothing certain: an optional group, a one-letter branch, short runs.
    for weak in (r"(?:abc)*", r"a|bcd", r"ab[cd]ef"):
        assert required_literals(re.compile(weak)) is None


def test_a_text_without_the_literals_skips_the_regex() -> None:
    rx = re.compile(PATTERNS[0])
    calls: list[str] = []

    def search(text: str) -> re.Match[str] | None:
        calls.append(text)
        return rx.search(text)

    test = guarded(search, rx)
    assert test('{"path": "/srv/app/notes.txt"}') is None
    assert calls == []
    assert test('{"path": "/VAR/LOG/auth.log"}') is not None
    # Not ASCII: the regex decides (the long s folds to s, which lower() does not do).
    assert test("hi\u017ftory -c") is not None
    assert len(calls) == 2
