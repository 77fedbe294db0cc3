"""The build report: which modules run as C extensions."""

from __future__ import annotations

import importlib.util

from tooltrail.native import compiled_modules


def test_every_reported_module_loads_from_its_extension() -> None:
    for name in compiled_modules():
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        assert spec.origin.endswith(".so"), (name, spec.origin)
