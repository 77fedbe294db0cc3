"""Every embedded test case of the default rule pack, one pytest case each."""

from __future__ import annotations

import pytest

from tooltrail.stream_processors import default_catalog, default_rules
from tooltrail.stream_processors.detection.casetest import lint_rule, run_case

RULES = default_rules()
CASES = [(rule, case) for rule in RULES for case in rule.tests]


@pytest.mark.parametrize(
    ("rule", "case"), CASES, ids=[f"{r.id}::{c.get('name')}" for r, c in CASES]
)
def test_embedded_case(rule, case) -> None:
    result = run_case(rule, case, default_catalog())
    assert result.passed, f"{result.file}:{result.line}: {result.detail}"


def test_pack_size_and_lint() -> None:
    assert len(RULES) >= 20
    assert len({r.id for r in RULES}) == len(RULES)
    problems = {r.id: lint_rule(r) for r in RULES if lint_rule(r)}
    assert problems == {}


def test_pack_covers_every_kind() -> None:
    assert {r.kind for r in RULES} == {"event", "sequence", "threshold", "cooccurrence"}
    steps = [s for r in RULES for s in r.steps]
    assert any(s.absent for s in steps), "at least one absence rule"
    assert any(r.until is not None for r in RULES)


def test_a_failing_case_is_reported() -> None:
    rule = next(r for r in RULES if r.id == "TT-SEQ-001")
    case = {"name": "wrong", "events": [{"tool": "login", "outcome": "denied"}], "expect": [[0]]}
    result = run_case(rule, case, default_catalog())
    assert not result.passed
    assert "expected alerts on events [[0]], got []" in result.detail
