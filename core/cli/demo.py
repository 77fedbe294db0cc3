"""``tooltrail demo run`` (what ``make run`` calls): the pipeline end to end on this machine."""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import click


@click.group("demo")
def demo() -> None:
    """Demonstrations of the running pipeline."""


@demo.command("run")
@click.option("--sessions", default=36, show_default=True, help="Agent sessions to play.")
@click.option("--pace", default=0.02, show_default=True, help="Seconds between tool calls.")
@click.option("--timeout", default=90.0, show_default=True,
              help="Seconds the worker may take to catch up after the fleet stops.")  # fmt: skip
def run(*, sessions: int, pace: float, timeout: float) -> None:
    """Broker, topics, processors and a fleet of agents; alerts as they fire; a summary.

    Starts the local Kafka broker if none answers (and stops it at the end), creates the
    topics, runs a processors worker, plays mostly benign agent sessions plus attacks
    the default rules catch and one session tampered with in transit, then prints what
    went in and what came out. Exits 0 when every record came out the other end.
    """
    from tooltrail.cli.alerts import alert_line  # noqa: PLC0415
    from tooltrail.errors import TooltrailError  # noqa: PLC0415
    from tooltrail.local import LocalKafka, broker_answers  # noqa: PLC0415
    from tooltrail.settings import Settings  # noqa: PLC0415
    from tooltrail.stream_processors.workers.demo import run_demo  # noqa: PLC0415
    from tooltrail.topics import admin_client, create_topics  # noqa: PLC0415

    logging.basicConfig(level=logging.ERROR)
    settings = Settings()
    bootstrap = settings.bootstrap_servers
    quiet = logging.getLogger("tooltrail.demo.kafka")
    kafka = LocalKafka.from_settings(settings, logger=quiet)
    started = False

    def show_alert(alert: dict[str, Any]) -> None:
        colour = "red" if alert["severity"] in ("high", "critical") else "yellow"
        click.secho(f"  ALERT {alert_line(alert)}", fg=colour)

    try:
        if not broker_answers(bootstrap, timeout=5.0, logger=quiet):
            if bootstrap != kafka.bootstrap:
                raise click.ClickException(f"no Kafka broker answers on {bootstrap}")
            click.echo(f"starting the local Kafka broker on {bootstrap} ...")
            result = kafka.start(owner="demo")
            started = result.started
            click.echo(f"broker ready in {result.seconds:.1f}s")
        else:
            click.echo(f"using the Kafka broker on {bootstrap}")
        outcome = create_topics(
            admin_client(bootstrap, logger=quiet), partitions=settings.topic_partitions
        )
        click.echo("topics: " + ", ".join(f"{n} ({o})" for n, o in outcome.items()))
        workdir = Path(tempfile.mkdtemp(prefix="tooltrail-demo-"))
        report = run_demo(
            bootstrap=bootstrap,
            workdir=workdir,
            echo=click.echo,
            alert_line=show_alert,
            sessions=sessions,
            pace=pace,
            timeout=timeout,
        )
    except TooltrailError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if started:
            click.echo("stopping the local Kafka broker ...")
            kafka.stop()

    click.echo("")
    click.echo(f"summary ({report.seconds:.1f}s)")
    click.echo(f"  agent sessions played   {report.sessions} ({report.calls} tool calls)")
    click.echo(f"  records produced        {report.produced}")
    click.echo(f"  events enriched         {report.enriched}")
    dead = ", ".join(f"{r}: {n}" for r, n in report.dead_by.most_common()) or "none"
    click.echo(f"  dead letters            {sum(report.dead_by.values())} ({dead})")
    click.echo(f"  alerts                  {sum(report.alerts_by.values())}")
    for (kind, rule), n in sorted(report.alerts_by.items(), key=lambda kv: (-kv[1], kv[0])):
        click.echo(f"    {n:4}  {rule} ({kind})")
    if not report.complete:
        click.secho("not every record came out of the pipeline", fg="red", err=True)
        sys.exit(1)
