"""Invalid rules fail at load with the file, the line and the reason."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tooltrail.errors import RuleError
from tooltrail.stream_processors import load_catalog, load_rules, load_rules_text

VALID = """\
rules:
  - id: R1
    name: r1
    kind: sequence
    within: 5m
    steps:
      - where: {category: auth}
      - where: {category: write}
"""


def _error(text: str, tmp_path: Path, name: str = "bad.yaml") -> RuleError:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    with pytest.raises(RuleError) as info:
        load_rules([path])
    err = info.value
    assert err.file == str(path)
    assert str(path) in str(err)
    return err


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (VALID.replace("{category: write}", "{categry: write}"), 8, "unknown field 'categry'"),
        (VALID.replace("{category: write}", "{category: {like: w}}"), 8, "unknown operator 'like'"),
        (VALID.replace("    within: 5m\n", ""), 2, "a sequence rule needs 'within'"),
        (VALID.replace("kind: sequence", "kind: seq"), 4, "kind must be one of"),
        (VALID.replace("{category: write}", "{tool: {regex: '(unclosed'}}"), 8, "invalid pattern"),
        (VALID.replace("{category: write}", "{macro: nope}"), 8, "unknown macro 'nope'"),
        (VALID.replace("within: 5m", "within: soon"), 5, "not a duration"),
        (
            VALID.replace("    name: r1\n", "    name: r1\n    name: r2\n"),
            4,
            "duplicate key 'name'",
        ),
        (VALID + "    message: 'x {nothing}'\n", 9, "unknown placeholder {nothing}"),
        (VALID + "    colour: red\n", 9, "unknown rule key 'colour'"),
        (VALID.replace("      - where: {category: write}\n", ""), 6, "at least two steps"),
        (VALID.replace("{category: write}", "{category: write]"), 8, "invalid YAML"),
        (
            VALID.replace("{category: write}", "{duration_us: {gt: fast}}"),
            8,
            "operand must be a number",
        ),
    ],
    ids=[
        "unknown-field",
        "unknown-operator",
        "missing-within",
        "bad-kind",
        "bad-regex",
        "unknown-macro",
        "bad-duration",
        "duplicate-key",
        "unknown-placeholder",
        "unknown-key",
        "one-step",
        "yaml-syntax",
        "non-numeric-comparison",
    ],
)
def test_invalid_rule_names_file_line_reason(
    text: str, line: int, reason: str, tmp_path: Path
) -> None:
    err = _error(text, tmp_path)
    assert reason in err.reason, err.reason
    assert err.line == line, f"{err} (expected line {line})"


def test_absent_only_sequence_is_rejected() -> None:
    text = VALID.replace(
        "- where: {category: write}", "- where: {category: write}\n        absent: true"
    )
    text = text.replace(
        "- where: {category: auth}", "- where: {category: auth}\n        absent: true"
    )
    with pytest.raises(RuleError, match="at least one step that is not absent"):
        load_rules_text(text)


def test_duplicate_rule_id_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text(VALID)
    with pytest.raises(RuleError) as info:
        load_rules([tmp_path])
    assert info.value.file == str(tmp_path / "b.yaml")
    assert "R1 is already defined in" in info.value.reason
    assert info.value.line == 2


def test_macros_and_lists_are_shared_across_files(tmp_path: Path) -> None:
    (tmp_path / "a_shared.yaml").write_text(
        "lists:\n  writers: [write_file]\nmacros:\n  writes: {tool: {in_list: writers}}\n"
    )
    (tmp_path / "b.yaml").write_text(VALID.replace("{category: write}", "{macro: writes}"))
    rules = load_rules([tmp_path])
    assert [r.id for r in rules] == ["R1"]


def test_self_referencing_macro(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("macros:\n  loop: {macro: loop}\n")
    with pytest.raises(RuleError, match="refers to itself"):
        load_rules([tmp_path])


def test_missing_path() -> None:
    with pytest.raises(RuleError, match="no such rule file"):
        load_rules(["/nonexistent/rules"])


def test_invalid_catalog_names_line(tmp_path: Path) -> None:
    path = tmp_path / "cat.yaml"
    path.write_text(
        "tools:\n  - {match: read_file, category: read}\n  - {match: x, category: teleport}\n"
    )
    with pytest.raises(RuleError) as info:
        load_catalog(path)
    assert info.value.file == str(path)
    assert info.value.line == 3
    assert "unknown category 'teleport'" in info.value.reason
