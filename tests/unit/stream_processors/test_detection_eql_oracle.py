"""Same matches as Elastic's eql PythonEngine on the sequence / until / runs subset.

eql is a test oracle only (a dev dependency), never imported by tooltrail itself.
"""

from __future__ import annotations

import pytest

from tooltrail.stream_processors import DetectionEngine, Enricher, default_catalog, load_rules_text
from tooltrail.stream_processors.detection.eqlcompat import CASES, flatten
from tooltrail.stream_processors.synthetic import generate

eql = pytest.importorskip("eql")


@pytest.fixture(scope="module")
def enriched() -> list[dict]:
    enricher = Enricher(catalog=default_catalog())
    events = generate(events=8_000, sessions=200, attack_rate=1.0, seed=11, with_hash=False)
    return [enricher.enrich(e) for e in events]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_identical_matches(case, enriched: list[dict]) -> None:
    engine = eql.PythonEngine({"time_unit": 1000})
    theirs: list[list[str]] = []
    engine.add_output_hook(lambda out: theirs.append([e.data["event_id"] for e in out.events]))
    with eql.parser.elasticsearch_syntax, eql.parser.allow_runs:
        engine.add_query(eql.parse_query(case.eql))
    engine.stream_events([flatten(e) for e in enriched])

    ours_engine = DetectionEngine(rules=load_rules_text(case.rule_yaml), allowed_lateness=0)
    ours = [a["event_ids"] for a in ours_engine.process_many(enriched) + ours_engine.flush()]
    assert len(theirs) >= 3, "the stream must produce matches to compare"
    assert ours == theirs
