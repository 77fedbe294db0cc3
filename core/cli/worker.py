"""``tooltrail worker``: the long-running stream-processing workers.

``tooltrail worker processors`` runs every Faust agent of the pipeline (decode, verify,
enrich, detect) in one process; start more processes with the same app id to share the
raw topic's partitions through the consumer group.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from tooltrail.stream_processors.workers.config import ProcessorConfig
    from tooltrail.stream_processors.workers.runtime import AnalysisConfig


class ProcessorSettings(BaseSettings):
    """``TOOLTRAIL_PROCESSORS_*`` settings of the processors worker."""

    model_config = SettingsConfigDict(env_prefix="TOOLTRAIL_PROCESSORS_", extra="ignore")

    app_id: str = Field(default="tooltrail-processors", description="Faust app id / group.")
    store: str = Field(default="rocksdb://", description="memory:// or rocksdb://")
    datadir: Path | None = Field(
        default=None, description="Table directory; default <cache_dir>/processors/<id>-<port>."
    )
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=6066, ge=0, le=65535, description="0 disables the web server.")
    batch_size: int = Field(default=1000, ge=1)
    checkpoint_interval: float = Field(
        default=5.0, ge=0, description="Seconds between state checkpoints (acks wait for one)."
    )
    max_record_bytes: int = Field(default=1_048_576, ge=1)
    session_timeout: float = Field(default=10.0, ge=6.0)
    allowed_lateness: float = Field(default=0.25, ge=0)
    closed_chain_retention: float = Field(
        default=86_400.0,
        ge=0,
        description="Seconds a closed session's chain state is kept (late appends are flagged).",
    )
    rules: list[Path] | None = None
    catalog: Path | None = None
    internal_domains: list[str] = Field(default_factory=list)
    worker_name: str | None = None
    raw_topic: str | None = None
    enriched_topic: str | None = None
    alerts_topic: str | None = None
    deadletter_topic: str | None = None


def build_config(overrides: dict[str, Any] | None = None) -> tuple[ProcessorConfig, AnalysisConfig]:
    """The worker's configuration from ``TOOLTRAIL_*`` settings plus command-line overrides."""
    from tooltrail.settings import Settings  # noqa: PLC0415
    from tooltrail.stream_processors import load_catalog, load_rules  # noqa: PLC0415
    from tooltrail.stream_processors.workers.config import (  # noqa: PLC0415
        ProcessorConfig,
        Topics,
    )
    from tooltrail.stream_processors.workers.runtime import AnalysisConfig  # noqa: PLC0415

    settings = Settings()
    ps = ProcessorSettings(**{k: v for k, v in (overrides or {}).items() if v is not None})
    datadir = ps.datadir or settings.cache_dir / "processors" / f"{ps.app_id}-{ps.web_port}"
    config = ProcessorConfig(
        bootstrap_servers=settings.bootstrap_servers,
        schema_registry_url=settings.schema_registry_url,
        app_id=ps.app_id,
        store=ps.store,
        datadir=datadir,
        web_host=ps.web_host,
        web_port=ps.web_port,
        partitions=settings.topic_partitions,
        batch_size=ps.batch_size,
        checkpoint_interval=ps.checkpoint_interval,
        max_record_bytes=ps.max_record_bytes,
        session_timeout=ps.session_timeout,
        worker_name=ps.worker_name or f"{socket.gethostname()}:{os.getpid()}",
        topics=Topics(
            **{
                role: name
                for role, name in (
                    ("raw", ps.raw_topic),
                    ("enriched", ps.enriched_topic),
                    ("alerts", ps.alerts_topic),
                    ("deadletter", ps.deadletter_topic),
                )
                if name
            }
        ),
    )
    analysis = AnalysisConfig(
        rules=tuple(load_rules(ps.rules)) if ps.rules else None,
        catalog=load_catalog(ps.catalog) if ps.catalog else None,
        internal_domains=tuple(ps.internal_domains),
        allowed_lateness=ps.allowed_lateness,
        closed_chain_retention=ps.closed_chain_retention,
    )
    return config, analysis


@click.group("worker")
def worker() -> None:
    """Long-running stream-processing workers."""


@worker.command("processors")
@click.option("--app-id", help="Faust app id: the consumer group shared by all workers.")
@click.option("--store", help="State store: memory:// (tests) or rocksdb:// (default).")
@click.option("--datadir", type=click.Path(path_type=Path), help="Directory of RocksDB tables.")
@click.option("--web-port", type=int, help="Port of /metrics and /health (0: no web server).")
@click.option("--rules", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Rule files or directories (default: the built-in pack).")  # fmt: skip
@click.option("--catalog", type=click.Path(exists=True, path_type=Path), help="Tool catalog.")
@click.option("--loglevel", default="warning", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))  # fmt: skip
def processors(
    *,
    app_id: str | None,
    store: str | None,
    datadir: Path | None,
    web_port: int | None,
    rules: tuple[Path, ...],
    catalog: Path | None,
    loglevel: str,
) -> None:
    """Decode, verify, enrich and detect: raw topic -> enriched, alerts, dead letters.

    Runs until SIGTERM or SIGINT. Settings come from TOOLTRAIL_* (broker) and
    TOOLTRAIL_PROCESSORS_* (app id, store, batch size, web port, rules ...); options win.
    """
    from tooltrail.errors import TooltrailError  # noqa: PLC0415
    from tooltrail.stream_processors.workers.runner import run_worker  # noqa: PLC0415

    overrides = {
        "app_id": app_id,
        "store": store,
        "datadir": datadir,
        "web_port": web_port,
        "rules": list(rules) or None,
        "catalog": catalog,
    }
    try:
        config, analysis = build_config(overrides)
        code = run_worker(config, analysis=analysis, loglevel=loglevel)
    except TooltrailError as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)
