"""The build report: which modules run as C extensions."""

from __future__ import annotations

import importlib.util

from tooltrail.native import compiled_modules


def test_every_reported_module_loads_from_its_extension() -> None:
    for name in compiled_modules():
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        assert spec.origin.endswith(".so"), (name, spec.origin)


def test_compiled_capture_records_a_call() -> None:
    """capture.py is compiled with the producer's other modules (its compiled import once
    crashed): a compiled build imports it from its extension and records both ends of a call
    through it, chained."""
    from tooltrail.producer import Auditor, InMemoryPublisher, capture  # noqa: PLC0415

    if "tooltrail.producer.emitter" in compiled_modules():
        assert "tooltrail.producer.capture" in compiled_modules()
        assert capture.__file__ is not None and capture.__file__.endswith(".so")
    publisher = InMemoryPublisher(encode=False)
    with Auditor(publisher=publisher) as auditor, auditor.session(session_id="native"):
        auditor.start("lookup", arguments={"q": 1}).finish(result={"ok": True})
        with auditor.call("lookup", arguments={"q": 2}) as scope:
            scope.result = 3
    kinds = [(e["kind"], e["seq"], e["outcome"]) for e in publisher.events]
    assert kinds == [
        ("session_start", 1, None),
        ("tool_call", 2, "success"),
        ("tool_call", 3, "success"),
        ("session_end", 4, None),
    ]
    assert publisher.events[2]["prev_hash"] == publisher.events[1]["event_hash"]


def test_generation_entries_leave_the_collectors_young_generation_untracked() -> None:
    """The poll thread's produce loop keeps each record's ``(ref, value)`` until its
    generation is delivered (up to 4096): the collector must be able to untrack them at its
    first pass, or every one is traversed again in the older generations. Compiled code
    that re-boxes the ref after the entry defeats that; the loop keeps the ref as it came."""
    import gc  # noqa: PLC0415

    from tooltrail.producer.feedloops import produce_into  # noqa: PLC0415

    ready = [((7, i), b"key", b"value-%d" % i) for i in range(5)]
    sent: list[bytes] = []
    gen: list[tuple[object, bytes]] = []
    gc.collect()  # the refs are untracked now, as the caller's are by the time they are sent
    produce_into(
        ready, 0, 5, produce=lambda *a: sent.append(a[1]), topic="t", deliver=None, gen=gen
    )
    assert sent == [b"value-%d" % i for i in range(5)]
    assert [ref for ref, _ in gen] == [(7, i) for i in range(5)]
    gc.collect(0)
    assert not any(gc.is_tracked(entry) for entry in gen)
