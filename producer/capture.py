"""The capture API: turn tool calls into hash-chained ToolCallEvents.

Three ways in, all ending in the same events:

* ``@auditor.tool()`` decorates sync and async tool functions;
* ``with auditor.call("name", arguments=...) as call:`` wraps one call;
* ``call = auditor.start(...)`` then ``call.finish(result=... | error=...)`` for frameworks
  that report the two ends separately; ``auditor.deny(...)`` records a refusal.

Recording never raises into the agent (failures are counted as drops and show as chain gaps)
and the tool's own exceptions propagate unchanged. The one deliberate exception is
:class:`~tooltrail.errors.AuditRequiredError`, raised *before* a ``fail_closed`` tool runs
when its ``started`` event cannot be made durable.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tooltrail.closing import Closing
from tooltrail.errors import AuditRequiredError
from tooltrail.producer.context import SessionContext, current_session, reset_session, set_session
from tooltrail.producer.emitter import Emitter
from tooltrail.producer.events import new_event, producer_info, tool_ref, ts_from_ns
from tooltrail.producer.payload import (
    capture_arguments,
    capture_error,
    capture_result,
    capture_why,
    current_why,
)
from tooltrail.producer.policy import CapturePolicy, ToolPolicy
from tooltrail.producer.publisher import Publisher
from tooltrail.producer.redaction import Redactor
from tooltrail.producer.signing import Signer
from tooltrail.producer.uuid7 import uuid7

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
_MISSING: Any = object()
_now = datetime.now
_perf_ns = time.perf_counter_ns
_MAX_TOOL_REFS = 4096


class ToolCall:
    """One call in flight; :meth:`finish` publishes its ``completed`` event once."""

    __slots__ = ("_auditor", "_done", "_event", "_policy", "_raw_result_hash", "_t0")

    def __init__(self, auditor: Auditor, event: dict[str, Any], policy: ToolPolicy) -> None:
        self._auditor = auditor
        self._event = event
        self._policy = policy
        self._t0 = _perf_ns()
        self._done = False

    @property
    def event_id(self) -> str:
        return str(self._event["event_id"])

    def finish(
        self,
        *,
        result: Any = _MISSING,
        error: BaseException | None = None,
        outcome: str | None = None,
    ) -> None:
        """Record the end: ``result`` on success, ``error`` on failure; ``outcome`` overrides."""
        if self._done:
            return
        self._done = True
        auditor = self._auditor
        try:
            # Auditor._complete, inlined: this runs once per tool call.
            event = self._event
            elapsed_us = (_perf_ns() - self._t0) // 1000
            event["duration_us"] = elapsed_us
            event["ended_at"] = event["started_at"] + timedelta(0, 0, elapsed_us)
            if error is not None:
                capture_error(event, auditor.redactor, error, outcome)
            else:
                event["outcome"] = outcome or "success"
                if result is not _MISSING:
                    capture_result(event, self._policy, auditor.redactor, result)
            if event["session_id"] != "unrecorded":
                auditor._emitter.emit(event)
        except Exception:  # recording must never break the agent
            auditor._lost("capture_error")
            log.exception("tooltrail: could not record the end of a tool call")


class Auditor(Closing):
    """Captures tool calls of the sessions in this process and publishes them.

    Args:
        publisher: where events go (``KafkaPublisher``, ``InMemoryPublisher``).
        policy: capture level / fail-closed per tool.
        redactor: secret removal and keyed hashing (its ``hash_key`` is the deployment key).
        signer: optional HMAC or Ed25519 signer of every event hash.
        default_session: identity for calls made outside any :meth:`session` block; a
            process-wide session is opened lazily with it (and closed by :meth:`close`).
        reasoning_max_chars: cap of the reasoning excerpt.
        offload: chain, encode and publish on a background thread so the tool call only
            pays for building the event; default: what the publisher prefers (Kafka
            ``memory`` mode). Order is kept: one queue, drained under the chain lock.
        max_pending: queued events beyond which each calling thread first publishes a
            bounded batch of the oldest itself (bounded memory and bounded delay, no drop).
    """

    def __init__(
        self,
        *,
        publisher: Publisher,
        policy: CapturePolicy | None = None,
        redactor: Redactor | None = None,
        signer: Signer | None = None,
        default_session: SessionContext | None = None,
        reasoning_max_chars: int = 1000,
        offload: bool | None = None,
        max_pending: int = 10_000,
    ) -> None:
        self.publisher = publisher
        self.policy = policy if policy is not None else CapturePolicy()
        self.redactor = redactor if redactor is not None else Redactor()
        self.signer = signer
        self.reasoning_max_chars = reasoning_max_chars
        self._default_template = default_session
        self._default: SessionContext | None = None
        self._lock = threading.Lock()
        self.closed = False
        self._emitter = Emitter(
            publisher=publisher,
            signer=signer,
            offload=(
                offload
                if offload is not None
                else bool(getattr(publisher, "prefers_offload", False))
            ),
            max_pending=max_pending,
            on_lost=self._lost,
        )
        # ToolRef records by (name, type, server, definition): shared by the events of a tool
        # (calls with a call_id get their own record).
        self._tool_refs: dict[tuple[str, str | None, str | None, str | None], Any] = {}
        producer_info()  # the sdk version lookup is paid here, not by the first call
        # Registered after the publisher's own hook, so it runs first (atexit is LIFO): queued
        # events are published before the publisher flushes and closes.
        self._atexit = _closer(weakref.ref(self))
        atexit.register(self._atexit)

    # -- sessions ------------------------------------------------------------------------

    @contextlib.contextmanager
    def session(
        self, *, session_id: str | None = None, **identity: Any
    ) -> Iterator[SessionContext]:
        """Open a session (``session_start`` marker), make it current, close it on exit.

        ``identity`` takes the :class:`SessionContext` fields (tenant_id, agent_id,
        principal, trace_id ...). Works in sync and async code; tasks created inside inherit it.
        """
        ctx = SessionContext(
            session_id=session_id or uuid7(), **{**self._identity_defaults(), **identity}
        )
        self.open_session(ctx)
        token = set_session(ctx)
        try:
            yield ctx
        finally:
            reset_session(token)
            self.close_session(ctx)

    def open_session(self, ctx: SessionContext) -> None:
        """Publish the ``session_start`` marker (seq 1) of ``ctx``."""
        self._marker(ctx, "session_start")

    def close_session(self, ctx: SessionContext) -> None:
        """Publish the ``session_end`` marker; its seq is the session's final seq."""
        self._marker(ctx, "session_end")

    def _marker(self, ctx: SessionContext, kind: str) -> None:
        now = _now(UTC)
        event = new_event(ctx, kind=kind, started_at=now, capture_level="none")
        event["ended_at"] = now
        self._emit(event)

    def _identity_defaults(self) -> dict[str, Any]:
        """The default session's identity (tenant, agent ...), inherited by new sessions."""
        t = self._default_template
        if t is None:
            return {}
        skip = ("agent", "credential", "session_id", "template")
        return {f: getattr(t, f) for f in t.__dataclass_fields__ if f not in skip}

    def _session(self) -> SessionContext:
        ctx = current_session()
        if ctx is not None:
            return ctx
        if self._default is None:
            with self._lock:
                if self._default is None:
                    t = self._default_template
                    sid = (t.session_id if t is not None else "") or uuid7()
                    created = SessionContext(session_id=sid, **self._identity_defaults())
                    self._default = created
            self.open_session(self._default)
        return self._default

    # -- calls ---------------------------------------------------------------------------

    def start(
        self,
        name: str,
        *,
        arguments: Any = None,
        call_id: str | None = None,
        tool_type: str | None = "function",
        server: str | None = None,
        definition_sha256: str | None = None,
        why: Mapping[str, Any] | None = None,
        policy: ToolPolicy | None = None,
    ) -> ToolCall:
        """Begin a call. Raises ``AuditRequiredError`` for a fail-closed tool that cannot be
        audited durably; otherwise never raises."""
        pol = policy if policy is not None else self.policy.for_tool(name)
        try:
            ctx = current_session() or self._session()
            if call_id is None:
                key = (name, tool_type, server, definition_sha256)
                t = self._tool_refs.get(key)
                if t is None:
                    t = tool_ref(
                        name, type=tool_type, server=server, definition_sha256=definition_sha256
                    )
                    if len(self._tool_refs) < _MAX_TOOL_REFS:
                        self._tool_refs[key] = t
            else:
                t = tool_ref(
                    name,
                    call_id=call_id,
                    type=tool_type,
                    server=server,
                    definition_sha256=definition_sha256,
                )
            event = new_event(ctx, started_at=_now(UTC), tool=t, capture_level=pol.level)
            if arguments is not None:
                capture_arguments(event, pol, self.redactor, arguments)
            if why is None:
                why = current_why()
            if why:
                capture_why(event, self.redactor, why, max_chars=self.reasoning_max_chars)
        except Exception:
            self._lost("capture_error")
            log.exception("tooltrail: could not record the start of tool %s", name)
            event = new_event(SessionContext(session_id="unrecorded"), started_at=ts_from_ns(0))
            return ToolCall(self, event, pol)
        if pol.fail_closed:
            # its own redactions list: the completed event's grows with the result's
            started = dict(event, event_id=uuid7(), stage="started")
            started["redactions"] = list(event["redactions"])
            if not self._emit(started, durable=True):
                raise AuditRequiredError(
                    f"tool {name!r} is fail-closed and its audit event could not be made durable",
                    code="audit_unavailable",
                )
        return ToolCall(self, event, pol)

    @contextlib.contextmanager
    def call(self, name: str, **kwargs: Any) -> Iterator[CallScope]:
        """Context manager around one call; set ``scope.result`` inside the block."""
        scope = CallScope(self.start(name, **kwargs))
        try:
            yield scope
        except BaseException as exc:
            scope.call.finish(error=exc)
            raise
        scope.call.finish(result=scope.result, outcome=scope.outcome)

    def decide(
        self,
        name: str,
        *,
        verdict: str,
        arguments: Any = None,
        policy_id: str | None = None,
        decided_by: str | None = None,
        reason: str | None = None,
        call_id: str | None = None,
    ) -> None:
        """Record a policy, guardrail or human decision about a call (stage ``decided``)."""
        try:
            ctx = self._session()
            pol = self.policy.for_tool(name)
            now = _now(UTC)
            event = new_event(
                ctx,
                started_at=now,
                tool=tool_ref(name, call_id=call_id),
                stage="decided",
                capture_level=pol.level,
                outcome="denied" if verdict == "deny" else None,
            )
            event["ended_at"] = now
            event["decision"] = {  # keys sorted (see events.py)
                "decided_by": decided_by,
                "policy_id": policy_id,
                "reason": reason,
                "verdict": verdict,
            }
            capture_arguments(event, pol, self.redactor, arguments)
            capture_why(event, self.redactor, current_why(), max_chars=self.reasoning_max_chars)
            self._emit(event)
        except Exception:
            self._lost("capture_error")
            log.exception("tooltrail: could not record a decision on tool %s", name)

    def deny(self, name: str, **kwargs: Any) -> None:
        """Record that a call was refused (outcome ``denied``); the tool does not run."""
        self.decide(name, verdict="deny", **kwargs)

    def tool(
        self,
        fn: F | None = None,
        *,
        name: str | None = None,
        policy: ToolPolicy | None = None,
        tool_type: str | None = "function",
        server: str | None = None,
    ) -> Any:
        """Decorator for sync or async tool functions: ``@auditor.tool`` or ``@auditor.tool()``."""

        from tooltrail.producer.decorators import audited  # noqa: PLC0415 - module cycle

        def decorate(func: F) -> F:
            return audited(
                func, lambda: self, name=name, policy=policy, tool_type=tool_type, server=server
            )

        return decorate(fn) if fn is not None else decorate

    # -- internals -----------------------------------------------------------------------

    def _emit(self, event: dict[str, Any], *, durable: bool = False) -> bool:
        return self._emitter.emit(event, durable=durable)

    def _lost(self, reason: str) -> None:
        with contextlib.suppress(Exception):
            self.publisher.metrics.dropped(reason, stage="capture")

    # -- lifecycle -----------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> int:
        """Publish queued events, then wait up to ``timeout`` s for delivery."""
        self._emitter.drain()
        return self.publisher.flush(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Close the default session (if opened), then flush and close the publisher."""
        if self.closed:
            return
        self.closed = True
        if self._default is not None:
            self.close_session(self._default)
        self._emitter.close()
        self.publisher.close(timeout)
        atexit.unregister(self._atexit)


class ArgumentBinder:
    """A decorated tool's ``(args, kwargs)`` as ``{name: value}`` (no ``Signature.bind``
    per call): positional values under their parameter names, extra ones under ``*args``,
    keyword arguments as given. ``skip``: a leading ``self`` / ``cls`` left out."""

    def __init__(self, positional: list[str], skip: int) -> None:
        self.positional = positional
        self.skip = skip
        self.n = len(positional)

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        skip, n, names = self.skip, self.n, self.positional
        given = len(args) - skip
        out: dict[str, Any] = {}
        for i in range(min(given, n)):
            out[names[i]] = args[skip + i]
        if given > n:
            out["*args"] = list(args[skip + n :])
        if kwargs:
            out.update(kwargs)
        return out


class AuditedTool:
    """A decorated tool: what its wrapper needs per call, fixed when decorating, and the
    call's two paths, compiled with the rest of the capture path (``decorators.audited``)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str,
        bind: Callable[[tuple[Any, ...], dict[str, Any]], Any],
        *,
        tool_type: str | None,
        server: str | None,
        policy: ToolPolicy | None,
    ) -> None:
        self.fn = fn
        self.name = name
        self.bind = bind
        self.tool_type = tool_type
        self.server = server
        self.policy = policy

    def start(self, auditor: Auditor, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ToolCall:
        """The start of one call (the sync and the async wrapper)."""
        return auditor.start(
            self.name,
            arguments=self.bind(args, kwargs),
            tool_type=self.tool_type,
            server=self.server,
            policy=self.policy,
        )

    def run(self, auditor: Auditor, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """One whole call of a sync tool: the tool's exception, if any, is recorded and
        raised on unchanged."""
        call = self.start(auditor, args, kwargs)
        try:
            result = self.fn(*args, **kwargs)
        except BaseException as exc:
            call.finish(error=exc)
            raise
        call.finish(result=result)
        return result


class CallScope:
    """What ``with auditor.call(...)`` yields: set ``result`` (and optionally ``outcome``)."""

    __slots__ = ("call", "outcome", "result")

    def __init__(self, call: ToolCall) -> None:
        self.call = call
        self.result: Any = _MISSING
        self.outcome: str | None = None


def _closer(ref: weakref.ref[Auditor]) -> Callable[[], None]:
    def close() -> None:
        auditor = ref()
        if auditor is not None:
            auditor.close(5.0)

    return close
