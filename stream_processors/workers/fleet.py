"""A small fleet of agents for the demo: benign work plus attacks the default rules catch.

Every call goes through the producer library (:class:`tooltrail.producer.Auditor`), so
events carry real hash chains. One compromised pipe (:class:`TamperingPublisher`) rewrites
one event and loses another on the way, which the in-stream chain verification reports.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tooltrail.producer import Auditor, Publisher, uuid7
from tooltrail.producer.metrics import ProducerMetrics
from tooltrail.stream_processors.synthetic import SCENARIOS

Call = dict[str, Any]

AGENTS = (
    ("support-bot", "langchain", "alice@example.com"),
    ("code-assistant", "openai-agents", "bob@example.com"),
    ("finance-agent", "autogen", "carol@example.com"),
    ("research-crew", "crewai", "dave@example.com"),
    ("ops-mcp", "mcp", "erin@example.com"),
    ("sales-agent", "custom", "frank@example.com"),
)

BENIGN: tuple[Call, ...] = (
    {"tool": "read_file", "args": {"path": "/srv/app/README.md"}},
    {"tool": "search_docs", "args": {"q": "deploy steps"}},
    {"tool": "query_database", "args": {"sql": "select count(*) from orders"}},
    {"tool": "search_docs", "args": {"q": "python asyncio timeout"}},
    {"tool": "write_file", "args": {"path": "/srv/app/notes.txt"}},
    {"tool": "edit_file", "args": {"path": "/srv/app/src/main.py"}},
    {"tool": "list_files", "args": {"path": "/srv/app"}},
    {"tool": "calculator", "args": {"expr": "17*23"}},
    {"tool": "send_email", "args": {"to": "team@corp.example.com", "subject": "status"}},
    {"tool": "get_time"},
    {"tool": "memory_read", "args": {"key": "prefs"}},
)

# Attacks of the synthetic generator that the default rule pack detects.
ATTACKS = (
    "exfiltration",
    "trifecta",
    "credential_to_new_host",
    "untrusted_payment",
    "denial_probing",
    "bruteforce",
    "audit_tampering",
    "destructive_after_denial",
)


class ToolFailed(Exception):
    """Raised inside a demo call whose scripted outcome is an error."""


@dataclass(frozen=True)
class SessionPlan:
    session_id: str
    agent_id: str
    framework: str
    principal: str
    calls: list[Call]
    attack: str | None = None
    tampered: bool = False


def plan(*, sessions: int = 36, seed: int = 7) -> list[SessionPlan]:
    """Mostly benign sessions; each attack once; one session tampered with in transit."""
    rng = random.Random(seed)
    plans: list[SessionPlan] = []
    attacks = list(ATTACKS)
    for n in range(sessions):
        agent_id, framework, principal = AGENTS[n % len(AGENTS)]
        calls = [dict(c) for c in rng.choices(BENIGN, k=rng.randint(6, 14))]
        attack = attacks.pop(0) if n % 4 == 1 and attacks else None
        if attack is not None:
            at = rng.randint(1, len(calls) - 1)
            calls[at:at] = [dict(c) for c in SCENARIOS[attack]]
            if attack == "bruteforce":
                principal = "victim@example.com"
        plans.append(
            SessionPlan(
                session_id=uuid7(),
                agent_id=agent_id,
                framework=framework,
                principal=principal,
                calls=calls,
                attack=attack,
                tampered=n == 10,
            )
        )
    return plans


def play_call(auditor: Auditor, call: Call) -> None:
    """One tool call through the capture API, with its scripted outcome."""
    outcome = call.get("outcome", "success")
    if outcome == "denied":
        auditor.deny(call["tool"], arguments=call.get("args"), reason="policy")
        return
    try:
        with auditor.call(call["tool"], arguments=call.get("args")) as scope:
            if outcome == "error":
                raise ToolFailed(f"{call['tool']} failed")
            scope.result = call.get("result", {"ok": True})
    except ToolFailed:
        pass


class TamperingPublisher:
    """Passes events on, except that in tampered sessions it rewrites the 4th event after
    it was sealed and loses the 6th: what an attacker covering tracks would do."""

    def __init__(self, inner: Publisher, *, tampered: set[str]) -> None:
        self.inner = inner
        self.tampered = tampered
        self.metrics: ProducerMetrics = inner.metrics
        self.published = 0

    def publish(self, event: dict[str, Any], *, durable: bool = False) -> bool:
        self.published += 1
        if event["session_id"] in self.tampered:
            if event["seq"] == 4:
                event = dict(event, arguments='{"path": "/srv/app/innocent.txt"}')
            elif event["seq"] == 6:
                return True
        return self.inner.publish(event, durable=durable)

    def flush(self, timeout: float = 10.0) -> int:
        return self.inner.flush(timeout)

    def close(self, timeout: float = 10.0) -> None:
        self.inner.close(timeout)


def play(
    auditor: Auditor,
    plans: list[SessionPlan],
    *,
    pace: float = 0.0,
    on_session: Callable[[SessionPlan], None] | None = None,
) -> int:
    """Play every session (interleaving is not needed: sessions are independent keys)."""
    calls = 0
    for session in plans:
        if on_session is not None:
            on_session(session)
        with auditor.session(
            session_id=session.session_id,
            agent_id=session.agent_id,
            framework=session.framework,
            principal=session.principal,
        ):
            for call in session.calls:
                play_call(auditor, call)
                calls += 1
                if pace:
                    time.sleep(pace)
    return calls
