"""Loading rule sets from files, directories or the default pack shipped with tooltrail."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from tooltrail.errors import RuleError
from tooltrail.stream_processors.detection.model import Rule
from tooltrail.stream_processors.detection.parse import collect_shared, parse_rules
from tooltrail.stream_processors.yamlsrc import LocDict, load_yaml, load_yaml_file


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """Every ``*.yaml`` / ``*.yml`` file named or found (sorted) under the given paths."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        elif path.is_file():
            found.append(path)
        else:
            raise RuleError("no such rule file or directory", file=str(path))
    return found


def rules_from_documents(docs: list[tuple[str, Any]]) -> list[Rule]:
    """Compile loaded YAML documents (``(file name, document)``) into one rule set."""
    shared = collect_shared(docs)
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for file, doc in docs:
        assert isinstance(doc, LocDict)
        for rule in parse_rules(file, doc, shared):
            if rule.id in seen:
                raise RuleError(
                    f"rule id {rule.id} is already defined in {seen[rule.id]}",
                    file=file,
                    line=rule.line,
                )
            seen[rule.id] = f"{file}:{rule.line}"
            rules.append(rule)
    return rules


def load_rules(paths: Iterable[str | Path] | str | Path | None = None) -> list[Rule]:
    """Rules from files and directories, or the default pack when ``paths`` is None."""
    if paths is None:
        return default_rules()
    if isinstance(paths, str | Path):
        paths = [paths]
    files = rule_files(paths)
    if not files:
        raise RuleError("no rule files (*.yaml, *.yml) found", file=", ".join(map(str, paths)))
    return rules_from_documents([(str(f), load_yaml_file(f)) for f in files])


def load_rules_text(text: str, *, source: str = "<text>") -> list[Rule]:
    """Rules from one YAML text (handy in tests and for ad-hoc rules)."""
    return rules_from_documents([(source, load_yaml(text, source=source))])


def default_rule_documents() -> list[tuple[str, Any]]:
    """The loaded YAML of the default pack, file by file (treat the documents as read-only)."""
    return list(_default_documents())


@functools.cache
def _default_documents() -> tuple[tuple[str, Any], ...]:
    # Parsed once per process: YAML parsing is most of the cost of a rule set (a worker
    # builds one engine per partition), while compiling the documents is cheap and gives
    # every engine rules of its own.
    package = resources.files("tooltrail.stream_processors.rules")
    docs = []
    for entry in sorted(package.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            source = f"rules/{entry.name}"
            docs.append((source, load_yaml(entry.read_text(encoding="utf-8"), source=source)))
    return tuple(docs)


def default_rules() -> list[Rule]:
    """The default rule pack shipped with tooltrail (``stream_processors/rules/*.yaml``).

    Each call compiles new :class:`Rule` objects from YAML parsed once per process.
    """
    return rules_from_documents(default_rule_documents())
