"""``tooltrail alerts``: consume the alerts topic (forward to a webhook, or print)."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import click


def alert_line(alert: dict[str, Any]) -> str:
    """One terminal line per alert."""
    from tooltrail.schemas import format_timestamp  # noqa: PLC0415

    return (
        f"{format_timestamp(alert['detected_at'])}  {str(alert['severity']).upper():8} "
        f"{alert['rule_id']:40} agent={alert['agent_id']} session={alert['session_id']}  "
        f"{alert['message']}"
    )


def _consumer(group: str, *, from_beginning: bool, topic: str | None) -> Any:
    import logging  # noqa: PLC0415

    from confluent_kafka import Consumer  # noqa: PLC0415

    from tooltrail.settings import Settings  # noqa: PLC0415
    from tooltrail.topics import ALERTS  # noqa: PLC0415

    consumer = Consumer(
        {
            "bootstrap.servers": Settings().bootstrap_servers,
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest" if from_beginning else "latest",
            "logger": logging.getLogger("tooltrail.alerts.consumer"),
        }
    )
    consumer.subscribe([topic or ALERTS])
    return consumer


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@click.group("alerts")
def alerts() -> None:
    """Consume tooltrail.alerts.v1: forward alerts to a webhook, or print them."""


@alerts.command("forward")
@click.option("--webhook", required=True, help="URL that receives one JSON POST per alert.")
@click.option("--group", default="tooltrail-alerts-forward", show_default=True,
              help="Consumer group: its committed offset is where a restart resumes.")  # fmt: skip
@click.option("--topic", default=None, help="Alerts topic (default tooltrail.alerts.v1).")
@click.option("--from-beginning/--from-latest", default=True, show_default=True,
              help="Where a new group starts.")  # fmt: skip
@click.option("--max-backoff", default=60.0, show_default=True, help="Longest retry wait (s).")
def forward(
    *, webhook: str, group: str, topic: str | None, from_beginning: bool, max_backoff: float
) -> None:
    """Post each alert to WEBHOOK as Slack-compatible JSON; never skip one.

    An alert's offset is committed only after the webhook answered 2xx; failures are
    retried with exponential backoff for as long as it takes. Stop with Ctrl-C or SIGTERM.
    """
    from tooltrail.stream_processors.workers.forwarder import (  # noqa: PLC0415
        AlertForwarder,
        Poster,
    )

    stop = _stop_on_signals()
    consumer = _consumer(group, from_beginning=from_beginning, topic=topic)
    poster = Poster(url=webhook)
    forwarder = AlertForwarder(
        consumer=consumer,
        post=poster,
        stop=stop,
        max_backoff=max_backoff,
        on_forward=lambda a: click.echo(f"forwarded {alert_line(a)}"),
    )
    try:
        forwarder.run()
    finally:
        consumer.close()
        poster.close()
    click.echo(
        f"forwarded {forwarder.forwarded} alerts ({forwarder.duplicates} duplicates dropped, "
        f"{forwarder.retries} retries)",
        err=True,
    )


@alerts.command("tail")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest alert.")
@click.option("--topic", default=None, help="Alerts topic (default tooltrail.alerts.v1).")
@click.option("--json", "as_json", is_flag=True, help="Canonical JSON, one alert per line.")
def tail(*, from_beginning: bool, topic: str | None, as_json: bool) -> None:
    """Print alerts as they arrive (a throwaway consumer group, nothing committed)."""
    import uuid  # noqa: PLC0415

    from tooltrail.errors import DecodeError  # noqa: PLC0415
    from tooltrail.schemas import ALERT, Decoder, canonical_json  # noqa: PLC0415

    stop = _stop_on_signals()
    consumer = _consumer(
        f"tooltrail-alerts-tail-{uuid.uuid4().hex[:8]}", from_beginning=from_beginning, topic=topic
    )
    decoder = Decoder(expect=ALERT)
    try:
        while not stop.is_set():
            msg = consumer.poll(0.5)
            if msg is None or msg.error() is not None:
                continue
            try:
                alert = decoder.decode(msg.value() or b"").record
            except DecodeError as exc:
                click.echo(f"undecodable record at offset {msg.offset()}: {exc}", err=True)
                continue
            line = canonical_json(alert).decode() if as_json else alert_line(alert)
            click.echo(line)
            sys.stdout.flush()
    finally:
        consumer.close()
