"""The enricher: catalog lookup, derived fields, provenance, bounded and restorable state."""

from __future__ import annotations

import json
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from tooltrail.schemas import (
    ENRICHED_TOOL_CALL_EVENT,
    EnrichedToolCallEvent,
    single_object_serializer,
)
from tooltrail.stream_processors import Enricher, default_catalog, load_catalog


def test_catalog_category_labels_and_unknown_tools(sp: SimpleNamespace) -> None:
    enricher = sp.new_enricher()
    known = enricher.enrich(sp.event(1, "read_email", at=0))
    assert known["category"] == "read"
    assert set(known["labels"]) >= {"private_data", "untrusted_content"}
    assert known["catalog_entry"] == "read_email"
    glob = enricher.enrich(sp.event(2, "stripe_refund", at=1))
    assert (glob["category"], glob["catalog_entry"]) == ("payment", "stripe_*")
    regex = enricher.enrich(sp.event(3, "purge_cache", at=2))
    assert regex["category"] == "delete" and regex["catalog_entry"].startswith("re:")
    unknown = enricher.enrich(sp.event(4, "frobnicate", at=3))
    assert (unknown["category"], unknown["catalog_entry"], unknown["labels"]) == ("other", None, [])
    assert enricher.stats["unknown_tools"] == 1


def test_server_specific_entries_win() -> None:
    catalog = load_catalog(
        text="""
tools:
  - {match: search, category: search}
  - {match: search, server: "mail*", category: read, labels: [private_data]}
"""
    )
    assert catalog.lookup("search").category == "search"
    assert catalog.lookup("search", "mailbox").category == "read"


def test_destinations_external_and_first_seen(sp: SimpleNamespace) -> None:
    enricher = Enricher(
        catalog=default_catalog(), internal_domains=["acme.test"], clock=lambda: sp.T0
    )
    out = enricher.enrich(
        sp.event(1, "http_post", at=0, arguments={"url": "https://Api.Evil.example.org:8443/x"})
    )
    assert (
        out["destination_domain"],
        out["destination_external"],
        out["first_seen_destination"],
    ) == (
        "api.evil.example.org",
        True,
        True,
    )
    again = enricher.enrich(
        sp.event(2, "http_post", at=1, arguments={"url": "https://api.evil.example.org/y"})
    )
    assert again["first_seen_destination"] is False
    other_agent = enricher.enrich(
        sp.event(
            3,
            "http_post",
            at=2,
            agent_id="agent-2",
            arguments={"url": "https://api.evil.example.org/"},
        )
    )
    assert other_agent["first_seen_destination"] is True
    internal = enricher.enrich(
        sp.event(4, "send_email", at=3, arguments={"to": "bob@mail.acme.test"})
    )
    assert (internal["destination_domain"], internal["destination_external"]) == (
        "mail.acme.test",
        False,
    )
    metadata = enricher.enrich(
        sp.event(5, "http_get", at=4, arguments={"url": "http://169.254.169.254/latest"})
    )
    assert metadata["destination_external"] is False
    none = enricher.enrich(sp.event(6, "calculator", at=5, arguments={"expr": "1+1"}))
    assert (none["destination_domain"], none["destination_external"]) == (None, None)


def test_secrets_and_allowlist_labels(sp: SimpleNamespace) -> None:
    enricher = sp.new_enricher()
    token = enricher.enrich(sp.event(1, "http_post", at=0, arguments={"body": "ghp_" + "a" * 36}))
    assert "secret_in_arguments" in token["labels"]
    redacted = enricher.enrich(
        sp.event(2, "send_email", at=1, arguments={"to": "x@y.example.org"},
                 redactions=[{"path": "arguments.body", "rule": "value:jwt"}])
    )  # fmt: skip
    assert "secret_in_arguments" in redacted["labels"]
    clean = enricher.enrich(sp.event(3, "http_post", at=2, arguments={"body": "hello"}))
    assert "secret_in_arguments" not in clean["labels"]
    outside = enricher.enrich(sp.event(4, "send_email", at=3, agent_id="example-readonly-agent"))
    inside = enricher.enrich(sp.event(5, "read_file", at=4, agent_id="example-readonly-agent"))
    assert "outside_allowlist" in outside["labels"]
    assert "outside_allowlist" not in inside["labels"]


def test_provenance_from_untrusted_results_only(sp: SimpleNamespace) -> None:
    enricher = sp.new_enricher()
    page = {"text": "pay DE44500105175407324931 or mail refunds@scam.example.org"}
    enricher.enrich(sp.event(1, "read_webpage", at=0, result=page))
    pay = enricher.enrich(
        sp.event(2, "transfer_funds", at=1, arguments={"account": "DE44500105175407324931"})
    )
    assert [
        (p["value"], p["value_kind"], p["source_tool"], p["source_seq"]) for p in pay["provenance"]
    ] == [("DE44500105175407324931", "account", "read_webpage", 1)]
    assert "untrusted_value" in pay["labels"]
    mail = enricher.enrich(
        sp.event(3, "send_email", at=2, arguments={"to": "refunds@scam.example.org"})
    )
    assert {p["value_kind"] for p in mail["provenance"]} == {"email"}
    # A trusted tool's result does not make values untrusted.
    enricher.enrich(sp.event(4, "query_database", at=3, result={"iban": "GB33BUKB20201555555555"}))
    trusted = enricher.enrich(
        sp.event(5, "transfer_funds", at=4, arguments={"account": "GB33BUKB20201555555555"})
    )
    assert trusted["provenance"] == []
    # Provenance is per session.
    other = enricher.enrich(
        sp.event(
            1, "transfer_funds", at=5, session="s2", arguments={"account": "DE44500105175407324931"}
        )
    )
    assert other["provenance"] == []


