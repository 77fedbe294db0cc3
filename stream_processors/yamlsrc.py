"""YAML loading that remembers where each value came from.

Rule and catalog files are written by people; an error must name the file and the line.
Mappings load as :class:`LocDict` and sequences as :class:`LocList`, which carry the line of
the node and of each key or item. Only YAML's safe types are constructed: nothing in a rule
file can run code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tooltrail.errors import RuleError


class LocDict(dict[str, Any]):
    """A mapping loaded from YAML, with its line and the line of each key (1-based)."""

    line: int | None = None
    file: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key, self.line)


class LocList(list[Any]):
    """A sequence loaded from YAML, with its line and the line of each item (1-based)."""

    line: int | None = None

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int | None:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences keep their source lines."""

    source_name: str = "<string>"


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocDict:
    loader.flatten_mapping(node)
    out = LocDict()
    out.line = node.start_mark.line + 1
    out.file = loader.source_name
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            # YAML 1.1 turns bare on/off/yes/no into booleans: name that mistake clearly.
            raise RuleError(
                f"mapping keys must be strings, got {key!r}", file=loader.source_name, line=line
            )
        if key in out:
            raise RuleError(f"duplicate key {key!r}", file=loader.source_name, line=line)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocList:
    out = LocList()
    out.line = node.start_mark.line + 1
    for item in node.value:
        out.append(loader.construct_object(item, deep=True))
        out.item_lines.append(item.start_mark.line + 1)
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(text: str, *, source: str = "<string>") -> Any:
    """Parse one YAML document; errors become :class:`RuleError` with file and line."""
    loader = _Loader(text)
    loader.source_name = source
    try:
        return loader.get_single_data()
    except RuleError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RuleError(f"invalid YAML: {exc.problem or exc}", file=source, line=line) from exc
    except yaml.YAMLError as exc:
        raise RuleError(f"invalid YAML: {exc}", file=source) from exc
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file, naming it in every error."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"cannot read file: {exc.strerror or exc}", file=str(p)) from exc
    return load_yaml(text, source=str(p))
