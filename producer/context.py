"""Session context: set once, carried by contextvars across asyncio tasks and threads.

asyncio tasks copy the current context when they are created, so a session entered before
``asyncio.create_task`` / ``gather`` is seen inside the tasks. Plain threads do NOT inherit
contextvars: start them through :func:`wrap` (``threading.Thread(target=wrap(fn))``) or submit
work to a :class:`ContextThreadPoolExecutor`, which copies the submitter's context.
``asyncio.to_thread`` copies it too; ``loop.run_in_executor`` does not (wrap the function).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from tooltrail.producer.events import session_template

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class SessionContext:
    """Who is acting, for whom, in which session: stamped onto every event of the session."""

    session_id: str
    tenant_id: str = "default"
    agent_id: str = "agent"
    agent_name: str | None = None
    agent_version: str | None = None
    framework: str | None = None
    framework_version: str | None = None
    principal: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    credential_identity: str | None = None
    credential_scope: str | None = None
    # The agent record and the event template are built once per session, not once per
    # event (keys sorted: see tooltrail.producer.events).
    agent: dict[str, str | None] = field(init=False, repr=False, compare=False)
    credential: dict[str, str | None] | None = field(init=False, repr=False, compare=False)
    template: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "agent",
            {
                "framework": self.framework,
                "framework_version": self.framework_version,
                "id": self.agent_id,
                "name": self.agent_name,
                "version": self.agent_version,
            },
        )
        cred = None
        if self.credential_identity is not None or self.credential_scope is not None:
            cred = {"identity": self.credential_identity, "scope": self.credential_scope}
        object.__setattr__(self, "credential", cred)
        object.__setattr__(self, "template", session_template(self))


_current: contextvars.ContextVar[SessionContext | None] = contextvars.ContextVar(
    "tooltrail_session", default=None
)


def current_session() -> SessionContext | None:
    """The session of the calling task or thread, if one was entered."""
    return _current.get()


def set_session(ctx: SessionContext | None) -> contextvars.Token[SessionContext | None]:
    """Make ``ctx`` current; returns the token for :func:`reset_session`."""
    return _current.set(ctx)


def reset_session(token: contextvars.Token[SessionContext | None]) -> None:
    _current.reset(token)


def wrap(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` bound to a copy of the caller's context, for ``threading.Thread(target=...)``.

    Each call runs in its own copy, so the wrapped callable may run in several threads at once.
    """
    snapshot = contextvars.copy_context()

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return snapshot.copy().run(fn, *args, **kwargs)

    return run


def __getattr__(name: str) -> Any:
    # concurrent.futures is loaded only when the pool is asked for (import stays light).
    if name == "ContextThreadPoolExecutor":
        from tooltrail.producer.pool import ContextThreadPoolExecutor  # noqa: PLC0415

        return ContextThreadPoolExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
