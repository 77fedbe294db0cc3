"""One context-manager protocol for every client: ``with client: ...`` closes it.

Every tooltrail client has ``flush(timeout)`` and ``close()`` (OpenTelemetry's
``force_flush`` / ``shutdown``); subclassing :class:`Closing` makes it a context manager
without repeating ``__enter__`` / ``__exit__`` in each.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """Mixin: ``__enter__`` returns the object, ``__exit__`` calls ``close()``."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
