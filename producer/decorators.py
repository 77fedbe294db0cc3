"""Decorating tool functions (sync and async) so each call is captured.

The auditor is resolved when the tool is *called*, so tools can be decorated at import time,
before :func:`tooltrail.producer.configure` runs; with no auditor the tool runs unaudited.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from tooltrail.producer.capture import ArgumentBinder, AuditedTool, Auditor
from tooltrail.producer.policy import ToolPolicy

F = TypeVar("F", bound=Callable[..., Any])


def _argument_binder(fn: Callable[..., Any]) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    """A cheap args/kwargs -> {name: value} mapper (no ``Signature.bind`` on the hot path)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return lambda a, k: {"args": list(a), **k}
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    skip = 0
    if positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
        skip = 1
    return ArgumentBinder(positional, skip)


def audited(
    fn: F,
    get_auditor: Callable[[], Auditor | None],
    *,
    name: str | None = None,
    policy: ToolPolicy | None = None,
    tool_type: str | None = "function",
    server: str | None = None,
) -> F:
    """Wrap ``fn`` so each call is captured by ``get_auditor()`` (resolved at call time)."""
    tool = AuditedTool(
        fn,
        name or fn.__name__,
        _argument_binder(fn),
        tool_type=tool_type,
        server=server,
        policy=policy,
    )

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            auditor = get_auditor()
            if auditor is None:
                return await fn(*args, **kwargs)
            call = tool.start(auditor, args, kwargs)
            try:
                result = await fn(*args, **kwargs)
            except BaseException as exc:
                call.finish(error=exc)
                raise
            call.finish(result=result)
            return result

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        auditor = get_auditor()
        if auditor is None:
            return fn(*args, **kwargs)
        return tool.run(auditor, args, kwargs)

    return wrapper  # type: ignore[return-value]
