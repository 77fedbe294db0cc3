"""``tooltrail rules check|test|eval|backtest``: the detection rules from the command line.

The commands are thin: they load rule files and a tool catalog, then run the same pure
enricher and detection engine the stream processors run.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import IO, Any

import click

from tooltrail.errors import RuleError

EXIT_INVALID = 1
EXIT_UNAVAILABLE = 2

_rules_option = click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Rule file or directory (repeatable). Default: the pack shipped with tooltrail.",
)
_catalog_option = click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Tool catalog YAML. Default: the catalog shipped with tooltrail.",
)


def _load(rule_paths: tuple[Path, ...], catalog_path: Path | None) -> tuple[list[Any], Any]:
    from tooltrail.stream_processors.detection import load_rules  # noqa: PLC0415
    from tooltrail.stream_processors.enrich import load_catalog  # noqa: PLC0415

    try:
        rules = load_rules(list(rule_paths) if rule_paths else None)
        catalog = load_catalog(catalog_path)
    except RuleError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    return rules, catalog


@click.group("rules")
def rules() -> None:
    """Detection rules: compile and lint them, run their embedded tests, evaluate event files."""


@rules.command("check")
@_rules_option
@_catalog_option
def check(rule_paths: tuple[Path, ...], catalog_path: Path | None) -> None:
    """Compile every rule and lint it (tests that fire and stay quiet, tags, description).

    Exit 0 when all is well, 1 when a rule is invalid or a lint finding remains.
    """
    from tooltrail.stream_processors.detection.casetest import lint_rule  # noqa: PLC0415

    loaded, catalog = _load(rule_paths, catalog_path)
    problems = 0
    for rule in loaded:
        for finding in lint_rule(rule):
            problems += 1
            click.echo(f"{rule.file}:{rule.line}: {rule.id}: {finding}", err=True)
    kinds = Counter(rule.kind for rule in loaded)
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    click.echo(
        f"{len(loaded)} rules compiled ({summary}); catalog {catalog.source} with "
        f"{len(catalog.entries)} entries; {problems} lint finding(s)"
    )
    if problems:
        sys.exit(EXIT_INVALID)


@rules.command("test")
@_rules_option
@_catalog_option
@click.option("-v", "--verbose", is_flag=True, help="List passing cases too.")
def test(rule_paths: tuple[Path, ...], catalog_path: Path | None, verbose: bool) -> None:
    """Run every rule's embedded test cases through the enricher and the engine.

    Exit 0 when every case passes, 1 otherwise.
    """
    from tooltrail.stream_processors.detection.casetest import run_rule_tests  # noqa: PLC0415

    loaded, catalog = _load(rule_paths, catalog_path)
    results = run_rule_tests(loaded, catalog=catalog)
    failed = [r for r in results if not r.passed]
    for result in results:
        if not result.passed:
            click.echo(f"FAIL {result.rule_id} {result.case} ({result.file}:{result.line}): "
                       f"{result.detail}", err=True)  # fmt: skip
        elif verbose:
            click.echo(f"ok   {result.rule_id} {result.case}")
    untested = [rule.id for rule in loaded if not rule.tests]
    click.echo(
        f"{len(results) - len(failed)}/{len(results)} cases passed over {len(loaded)} rules"
        + (f"; rules without tests: {', '.join(untested)}" if untested else "")
    )
    if failed:
        sys.exit(EXIT_INVALID)


def _events(stream: IO[str]) -> Any:
    """``(line number, text)`` of each non-blank line."""
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


@rules.command("eval")
@_catalog_option
@_rules_option
@click.option(
    "--internal-domain",
    "internal_domains",
    multiple=True,
    help="A domain (and its subdomains) that is not external (repeatable).",
)
@click.option(
    "--lateness",
    type=float,
    default=5.0,
    show_default=True,
    help="Allowed lateness in seconds (events are applied in event-time order within it).",
)
@click.option("--strict", is_flag=True, help="Exit 1 when any input line is invalid.")
@click.argument("events", type=click.File("r", encoding="utf-8"))
def evaluate(  # noqa: PLR0917 (click passes every option as an argument)
    catalog_path: Path | None,
    rule_paths: tuple[Path, ...],
    internal_domains: tuple[str, ...],
    lateness: float,
    strict: bool,
    events: IO[str],
) -> None:
    """Enrich and run the rules over EVENTS (ToolCallEvent canonical JSON lines; - for stdin).

    Alerts go to stdout as JSON lines (canonical JSON of the Alert record: rule_id, severity,
    session_id, agent_id, event_ids, message ...); a summary goes to stderr. Invalid lines
    are reported with their line number and counted, never silently skipped.
    """
    from pydantic import ValidationError  # noqa: PLC0415

    from tooltrail.schemas import ToolCallEvent, canonical_json  # noqa: PLC0415
    from tooltrail.stream_processors.detection import DetectionEngine  # noqa: PLC0415
    from tooltrail.stream_processors.enrich import Enricher  # noqa: PLC0415

    loaded, catalog = _load(rule_paths, catalog_path)
    enricher = Enricher(catalog=catalog, internal_domains=internal_domains)
    engine = DetectionEngine(rules=loaded, allowed_lateness=lateness)
    out = click.get_text_stream("stdout")
    per_rule: Counter[str] = Counter()
    invalid = 0

    def emit(alerts: list[dict[str, Any]]) -> None:
        for alert in alerts:
            per_rule[alert["rule_id"]] += 1
            out.write(canonical_json(alert).decode() + "\n")

    for number, line in _events(events):
        try:
            record = ToolCallEvent.model_validate_json(line).to_avro()
        except ValidationError as exc:
            invalid += 1
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            click.echo(f"{events.name}:{number}: invalid event ({where}: {first['msg']})", err=True)
            continue
        emit(engine.process(enricher.enrich(record)))
    emit(engine.flush())
    stats = engine.stats
    click.echo(
        f"{stats['events']} events, {invalid} invalid, {stats['late']} late (dropped), "
        f"{enricher.stats['unknown_tools']} with unknown tools; {stats['alerts']} alerts, "
        f"{stats['suppressed']} suppressed, {stats['excepted']} excepted",
        err=True,
    )
    for rule_id, count in sorted(per_rule.items()):
        click.echo(f"  {rule_id}: {count}", err=True)
    if strict and invalid:
        sys.exit(EXIT_INVALID)


@rules.command("backtest", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def backtest(args: tuple[str, ...]) -> None:
    """Replay ClickHouse history through the rules (needs the ClickHouse sink: not available yet).

    Exits 2. Until the sink exists, export events as canonical JSON lines and use
    `tooltrail rules eval` instead.
    """
    click.echo(
        "error: rules backtest replays tool-call history stored in ClickHouse, and this build "
        "has no ClickHouse sink yet, so there is no history to replay. Export events as "
        "canonical JSON lines and run `tooltrail rules eval EVENTS.jsonl` instead.",
        err=True,
    )
    sys.exit(EXIT_UNAVAILABLE)
