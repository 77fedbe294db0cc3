"""Run the processors app as a Faust worker process (what ``tooltrail worker processors`` does)."""

from __future__ import annotations

import dataclasses
import logging

from tooltrail.stream_processors.workers.app import ProcessorsApp, create_app
from tooltrail.stream_processors.workers.config import ProcessorConfig
from tooltrail.stream_processors.workers.runtime import AnalysisConfig
from tooltrail.stream_processors.workers.topics import ensure_topics

log = logging.getLogger(__name__)


def prepare(config: ProcessorConfig, *, analysis: AnalysisConfig | None = None) -> ProcessorsApp:
    """Create missing topics, align partitions with the raw topic, build the app."""
    counts = ensure_topics(
        config.bootstrap_servers,
        topics=config.topics,
        partitions=config.partitions,
        replication_factor=config.replication_factor,
    )
    raw_partitions = counts[config.topics.raw]
    if raw_partitions != config.partitions:
        log.info("raw topic has %d partitions; tables follow it", raw_partitions)
        config = dataclasses.replace(config, partitions=raw_partitions)
    config.datadir.mkdir(parents=True, exist_ok=True)
    return create_app(config, analysis=analysis)


def run_worker(
    config: ProcessorConfig, *, analysis: AnalysisConfig | None = None, loglevel: str = "warning"
) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit code."""
    from faust import Worker  # noqa: PLC0415 - Faust is heavy; only workers need it

    processors = prepare(config, analysis=analysis)
    worker = Worker(processors.app, loglevel=loglevel, quiet=True, redirect_stdouts=False)
    try:
        worker.execute_from_commandline()  # returns by raising SystemExit
    except SystemExit as exc:
        return int(exc.code or 0)
