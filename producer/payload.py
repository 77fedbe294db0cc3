"""What of a call goes into its event: arguments, result, error and the "why".

Content is redacted and size-capped per the tool's capture level; raw values are kept only
as keyed hashes. The "why" of the current LLM turn is carried by a contextvar, set with
:func:`reasoning` (for instance from a framework's LLM-end callback).
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from tooltrail.producer.policy import ToolPolicy
from tooltrail.producer.redaction import Redactor, cap_bytes, cap_json, raw_bytes

MAX_ERROR_CHARS = 1024

_why: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "tooltrail_why", default=None
)


@contextlib.contextmanager
def reasoning(**why: Any) -> Iterator[None]:
    """Attach the "why" (model, generation_id, prompt, response, prompt_sha256,
    response_sha256, reasoning) to every tool call made inside the block."""
    token = _why.set(why)
    try:
        yield
    finally:
        _why.reset(token)


def current_why() -> Mapping[str, Any] | None:
    return _why.get()


def outcome_of(exc: BaseException) -> str:
    """cancelled / timeout / error, from the exception that ended a call."""
    # asyncio is looked up, not imported: if it was never imported, nothing was cancelled by it
    aio = sys.modules.get("asyncio")
    if isinstance(exc, KeyboardInterrupt | SystemExit) or (
        aio is not None and isinstance(exc, aio.CancelledError)
    ):
        return "cancelled"
    if isinstance(exc, TimeoutError):
        return "timeout"
    return "error"


def _content(r: Redactor, value: Any, raw: bytes, *, path: str, max_bytes: int, found: Any) -> str:
    """The redacted, capped JSON of ``value`` (``raw``: its canonical JSON, already made).

    Fast path: when nothing would be redacted (:meth:`Redactor.is_clean`), the raw JSON is
    the redacted JSON, so it is neither walked into a copy nor serialized a second time.
    """
    if r.is_clean(value):
        return cap_bytes(raw, path=path, max_bytes=max_bytes, found=found)
    return cap_json(r.redact(value, path, found), path=path, max_bytes=max_bytes, found=found)


def capture_arguments(event: dict[str, Any], pol: ToolPolicy, r: Redactor, arguments: Any) -> None:
    level = pol.level
    if level == "none" or arguments is None:
        return
    raw = raw_bytes(arguments)
    event["arguments_sha256"] = r.keyed_hash(raw)
    if level != "metadata":
        event["arguments"] = _content(
            r,
            arguments,
            raw,
            path="arguments",
            max_bytes=pol.max_argument_bytes,
            found=event["redactions"],
        )


def capture_result(event: dict[str, Any], pol: ToolPolicy, r: Redactor, result: Any) -> None:
    if result is None or pol.level == "none":
        return
    raw = raw_bytes(result)
    event["result_sha256"] = r.keyed_hash(raw)
    if pol.level == "request_response":
        event["result"] = _content(
            r, result, raw, path="result", max_bytes=pol.max_result_bytes, found=event["redactions"]
        )


def capture_error(
    event: dict[str, Any], r: Redactor, error: BaseException, outcome: str | None
) -> None:
    event["outcome"] = outcome or outcome_of(error)
    event["error_type"] = type(error).__qualname__
    msg = r.redact_text(str(error)[: MAX_ERROR_CHARS + 8192], "error_message", event["redactions"])
    event["error_message"] = msg[:MAX_ERROR_CHARS]


def capture_why(
    event: dict[str, Any], r: Redactor, why: Mapping[str, Any] | None, *, max_chars: int
) -> None:
    if not why:
        return
    excerpt = why.get("reasoning")
    if excerpt is not None:
        # Redact before cutting (a cut through a secret would hide it from the detectors),
        # on a bounded prefix long enough to hold any whole secret past the cut.
        text = r.redact_text(str(excerpt)[: max_chars + 8192], "why", event["redactions"])
        excerpt = text[:max_chars]
    prompt, response = why.get("prompt"), why.get("response")
    event["why"] = {  # keys sorted (events are serialized unsorted: see events.py)
        "generation_id": why.get("generation_id"),
        "model": why.get("model"),
        "prompt_sha256": why.get("prompt_sha256")
        or (r.keyed_hash(raw_bytes(prompt)) if prompt is not None else None),
        "reasoning_excerpt": excerpt,
        "response_sha256": why.get("response_sha256")
        or (r.keyed_hash(raw_bytes(response)) if response is not None else None),
    }
