"""Which tooltrail modules run compiled (mypyc C extensions) in this installation.

A wheel built by setup.py compiles the processors' per-record modules; an editable install,
``TOOLTRAIL_PURE=1`` or a machine without a C compiler gives pure Python that behaves the
same, only slower. Benchmarks record which one they measured; ``tooltrail --version`` says it.
"""

from __future__ import annotations

from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path


def compiled_modules() -> list[str]:
    """Dotted names of the tooltrail modules installed as C extensions, sorted."""
    root = Path(__file__).parent
    found = []
    for path in root.rglob("*.so"):
        for suffix in EXTENSION_SUFFIXES:
            if path.name.endswith(suffix):
                parts = path.relative_to(root).with_name(path.name[: -len(suffix)]).parts
                found.append(".".join(("tooltrail", *parts)))
                break
    return sorted(found)


def build_kind() -> str:
    """``"compiled (N modules)"`` or ``"pure Python"``."""
    count = len(compiled_modules())
    return f"compiled ({count} modules)" if count else "pure Python"
