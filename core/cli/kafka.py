"""``tooltrail kafka start|stop|status``: the local single-node Kafka broker (KRaft).

The broker runs from Apache Kafka jars that Maven fetches from Maven Central into
``$TOOLTRAIL_CACHE_DIR`` (default ``~/.cache/tooltrail``); nothing is installed system-wide.
"""

from __future__ import annotations

import logging
import sys

import click

from tooltrail.errors import TooltrailError


def _fail(exc: TooltrailError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


@click.group("kafka")
def kafka() -> None:
    """Run a local Apache Kafka broker (single node, KRaft) on 127.0.0.1.

    Settings: TOOLTRAIL_KAFKA_PORT (9092), TOOLTRAIL_KAFKA_CONTROLLER_PORT (port + 1),
    TOOLTRAIL_KAFKA_VERSION, TOOLTRAIL_CACHE_DIR (~/.cache/tooltrail), TOOLTRAIL_KAFKA_HEAP,
    TOOLTRAIL_JAVA, TOOLTRAIL_MVN. Needs Java 17+ and Maven.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@kafka.command("start")
@click.option("--fresh", is_flag=True, help="Wipe the broker's topics and metadata first.")
def start(fresh: bool) -> None:
    """Start the broker in the background and wait until it answers.

    The first start fetches Kafka's jars with Maven (a few minutes on a slow network);
    later starts reuse them. Already running: says so and exits 0.
    """
    from tooltrail.local import LocalKafka  # noqa: PLC0415
    from tooltrail.settings import Settings  # noqa: PLC0415

    broker = LocalKafka.from_settings(Settings())
    if fresh and broker.status(timeout=3.0).managed:
        click.echo(
            "error: --fresh needs the broker stopped: run `tooltrail kafka stop` first", err=True
        )
        sys.exit(1)
    click.echo(f"starting Kafka {broker.version} on {broker.bootstrap} ...")
    try:
        result = broker.start(fresh=fresh, owner="cli")
    except TooltrailError as exc:
        _fail(exc)
        return
    if not result.started:
        click.echo(f"Kafka already running on {broker.bootstrap} (pid {result.status.pid})")
        return
    if result.jars is not None and result.jars.downloaded:
        click.echo(f"fetched Kafka jars in {result.jars.seconds:.1f} s into {result.jars.libs}")
    click.echo(
        f"Kafka {broker.version} answers on {broker.bootstrap} (pid {result.status.pid}, "
        f"{result.seconds:.1f} s); log: {broker.log_file}"
    )


@kafka.command("stop")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds before SIGKILL.")
def stop(timeout: float) -> None:
    """Stop the broker (SIGTERM, then SIGKILL after --timeout). Not running: says so."""
    from tooltrail.local import LocalKafka, live_leases  # noqa: PLC0415
    from tooltrail.settings import Settings  # noqa: PLC0415

    broker = LocalKafka.from_settings(Settings())
    users = live_leases(broker.state_dir)
    if users:
        click.echo(f"note: test sessions still use the broker (pids {users})", err=True)
    try:
        stopped = broker.stop(timeout=timeout)
    except TooltrailError as exc:
        _fail(exc)
        return
    if stopped:
        click.echo(f"Kafka on {broker.bootstrap} stopped")
    else:
        click.echo(f"Kafka on {broker.bootstrap} was not running (nothing to stop)")


@kafka.command("status")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; only the exit status.")
def status(quiet: bool) -> None:
    """Exit 0 when a broker answers on the port, 1 otherwise."""
    from tooltrail.local import LocalKafka  # noqa: PLC0415
    from tooltrail.settings import Settings  # noqa: PLC0415

    broker = LocalKafka.from_settings(Settings())
    current = broker.status()
    if not quiet:
        if current.answering and current.managed:
            click.echo(
                f"running: Kafka answers on {current.bootstrap} (pid {current.pid}); "
                f"log: {current.log_file}"
            )
        elif current.answering:
            click.echo(
                f"running: a Kafka broker answers on {current.bootstrap} (not started by tooltrail)"
            )
        elif current.managed:
            click.echo(
                f"not answering: broker pid {current.pid} runs but does not answer on "
                f"{current.bootstrap}; see {current.log_file}"
            )
        else:
            click.echo(f"stopped: nothing answers on {current.bootstrap}")
    sys.exit(0 if current.answering else 1)