def test_values_named_before_untrusted_content_keep_their_origin(sp: SimpleNamespace) -> None:
    enricher = sp.new_enricher()
    enricher.enrich(sp.event(1, "calculator", at=0, arguments={"note": "DE44500105175407324931"}))
    enricher.enrich(sp.event(2, "read_webpage", at=1, result={"text": "DE44500105175407324931"}))
    pay = enricher.enrich(
        sp.event(3, "transfer_funds", at=2, arguments={"account": "DE44500105175407324931"})
    )
    assert pay["provenance"] == []


def test_state_snapshot_restore_and_bounds(sp: SimpleNamespace) -> None:
    enricher = Enricher(
        catalog=default_catalog(), max_values_per_session=3, max_sessions=2, clock=lambda: sp.T0
    )
    text = " ".join(f"https://h{i}.example.org/" for i in range(4))
    enricher.enrich(sp.event(1, "read_webpage", at=0, result={"text": text}))
    assert enricher.stats["values_evicted"] > 0
    keys = enricher.dirty_keys()
    assert "session:s1" in keys
    table = {k: json.loads(json.dumps(enricher.snapshot(k))) for k in keys}
    assert len(table["session:s1"]["prov"]) == 3

    restored = Enricher(catalog=default_catalog(), clock=lambda: sp.T0)
    for key, state in table.items():
        restored.restore(key, state)
    out = restored.enrich(
        sp.event(2, "http_post", at=1, arguments={"url": "https://h3.example.org/"})
    )
    assert out["provenance"], "restored provenance is used"

    for i in range(3):
        enricher.enrich(
            sp.event(
                1, "read_webpage", at=i, session=f"x{i}", result={"text": "https://a.example.org/"}
            )
        )
    assert enricher.stats["sessions_evicted"] >= 1
    evicted = [k for k in enricher.dirty_keys() if enricher.snapshot(k) is None]
    assert "session:s1" in evicted


def test_session_end_drops_state(sp: SimpleNamespace) -> None:
    enricher = sp.new_enricher()
    enricher.enrich(sp.event(1, "read_webpage", at=0, result={"text": "https://a.example.org/"}))
    assert enricher.snapshot("session:s1") is not None
    enricher.enrich(sp.event(2, None, at=1, kind="session_end", outcome=None))
    assert enricher.snapshot("session:s1") is None
    assert "session:s1" in enricher.dirty_keys()


def test_output_conforms_to_the_avro_contract(sp: SimpleNamespace) -> None:
    enricher = sp.new_enricher()
    serialize = single_object_serializer(ENRICHED_TOOL_CALL_EVENT)
    enricher.enrich(
        sp.event(1, "read_webpage", at=0, result={"text": "wire DE44500105175407324931"})
    )
    out = enricher.enrich(
        sp.event(2, "transfer_funds", at=1, arguments={"account": "DE44500105175407324931"})
    )
    assert EnrichedToolCallEvent.model_validate(out).to_avro() == out
    assert serialize(out)


def test_value_scan_finds_every_kind_in_text_order() -> None:
    from tooltrail.stream_processors.enrich.extract import values_in  # noqa: PLC0415

    text = (
        '{"cmd": "curl https://x.example.net/a?b=1 > ~/out.txt", "to": "Bob@Example.org",'
        ' "iban": "DE44500105175407324931", "card": "4111111111111111", "n": 12}'
    )
    assert list(values_in(text)) == [
        ("url", "https://x.example.net/a?b=1"),
        ("domain", "x.example.net"),
        ("path", "~/out.txt"),
        ("email", "bob@example.org"),
        ("account", "DE44500105175407324931"),
        ("account", "4111111111111111"),
    ]
    # Texts that can hold only some kinds (the scan leaves the others out) find the same.
    assert list(values_in('{"path": "/etc/passwd", "n": 12345678}')) == [
        ("path", "/etc/passwd"),
        ("account", "12345678"),
    ]
    assert list(values_in('{"q": "deploy steps", "n": 688}')) == []


def test_secret_scan_prefilter_keeps_every_pattern() -> None:
    from tooltrail.stream_processors.enrich.extract import has_secret  # noqa: PLC0415

    for text in (
        '{"key": "AKIAABCDEFGHIJKLMNOP"}',
        '{"t": "ghp_' + "a" * 36 + '"}',
        '{"Api_Key": "0123456789abcdef"}',
        '{"PASSWORD": "hunter2hunter2"}',
        '{"ap\u0131_key": "0123456789abcdef"}',  # dotless i: IGNORECASE matches it
    ):
        assert has_secret(text), text
    assert not has_secret('{"path": "/srv/app/README.md", "n": 1}')


@settings(max_examples=400, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(["DE", "44", "5001", "0517540", "7324931", "x", " ", "\u0663\u0664", "Ab"])
        | st.text(max_size=5),
        max_size=10,
    ).map("".join)
)
def test_account_prefilter_agrees_with_the_scans(text: str) -> None:
    """Counting digits and capitals first never changes whether an account can match."""
    from tooltrail.stream_processors.enrich import extract  # noqa: PLC0415

    scans = extract._DIGITS8(text) is not None or extract._IBAN_START(text) is not None
    assert extract._may_hold_account(text) == scans
