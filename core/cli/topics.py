"""``tooltrail topics create|list``: tooltrail's Kafka topics (DESIGN.md, "Data flow")."""

from __future__ import annotations

import logging
import sys

import click

from tooltrail.errors import TooltrailError


@click.group("topics")
def topics() -> None:
    """Create and list tooltrail's Kafka topics."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@topics.command("create")
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    default=None,
    help="Partitions per topic [default: TOOLTRAIL_TOPIC_PARTITIONS or 3]. Existing topics "
    "keep theirs.",
)
@click.option(
    "--replication-factor",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Replicas per partition (1 on the local broker).",
)
@click.option(
    "--bootstrap",
    default=None,
    help="Kafka bootstrap servers [default: TOOLTRAIL_BOOTSTRAP_SERVERS or 127.0.0.1:9092].",
)
def create(partitions: int | None, replication_factor: int, bootstrap: str | None) -> None:
    """Create the four topics; existing ones are reported and left alone.

    \b
    tooltrail.toolcalls.v1           raw events, 7 days, delete
    tooltrail.toolcalls.enriched.v1  enriched events, 7 days, delete
    tooltrail.alerts.v1              alerts, 90 days, delete
    tooltrail.deadletter.v1          bad records + original bytes, 30 days, delete

    Events are keyed by session_id, so partitions bound the parallelism of the workers.
    ClickHouse keeps the long history; Kafka keeps a window for replays and late consumers.
    """
    from tooltrail.settings import Settings  # noqa: PLC0415 - keep `tooltrail --help` fast
    from tooltrail.topics import admin_client, create_topics  # noqa: PLC0415

    settings = Settings()
    servers = bootstrap or settings.bootstrap_servers
    count = partitions or settings.topic_partitions
    try:
        outcome = create_topics(
            admin_client(servers), partitions=count, replication_factor=replication_factor
        )
    except TooltrailError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for name, what in outcome.items():
        detail = f"{count} partitions" if what == "created" else "already exists, left as is"
        click.echo(f"{what:8} {name} ({detail})")


@topics.command("list")
@click.option(
    "--bootstrap",
    default=None,
    help="Kafka bootstrap servers [default: TOOLTRAIL_BOOTSTRAP_SERVERS or 127.0.0.1:9092].",
)
@click.option("--all", "show_all", is_flag=True, help="Also list topics that are not tooltrail's.")
def list_topics(bootstrap: str | None, show_all: bool) -> None:
    """List topics with their partition counts (tooltrail's own by default)."""
    from confluent_kafka import KafkaException  # noqa: PLC0415

    from tooltrail.settings import Settings  # noqa: PLC0415
    from tooltrail.topics import admin_client  # noqa: PLC0415

    servers = bootstrap or Settings().bootstrap_servers
    try:
        metadata = admin_client(servers).list_topics(timeout=10)
    except KafkaException as exc:
        click.echo(f"error: no answer from Kafka at {servers}: {exc}", err=True)
        sys.exit(1)
    for name in sorted(metadata.topics):
        if show_all or name.startswith("tooltrail."):
            click.echo(f"{name}\t{len(metadata.topics[name].partitions)} partitions")
