"""The demo fleet: real chains through the producer library; the rules and the chain
verifier catch what it plays."""

from __future__ import annotations

import time
from collections import Counter

from tooltrail.producer import Auditor, InMemoryPublisher
from tooltrail.stream_processors.workers.fleet import ATTACKS, TamperingPublisher, plan, play
from tooltrail.stream_processors.workers.runtime import AnalysisConfig, PartitionRuntime


def test_the_fleet_is_mostly_benign_and_its_attacks_and_tampering_are_caught() -> None:
    plans = plan(sessions=36)
    assert sum(p.attack is not None for p in plans) == len(ATTACKS)
    tampered = {p.session_id for p in plans if p.tampered}
    assert len(tampered) == 1
    memory = InMemoryPublisher()
    publisher = TamperingPublisher(memory, tampered=tampered)
    auditor = Auditor(publisher=publisher, offload=False)
    play(auditor, plans)
    auditor.flush()
    assert publisher.published == len(memory.records) + 1  # one event lost in transit

    runtime = PartitionRuntime(config=AnalysisConfig(), load_chain=lambda sid: None)
    alerts = []
    for record in memory.records:
        alerts += runtime.handle(dict(record.event))[1]
    alerts += runtime.heartbeat(now=time.monotonic() + 3600)

    integrity = Counter(a["rule_id"] for a in alerts if a["kind"] == "integrity")
    assert {"integrity.modified", "integrity.gap"} <= set(integrity)
    assert {a["session_id"] for a in alerts if a["kind"] == "integrity"} == tampered
    attacked = {p.session_id for p in plans if p.attack}
    detected = {a["session_id"] for a in alerts if a["kind"] == "detection"}
    assert len(attacked & detected) >= len(attacked) - 1
    benign_alerted = detected - attacked
    assert len(benign_alerted) <= len(plans) // 4, benign_alerted
