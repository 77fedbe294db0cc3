"""The ``tooltrail`` command.

Each command group lives in its own module and imports its heavy dependencies (Faust,
ClickHouse, the broker tools) only when it runs, so ``tooltrail --help`` stays fast.
"""

from __future__ import annotations

import importlib

import click

from tooltrail import __version__
from tooltrail.native import build_kind

# (module, attribute) of each command group; a module that is missing from this build
# simply does not add its commands.
_COMMANDS: tuple[tuple[str, str], ...] = (
    ("tooltrail.cli.kafka", "kafka"),
    ("tooltrail.cli.topics", "topics"),
    ("tooltrail.cli.rules", "rules"),
    ("tooltrail.cli.worker", "worker"),
    ("tooltrail.cli.alerts", "alerts"),
    ("tooltrail.cli.demo", "demo"),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(f"{__version__}, {build_kind()}", "-V", "--version", prog_name="tooltrail")
def main() -> None:
    """tooltrail: the behavioural audit trail for autonomous AI agents.

    Agents publish tool-call events to Kafka through the tooltrail producer library;
    stream processors enrich them and raise alerts; a sink stores everything in ClickHouse.
    Settings are read from TOOLTRAIL_* environment variables; every command has --help.
    """


def _register() -> None:
    for module_name, attribute in _COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        main.add_command(getattr(module, attribute))


_register()
