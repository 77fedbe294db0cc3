"""tooltrail: the behavioural audit trail for autonomous AI agents."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Looked up on first use: importlib.metadata costs tens of milliseconds, and agents
    # import tooltrail.producer into their own processes.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            return version("tooltrail")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0+unknown"
    raise AttributeError(f"module 'tooltrail' has no attribute {name!r}")
