"""Session context propagation across asyncio tasks and threads."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from tooltrail.producer import (
    Auditor,
    ContextThreadPoolExecutor,
    InMemoryPublisher,
    current_session,
    verify,
    wrap,
)


def test_concurrent_asyncio_sessions_stay_apart() -> None:
    pub = InMemoryPublisher()
    auditor = Auditor(publisher=pub)

    @auditor.tool
    async def step(i: int) -> str | None:
        await asyncio.sleep(0)
        ctx = current_session()
        return ctx.session_id if ctx else None

    async def agent(name: str) -> list[str | None]:
        with auditor.session(session_id=name, principal=f"user-{name}"):
            inner = [asyncio.create_task(step(i)) for i in range(5)]
            return list(await asyncio.gather(*inner))

    async def main() -> list[list[str | None]]:
        return list(await asyncio.gather(agent("a"), agent("b"), agent("c")))

    results = asyncio.run(main())
    assert results == [["a"] * 5, ["b"] * 5, ["c"] * 5]
    per_session = Counter(e["session_id"] for e in pub.events if e["kind"] == "tool_call")
    assert per_session == {"a": 5, "b": 5, "c": 5}
    for e in pub.events:
        assert e["principal"] == f"user-{e['session_id']}"
    assert verify(pub.events).ok


def test_threads_need_wrap_or_the_executor() -> None:
    pub = InMemoryPublisher()
    auditor = Auditor(publisher=pub)
    seen: dict[str, str | None] = {}

    def probe(label: str) -> None:
        ctx = current_session()
        seen[label] = ctx.session_id if ctx else None
        auditor.start("t", arguments={"label": label}).finish(result=None)

    with auditor.session(session_id="s"):
        plain = threading.Thread(target=probe, args=("plain",))
        wrapped = threading.Thread(target=wrap(probe), args=("wrapped",))
        for t in (plain, wrapped):
            t.start()
            t.join()
        with ContextThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(probe, f"pool{i}") for i in range(4)]
            for f in futures:
                f.result()
    auditor.close()
    assert seen["plain"] is None  # contextvars do not flow into plain threads
    assert seen["wrapped"] == "s"
    assert all(seen[f"pool{i}"] == "s" for i in range(4))
    by_label = {e["arguments"]: e["session_id"] for e in pub.events if e["kind"] == "tool_call"}
    assert by_label['{"label":"wrapped"}'] == "s"
    assert by_label['{"label":"plain"}'] != "s"  # went to the process default session
    assert verify(pub.events).ok


def test_many_threads_one_session_keep_one_chain() -> None:
    pub = InMemoryPublisher()
    auditor = Auditor(publisher=pub)

    def work(n: int) -> None:
        for i in range(50):
            auditor.start("t", arguments={"n": n, "i": i}).finish(result=i)

    with auditor.session(session_id="shared"):
        threads = [threading.Thread(target=wrap(work), args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    seqs = [e["seq"] for e in pub.events]
    assert seqs == list(range(1, 8 * 50 + 3))
    assert verify(pub.events).ok
