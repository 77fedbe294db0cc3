"""A minimal consumer of tooltrail alerts: what an alerting or SOAR integration starts from.

Run it next to the pipeline (``make run`` in another terminal, or a real deployment)::

    python examples/alert_consumer.py                 # TOOLTRAIL_BOOTSTRAP_SERVERS or :9092
    python examples/alert_consumer.py --severity high # only high and critical

Each alert is decoded with the bundled Avro schemas (either wire framing), handled, and its
offset committed only afterwards: at-least-once. Alert ids are deterministic, so a
re-delivered alert is recognised and handled once.
"""

from __future__ import annotations

import argparse
import os
import signal
from collections import OrderedDict
from typing import Any

from confluent_kafka import Consumer

from tooltrail.errors import DecodeError
from tooltrail.schemas import ALERT, Decoder, format_timestamp

SEVERITIES = ["info", "low", "medium", "high", "critical"]


def handle(alert: dict[str, Any]) -> None:
    """Replace with your integration: open a ticket, page someone, quarantine the agent."""
    print(
        f"{format_timestamp(alert['detected_at'])} {alert['severity'].upper():8} "
        f"{alert['rule_id']} agent={alert['agent_id']} session={alert['session_id']}: "
        f"{alert['message']}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bootstrap", default=os.environ.get("TOOLTRAIL_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--topic", default="tooltrail.alerts.v1")
    parser.add_argument("--group", default="example-alert-consumer")
    parser.add_argument("--severity", choices=SEVERITIES, default="info", help="minimum severity")
    args = parser.parse_args()

    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": args.group,
            "enable.auto.commit": False,  # commit after handling, never before
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([args.topic])
    decoder = Decoder(expect=ALERT)
    minimum = SEVERITIES.index(args.severity)
    seen: OrderedDict[str, None] = OrderedDict()  # recent alert ids: drop re-deliveries
    running = True

    def stop(*_: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while running:
            msg = consumer.poll(0.5)
            if msg is None or msg.error() is not None:
                continue
            try:
                alert = decoder.decode(msg.value()).record
            except DecodeError as exc:
                print(f"not an alert at offset {msg.offset()}: {exc}", flush=True)
            else:
                if alert["alert_id"] not in seen and SEVERITIES.index(alert["severity"]) >= minimum:
                    handle(alert)
                seen[alert["alert_id"]] = None
                if len(seen) > 10_000:
                    seen.popitem(last=False)
            consumer.commit(message=msg, asynchronous=False)
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
