"""Events published through the capture API reach the real broker intact and in order."""

from __future__ import annotations

import contextlib
import copy
import sys
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tooltrail.producer import Auditor, Redactor, verify, wrap
from tooltrail.producer.kafka import KafkaPublisher
from tooltrail.producer.signing import HmacKey
from tooltrail.producer.spool import Spool

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from producer_helpers.consume import consume_all


class TeePublisher(KafkaPublisher):
    """Keeps a copy of every event it is given, to compare with what comes back."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: list[dict[str, Any]] = []

    def publish(
        self, event: dict[str, Any], *, durable: bool = False, canonical: bytes | None = None
    ) -> bool:
        self.sent.append(copy.deepcopy(event))
        return super().publish(event, durable=durable, canonical=canonical)


@pytest.mark.parametrize("mode", ["memory", "disk"])
def test_consumed_back_intact_and_in_order_per_session(
    kafka_bootstrap: str, unique_topic: Any, tmp_path: Path, mode: str
) -> None:
    topic = unique_topic(partitions=3)
    pub = TeePublisher(
        bootstrap_servers=kafka_bootstrap, topic=topic, durability=mode, spool_dir=tmp_path
    )
    key = HmacKey(key_id="k1", secret=b"deployment-secret")
    auditor = Auditor(publisher=pub, redactor=Redactor(hash_key=b"h"), signer=key)

    @auditor.tool
    def fetch(url: str, token: str) -> dict[str, Any]:
        if url.endswith("7"):
            raise PermissionError("forbidden")
        return {"status": 200, "body": "é" * 10}

    def agent(n: int) -> None:
        with auditor.session(session_id=f"session-{n}", principal=f"user{n}", tenant_id="t1"):
            for i in range(150):
                with contextlib.suppress(PermissionError):
                    fetch(f"https://example.com/{i}", token="Bearer abcdefghijklmnop")
                if i % 50 == 0:
                    auditor.deny("rm", arguments={"path": "/"}, policy_id="p", decided_by="g")

    threads = [threading.Thread(target=wrap(agent), args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert auditor.flush(30) == 0
    auditor.close()
    assert pub.metrics.produced._value.get() == len(pub.sent) == 4 * (150 + 3 + 2)
    if mode == "disk":  # every spooled record was acknowledged (successes are not reported)
        spool = Spool(directory=tmp_path)
        assert spool.pending == 0
        spool.close()

    where: list[int] = []
    got = consume_all(kafka_bootstrap, topic, expect=len(pub.sent), partitions=where)
    partitions: dict[str, set[int]] = defaultdict(set)
    for record, partition in zip(got, where, strict=True):
        partitions[record["session_id"]].add(partition)
    assert len(partitions) == 4
    assert all(len(p) == 1 for p in partitions.values())  # keyed by session: one partition
    by_session: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in got:
        by_session[record["session_id"]].append(record)
    sent_by_session: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in pub.sent:
        sent_by_session[event["session_id"]].append(event)
    assert by_session.keys() == sent_by_session.keys()
    for sid, records in by_session.items():
        assert records == sent_by_session[sid]  # intact, field by field, and in order
    report = verify(got, keys={"k1": key}, require_signatures=True)
    assert report.ok, report.to_dict()["findings"][:5]
    assert "abcdefghijklmnop" not in repr(got)  # the bearer token never left the process


def test_disk_mode_handoff_overflow_replays_in_order_without_loss_or_repeat(
    kafka_bootstrap: str, unique_topic: Any, tmp_path: Path
) -> None:
    """A handoff far smaller than a burst: callers keep spooling; past the limit nothing is
    pushed, the poll thread switches to the replay (which reads the spool after the last
    record it sent) and back, again and again. Every event arrives once, in order."""
    topic = unique_topic(partitions=1)
    pub = KafkaPublisher(
        bootstrap_servers=kafka_bootstrap,
        topic=topic,
        durability="disk",
        spool_dir=tmp_path,
        replay_max_inflight=64,
        replay_batch=50,
    )
    auditor = Auditor(publisher=pub)
    recorded: list[str] = []
    with auditor.session(session_id="overflow"):
        for i in range(6000):
            call = auditor.start("write_file", arguments={"i": i})
            call.finish(result={"ok": True})
            recorded.append(call.event_id)
    assert auditor.flush(60) == 0
    auditor.close()
    assert pub.metrics.replayed._value.get() > 0  # the handoff did overflow into the replay
    got = consume_all(kafka_bootstrap, topic, expect=len(recorded) + 2)
    calls = [r["event_id"] for r in got if r["kind"] == "tool_call"]
    assert calls == recorded  # each once, in the order recorded
    report = verify(got)
    assert report.ok, report.to_dict()["findings"][:5]
