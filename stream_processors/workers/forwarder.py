"""Forward alerts from the alerts topic to a webhook (Slack-compatible JSON), never skipping one.

For each alert, in partition order: build the message, POST it, retry with exponential
backoff until the webhook answers 2xx (forever, unless told to stop), and only then commit
the consumer offset. A forwarder killed at any point re-sends at most the alert in flight;
a re-delivered alert id seen recently is not posted twice.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_when_event_set,
    wait_exponential,
)

from tooltrail.closing import Closing
from tooltrail.errors import DecodeError, ServiceError
from tooltrail.schemas import ALERT, Decoder, format_timestamp

log = logging.getLogger(__name__)

_EMOJI = {
    "critical": ":rotating_light:",
    "high": ":red_circle:",
    "medium": ":large_orange_circle:",
    "low": ":large_yellow_circle:",
    "info": ":information_source:",
}


class WebhookError(ServiceError):
    """The webhook did not answer 2xx (retried)."""


def slack_message(alert: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook payload (``text`` + ``blocks``) for one Alert dict."""
    severity = str(alert["severity"])
    head = f"{_EMOJI.get(severity, '')} [{severity.upper()}] {alert['rule_name']}".strip()
    fields = [
        ("Rule", f"`{alert['rule_id']}` ({alert['kind']})"),
        ("Agent", str(alert["agent_id"])),
        ("Session", str(alert["session_id"])),
        ("Principal", str(alert.get("principal") or "-")),
        ("Tenant", str(alert["tenant_id"])),
        ("Risk", str(alert.get("risk_score", 0))),
        ("Events", ", ".join(alert["event_ids"][:5]) or "-"),
        ("Detected", format_timestamp(alert["detected_at"])),
    ]
    return {
        "text": f"{head}: {alert['message']}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": head[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": str(alert["message"])[:2900]}},
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields],
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"alert_id `{alert['alert_id']}`"}],
            },
        ],
        "alert": {
            "alert_id": alert["alert_id"],
            "rule_id": alert["rule_id"],
            "severity": severity,
            "session_id": alert["session_id"],
        },
    }


def undecodable_message(
    topic: str, partition: int, offset: int, error: DecodeError
) -> dict[str, Any]:
    """What is posted for a record of the alerts topic that is not an Alert: never skipped."""
    where = f"{topic}[{partition}]@{offset}"
    return {"text": f":warning: undecodable record on the alerts topic at {where}: {error}"}


class Poster(Closing):
    """POSTs JSON to a webhook; raises :class:`WebhookError` unless the answer is 2xx."""

    def __init__(self, *, url: str, client: httpx.Client | None = None, timeout: float = 10.0):
        self.url = url
        self.client = client if client is not None else httpx.Client(timeout=timeout)

    def __call__(self, payload: dict[str, Any]) -> None:
        try:
            response = self.client.post(self.url, json=payload)
        except httpx.HTTPError as exc:
            raise WebhookError(f"POST {self.url} failed: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise WebhookError(f"POST {self.url} answered {response.status_code}")

    def flush(self, timeout: float = 10.0) -> int:
        """Nothing is buffered: every post is synchronous."""
        return 0

    def close(self) -> None:
        self.client.close()


class AlertForwarder:
    """Consume the alerts topic and post every alert, committing only after a 2xx.

    Args:
        consumer: a confluent-kafka ``Consumer`` (``enable.auto.commit`` false) subscribed to
            the alerts topic.
        post: sends one payload; raises on failure (a :class:`Poster` for a webhook).
        stop: set it to make :meth:`run` return (also ends a retry loop).
        max_backoff: the longest wait between two attempts, in seconds.
        on_forward: called with each alert after it was posted (printing, tests).
    """

    def __init__(
        self,
        *,
        consumer: Any,
        post: Callable[[dict[str, Any]], None],
        stop: threading.Event | None = None,
        max_backoff: float = 60.0,
        on_forward: Callable[[dict[str, Any]], None] | None = None,
        remember: int = 10_000,
    ) -> None:
        self.consumer = consumer
        self.post = post
        self.stop = stop if stop is not None else threading.Event()
        self.max_backoff = max_backoff
        self.on_forward = on_forward
        self.decoder = Decoder(expect=ALERT)
        self.forwarded = 0
        self.duplicates = 0
        self.retries = 0
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def run(self, *, limit: int | None = None, idle_timeout: float | None = None) -> int:
        """Forward until stopped (or ``limit`` alerts, or ``idle_timeout`` s without one)."""
        idle = 0.0
        while not self.stop.is_set() and (limit is None or self.forwarded < limit):
            msg = self.consumer.poll(0.5)
            if msg is None:
                idle += 0.5
                if idle_timeout is not None and idle >= idle_timeout:
                    break
                continue
            if msg.error() is not None:
                log.warning("consumer error: %s", msg.error())
                continue
            idle = 0.0
            if not self._handle(msg):
                break  # stopped while retrying: the offset stays uncommitted
            self.consumer.commit(message=msg, asynchronous=False)
        return self.forwarded

    def _handle(self, msg: Any) -> bool:
        alert: dict[str, Any] | None = None
        try:
            decoded = self.decoder.decode(msg.value() or b"").record
        except DecodeError as exc:
            payload = undecodable_message(msg.topic(), msg.partition(), msg.offset(), exc)
        else:
            if decoded["alert_id"] in self._recent:
                self.duplicates += 1
                return True
            alert = decoded
            payload = slack_message(decoded)
        if not self._post_until_accepted(payload):
            return False
        self.forwarded += 1
        if alert is not None:
            self._recent[alert["alert_id"]] = None
            if len(self._recent) > self._remember:
                self._recent.popitem(last=False)
            if self.on_forward is not None:
                self.on_forward(alert)
        return True

    def _sleep(self, seconds: float) -> None:
        self.stop.wait(seconds)  # wakes up at once when stopped

    def _post_until_accepted(self, payload: dict[str, Any]) -> bool:
        def before_sleep(state: RetryCallState) -> None:
            self.retries += 1
            outcome = state.outcome
            error = outcome.exception() if outcome is not None else None
            log.warning("webhook attempt %d failed (%s); retrying", state.attempt_number, error)

        retrying = Retrying(
            retry=retry_if_exception_type(WebhookError),
            wait=wait_exponential(multiplier=0.2, max=self.max_backoff),
            stop=stop_when_event_set(self.stop),
            before_sleep=before_sleep,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            retrying(self.post, payload)
        except WebhookError:
            return False  # only when stopped: the alert will be sent by the next run
        return True
